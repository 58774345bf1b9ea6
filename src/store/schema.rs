//! The mirror's schema and its migrations. Each migration is one SQL script, applied in order
//! inside one transaction and counted in `PRAGMA user_version`, so a mirror is either fully at
//! a version or untouched. Never edit a shipped migration: append a new one. Migration 6 has a
//! second half in Rust (the seal over the audit events it moved texts out of), run in the same
//! transaction. Migration 7 (the kept figures) lives beside the code that reads them, in
//! `tallies.rs`.

use rusqlite::Connection;

use super::{Result, StoreError};

/// Migration `n` (1-based) is `MIGRATIONS[n - 1]`.
pub(super) const MIGRATIONS: &[&str] = &[
    MIGRATION_1,
    MIGRATION_2,
    MIGRATION_3,
    MIGRATION_4,
    MIGRATION_5,
    MIGRATION_6,
    super::tallies::MIGRATION_7,
];

const MIGRATION_1: &str = r"
CREATE TABLE providers (
    ods_code              TEXT PRIMARY KEY NOT NULL,
    name                  TEXT NOT NULL,
    agreement             TEXT NOT NULL DEFAULT 'none' CHECK (agreement IN ('none', 'sop')),
    agreement_since       TEXT,
    escalation_stage      INTEGER NOT NULL DEFAULT 0 CHECK (escalation_stage BETWEEN 0 AND 4),
    escalation_changed_at INTEGER,
    escalation_changed_by TEXT,
    -- 1 once the config's registry has named this provider: its name then wins over the
    -- names senders put in their tasks.
    from_registry         INTEGER NOT NULL DEFAULT 0 CHECK (from_registry IN (0, 1)),
    CHECK ((agreement = 'sop') = (agreement_since IS NOT NULL))
);

CREATE TABLE tasks (
    id             INTEGER PRIMARY KEY,
    source_id      TEXT NOT NULL UNIQUE,
    source_version TEXT,
    row_version    INTEGER NOT NULL DEFAULT 1,
    status         TEXT NOT NULL
                   CHECK (status IN ('new', 'assigned', 'rejected', 'completed', 'cancelled')),
    priority       TEXT NOT NULL CHECK (priority IN ('routine', 'urgent', 'asap', 'stat')),
    provider_ods   TEXT NOT NULL REFERENCES providers (ods_code),
    sender_team    TEXT,
    addressed_to   TEXT,
    owner          TEXT,
    patient_nhs    TEXT,
    patient_name   TEXT NOT NULL,
    patient_dob    TEXT,
    subject        TEXT NOT NULL,
    body           TEXT NOT NULL,
    received_at    INTEGER NOT NULL,
    due_by         INTEGER,
    updated_at     INTEGER NOT NULL,
    sync_state     TEXT NOT NULL DEFAULT 'synced'
                   CHECK (sync_state IN ('synced', 'pending', 'conflict')),
    source_extra   TEXT
);
CREATE INDEX tasks_by_status   ON tasks (status, received_at, id);
CREATE INDEX tasks_by_received ON tasks (received_at, id);
CREATE INDEX tasks_by_owner    ON tasks (owner, status);
CREATE INDEX tasks_by_provider ON tasks (provider_ods, received_at);

CREATE TABLE actions (
    id               INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    actor            TEXT NOT NULL,
    kind             TEXT NOT NULL,
    task_count       INTEGER NOT NULL,
    undone_by_action INTEGER REFERENCES actions (id)
);
CREATE INDEX actions_by_actor ON actions (actor, id);

CREATE TABLE action_items (
    action_id         INTEGER NOT NULL REFERENCES actions (id),
    task_id           INTEGER NOT NULL REFERENCES tasks (id),
    before_status     TEXT NOT NULL,
    before_owner      TEXT,
    after_row_version INTEGER NOT NULL,
    PRIMARY KEY (action_id, task_id)
) WITHOUT ROWID;
CREATE INDEX action_items_by_task ON action_items (task_id, action_id);

CREATE TABLE notes (
    id                  INTEGER PRIMARY KEY,
    task_id             INTEGER NOT NULL REFERENCES tasks (id),
    at                  INTEGER NOT NULL,
    author              TEXT NOT NULL,
    text                TEXT NOT NULL,
    action_id           INTEGER REFERENCES actions (id),
    withdrawn_by_action INTEGER REFERENCES actions (id)
);
CREATE INDEX notes_by_task   ON notes (task_id, id);
CREATE INDEX notes_by_action ON notes (action_id);

CREATE TABLE letters (
    id                  INTEGER PRIMARY KEY,
    task_id             INTEGER NOT NULL REFERENCES tasks (id),
    template            TEXT NOT NULL,
    body                TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    created_by          TEXT NOT NULL,
    action_id           INTEGER REFERENCES actions (id),
    withdrawn_by_action INTEGER REFERENCES actions (id)
);
CREATE INDEX letters_by_task   ON letters (task_id, id);
CREATE INDEX letters_by_action ON letters (action_id);

CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    task_id             INTEGER NOT NULL REFERENCES tasks (id),
    action_id           INTEGER REFERENCES actions (id),
    created_at          INTEGER NOT NULL,
    kind                TEXT NOT NULL,
    payload             TEXT NOT NULL CHECK (json_valid(payload)),
    base_source_version TEXT,
    state               TEXT NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'sent', 'confirmed', 'failed', 'cancelled')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    next_attempt_at     INTEGER
);
CREATE INDEX outbox_by_state  ON outbox (state, id);
CREATE INDEX outbox_by_task   ON outbox (task_id, state);
CREATE INDEX outbox_by_action ON outbox (action_id);

CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE quarantine (
    id     INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    line   INTEGER,
    field  TEXT,
    reason TEXT NOT NULL,
    raw    TEXT NOT NULL,
    at     INTEGER NOT NULL
);

CREATE TABLE staff_absence (
    id          INTEGER PRIMARY KEY,
    staff_id    TEXT NOT NULL,
    from_date   TEXT NOT NULL,
    until_date  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    CHECK (from_date <= until_date)
);
CREATE INDEX staff_absence_by_staff ON staff_absence (staff_id, from_date);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    task_id    INTEGER,
    target     TEXT,
    action     TEXT NOT NULL,
    from_value TEXT,
    to_value   TEXT,
    detail     TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_by_task ON audit_log (task_id, id);

CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: events cannot be changed');
END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: events cannot be deleted');
END;

-- Contentless with delete support: the text already lives in `tasks`, so the index keeps
-- only what search needs, and a row can be dropped by rowid without its old values.
CREATE VIRTUAL TABLE tasks_fts USING fts5 (
    subject, body, provider, patient,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO tasks_fts (rowid, subject, body, provider, patient)
    VALUES (
        new.id, new.subject, new.body,
        coalesce((SELECT name FROM providers WHERE ods_code = new.provider_ods), '')
            || ' ' || new.provider_ods,
        new.patient_name || ' ' || coalesce(new.patient_nhs, '')
    );
END;

CREATE TRIGGER tasks_fts_update AFTER UPDATE OF subject, body, provider_ods, patient_name,
    patient_nhs ON tasks
WHEN old.subject IS NOT new.subject OR old.body IS NOT new.body
    OR old.provider_ods IS NOT new.provider_ods OR old.patient_name IS NOT new.patient_name
    OR old.patient_nhs IS NOT new.patient_nhs
BEGIN
    DELETE FROM tasks_fts WHERE rowid = old.id;
    INSERT INTO tasks_fts (rowid, subject, body, provider, patient)
    VALUES (
        new.id, new.subject, new.body,
        coalesce((SELECT name FROM providers WHERE ods_code = new.provider_ods), '')
            || ' ' || new.provider_ods,
        new.patient_name || ' ' || coalesce(new.patient_nhs, '')
    );
END;

CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks
BEGIN
    DELETE FROM tasks_fts WHERE rowid = old.id;
END;

-- A renamed provider must still be found under its new name.
CREATE TRIGGER tasks_fts_provider_renamed AFTER UPDATE OF name ON providers
WHEN old.name IS NOT new.name
BEGIN
    DELETE FROM tasks_fts
    WHERE rowid IN (SELECT id FROM tasks WHERE provider_ods = new.ods_code);
    INSERT INTO tasks_fts (rowid, subject, body, provider, patient)
    SELECT id, subject, body, new.name || ' ' || new.ods_code,
           patient_name || ' ' || coalesce(patient_nhs, '')
    FROM tasks WHERE provider_ods = new.ods_code;
END;
";

/// Imports index their new tasks for search in one statement at the end of the batch, which is
/// several times faster than a trigger per row on a large import. While an import holds a row
/// in `fts_deferred` (inside its own transaction, so no other connection ever sees it), the
/// triggers leave tasks above `after_id` alone; every other write keeps the index in step.
const MIGRATION_2: &str = r"
CREATE TABLE fts_deferred (after_id INTEGER NOT NULL);

DROP TRIGGER tasks_fts_insert;
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks
WHEN NOT EXISTS (SELECT 1 FROM fts_deferred WHERE new.id > after_id)
BEGIN
    INSERT INTO tasks_fts (rowid, subject, body, provider, patient)
    VALUES (
        new.id, new.subject, new.body,
        coalesce((SELECT name FROM providers WHERE ods_code = new.provider_ods), '')
            || ' ' || new.provider_ods,
        new.patient_name || ' ' || coalesce(new.patient_nhs, '')
    );
END;

DROP TRIGGER tasks_fts_update;
CREATE TRIGGER tasks_fts_update AFTER UPDATE OF subject, body, provider_ods, patient_name,
    patient_nhs ON tasks
WHEN (old.subject IS NOT new.subject OR old.body IS NOT new.body
    OR old.provider_ods IS NOT new.provider_ods OR old.patient_name IS NOT new.patient_name
    OR old.patient_nhs IS NOT new.patient_nhs)
    AND NOT EXISTS (SELECT 1 FROM fts_deferred WHERE new.id > after_id)
BEGIN
    DELETE FROM tasks_fts WHERE rowid = old.id;
    INSERT INTO tasks_fts (rowid, subject, body, provider, patient)
    VALUES (
        new.id, new.subject, new.body,
        coalesce((SELECT name FROM providers WHERE ods_code = new.provider_ods), '')
            || ' ' || new.provider_ods,
        new.patient_name || ' ' || coalesce(new.patient_nhs, '')
    );
END;

DROP TRIGGER tasks_fts_provider_renamed;
CREATE TRIGGER tasks_fts_provider_renamed AFTER UPDATE OF name ON providers
WHEN old.name IS NOT new.name
BEGIN
    DELETE FROM tasks_fts WHERE rowid IN (
        SELECT id FROM tasks WHERE provider_ods = new.ods_code
        AND NOT EXISTS (SELECT 1 FROM fts_deferred d WHERE tasks.id > d.after_id)
    );
    INSERT INTO tasks_fts (rowid, subject, body, provider, patient)
    SELECT id, subject, body, new.name || ' ' || new.ods_code,
           patient_name || ' ' || coalesce(patient_nhs, '')
    FROM tasks WHERE provider_ods = new.ods_code
    AND NOT EXISTS (SELECT 1 FROM fts_deferred d WHERE tasks.id > d.after_id);
END;
";

/// Sync conflicts: the server's version of a task, kept beside our changes it refused, until a
/// person keeps theirs or re-applies ours. Rows are never deleted: a resolved conflict stays as
/// the record of what was chosen (the audit log says who and when as well). And the server's
/// newer versions of tasks a pull had to hold back, until the hold ends.
const MIGRATION_3: &str = r"
CREATE TABLE sync_conflicts (
    id             INTEGER PRIMARY KEY,
    task_id        INTEGER NOT NULL REFERENCES tasks (id),
    detected_at    INTEGER NOT NULL,
    http_status    INTEGER NOT NULL,
    base_version   TEXT,
    theirs_version TEXT,
    theirs         TEXT NOT NULL CHECK (json_valid(theirs)),
    theirs_task    TEXT CHECK (theirs_task IS NULL OR json_valid(theirs_task)),
    resolved_at    INTEGER,
    resolved_by    TEXT,
    resolution     TEXT CHECK (resolution IN ('theirs', 'ours', 'superseded')),
    CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
CREATE INDEX sync_conflicts_by_task ON sync_conflicts (task_id, id);

-- A newer server version of a task that a pull could not apply because the task was held (a
-- local change waiting, or a conflict). The watermark moves past it, so it is kept here and
-- applied once the hold ends (the change confirmed, undone, or the conflict resolved).
CREATE TABLE sync_deferred (
    task_id        INTEGER PRIMARY KEY REFERENCES tasks (id),
    source_version TEXT,
    incoming       TEXT NOT NULL CHECK (json_valid(incoming))
);
";

/// Indexes for the screens that must stay instant on a mirror of millions of tasks. Each is
/// partial, holding only the small share of the mirror its screen asks about, so it costs an
/// import little, and each covers its query, so the answer is read from the index alone and
/// never from the rows scattered across the whole table:
///
/// - unactioned tasks by priority and receipt, with what the overdue list shows of them: the
///   header's overdue and due-soon counts and `taskgate overdue` read nothing else;
/// - assigned tasks with what the stalled rule needs (when assigned, the sender's due date);
/// - rejections by when they happened, for the persistent-sender rule's last 30 days;
///
/// and a second search index holding open tasks (new and assigned) only. The inbox's usual views
/// search it: a common word matches a hundred thousand tasks in a mirror of millions, nearly all
/// of them long closed, and intersecting that whole list with the inbox's few open tasks is what
/// made a search slow. Its triggers mirror the main index's (an import's new tasks are indexed
/// at the end of the batch, as there).
const MIGRATION_4: &str = r"
-- `status` closes each column list although the WHERE fixes it: without it the planner does
-- not count the index as covering and reads every row as well.
CREATE INDEX tasks_unactioned ON tasks
    (priority, received_at, id, source_id, provider_ods, patient_name, subject, status)
    WHERE status = 'new';
CREATE INDEX tasks_assigned ON tasks
    (updated_at, id, due_by, owner, priority, source_id, provider_ods, patient_name, subject,
     status)
    WHERE status = 'assigned';
CREATE INDEX tasks_rejected ON tasks (updated_at, provider_ods, status)
    WHERE status = 'rejected';

CREATE VIRTUAL TABLE open_fts USING fts5 (
    subject, body, provider, patient,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO open_fts (rowid, subject, body, provider, patient)
SELECT t.id, t.subject, t.body, coalesce(p.name, '') || ' ' || t.provider_ods,
       t.patient_name || ' ' || coalesce(t.patient_nhs, '')
FROM tasks t LEFT JOIN providers p ON p.ods_code = t.provider_ods
WHERE t.status IN ('new', 'assigned') ORDER BY t.id;

CREATE TRIGGER open_fts_insert AFTER INSERT ON tasks
WHEN new.status IN ('new', 'assigned')
    AND NOT EXISTS (SELECT 1 FROM fts_deferred WHERE new.id > after_id)
BEGIN
    INSERT INTO open_fts (rowid, subject, body, provider, patient)
    VALUES (
        new.id, new.subject, new.body,
        coalesce((SELECT name FROM providers WHERE ods_code = new.provider_ods), '')
            || ' ' || new.provider_ods,
        new.patient_name || ' ' || coalesce(new.patient_nhs, '')
    );
END;

-- Opening, closing or rewording a task: out of the index if it was open, back in if it is.
CREATE TRIGGER open_fts_update AFTER UPDATE OF status, subject, body, provider_ods,
    patient_name, patient_nhs ON tasks
WHEN (old.status IN ('new', 'assigned') OR new.status IN ('new', 'assigned'))
    AND (old.status IS NOT new.status OR old.subject IS NOT new.subject
        OR old.body IS NOT new.body OR old.provider_ods IS NOT new.provider_ods
        OR old.patient_name IS NOT new.patient_name OR old.patient_nhs IS NOT new.patient_nhs)
    AND NOT EXISTS (SELECT 1 FROM fts_deferred WHERE new.id > after_id)
BEGIN
    DELETE FROM open_fts WHERE rowid = old.id AND old.status IN ('new', 'assigned');
    INSERT INTO open_fts (rowid, subject, body, provider, patient)
    SELECT new.id, new.subject, new.body,
        coalesce((SELECT name FROM providers WHERE ods_code = new.provider_ods), '')
            || ' ' || new.provider_ods,
        new.patient_name || ' ' || coalesce(new.patient_nhs, '')
    WHERE new.status IN ('new', 'assigned');
END;

CREATE TRIGGER open_fts_delete AFTER DELETE ON tasks
WHEN old.status IN ('new', 'assigned')
BEGIN
    DELETE FROM open_fts WHERE rowid = old.id;
END;

CREATE TRIGGER open_fts_provider_renamed AFTER UPDATE OF name ON providers
WHEN old.name IS NOT new.name
BEGIN
    DELETE FROM open_fts WHERE rowid IN (
        SELECT id FROM tasks WHERE provider_ods = new.ods_code
        AND status IN ('new', 'assigned')
        AND NOT EXISTS (SELECT 1 FROM fts_deferred d WHERE tasks.id > d.after_id)
    );
    INSERT INTO open_fts (rowid, subject, body, provider, patient)
    SELECT id, subject, body, new.name || ' ' || new.ods_code,
           patient_name || ' ' || coalesce(patient_nhs, '')
    FROM tasks WHERE provider_ods = new.ods_code AND status IN ('new', 'assigned')
    AND NOT EXISTS (SELECT 1 FROM fts_deferred d WHERE tasks.id > d.after_id);
END;
";

/// The open-tasks search index learns each task's status, as a word in a column of its own that
/// typed words never reach. A search in the inbox's usual view (unactioned) then asks the index
/// for "these words, and not status assigned" and gets exactly the tasks the screen lists, so the screen's
/// "n of m" is the length of that answer; before, the count had to walk every unactioned task
/// and test it against the matches. A task moving between new and assigned is already re-indexed
/// by the update trigger (its status changes), so keeping the column costs nothing more.
const MIGRATION_5: &str = r"
DROP TRIGGER open_fts_insert;
DROP TRIGGER open_fts_update;
DROP TRIGGER open_fts_delete;
DROP TRIGGER open_fts_provider_renamed;
DROP TABLE open_fts;

CREATE VIRTUAL TABLE open_fts USING fts5 (
    subject, body, provider, patient, status,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO open_fts (rowid, subject, body, provider, patient, status)
SELECT t.id, t.subject, t.body, coalesce(p.name, '') || ' ' || t.provider_ods,
       t.patient_name || ' ' || coalesce(t.patient_nhs, ''), t.status
FROM tasks t LEFT JOIN providers p ON p.ods_code = t.provider_ods
WHERE t.status IN ('new', 'assigned') ORDER BY t.id;

CREATE TRIGGER open_fts_insert AFTER INSERT ON tasks
WHEN new.status IN ('new', 'assigned')
    AND NOT EXISTS (SELECT 1 FROM fts_deferred WHERE new.id > after_id)
BEGIN
    INSERT INTO open_fts (rowid, subject, body, provider, patient, status)
    VALUES (
        new.id, new.subject, new.body,
        coalesce((SELECT name FROM providers WHERE ods_code = new.provider_ods), '')
            || ' ' || new.provider_ods,
        new.patient_name || ' ' || coalesce(new.patient_nhs, ''),
        new.status
    );
END;

-- Opening, closing, rewording or moving a task between new and assigned: out of the index if
-- it was open, back in (with its new status) if it is.
CREATE TRIGGER open_fts_update AFTER UPDATE OF status, subject, body, provider_ods,
    patient_name, patient_nhs ON tasks
WHEN (old.status IN ('new', 'assigned') OR new.status IN ('new', 'assigned'))
    AND (old.status IS NOT new.status OR old.subject IS NOT new.subject
        OR old.body IS NOT new.body OR old.provider_ods IS NOT new.provider_ods
        OR old.patient_name IS NOT new.patient_name OR old.patient_nhs IS NOT new.patient_nhs)
    AND NOT EXISTS (SELECT 1 FROM fts_deferred WHERE new.id > after_id)
BEGIN
    DELETE FROM open_fts WHERE rowid = old.id AND old.status IN ('new', 'assigned');
    INSERT INTO open_fts (rowid, subject, body, provider, patient, status)
    SELECT new.id, new.subject, new.body,
        coalesce((SELECT name FROM providers WHERE ods_code = new.provider_ods), '')
            || ' ' || new.provider_ods,
        new.patient_name || ' ' || coalesce(new.patient_nhs, ''),
        new.status
    WHERE new.status IN ('new', 'assigned');
END;

CREATE TRIGGER open_fts_delete AFTER DELETE ON tasks
WHEN old.status IN ('new', 'assigned')
BEGIN
    DELETE FROM open_fts WHERE rowid = old.id;
END;

CREATE TRIGGER open_fts_provider_renamed AFTER UPDATE OF name ON providers
WHEN old.name IS NOT new.name
BEGIN
    DELETE FROM open_fts WHERE rowid IN (
        SELECT id FROM tasks WHERE provider_ods = new.ods_code
        AND status IN ('new', 'assigned')
        AND NOT EXISTS (SELECT 1 FROM fts_deferred d WHERE tasks.id > d.after_id)
    );
    INSERT INTO open_fts (rowid, subject, body, provider, patient, status)
    SELECT id, subject, body, new.name || ' ' || new.ods_code,
           patient_name || ' ' || coalesce(patient_nhs, ''), status
    FROM tasks WHERE provider_ods = new.ods_code AND status IN ('new', 'assigned')
    AND NOT EXISTS (SELECT 1 FROM fts_deferred d WHERE tasks.id > d.after_id);
END;
";

/// Notes' words leave the audit log for a table beside it that purge can erase (see
/// `audit_text.rs`). New events carry a format (2: the hash also covers `text_commitment`, a
/// salted hash of the event's text); the events already written keep format 1 and their hashes,
/// and their note texts move out here. The append-only trigger is lifted for that one UPDATE
/// and put back as it was, inside this migration's transaction.
const MIGRATION_6: &str = r"
ALTER TABLE audit_log ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN text_commitment TEXT;

CREATE TABLE audit_text (
    -- No foreign key: an event removed from the log must show as a gap in the chain, which
    -- `audit verify` reports, not be refused by a constraint that hides how it was tampered.
    event_id  INTEGER PRIMARY KEY,
    -- Hex; NULL for a text moved out of a format 1 event (its hash covers the text itself).
    salt      TEXT,
    text      TEXT,
    -- Set by purge, which erases text and salt.
    purged_at INTEGER,
    CHECK ((text IS NULL) = (purged_at IS NOT NULL))
);

-- Before this migration only a note (added alone or with an assignment) put free text into a
-- task's event: every other detail is taskgate's own words (a letter's template, an undo).
INSERT INTO audit_text (event_id, salt, text)
SELECT id, NULL, detail FROM audit_log
WHERE task_id IS NOT NULL AND detail IS NOT NULL AND action IN ('note', 'assign');

DROP TRIGGER audit_log_append_only_update;
UPDATE audit_log SET detail = NULL WHERE id IN (SELECT event_id FROM audit_text);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: events cannot be changed');
END;
";

fn known_version() -> i64 {
    i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX)
}

/// Applies every migration the file has not seen yet, all in one transaction. Whatever a
/// migration removes is overwritten with zeros (`secure_delete`), so text it moves (migration 6)
/// leaves no copy behind in the pages it came from.
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    conn.pragma_update(None, "secure_delete", true)?;
    let migrated = apply_pending(conn);
    let restored = conn.pragma_update(None, "secure_delete", "FAST");
    migrated?;
    Ok(restored?)
}

fn apply_pending(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = known_version();
    if current > known {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known,
        });
    }
    let already = usize::try_from(current).unwrap_or(0);
    for (index, script) in MIGRATIONS.iter().enumerate().skip(already) {
        tx.execute_batch(script)?;
        let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
        if version == 6 {
            super::audit_text::seal_moved_texts(&tx)?;
        }
        tx.pragma_update(None, "user_version", version)?;
    }
    tx.commit()?;
    Ok(())
}

//! Free text kept beside the audit log rather than in it, so that purge can erase it while the
//! chain still verifies. A note may name a patient; an append-only log that held its words
//! would keep them past every retention period. So a note's event carries, as its
//! `text_commitment`, a salted SHA-256 of the text, and the text and salt live in `audit_text`.
//! The salt is random and erased with the text: a bare hash of a short note (an NHS number is
//! ten digits) could be found again by trying every value, a salted one cannot once the salt
//! is gone.
//!
//! Events written before this (format 1) had the note's text as their `detail`, inside their
//! hash. Migration 6 moved those texts out without touching the hashes: while such a text is
//! there, `verify_audit` re-checks the event by the old rule with the text put back; once it is
//! purged, that one event can no longer be re-derived, so the migration also appended one
//! `audit.texts_moved` event (the seal) that commits to every other field of every event it
//! moved a text out of. An event after it in the chain cannot be changed unnoticed, so neither
//! can the moved events' remaining fields.

use std::fmt::Write as _;

use chrono::Utc;
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use super::Result;
use super::audit::{AuditWriter, Fields, NewEvent, hex, put};

/// The seal event's action.
pub(super) const SEAL_ACTION: &str = "audit.texts_moved";

/// A text about to be kept apart: its salt and the commitment the event carries.
pub(super) struct KeptText {
    pub salt: String,
    pub commitment: String,
}

impl KeptText {
    pub(super) fn new(text: &str) -> Self {
        let salt = hex_bytes(&rand::random::<[u8; 32]>());
        let commitment = commit(&salt, text);
        KeptText { salt, commitment }
    }
}

fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut hex, b| {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// The commitment to `text`: SHA-256, in the chain's field encoding, over the label
/// `taskgate audit text v1`, the salt (hex) and the text.
pub(super) fn commit(salt: &str, text: &str) -> String {
    let mut h = Sha256::new();
    put(&mut h, Some("taskgate audit text v1"));
    put(&mut h, Some(salt));
    put(&mut h, Some(text));
    hex(h)
}

/// The seal over events whose text was moved out: SHA-256 over the label
/// `taskgate audit seal v1`, then for each such event in order its `id`, `at`, `actor`,
/// `task_id`, `target`, `action`, `from`, `to`, `prev_hash` and `hash`.
pub(super) struct Seal {
    hash: Sha256,
    count: u64,
    checked: bool,
}

impl Seal {
    pub(super) fn new() -> Self {
        let mut hash = Sha256::new();
        put(&mut hash, Some("taskgate audit seal v1"));
        Seal {
            hash,
            count: 0,
            checked: false,
        }
    }

    pub(super) fn add(&mut self, f: &Fields<'_>, prev_hash: &str, event_hash: &str) {
        let h = &mut self.hash;
        put(h, Some(&f.id.to_string()));
        put(h, Some(f.at));
        put(h, Some(f.actor));
        put(h, f.task_id.map(|t| t.to_string()).as_deref());
        put(h, f.target);
        put(h, Some(f.action));
        put(h, f.from);
        put(h, f.to);
        put(h, Some(prev_hash));
        put(h, Some(event_hash));
        self.count += 1;
    }

    /// Compares with the seal event's commitment; the reason, in words, when they differ.
    pub(super) fn check(&mut self, sealed: Option<&str>) -> Option<String> {
        self.checked = true;
        let found = hex(self.hash.clone());
        (sealed != Some(found.as_str())).then(|| {
            "the events whose note texts were moved out of the log no longer match the seal \
             written when they were moved (altered, added or removed since)"
                .to_owned()
        })
    }

    /// After the whole chain: texts were moved but no seal vouches for them.
    pub(super) fn unchecked(&self) -> Option<String> {
        (self.count > 0 && !self.checked).then(|| {
            format!(
                "{} events had their note texts moved out of the log, but the seal written \
                 with the move is missing",
                self.count
            )
        })
    }
}

/// Migration 6's second half, after its SQL moved the texts: appends the seal, when any text
/// was moved.
pub(super) fn seal_moved_texts(conn: &Connection) -> Result<()> {
    let mut seal = Seal::new();
    {
        let mut stmt = conn.prepare(
            "SELECT a.id, a.at, a.actor, a.task_id, a.target, a.action, a.from_value, \
             a.to_value, a.prev_hash, a.hash \
             FROM audit_log a JOIN audit_text t ON t.event_id = a.id ORDER BY a.id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (at, actor, action): (String, String, String) = (r.get(1)?, r.get(2)?, r.get(5)?);
            let (target, from, to): (Option<String>, Option<String>, Option<String>) =
                (r.get(4)?, r.get(6)?, r.get(7)?);
            let (prev_hash, hash): (String, String) = (r.get(8)?, r.get(9)?);
            let fields = Fields {
                id: r.get(0)?,
                at: &at,
                actor: &actor,
                task_id: r.get(3)?,
                target: target.as_deref(),
                action: &action,
                from: from.as_deref(),
                to: to.as_deref(),
                detail: None,
            };
            seal.add(&fields, &prev_hash, &hash);
        }
    }
    if seal.count == 0 {
        return Ok(());
    }
    let detail = format!(
        "{} note texts moved out of the log to where purge can erase them; the events they \
         came from are sealed",
        seal.count
    );
    let commitment = hex(seal.hash);
    AuditWriter::begin(conn)?.append_committed(
        conn,
        &NewEvent {
            actor: "taskgate",
            at: Utc::now(),
            task_id: None,
            target: Some("audit"),
            action: SEAL_ACTION,
            from: None,
            to: None,
            detail: Some(&detail),
        },
        Some(&commitment),
    )?;
    Ok(())
}

/// Erases the texts kept apart for a task's events (purge). The events, their commitments
/// and the fact that there was a text stay; the words and the salt go.
pub(super) fn erase_for_task(conn: &Connection, task_id: i64, now: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "UPDATE audit_text SET salt = NULL, text = NULL, purged_at = ?2 \
             WHERE text IS NOT NULL \
             AND event_id IN (SELECT id FROM audit_log WHERE task_id = ?1)",
        )?
        .execute(params![task_id, now])?)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use chrono::{TimeZone, Utc};
    use rusqlite::{Connection, params};

    use super::super::audit::{AuditWriter, Fields, Format, GENESIS_HASH, NewEvent, event_hash};
    use super::super::schema::MIGRATIONS;
    use super::super::{AuditVerification, Store};
    use super::erase_for_task;

    const NOTE: &str = "Mum rang about 999 000 0018";

    /// Task, action, `to`, detail.
    type Event<'a> = (Option<i64>, &'a str, Option<&'a str>, Option<&'a str>);

    /// A mirror as taskgate wrote it before migration 6: a note's text was its event's detail.
    fn legacy_mirror(path: &std::path::Path) {
        let conn = Connection::open(path).expect("open");
        for script in &MIGRATIONS[..5] {
            conn.execute_batch(script).expect("migrate");
        }
        conn.pragma_update(None, "user_version", 5)
            .expect("version");
        let events: [Event<'_>; 3] = [
            (Some(1), "assign", Some("assigned to jo"), Some(NOTE)),
            (Some(1), "complete", Some("completed"), None),
            (None, "mirror.import", None, Some("from test: 1 inserted")),
        ];
        let mut prev = GENESIS_HASH.to_owned();
        for (n, (task_id, action, to, detail)) in events.into_iter().enumerate() {
            let id = i64::try_from(n + 1).expect("small");
            let at = format!("2026-03-0{}T09:00:00.000000Z", n + 1);
            let fields = Fields {
                id,
                at: &at,
                actor: "jo",
                task_id,
                target: None,
                action,
                from: None,
                to,
                detail,
            };
            let hash = event_hash(&prev, &fields, Format::Fields);
            conn.execute(
                "INSERT INTO audit_log (id, at, actor, task_id, target, action, from_value, \
                 to_value, detail, prev_hash, hash) VALUES (?, ?, 'jo', ?, NULL, ?, NULL, ?, ?, ?, ?)",
                params![id, at, task_id, action, to, detail, prev, hash],
            )
            .expect("event");
            prev = hash;
        }
        drop(conn);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }

    fn intact(store: &Store) -> u64 {
        match store.verify_audit().expect("verify") {
            AuditVerification::Intact { events, .. } => events,
            broken @ AuditVerification::Broken { .. } => panic!("{broken:?}"),
        }
    }

    #[test]
    fn old_notes_leave_the_log_and_the_chain_still_verifies_before_and_after_purge() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mirror.sqlite");
        legacy_mirror(&path);
        let store = Store::open(&path).expect("open and migrate");
        assert_eq!(intact(&store), 4, "three old events and the seal");
        let detail: Option<String> = store
            .conn
            .query_row("SELECT detail FROM audit_log WHERE id = 1", [], |r| {
                r.get(0)
            })
            .expect("detail");
        assert_eq!(detail, None, "the note's words are no longer in the log");
        let shown = store.audit_events(None, 10).expect("events");
        assert_eq!(shown[0].detail.as_deref(), Some(NOTE));
        assert_eq!(shown[3].action, super::SEAL_ACTION);

        erase_for_task(&store.conn, 1, 0).expect("erase");
        assert_eq!(
            intact(&store),
            4,
            "a purged old note does not break the chain"
        );
        let shown = store.audit_events(Some(1), 10).expect("events");
        assert_eq!(shown[0].detail.as_deref(), Some("[text purged]"));

        // With its text gone the old event cannot be re-hashed; the seal still catches a change.
        store
            .conn
            .execute_batch(
                "DROP TRIGGER audit_log_append_only_update;
                 UPDATE audit_log SET actor = 'someone-else' WHERE id = 1;",
            )
            .expect("tamper");
        assert!(matches!(
            store.verify_audit().expect("verify"),
            AuditVerification::Broken { .. }
        ));
    }

    #[test]
    fn a_changed_note_text_breaks_the_chain_and_an_erased_one_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("mirror.sqlite")).expect("open");
        let tx = store.conn.transaction().expect("tx");
        AuditWriter::begin(&tx)
            .expect("writer")
            .append_with_text(
                &tx,
                &NewEvent {
                    actor: "jo",
                    at: Utc
                        .with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
                        .single()
                        .expect("at"),
                    task_id: Some(7),
                    target: None,
                    action: "note",
                    from: None,
                    to: None,
                    detail: None,
                },
                Some(NOTE),
            )
            .expect("append");
        tx.commit().expect("commit");
        assert_eq!(intact(&store), 1);
        store
            .conn
            .execute("UPDATE audit_text SET text = 'nothing happened'", [])
            .expect("tamper");
        assert!(matches!(
            store.verify_audit().expect("verify"),
            AuditVerification::Broken { .. }
        ));
        store
            .conn
            .execute("UPDATE audit_text SET text = ?", [NOTE])
            .expect("restore");
        erase_for_task(&store.conn, 7, 0).expect("erase");
        assert_eq!(intact(&store), 1);
    }
}

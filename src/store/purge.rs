//! Retention: removing what identifies patients from tasks that were closed long enough ago,
//! while keeping the row itself (provider, dates, status, priority) so that stats still count
//! it and the audit trail still points at something. One transaction blanks the task's text and
//! identifiers, its notes (and their words kept beside the audit log), its letters, the copies
//! of both in its outbox entries, its search index entry and the source's raw record, and drops old quarantined import rows (their raw text
//! is patient data too); one audit event records the cut-off and the counts. Afterwards the
//! search index is merged, and `secure_delete` plus a WAL checkpoint make sure the old text is
//! not left behind in free pages or in the write-ahead log.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Transaction, params};
use serde::Serialize;

use super::audit::{AuditWriter, NewEvent};
use super::audit_text;
use super::tasks::load_task;
use super::{Actor, Result, Store, StoreError};
use crate::domain::{Task, TaskId};

/// What a purged text field reads afterwards, so a reader sees it was removed on purpose.
pub const PURGED: &str = "[purged]";

/// What to purge.
pub struct PurgeRequest<'a> {
    /// Closed tasks whose last change in the mirror (`updated_at`: the closing itself, or a note
    /// or source update after it) is before this instant.
    pub closed_before: DateTime<Utc>,
    /// Purge tasks whose changes have not been confirmed upstream too, cancelling those outbox
    /// entries. Only for sources that never send anything upstream (demo, file): with a FHIR
    /// source such a task is held back, since purging it would send a blanked letter or drop
    /// an action nobody has seen yet.
    pub include_unsent: bool,
    /// The subject a purged task keeps: the caller's anonymised summary (e.g. the category of
    /// work), so counts by category survive. It must not carry anything from the task's text
    /// beyond that.
    pub anonymised_subject: &'a dyn Fn(&Task) -> String,
    /// Count only, change nothing.
    pub dry_run: bool,
}

/// What a purge did (or, on a dry run, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeSummary {
    pub purged: u64,
    /// Closed before the cut-off but kept: a change of theirs is still waiting to go upstream,
    /// or a sync conflict waits for a person.
    pub held_unsent: u64,
    pub quarantined_removed: u64,
    /// False when another taskgate had the mirror open, so old pages may stay in the `-wal` file
    /// until every taskgate on this mirror has closed.
    pub wal_cleared: bool,
}

const CLOSED: &str = "status IN ('rejected', 'completed', 'cancelled') AND updated_at < ?1 \
     AND patient_name <> '[purged]'";

const UNSENT: &str = "(sync_state = 'conflict' OR EXISTS (SELECT 1 FROM outbox o \
     WHERE o.task_id = tasks.id AND o.state IN ('pending', 'sent')))";

/// The outbox keeps what was sent (status, owner, who, when); the note's and the letter's text
/// go. `json_replace` leaves a payload without a letter as it was.
const BLANK_OUTBOX: &str = "UPDATE outbox SET \
     payload = json_replace(payload, '$.letter.body', ?2), \
     last_error = NULL WHERE task_id = ?1";

const BLANK_OUTBOX_NOTE: &str = "UPDATE outbox SET payload = json_replace(payload, '$.note', ?2) \
     WHERE task_id = ?1 AND json_type(payload, '$.note') = 'text'";

impl Store {
    /// Purges the closed tasks `request` selects; see the module's documentation for what is
    /// kept. Recorded as one `mirror.purge` audit event (none on a dry run or when nothing was
    /// purged).
    pub fn purge_closed(
        &mut self,
        by: &Actor<'_>,
        request: &PurgeRequest<'_>,
    ) -> Result<PurgeSummary> {
        // Freed space is overwritten with zeros, so the removed text does not linger in free
        // pages of the file where a copied mirror could still be read.
        self.conn.pragma_update(None, "secure_delete", true)?;
        let purged = self.purge_in_transaction(by, request);
        let restored = self.conn.pragma_update(None, "secure_delete", "FAST");
        let mut summary = purged?;
        restored?;
        if request.dry_run || summary.purged + summary.quarantined_removed == 0 {
            summary.wal_cleared = true;
            return Ok(summary);
        }
        summary.wal_cleared = self.checkpoint_truncate()?;
        Ok(summary)
    }

    fn purge_in_transaction(
        &mut self,
        by: &Actor<'_>,
        request: &PurgeRequest<'_>,
    ) -> Result<PurgeSummary> {
        let cutoff = request.closed_before.timestamp();
        let tx = self.write_tx()?;
        let held_unsent = if request.include_unsent {
            0
        } else {
            count(
                &tx,
                &format!("SELECT count(*) FROM tasks WHERE {CLOSED} AND {UNSENT}"),
                cutoff,
            )?
        };
        let ids = closed_ids(&tx, cutoff, request.include_unsent)?;
        for &id in &ids {
            purge_task(&tx, id, request, by.now.timestamp())?;
        }
        let quarantined_removed = tx
            .prepare_cached("DELETE FROM quarantine WHERE at < ?")?
            .execute([cutoff])?;
        let summary = PurgeSummary {
            purged: as_count(ids.len()),
            quarantined_removed: as_count(quarantined_removed),
            held_unsent,
            wal_cleared: false,
        };
        if request.dry_run {
            // Dropping the transaction rolls every change back.
            return Ok(summary);
        }
        if summary.purged > 0 {
            // A contentless index only marks deleted rows; merging its segments drops the old
            // words for good, instead of leaving them readable in the index's pages.
            // The open-tasks index held every purged task once (all arrive unactioned).
            tx.execute("INSERT INTO tasks_fts (tasks_fts) VALUES ('optimize')", [])?;
            tx.execute("INSERT INTO open_fts (open_fts) VALUES ('optimize')", [])?;
        }
        if summary.purged + summary.quarantined_removed > 0 {
            let detail = format!(
                "closed before {}: {} tasks purged, {} held back (changes not yet confirmed \
                 upstream), {} quarantined rows removed",
                request
                    .closed_before
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
                summary.purged,
                summary.held_unsent,
                summary.quarantined_removed
            );
            AuditWriter::begin(&tx)?.append(
                &tx,
                &NewEvent {
                    actor: by.id,
                    at: by.now,
                    task_id: None,
                    target: Some("mirror"),
                    action: "mirror.purge",
                    from: None,
                    to: None,
                    detail: Some(&detail),
                },
            )?;
        }
        tx.commit()?;
        Ok(summary)
    }

    /// Moves everything in the WAL into the file and empties the WAL. Returns false when another
    /// connection's read stopped it from finishing.
    fn checkpoint_truncate(&self) -> Result<bool> {
        let (busy, _, _): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        Ok(busy == 0)
    }
}

fn as_count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn count(tx: &Transaction<'_>, sql: &str, cutoff: i64) -> Result<u64> {
    let n: i64 = tx.prepare_cached(sql)?.query_row([cutoff], |r| r.get(0))?;
    Ok(super::from_sql_count(n))
}

fn closed_ids(tx: &Transaction<'_>, cutoff: i64, include_unsent: bool) -> Result<Vec<TaskId>> {
    let sql = if include_unsent {
        format!("SELECT id FROM tasks WHERE {CLOSED} ORDER BY id")
    } else {
        format!("SELECT id FROM tasks WHERE {CLOSED} AND NOT {UNSENT} ORDER BY id")
    };
    Ok(tx
        .prepare_cached(&sql)?
        .query_map([cutoff], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Blanks one task and everything attached to it that may name the patient.
fn purge_task(
    tx: &Transaction<'_>,
    id: TaskId,
    request: &PurgeRequest<'_>,
    now: i64,
) -> Result<()> {
    let task = load_task(tx, id)?.ok_or(StoreError::NotFound(id))?;
    let subject = (request.anonymised_subject)(&task);
    // The row version moves on, so a screen still showing the old text cannot act on it
    // without reloading. `updated_at` stays: it is the closing time stats and retention use.
    // The search index follows through its update trigger.
    tx.prepare_cached(
        "UPDATE tasks SET patient_name = ?2, patient_nhs = NULL, patient_dob = NULL, \
         subject = ?3, body = '', source_extra = NULL, row_version = row_version + 1 \
         WHERE id = ?1",
    )?
    .execute(params![id, PURGED, subject])?;
    tx.prepare_cached("UPDATE notes SET text = ?2 WHERE task_id = ?1")?
        .execute(params![id, PURGED])?;
    // The notes' words kept beside the audit log: the events and their commitments stay, so
    // the chain still verifies, and `audit show` says the text was purged.
    audit_text::erase_for_task(tx, id, now)?;
    tx.prepare_cached("UPDATE letters SET body = ?2 WHERE task_id = ?1")?
        .execute(params![id, PURGED])?;
    tx.prepare_cached(BLANK_OUTBOX)?
        .execute(params![id, PURGED])?;
    tx.prepare_cached(BLANK_OUTBOX_NOTE)?
        .execute(params![id, PURGED])?;
    // Sync keeps the server's copy of a task beside a conflict, and a newer copy held back
    // from a pull: whole FHIR resources, patient and all.
    tx.prepare_cached(
        "UPDATE sync_conflicts SET theirs = '{}', theirs_task = NULL WHERE task_id = ?",
    )?
    .execute([id])?;
    tx.prepare_cached("DELETE FROM sync_deferred WHERE task_id = ?")?
        .execute([id])?;
    if request.include_unsent {
        // Nothing will ever send these, and a later switch to a FHIR source must not send a
        // blanked letter: they are closed here for good.
        tx.prepare_cached(
            "UPDATE outbox SET state = 'cancelled' WHERE task_id = ? \
             AND state IN ('pending', 'sent')",
        )?
        .execute([id])?;
        tx.prepare_cached(
            "UPDATE tasks SET sync_state = 'synced' WHERE id = ? AND sync_state = 'pending'",
        )?
        .execute([id])?;
    }
    Ok(())
}

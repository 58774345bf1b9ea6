//! Sync conflicts: the server's version of a task kept beside our pending changes it refused,
//! until a person keeps theirs or re-applies ours. Detection and each resolution are audited.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::domain::{IncomingTask, Status, Task, TaskId};
use crate::store::actions::describe;
use crate::store::audit::{AuditWriter, NewEvent};
use crate::store::tasks::{load_task, upsert_incoming};
use crate::store::{Actor, OutboxEntry, Result, Store, StoreError, from_unix};

/// A sync conflict: the server's version next to the changes we could not send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub task_id: TaskId,
    pub detected_at: DateTime<Utc>,
    /// 409 or 412, as the server answered our update.
    pub http_status: u16,
    /// The version our changes were made against.
    pub base_version: Option<String>,
    pub theirs_version: Option<String>,
    /// The server's resource when the conflict was found.
    pub theirs: serde_json::Value,
    /// The same, read into the mirror's shape; `None` when it could not be read.
    pub theirs_task: Option<IncomingTask>,
    /// Our changes still waiting, oldest first.
    pub ours: Vec<OutboxEntry>,
}

/// What the sync engine learnt when an update was refused as stale.
#[derive(Debug, Clone)]
pub struct NewConflict<'a> {
    pub task_id: TaskId,
    pub http_status: u16,
    pub theirs_raw: &'a str,
    pub theirs_version: Option<&'a str>,
    pub theirs_task: Option<&'a IncomingTask>,
}

/// Why a conflict could not be resolved as asked.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("task {0} has no sync conflict to resolve")]
    NoConflict(TaskId),
    #[error(
        "task {0} has none of our changes waiting any more (they were undone), so there is \
         nothing to re-apply: keep theirs"
    )]
    NothingToReapply(TaskId),
    #[error(
        "the server's version of task {task_id} could not be read ({reason}), so it cannot be \
         applied here: re-apply ours, or fix the task on the server"
    )]
    TheirsUnreadable { task_id: TaskId, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ResolveError {
    fn from(e: rusqlite::Error) -> Self {
        ResolveError::Store(e.into())
    }
}

const OPEN_CONFLICT: &str = "SELECT id, detected_at, http_status, base_version, \
    theirs_version, theirs, theirs_task FROM sync_conflicts \
    WHERE task_id = ? AND resolved_at IS NULL ORDER BY id DESC LIMIT 1";

/// An open conflict's row, before its outbox entries are attached.
struct OpenConflict {
    id: i64,
    detected_at: DateTime<Utc>,
    http_status: u16,
    base_version: Option<String>,
    theirs_version: Option<String>,
    theirs: String,
    theirs_task: Option<String>,
}

fn open_conflict(conn: &rusqlite::Connection, task_id: TaskId) -> Result<Option<OpenConflict>> {
    Ok(conn
        .prepare_cached(OPEN_CONFLICT)?
        .query_row([task_id], |r| {
            Ok(OpenConflict {
                id: r.get(0)?,
                detected_at: from_unix(r.get(1)?)?,
                http_status: r.get(2)?,
                base_version: r.get(3)?,
                theirs_version: r.get(4)?,
                theirs: r.get(5)?,
                theirs_task: r.get(6)?,
            })
        })
        .optional()?)
}

impl Store {
    /// Marks the task `conflict` and keeps the server's version beside our pending changes,
    /// with one audit event, so nobody's change is lost while a person decides.
    pub fn record_conflict(&mut self, by: &Actor<'_>, found: &NewConflict<'_>) -> Result<()> {
        let tx = self.write_tx()?;
        let base: Option<String> = tx
            .prepare_cached("SELECT source_version FROM tasks WHERE id = ?")?
            .query_row([found.task_id], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound(found.task_id))?;
        let theirs_task = found
            .theirs_task
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("conflict of task {}: {e}", found.task_id)))?;
        // An older conflict on the same task that was never resolved is superseded, not lost:
        // its row stays, marked resolved by the new one.
        tx.prepare_cached(
            "UPDATE sync_conflicts SET resolved_at = ?2, resolved_by = 'sync', \
             resolution = 'superseded' WHERE task_id = ?1 AND resolved_at IS NULL",
        )?
        .execute(params![found.task_id, by.now.timestamp()])?;
        tx.prepare_cached(
            "INSERT INTO sync_conflicts (task_id, detected_at, http_status, base_version, \
             theirs_version, theirs, theirs_task) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )?
        .execute(params![
            found.task_id,
            by.now.timestamp(),
            found.http_status,
            base,
            found.theirs_version,
            found.theirs_raw,
            theirs_task
        ])?;
        tx.prepare_cached("UPDATE tasks SET sync_state = 'conflict' WHERE id = ?")?
            .execute([found.task_id])?;
        let ours = describe_current(&tx, found.task_id)?;
        let theirs = found
            .theirs_task
            .map(|t| describe(t.status, t.owner.as_deref()));
        let detail = format!(
            "the server has version {} (ours was made on {}); both kept until someone chooses",
            found.theirs_version.unwrap_or("?"),
            base.as_deref().unwrap_or("?")
        );
        AuditWriter::begin(&tx)?.append(
            &tx,
            &NewEvent {
                actor: by.id,
                at: by.now,
                task_id: Some(found.task_id),
                target: None,
                action: "sync.conflict",
                from: Some(&ours),
                to: theirs.as_deref(),
                detail: Some(&detail),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The open conflict on a task, with our waiting changes, for display.
    pub fn conflict(&self, task_id: TaskId) -> Result<Option<Conflict>> {
        let in_conflict: Option<String> = self
            .conn
            .prepare_cached("SELECT sync_state FROM tasks WHERE id = ?")?
            .query_row([task_id], |r| r.get(0))
            .optional()?;
        // An undo can take a task out of conflict on its own; the row then no longer applies.
        if in_conflict.as_deref() != Some("conflict") {
            return Ok(None);
        }
        let Some(open) = open_conflict(&self.conn, task_id)? else {
            return Ok(None);
        };
        let theirs = serde_json::from_str(&open.theirs)
            .map_err(|e| StoreError::Corrupt(format!("conflict of task {task_id}: {e}")))?;
        let theirs_task = open
            .theirs_task
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("conflict of task {task_id}: {e}")))?;
        let ours = self
            .outbox_entries(task_id)?
            .into_iter()
            .filter(|e| e.state == "pending")
            .collect();
        Ok(Some(Conflict {
            task_id,
            detected_at: open.detected_at,
            http_status: open.http_status,
            base_version: open.base_version,
            theirs_version: open.theirs_version,
            theirs,
            theirs_task,
            ours,
        }))
    }

    /// Resolves a conflict in favour of the server: our waiting changes are cancelled (the
    /// notes and letters stay in the mirror as written) and the task takes the server's
    /// version. One audit event records what was given up.
    pub fn keep_theirs(&mut self, by: &Actor<'_>, task_id: TaskId) -> Result<Task, ResolveError> {
        let tx = self.write_tx()?;
        let open = open_conflict_of(&tx, task_id)?;
        let theirs: IncomingTask = match open.theirs_task.as_deref() {
            Some(json) => serde_json::from_str(json)
                .map_err(|e| StoreError::Corrupt(format!("conflict of task {task_id}: {e}")))?,
            None => {
                return Err(ResolveError::TheirsUnreadable {
                    task_id,
                    reason: "it did not map to a task".to_owned(),
                });
            }
        };
        let before = describe_current(&tx, task_id)?;
        let cancelled = tx
            .prepare_cached(
                "UPDATE outbox SET state = 'cancelled' \
                 WHERE task_id = ? AND state IN ('pending', 'sent')",
            )?
            .execute([task_id])?;
        // Out of conflict and with nothing waiting, the task is no longer held back from the
        // server's copy, so the ordinary upsert applies theirs.
        tx.prepare_cached(
            "UPDATE tasks SET sync_state = 'synced', source_version = NULL WHERE id = ?",
        )?
        .execute([task_id])?;
        let after = describe(theirs.status, theirs.owner.as_deref());
        upsert_incoming(&tx, [theirs], "fhir", by.id, by.now)?;
        close_conflict(&tx, open.id, by, "theirs")?;
        let detail = format!("kept the server's version; {cancelled} change(s) of ours not sent");
        audit_resolution(
            &tx,
            by,
            task_id,
            "sync.keep_theirs",
            &before,
            &after,
            &detail,
        )?;
        let task = load_task(&tx, task_id)?.ok_or(StoreError::NotFound(task_id))?;
        tx.commit()?;
        Ok(task)
    }

    /// Resolves a conflict in favour of our changes: they are re-based on the server's version
    /// and wait to be sent again, as a new update against it.
    pub fn reapply_ours(&mut self, by: &Actor<'_>, task_id: TaskId) -> Result<Task, ResolveError> {
        let tx = self.write_tx()?;
        let open = open_conflict_of(&tx, task_id)?;
        let rebased = tx
            .prepare_cached(
                "UPDATE outbox SET base_source_version = ?2, next_attempt_at = NULL \
                 WHERE task_id = ?1 AND state = 'pending'",
            )?
            .execute(params![task_id, open.theirs_version])?;
        if rebased == 0 {
            return Err(ResolveError::NothingToReapply(task_id));
        }
        tx.prepare_cached(
            "UPDATE tasks SET source_version = ?2, source_extra = ?3, sync_state = 'pending', \
             row_version = row_version + 1, updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![
            task_id,
            open.theirs_version,
            open.theirs,
            by.now.timestamp()
        ])?;
        close_conflict(&tx, open.id, by, "ours")?;
        let ours = describe_current(&tx, task_id)?;
        let theirs = open
            .theirs_task
            .as_deref()
            .and_then(|json| serde_json::from_str::<IncomingTask>(json).ok())
            .map_or_else(
                || "the server's version".to_owned(),
                |t| describe(t.status, t.owner.as_deref()),
            );
        let detail = format!(
            "re-applying {rebased} change(s) of ours on the server's version {}",
            open.theirs_version.as_deref().unwrap_or("?")
        );
        audit_resolution(
            &tx,
            by,
            task_id,
            "sync.reapply_ours",
            &theirs,
            &ours,
            &detail,
        )?;
        let task = load_task(&tx, task_id)?.ok_or(StoreError::NotFound(task_id))?;
        tx.commit()?;
        Ok(task)
    }
}

fn open_conflict_of(tx: &Transaction<'_>, task_id: TaskId) -> Result<OpenConflict, ResolveError> {
    let state: Option<String> = tx
        .prepare_cached("SELECT sync_state FROM tasks WHERE id = ?")?
        .query_row([task_id], |r| r.get(0))
        .optional()?;
    match state.as_deref() {
        None => Err(StoreError::NotFound(task_id).into()),
        Some("conflict") => open_conflict(tx, task_id)?.ok_or(ResolveError::NoConflict(task_id)),
        Some(_) => Err(ResolveError::NoConflict(task_id)),
    }
}

fn close_conflict(tx: &Transaction<'_>, id: i64, by: &Actor<'_>, resolution: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE sync_conflicts SET resolved_at = ?2, resolved_by = ?3, resolution = ?4 \
         WHERE id = ?1",
    )?
    .execute(params![id, by.now.timestamp(), by.id, resolution])?;
    Ok(())
}

/// The task's status and owner as the audit log phrases them.
fn describe_current(tx: &Transaction<'_>, task_id: TaskId) -> Result<String> {
    let (status, owner): (String, Option<String>) = tx
        .prepare_cached("SELECT status, owner FROM tasks WHERE id = ?")?
        .query_row([task_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound(task_id))?;
    let status: Status = status
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("task {task_id}: {e}")))?;
    Ok(describe(status, owner.as_deref()))
}

fn audit_resolution(
    tx: &Transaction<'_>,
    by: &Actor<'_>,
    task_id: TaskId,
    action: &str,
    from: &str,
    to: &str,
    detail: &str,
) -> Result<()> {
    AuditWriter::begin(tx)?.append(
        tx,
        &NewEvent {
            actor: by.id,
            at: by.now,
            task_id: Some(task_id),
            target: None,
            action,
            from: Some(from),
            to: Some(to),
            detail: Some(detail),
        },
    )?;
    Ok(())
}

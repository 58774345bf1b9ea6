//! What the sync engine reads and writes in the mirror: a pulled page committed with its
//! watermark in one transaction, the outbox as push works through it (confirmed, deferred with
//! backoff, refused), and sync conflicts, kept with the server's version beside our pending
//! changes until a person keeps theirs or re-applies ours. Conflict and resolution are audited.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::actions::describe;
use super::audit::{AuditWriter, NewEvent};
use super::misc::QuarantinedRow;
use super::tasks::{is_older, load_task, upsert_incoming};
use super::{Actor, InsertSummary, OutboxEntry, Result, Store, StoreError, from_unix};
use crate::domain::{IncomingTask, Status, Task, TaskId};

/// One page of a pull, as the engine hands it over.
#[derive(Debug, Default)]
pub struct PulledPage {
    pub tasks: Vec<IncomingTask>,
    /// Resources that could not be read, kept with their reason.
    pub quarantined: Vec<QuarantinedRow>,
    /// The greatest `meta.lastUpdated` on the page, as the server wrote it.
    pub watermark: Option<String>,
}

/// A task whose pending changes are ready to go upstream, oldest change first.
#[derive(Debug, Clone)]
pub struct PushQueue {
    pub task_id: TaskId,
    /// The server's id of the task (`Task/<source_id>`).
    pub source_id: String,
    /// The resource as last seen from the server, if the task came from one.
    pub raw: Option<String>,
    pub entries: Vec<OutboxEntry>,
}

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
    /// Upserts one pulled page, keeps its unreadable resources, and moves the watermark under
    /// `watermark_key` forward, all in one transaction: after a crash the watermark never
    /// claims a page the mirror does not hold.
    pub fn commit_pulled_page(
        &mut self,
        page: PulledPage,
        watermark_key: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<InsertSummary> {
        let tx = self.write_tx()?;
        keep_held_back(&tx, &page.tasks)?;
        let summary = upsert_incoming(&tx, page.tasks, "fhir", actor, now)?;
        keep_quarantined_once(&tx, &page.quarantined)?;
        if let Some(mark) = &page.watermark {
            tx.prepare_cached(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([watermark_key, mark])?;
        }
        tx.commit()?;
        Ok(summary)
    }

    /// Applies the server versions that pulls held back from tasks no longer held (their change
    /// was confirmed or undone, or their conflict resolved); versions still held wait on.
    pub fn apply_held_back(&mut self, actor: &str, now: DateTime<Utc>) -> Result<InsertSummary> {
        let tx = self.write_tx()?;
        let free: Vec<(TaskId, String)> = tx
            .prepare_cached(&format!(
                "SELECT d.task_id, d.incoming FROM sync_deferred d JOIN tasks t \
                 ON t.id = d.task_id WHERE NOT ({HELD})"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if free.is_empty() {
            return Ok(InsertSummary::default());
        }
        let mut tasks = Vec::with_capacity(free.len());
        for (task_id, json) in &free {
            tasks.push(serde_json::from_str::<IncomingTask>(json).map_err(|e| {
                StoreError::Corrupt(format!("held-back version of task {task_id}: {e}"))
            })?);
            tx.prepare_cached("DELETE FROM sync_deferred WHERE task_id = ?")?
                .execute([task_id])?;
        }
        // Older than what the mirror now has (our confirmed change), they count as unchanged.
        let summary = upsert_incoming(&tx, tasks, "fhir", actor, now)?;
        tx.commit()?;
        Ok(summary)
    }

    /// Forgets a sync value (`offline_since` once the server answers again).
    pub fn clear_sync_value(&mut self, key: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM sync_state WHERE key = ?")?
            .execute([key])?;
        Ok(())
    }

    /// Tasks with changes to send, in the order the first of them was made. A task in conflict
    /// waits for a person; a task whose oldest change is backing off waits for its time, and
    /// its later changes with it, since a task's changes must reach the server in order.
    pub fn push_queue(&self, now: DateTime<Utc>) -> Result<Vec<PushQueue>> {
        let due: Vec<(TaskId, String, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT t.id, t.source_id, t.source_extra FROM tasks t \
                 JOIN (SELECT task_id, min(id) AS first FROM outbox WHERE state = 'pending' \
                       GROUP BY task_id) p ON p.task_id = t.id \
                 JOIN outbox o ON o.id = p.first \
                 WHERE t.sync_state <> 'conflict' \
                 AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?) \
                 ORDER BY p.first",
            )?
            .query_map([now.timestamp()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut queue = Vec::with_capacity(due.len());
        for (task_id, source_id, raw) in due {
            let entries = self
                .outbox_entries(task_id)?
                .into_iter()
                .filter(|e| e.state == "pending")
                .collect();
            queue.push(PushQueue {
                task_id,
                source_id,
                raw,
                entries,
            });
        }
        Ok(queue)
    }

    /// Counts outbox entries still waiting to go upstream (for the summary line).
    pub fn pending_outbox_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM outbox WHERE state = 'pending'")?
            .query_row([], |r| r.get(0))?;
        Ok(super::from_sql_count(n))
    }

    /// The server took entry `entry_id`: it is confirmed, the task keeps the server's copy and
    /// version, and the task's later changes are re-based on that version.
    pub fn confirm_push(
        &mut self,
        entry_id: i64,
        task_id: TaskId,
        raw: Option<&str>,
        version: Option<&str>,
    ) -> Result<()> {
        let tx = self.write_tx()?;
        tx.prepare_cached("UPDATE outbox SET state = 'confirmed', last_error = NULL WHERE id = ?")?
            .execute([entry_id])?;
        tx.prepare_cached(
            "UPDATE tasks SET source_extra = coalesce(?2, source_extra), \
             source_version = coalesce(?3, source_version) WHERE id = ?1",
        )?
        .execute(params![task_id, raw, version])?;
        if version.is_some() {
            tx.prepare_cached(
                "UPDATE outbox SET base_source_version = ?2 \
                 WHERE task_id = ?1 AND state = 'pending'",
            )?
            .execute(params![task_id, version])?;
        }
        settle_sync_state(&tx, task_id)?;
        tx.commit()?;
        Ok(())
    }

    /// Entry `entry_id` could not be sent (the network, a server error, or a refusal a person
    /// must look at): it stays pending, counts the attempt and waits until `retry_at`.
    pub fn defer_push(
        &mut self,
        entry_id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, \
                 next_attempt_at = ?3 WHERE id = ?1",
            )?
            .execute(params![entry_id, error, retry_at.timestamp()])?;
        Ok(())
    }

    /// Entry `entry_id` can never be sent as it is (its task has no server copy, or the change
    /// cannot be written as FHIR): it is marked failed with the reason, kept for the record.
    pub fn fail_push(&mut self, entry_id: i64, task_id: TaskId, error: &str) -> Result<()> {
        let tx = self.write_tx()?;
        tx.prepare_cached(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?2 \
             WHERE id = ?1",
        )?
        .execute(params![entry_id, error])?;
        settle_sync_state(&tx, task_id)?;
        tx.commit()?;
        Ok(())
    }

    /// Attempts (the number of entries, for the report) the outbox held back; all of them become
    /// due at once, because the server that was unreachable answers again.
    pub fn retry_outbox_now(&mut self) -> Result<u64> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET next_attempt_at = NULL \
                 WHERE state = 'pending' AND next_attempt_at IS NOT NULL",
            )?
            .execute([])?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

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

/// Whether a task (as `t`) is held back from pulls: in conflict, or with changes waiting.
const HELD: &str = "t.sync_state = 'conflict' OR EXISTS (SELECT 1 FROM outbox o \
    WHERE o.task_id = t.id AND o.state IN ('pending', 'sent'))";

/// Keeps the newer server versions of held tasks on a page, which the upsert leaves alone: a
/// conflict shows (and keep-theirs applies) the server's latest, and any other hold gets it once
/// it ends, although the watermark moves past it.
fn keep_held_back(tx: &Transaction<'_>, tasks: &[IncomingTask]) -> Result<()> {
    let mut lookup = tx.prepare_cached(&format!(
        "SELECT t.id, t.source_version, t.sync_state = 'conflict' FROM tasks t \
         WHERE t.source_id = ? AND ({HELD})"
    ))?;
    for task in tasks {
        let Some((task_id, stored, in_conflict)) = lookup
            .query_row([&task.source_id], |r| {
                Ok((
                    r.get::<_, TaskId>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, bool>(2)?,
                ))
            })
            .optional()?
        else {
            continue;
        };
        let incoming = task.source_version.as_deref();
        if incoming.is_none()
            || incoming == stored.as_deref()
            || is_older(incoming, stored.as_deref())
        {
            continue;
        }
        let json = serde_json::to_string(task)
            .map_err(|e| StoreError::Corrupt(format!("task {task_id}: {e}")))?;
        tx.prepare_cached(
            "INSERT INTO sync_deferred (task_id, source_version, incoming) VALUES (?1, ?2, ?3) \
             ON CONFLICT (task_id) DO UPDATE SET source_version = excluded.source_version, \
             incoming = excluded.incoming",
        )?
        .execute(params![task_id, incoming, json])?;
        if in_conflict {
            tx.prepare_cached(
                "UPDATE sync_conflicts SET theirs = coalesce(?2, theirs), theirs_version = ?3, \
                 theirs_task = ?4 \
                 WHERE task_id = ?1 AND resolved_at IS NULL AND theirs_version IS NOT ?3",
            )?
            .execute(params![task_id, task.raw, incoming, json])?;
        }
    }
    Ok(())
}

/// Quarantines the rows a pull could not read, once: the watermark's overlap brings the same
/// resource back on the next pull, and it should not pile up.
fn keep_quarantined_once(tx: &Transaction<'_>, rows: &[QuarantinedRow]) -> Result<()> {
    let mut seen = tx.prepare_cached(
        "SELECT 1 FROM quarantine WHERE origin = ? AND raw = ? AND reason = ? LIMIT 1",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO quarantine (origin, line, field, reason, raw, at) VALUES (?, ?, ?, ?, ?, ?)",
    )?;
    for row in rows {
        if seen.exists(params![row.origin, row.raw, row.reason])? {
            continue;
        }
        let line = row.line.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        insert.execute(params![
            row.origin,
            line,
            row.field,
            row.reason,
            row.raw,
            row.at.timestamp()
        ])?;
    }
    Ok(())
}

/// `synced` once nothing of the task is waiting to go up; a conflict stays a conflict.
fn settle_sync_state(tx: &Transaction<'_>, task_id: TaskId) -> Result<()> {
    tx.prepare_cached(
        "UPDATE tasks SET sync_state = CASE WHEN EXISTS (SELECT 1 FROM outbox o \
         WHERE o.task_id = tasks.id AND o.state IN ('pending', 'sent')) THEN 'pending' \
         ELSE 'synced' END WHERE id = ? AND sync_state <> 'conflict'",
    )?
    .execute([task_id])?;
    Ok(())
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

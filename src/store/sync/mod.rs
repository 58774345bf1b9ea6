//! What the sync engine reads and writes in the mirror: a pulled page committed with its
//! watermark in one transaction (with the server's newer versions of held tasks kept aside), and
//! the outbox as push works through it (confirmed, deferred with backoff, refused). Conflicts,
//! kept until a person chooses, are in `conflicts`.

mod conflicts;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::misc::{QuarantinedRow, insert_quarantined};
use super::tasks::{is_older, upsert_incoming};
use super::{InsertSummary, OutboxEntry, Result, Store, StoreError};
use crate::domain::{IncomingTask, TaskId};

pub use conflicts::{Conflict, NewConflict, ResolveError};

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

/// Changes the undo window holds back from a push.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeldBack {
    pub count: u64,
    /// When the oldest of them may be sent.
    pub first_release: Option<DateTime<Utc>>,
    /// When the youngest of them may be sent: after it, none is held.
    pub last_release: Option<DateTime<Utc>>,
}

/// Outbox times are whole seconds, cut down from the instant of the action, so a change stamped
/// second `c` was made at some moment in `[c, c + 1)`. It is of age once `c + 1 + window` has
/// come: then at least the whole window has passed, never less, and at most one second more.
fn undo_window_release(created_at: i64, window: std::time::Duration) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(
        created_at
            .checked_add(1)?
            .checked_add(whole_seconds(window))?,
        0,
    )
}

/// Changes stamped before this second (`created_at < mature_before`) are of age at `now`. A
/// zero window holds nothing back, not even a change made earlier in the same second.
fn mature_before(now: DateTime<Utc>, window: std::time::Duration) -> i64 {
    if window.is_zero() {
        return i64::MAX;
    }
    now.timestamp().saturating_sub(whole_seconds(window))
}

/// The window in seconds, a fraction counting as a whole one so the window is never cut short.
fn whole_seconds(window: std::time::Duration) -> i64 {
    i64::try_from(window.as_secs() + u64::from(window.subsec_nanos() > 0)).unwrap_or(i64::MAX)
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
    ///
    /// A change younger than `undo_window` stays on this desk, so `u` can still take it back
    /// before anyone upstream sees it (see `undo_window_release`): a task whose oldest change
    /// is that young is not in the queue, and a task's changes stop at its first young one.
    /// The rule lives here, where every push reads the outbox, so the inbox's background sync
    /// and `taskgate sync` keep the same window.
    pub fn push_queue(
        &self,
        now: DateTime<Utc>,
        undo_window: std::time::Duration,
    ) -> Result<Vec<PushQueue>> {
        let mature = mature_before(now, undo_window);
        let due: Vec<(TaskId, String, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT t.id, t.source_id, t.source_extra FROM tasks t \
                 JOIN (SELECT task_id, min(id) AS first FROM outbox WHERE state = 'pending' \
                       GROUP BY task_id) p ON p.task_id = t.id \
                 JOIN outbox o ON o.id = p.first \
                 WHERE t.sync_state <> 'conflict' \
                 AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?1) \
                 AND o.created_at < ?2 \
                 ORDER BY p.first",
            )?
            .query_map(params![now.timestamp(), mature], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut queue = Vec::with_capacity(due.len());
        for (task_id, source_id, raw) in due {
            let entries = self
                .outbox_entries(task_id)?
                .into_iter()
                .filter(|e| e.state == "pending")
                .take_while(|e| e.created_at.timestamp() < mature)
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

    /// The pending changes the undo window holds back at `now`: how many, and when the first
    /// and the last of them come of age (a push at or after that instant may send them).
    pub fn undo_window_held(
        &self,
        now: DateTime<Utc>,
        undo_window: std::time::Duration,
    ) -> Result<HeldBack> {
        let (count, first, last): (i64, Option<i64>, Option<i64>) = self
            .conn
            .prepare_cached(
                "SELECT count(*), min(created_at), max(created_at) FROM outbox \
                 WHERE state = 'pending' AND created_at >= ?",
            )?
            .query_row([mature_before(now, undo_window)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        let release =
            |created: Option<i64>| created.and_then(|c| undo_window_release(c, undo_window));
        Ok(HeldBack {
            count: super::from_sql_count(count),
            first_release: release(first),
            last_release: release(last),
        })
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
    for row in rows {
        if seen.exists(params![row.origin, row.raw, row.reason])? {
            continue;
        }
        insert_quarantined(tx, row)?;
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

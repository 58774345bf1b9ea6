//! Undo: the safety net that replaces confirmation dialogs. It reverses a user's most recent
//! action (a batch as one) while none of it has left the desk: every outbox entry must still be
//! pending. It restores each task's status and owner, withdraws the notes and letters, cancels
//! the outbox entries and records an `undo` audit event per task, all in one transaction.

use rusqlite::{OptionalExtension, Transaction, params};

use super::actions::{Seen, describe, insert_action, insert_action_item, seen};
use super::audit::{AuditWriter, NewEvent};
use super::tasks::load_task;
use super::{ActionOutcome, Actor, Result, Store, StoreError};
use crate::domain::{Status, TaskId};

/// One task of the action being undone, as it was before the action.
struct Item {
    task_id: TaskId,
    before_status: Status,
    before_owner: Option<String>,
    after_row_version: i64,
}

impl Store {
    /// Undoes the most recent action by `by.id` that is not undone yet.
    pub fn undo_last(&mut self, by: &Actor<'_>) -> Result<ActionOutcome> {
        let tx = self.write_tx()?;
        let last: Option<(i64, String)> = tx
            .prepare_cached(
                "SELECT id, kind FROM actions WHERE actor = ? AND undone_by_action IS NULL \
                 AND kind <> 'undo' ORDER BY id DESC LIMIT 1",
            )?
            .query_row([by.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (undone_id, kind) = last.ok_or(StoreError::NothingToUndo)?;
        let gone: i64 = tx
            .prepare_cached(
                "SELECT count(*) FROM outbox WHERE action_id = ? AND state <> 'pending'",
            )?
            .query_row([undone_id], |r| r.get(0))?;
        if gone > 0 {
            return Err(StoreError::AlreadySent {
                action_id: undone_id,
            });
        }
        let items = items_of(&tx, undone_id)?;
        let mut now_seen = Vec::with_capacity(items.len());
        for item in &items {
            now_seen.push(unmoved_since(&tx, item, undone_id)?);
        }

        let undo_id = insert_action(&tx, by, "undo", items.len())?;
        tx.prepare_cached("UPDATE actions SET undone_by_action = ? WHERE id = ?")?
            .execute(params![undo_id, undone_id])?;
        tx.prepare_cached("UPDATE outbox SET state = 'cancelled' WHERE action_id = ?")?
            .execute([undone_id])?;
        for table in ["notes", "letters"] {
            tx.prepare_cached(&format!(
                "UPDATE {table} SET withdrawn_by_action = ? WHERE action_id = ?"
            ))?
            .execute(params![undo_id, undone_id])?;
        }

        let mut audit = AuditWriter::begin(&tx)?;
        let now = by.now.timestamp();
        let detail = format!("undid {kind} (action {undone_id})");
        let mut tasks = Vec::with_capacity(items.len());
        for (item, current) in items.iter().zip(&now_seen) {
            let after_version = current.row_version + 1;
            // The task goes back to `synced` only if nothing else of it is still on its way up.
            tx.prepare_cached(
                "UPDATE tasks SET status = ?, owner = ?, row_version = ?, updated_at = ?, \
                 sync_state = CASE WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.task_id = tasks.id \
                 AND o.state IN ('pending', 'sent')) THEN 'pending' ELSE 'synced' END \
                 WHERE id = ?",
            )?
            .execute(params![
                item.before_status.as_str(),
                item.before_owner,
                after_version,
                now,
                item.task_id
            ])?;
            insert_action_item(&tx, undo_id, item.task_id, current, after_version)?;
            let from = describe(current.status, current.owner.as_deref());
            let to = describe(item.before_status, item.before_owner.as_deref());
            audit.append(
                &tx,
                &NewEvent {
                    actor: by.id,
                    at: by.now,
                    task_id: Some(item.task_id),
                    target: None,
                    action: "undo",
                    from: Some(&from),
                    to: Some(&to),
                    detail: Some(&detail),
                },
            )?;
            tasks.push(load_task(&tx, item.task_id)?.ok_or(StoreError::NotFound(item.task_id))?);
        }
        tx.commit()?;
        Ok(ActionOutcome {
            action_id: undo_id,
            tasks,
        })
    }
}

/// The tasks an action changed, with what they were before it.
fn items_of(tx: &Transaction<'_>, action_id: i64) -> Result<Vec<Item>> {
    Ok(tx
        .prepare_cached(
            "SELECT task_id, before_status, before_owner, after_row_version \
             FROM action_items WHERE action_id = ? ORDER BY task_id",
        )?
        .query_map([action_id], |r| {
            let status: String = r.get(1)?;
            Ok(Item {
                task_id: r.get(0)?,
                before_status: status.parse().map_err(|e| super::bad_column(1, e))?,
                before_owner: r.get(2)?,
                after_row_version: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// The task as it is now, provided it is still as the action left it. Later actions that were
/// themselves undone (with their undos) put it back that way; anything else means someone moved
/// on from it, and undoing would overwrite their work.
fn unmoved_since(tx: &Transaction<'_>, item: &Item, action_id: i64) -> Result<Seen> {
    let current = seen(tx, item.task_id)?;
    let (later, live): (i64, i64) = tx
        .prepare_cached(
            "SELECT count(*), coalesce(sum(a.kind <> 'undo' AND a.undone_by_action IS NULL), 0) \
             FROM action_items i JOIN actions a ON a.id = i.action_id \
             WHERE i.task_id = ? AND i.action_id > ?",
        )?
        .query_row(params![item.task_id, action_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let expected = item.after_row_version + later;
    if live > 0 || current.row_version != expected {
        return Err(StoreError::Conflict {
            task_id: item.task_id,
            expected,
            found: current.row_version,
        });
    }
    Ok(current)
}

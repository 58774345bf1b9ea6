//! What staff do to tasks: assign, unassign, reject with a letter, complete, add a note. Each
//! is one transaction that checks every target first (present, unchanged since the user saw it,
//! status allows the action), then writes the change, one audit event and one outbox entry per
//! task, and an `actions` row with its items so the whole batch can be undone as one.

use chrono::SecondsFormat;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::json;

use super::audit::{AuditWriter, NewEvent};
use super::tasks::load_task;
use super::{Actor, Result, Store, StoreError, Target};
use crate::domain::{Status, Task, TaskAction, TaskId};

/// A letter to store with a rejected task: the template's name and the text as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewLetter {
    pub template: String,
    pub body: String,
}

/// The result of one user action: its id (for the undo toast) and the tasks as they are now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionOutcome {
    pub action_id: i64,
    pub tasks: Vec<Task>,
}

/// How an action moves status and owner.
#[derive(Clone, Copy)]
enum Effect<'a> {
    Assign(&'a str),
    Unassign,
    Reject,
    Complete,
    Note,
}

impl Effect<'_> {
    fn action(self) -> TaskAction {
        match self {
            Effect::Assign(_) => TaskAction::Assign,
            Effect::Unassign => TaskAction::Unassign,
            Effect::Reject => TaskAction::Reject,
            Effect::Complete => TaskAction::Complete,
            Effect::Note => TaskAction::Note,
        }
    }

    fn after<'o>(self, status: Status, owner: Option<&'o str>) -> (Status, Option<&'o str>)
    where
        Self: 'o,
    {
        match self {
            Effect::Assign(to) => (Status::Assigned, Some(to)),
            Effect::Unassign => (Status::New, None),
            Effect::Reject => (Status::Rejected, owner),
            Effect::Complete => (Status::Completed, owner),
            Effect::Note => (status, owner),
        }
    }
}

/// What an action attaches to each task besides the status change.
#[derive(Clone, Copy)]
enum Attachment<'a> {
    Nothing,
    Note(&'a str),
    Letter(&'a NewLetter),
}

/// A task's state as the transaction found it.
pub(super) struct Seen {
    pub status: Status,
    pub owner: Option<String>,
    pub row_version: i64,
    pub source_version: Option<String>,
}

/// Reads the parts of a task an action checks and remembers, inside the write transaction.
pub(super) fn seen(tx: &Transaction<'_>, id: TaskId) -> Result<Seen> {
    let row: Option<(String, Option<String>, i64, Option<String>)> = tx
        .prepare_cached(
            "SELECT status, owner, row_version, source_version FROM tasks WHERE id = ?",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let (status, owner, row_version, source_version) = row.ok_or(StoreError::NotFound(id))?;
    let status = status
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("task {id}: {e}")))?;
    Ok(Seen {
        status,
        owner,
        row_version,
        source_version,
    })
}

/// Status and owner as one short phrase for the audit log: `assigned (jsmith)`.
pub(super) fn describe(status: Status, owner: Option<&str>) -> String {
    match owner {
        Some(owner) => format!("{status} ({owner})"),
        None => status.as_str().to_owned(),
    }
}

/// Writes the action's row; its items follow as each task changes.
pub(super) fn insert_action(
    tx: &Transaction<'_>,
    by: &Actor<'_>,
    kind: &str,
    task_count: usize,
) -> Result<i64> {
    tx.prepare_cached("INSERT INTO actions (at, actor, kind, task_count) VALUES (?, ?, ?, ?)")?
        .execute(params![
            by.now.timestamp(),
            by.id,
            kind,
            super::to_sql_count(task_count)
        ])?;
    Ok(tx.last_insert_rowid())
}

pub(super) fn insert_action_item(
    tx: &Transaction<'_>,
    action_id: i64,
    task_id: TaskId,
    before: &Seen,
    after_row_version: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO action_items (action_id, task_id, before_status, before_owner, \
         after_row_version) VALUES (?, ?, ?, ?, ?)",
    )?
    .execute(params![
        action_id,
        task_id,
        before.status.as_str(),
        before.owner,
        after_row_version
    ])?;
    Ok(())
}

impl Store {
    /// Assigns tasks to a member of staff or a group (checking that `owner` exists is the
    /// caller's job: the store does not know the config), with an optional note.
    pub fn assign(
        &mut self,
        by: &Actor<'_>,
        targets: &[Target],
        owner: &str,
        note: Option<&str>,
    ) -> Result<ActionOutcome> {
        let attach = note.map_or(Attachment::Nothing, Attachment::Note);
        let steps: Vec<_> = targets.iter().map(|t| (*t, attach)).collect();
        self.apply(by, Effect::Assign(owner), &steps)
    }

    /// Puts assigned tasks back in the unassigned inbox.
    pub fn unassign(&mut self, by: &Actor<'_>, targets: &[Target]) -> Result<ActionOutcome> {
        let steps: Vec<_> = targets.iter().map(|t| (*t, Attachment::Nothing)).collect();
        self.apply(by, Effect::Unassign, &steps)
    }

    /// Rejects tasks, each with the letter rendered for it, stored with the task.
    pub fn reject_with_letter(
        &mut self,
        by: &Actor<'_>,
        items: &[(Target, NewLetter)],
    ) -> Result<ActionOutcome> {
        let steps: Vec<_> = items
            .iter()
            .map(|(t, l)| (*t, Attachment::Letter(l)))
            .collect();
        self.apply(by, Effect::Reject, &steps)
    }

    pub fn complete(&mut self, by: &Actor<'_>, targets: &[Target]) -> Result<ActionOutcome> {
        let steps: Vec<_> = targets.iter().map(|t| (*t, Attachment::Nothing)).collect();
        self.apply(by, Effect::Complete, &steps)
    }

    /// Adds the same note to each task; allowed whatever the status.
    pub fn add_note(
        &mut self,
        by: &Actor<'_>,
        targets: &[Target],
        text: &str,
    ) -> Result<ActionOutcome> {
        let steps: Vec<_> = targets
            .iter()
            .map(|t| (*t, Attachment::Note(text)))
            .collect();
        self.apply(by, Effect::Note, &steps)
    }

    fn apply(
        &mut self,
        by: &Actor<'_>,
        effect: Effect<'_>,
        steps: &[(Target, Attachment<'_>)],
    ) -> Result<ActionOutcome> {
        // A task marked twice is still one task; keep the first mention.
        let mut unique: Vec<(Target, Attachment<'_>)> = Vec::with_capacity(steps.len());
        for step in steps {
            if !unique.iter().any(|(t, _)| t.id == step.0.id) {
                unique.push(*step);
            }
        }
        if unique.is_empty() {
            return Err(StoreError::NothingSelected);
        }
        let action = effect.action();
        let tx = self.write_tx()?;
        let mut before = Vec::with_capacity(unique.len());
        for (target, _) in &unique {
            before.push(check(&tx, *target, action)?);
        }
        let mut batch = Batch {
            tx: &tx,
            by,
            effect,
            action_id: insert_action(&tx, by, action.as_str(), unique.len())?,
            audit: AuditWriter::begin(&tx)?,
            at_text: by.now.to_rfc3339_opts(SecondsFormat::Secs, true),
        };
        let mut tasks = Vec::with_capacity(unique.len());
        for ((target, attachment), seen) in unique.iter().zip(&before) {
            tasks.push(batch.change(target.id, *attachment, seen)?);
        }
        let action_id = batch.action_id;
        tx.commit()?;
        Ok(ActionOutcome { action_id, tasks })
    }
}

/// The target as the transaction sees it, if the action may go ahead on it.
fn check(tx: &Transaction<'_>, target: Target, action: TaskAction) -> Result<Seen> {
    let seen = seen(tx, target.id)?;
    if seen.row_version != target.row_version {
        return Err(StoreError::Conflict {
            task_id: target.id,
            expected: target.row_version,
            found: seen.row_version,
        });
    }
    // Acting on a task in conflict would queue a change on top of a version the server no
    // longer has and hide the conflict until the next push; the person must choose first.
    let in_conflict: bool = tx
        .prepare_cached("SELECT sync_state = 'conflict' FROM tasks WHERE id = ?")?
        .query_row([target.id], |r| r.get(0))?;
    if in_conflict {
        return Err(StoreError::InSyncConflict { task_id: target.id });
    }
    if !seen.status.allows(action) {
        return Err(StoreError::NotAllowed {
            task_id: target.id,
            status: seen.status,
            action,
        });
    }
    Ok(seen)
}

/// One action under way inside its transaction.
struct Batch<'t, 'c> {
    tx: &'t Transaction<'c>,
    by: &'t Actor<'t>,
    effect: Effect<'t>,
    action_id: i64,
    audit: AuditWriter,
    at_text: String,
}

impl Batch<'_, '_> {
    /// Changes one task: row, note or letter, outbox entry, undo item and audit event.
    fn change(&mut self, id: TaskId, attachment: Attachment<'_>, seen: &Seen) -> Result<Task> {
        let (tx, by, action_id) = (self.tx, self.by, self.action_id);
        let action = self.effect.action();
        let (status, owner) = self.effect.after(seen.status, seen.owner.as_deref());
        let after_version = seen.row_version + 1;
        let now = by.now.timestamp();
        tx.prepare_cached(
            "UPDATE tasks SET status = ?, owner = ?, row_version = ?, updated_at = ?, \
             sync_state = 'pending' WHERE id = ?",
        )?
        .execute(params![status.as_str(), owner, after_version, now, id])?;
        let (note, letter, detail) = match attachment {
            Attachment::Nothing => (None, None, None),
            Attachment::Note(text) => {
                tx.prepare_cached(
                    "INSERT INTO notes (task_id, at, author, text, action_id) \
                     VALUES (?, ?, ?, ?, ?)",
                )?
                .execute(params![id, now, by.id, text, action_id])?;
                // The note's words go beside the log, not into it (audit_text.rs).
                (Some(text), None, None)
            }
            Attachment::Letter(letter) => {
                tx.prepare_cached(
                    "INSERT INTO letters (task_id, template, body, created_at, created_by, \
                     action_id) VALUES (?, ?, ?, ?, ?, ?)",
                )?
                .execute(params![
                    id,
                    letter.template,
                    letter.body,
                    now,
                    by.id,
                    action_id
                ])?;
                let json = json!({ "template": letter.template, "body": letter.body });
                (
                    None,
                    Some(json),
                    Some(format!("letter: {}", letter.template)),
                )
            }
        };
        let payload = json!({
            "action": action.as_str(),
            "by": by.id,
            "at": self.at_text,
            "status": status.as_str(),
            "owner": owner,
            "note": note,
            "letter": letter,
        });
        tx.prepare_cached(
            "INSERT INTO outbox (task_id, action_id, created_at, kind, payload, \
             base_source_version) VALUES (?, ?, ?, ?, ?, ?)",
        )?
        .execute(params![
            id,
            action_id,
            now,
            action.as_str(),
            payload.to_string(),
            seen.source_version
        ])?;
        insert_action_item(tx, action_id, id, seen, after_version)?;
        // A note leaves status and owner as they were, so it has no from/to.
        let (from, to) = if matches!(self.effect, Effect::Note) {
            (None, None)
        } else {
            (
                Some(describe(seen.status, seen.owner.as_deref())),
                Some(describe(status, owner)),
            )
        };
        self.audit.append_with_text(
            tx,
            &NewEvent {
                actor: by.id,
                at: by.now,
                task_id: Some(id),
                target: None,
                action: action.as_str(),
                from: from.as_deref(),
                to: to.as_deref(),
                detail: detail.as_deref(),
            },
            note,
        )?;
        load_task(tx, id)?.ok_or(StoreError::NotFound(id))
    }
}

//! What staff attached to a task (notes and letters) and what is waiting to go upstream for it
//! (outbox entries), as the detail pane reads them. Undone notes and letters stay in the mirror,
//! marked withdrawn, so the record of what was written is never lost.

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};
use serde::Serialize;

use super::{Result, Store, bad_column, from_unix};
use crate::domain::TaskId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: i64,
    pub task_id: TaskId,
    pub at: DateTime<Utc>,
    pub author: String,
    pub text: String,
    pub action_id: Option<i64>,
    /// The undo that withdrew this note; the pane shows it struck through.
    pub withdrawn_by_action: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredLetter {
    pub id: i64,
    pub task_id: TaskId,
    pub template: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub action_id: Option<i64>,
    pub withdrawn_by_action: Option<i64>,
}

/// A local change waiting for (or done with) its trip upstream.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub task_id: TaskId,
    pub action_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub kind: String,
    /// The desired remote change (new status, owner, letter, note).
    pub payload: serde_json::Value,
    /// The source version the change was made against (`If-Match`).
    pub base_source_version: Option<String>,
    /// `pending`, `sent`, `confirmed`, `failed` or `cancelled`.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

fn note_from_row(r: &Row<'_>) -> rusqlite::Result<Note> {
    Ok(Note {
        id: r.get(0)?,
        task_id: r.get(1)?,
        at: from_unix(r.get(2)?)?,
        author: r.get(3)?,
        text: r.get(4)?,
        action_id: r.get(5)?,
        withdrawn_by_action: r.get(6)?,
    })
}

fn letter_from_row(r: &Row<'_>) -> rusqlite::Result<StoredLetter> {
    Ok(StoredLetter {
        id: r.get(0)?,
        task_id: r.get(1)?,
        template: r.get(2)?,
        body: r.get(3)?,
        created_at: from_unix(r.get(4)?)?,
        created_by: r.get(5)?,
        action_id: r.get(6)?,
        withdrawn_by_action: r.get(7)?,
    })
}

fn outbox_from_row(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let payload: String = r.get(5)?;
    Ok(OutboxEntry {
        id: r.get(0)?,
        task_id: r.get(1)?,
        action_id: r.get(2)?,
        created_at: from_unix(r.get(3)?)?,
        kind: r.get(4)?,
        payload: serde_json::from_str(&payload).map_err(|e| bad_column(5, e))?,
        base_source_version: r.get(6)?,
        state: r.get(7)?,
        attempts: r.get(8)?,
        last_error: r.get(9)?,
    })
}

impl Store {
    /// Notes on a task, oldest first, including withdrawn ones.
    pub fn notes(&self, task_id: TaskId) -> Result<Vec<Note>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, task_id, at, author, text, action_id, withdrawn_by_action \
                 FROM notes WHERE task_id = ? ORDER BY id",
            )?
            .query_map(params![task_id], note_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Letters stored with a task, oldest first, including withdrawn ones.
    pub fn letters(&self, task_id: TaskId) -> Result<Vec<StoredLetter>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, task_id, template, body, created_at, created_by, action_id, \
                 withdrawn_by_action FROM letters WHERE task_id = ? ORDER BY id",
            )?
            .query_map(params![task_id], letter_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Outbox entries for a task, oldest first, whatever their state.
    pub fn outbox_entries(&self, task_id: TaskId) -> Result<Vec<OutboxEntry>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, task_id, action_id, created_at, kind, payload, base_source_version, \
                 state, attempts, last_error FROM outbox WHERE task_id = ? ORDER BY id",
            )?
            .query_map(params![task_id], outbox_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }
}

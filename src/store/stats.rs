//! Reads behind `taskgate stats`: tasks received in a window, a page at a time in receipt order,
//! and when each task of a page was first acted on (kept on the task).
//! Keyset paging over the (received, id) index keeps memory flat on a mirror of millions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::query::PageKey;
use super::tasks::{TASK_COLUMNS, TASK_FROM, task_from_row};
use super::{Result, Store, StoreError, to_sql_count};
use crate::domain::{Task, TaskId};

/// A window of receipt times: `from` inclusive, `until` exclusive; `None` leaves that end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceivedWindow {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Store {
    /// Up to `limit` tasks received inside `window`, just after `after` in receipt order.
    pub fn tasks_received_in(
        &self,
        window: ReceivedWindow,
        after: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Task>> {
        let mut parts = vec!["1".to_owned()];
        let mut values = Vec::new();
        if let Some(from) = window.from {
            parts.push("t.received_at >= ?".to_owned());
            values.push(Value::Integer(from.timestamp()));
        }
        if let Some(until) = window.until {
            parts.push("t.received_at < ?".to_owned());
            values.push(Value::Integer(until.timestamp()));
        }
        if let Some(key) = after {
            parts.push("(t.received_at, t.id) > (?, ?)".to_owned());
            values.push(Value::Integer(key.received_at.timestamp()));
            values.push(Value::Integer(key.id));
        }
        values.push(Value::Integer(to_sql_count(limit)));
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE {} \
             ORDER BY t.received_at, t.id LIMIT ?",
            parts.join(" AND ")
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(values), task_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// When each of `ids` was first assigned, rejected or completed by an action not undone
    /// (kept on the task, `tallies.rs`); tasks nobody has acted on are absent.
    pub fn first_actions(&self, ids: &[TaskId]) -> Result<HashMap<TaskId, DateTime<Utc>>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let tasks = vec!["?"; ids.len()].join(", ");
        let sql = format!(
            "SELECT id, first_action_at FROM tasks \
             WHERE id IN ({tasks}) AND first_action_at IS NOT NULL"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(ids.iter()))?;
        let mut first = HashMap::with_capacity(ids.len());
        while let Some(r) = rows.next()? {
            let id: TaskId = r.get(0)?;
            let at: i64 = r.get(1)?;
            let at = DateTime::from_timestamp(at, 0)
                .ok_or_else(|| StoreError::Corrupt(format!("first action time {at}")))?;
            first.insert(id, at);
        }
        Ok(first)
    }
}

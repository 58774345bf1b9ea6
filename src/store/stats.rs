//! Reads behind `taskgate stats`: tasks received in a window, a page at a time in receipt order,
//! and when each task of a page was first acted on, from one grouped query over the audit log.
//! Keyset paging over the (received, id) index keeps memory flat on a mirror of millions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::query::PageKey;
use super::tasks::{TASK_COLUMNS, TASK_FROM, task_from_row};
use super::{Result, Store, StoreError, to_sql_count};
use crate::domain::{Task, TaskAction, TaskId};

/// The audit events that count as a person acting on a task: it was taken on, turned back or
/// done. Notes and unassigning are not a decision about the task.
const FIRST_ACTIONS: [TaskAction; 3] =
    [TaskAction::Assign, TaskAction::Reject, TaskAction::Complete];

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

    /// When each of `ids` was first assigned, rejected or completed, by the audit log; tasks
    /// nobody has acted on in this mirror are absent.
    pub fn first_actions(&self, ids: &[TaskId]) -> Result<HashMap<TaskId, DateTime<Utc>>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let actions = vec!["?"; FIRST_ACTIONS.len()].join(", ");
        let tasks = vec!["?"; ids.len()].join(", ");
        // `at` is RFC 3339 text in one fixed form, so the smallest text is the earliest time.
        let sql = format!(
            "SELECT task_id, min(at) FROM audit_log \
             WHERE action IN ({actions}) AND task_id IN ({tasks}) GROUP BY task_id"
        );
        let values = FIRST_ACTIONS
            .iter()
            .map(|a| Value::Text(a.as_str().to_owned()))
            .chain(ids.iter().map(|id| Value::Integer(*id)));
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(values))?;
        let mut first = HashMap::with_capacity(ids.len());
        while let Some(r) = rows.next()? {
            let id: TaskId = r.get(0)?;
            let at: String = r.get(1)?;
            let at = DateTime::parse_from_rfc3339(&at)
                .map_err(|e| StoreError::Corrupt(format!("audit time {at:?}: {e}")))?;
            first.insert(id, at.with_timezone(&Utc));
        }
        Ok(first)
    }
}

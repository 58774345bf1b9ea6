//! Unactioned tasks of one priority received up to a cutoff, a page at a time: the rows behind
//! the overdue listing. The caller turns "overdue (or due soon) at `now`" into a receipt cutoff
//! with a calendar sum, so this walks the (status, received_at, id) index in triage order and
//! never reads the tasks that cannot be late.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::query::PageKey;
use super::tasks::{TASK_COLUMNS, TASK_FROM, task_from_row};
use super::{Result, Store, to_sql_count};
use crate::domain::{Priority, Task};

impl Store {
    /// Up to `limit` unactioned (`new`) tasks of `priority` received at or before `cutoff`, just
    /// after `after` in triage order (from the oldest when `None`).
    pub fn unactioned_page_received_by(
        &self,
        priority: Priority,
        cutoff: DateTime<Utc>,
        after: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Task>> {
        // The smallest possible key stands for "from the start", so one statement serves both.
        let (after_received, after_id) =
            after.map_or((i64::MIN, i64::MIN), |k| (k.received_at.timestamp(), k.id));
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} \
              WHERE t.status = 'new' AND t.priority = ?1 AND t.received_at <= ?2 \
                AND (t.received_at, t.id) > (?3, ?4) \
              ORDER BY t.received_at, t.id LIMIT ?5"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_map(
                params![
                    priority.as_str(),
                    cutoff.timestamp(),
                    after_received,
                    after_id,
                    to_sql_count(limit)
                ],
                task_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?)
    }
}

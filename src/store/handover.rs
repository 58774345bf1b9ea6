//! Reads behind the shift handover report: unactioned tasks past an overdue cutoff, open tasks
//! held by a given owner, tasks sync left in conflict, a tally of the audit log since the last
//! sign-off, and the last sign-off itself. Each is a narrow indexed query, so a handover on a
//! large mirror reads only the rows it prints.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::audit::{EVENT_SELECT, event_from_row};
use super::tasks::{TASK_COLUMNS, TASK_FROM, task_from_row};
use super::{AuditEvent, Result, Store, from_sql_count};
use crate::domain::{Priority, Task};

/// How many audit events of one kind one person wrote in a window, and on how many tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionTally {
    pub actor: String,
    pub action: String,
    /// Distinct tasks touched; 0 for events that are not about a task (e.g. a sign-off).
    pub tasks: u64,
    pub events: u64,
}

/// The audit log stores its times as RFC 3339 text in this exact form, so comparing the text
/// orders events by time.
fn audit_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Store {
    /// Unactioned tasks of `priority` received at or before `cutoff`, oldest first.
    pub fn unactioned_received_by(
        &self,
        priority: Priority,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<Task>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.status = 'new' \
                 AND t.received_at <= ?1 AND t.priority = ?2 ORDER BY t.received_at, t.id"
            ))?
            .query_map(
                params![cutoff.timestamp(), priority.as_str()],
                task_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Open (new or assigned) tasks whose owner is `owner`, oldest first.
    pub fn open_tasks_held_by(&self, owner: &str) -> Result<Vec<Task>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.owner = ?1 \
                 AND t.status IN ('new', 'assigned') ORDER BY t.received_at, t.id"
            ))?
            .query_map([owner], task_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Tasks another desk changed upstream before our change reached the server.
    pub fn conflicted_tasks(&self) -> Result<Vec<Task>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.sync_state = 'conflict' \
                 ORDER BY t.received_at, t.id"
            ))?
            .query_map([], task_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Who did what, on how many tasks, in events written after event `after_id` and at or
    /// after `since`. Passing the last sign-off's id makes "since the sign-off" exact even when
    /// several events share its second. Imports are left out: they are the mirror filling, not
    /// anyone's work.
    pub fn action_tallies_since(
        &self,
        after_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<ActionTally>> {
        // After a sign-off, the events after it by id; with none, the window by time (the
        // index migration 7 added): either way only the window's events are read.
        let sql = if after_id > 0 {
            "SELECT actor, action, count(DISTINCT task_id), count(*) FROM audit_log \
             WHERE id > ?1 AND at >= ?2 AND action <> 'mirror.import' \
             GROUP BY actor, action ORDER BY actor, action"
        } else {
            "SELECT actor, action, count(DISTINCT task_id), count(*) \
             FROM audit_log INDEXED BY audit_by_time \
             WHERE id > ?1 AND at >= ?2 AND action <> 'mirror.import' \
             GROUP BY actor, action ORDER BY actor, action"
        };
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_map(params![after_id, audit_time(since)], |r| {
                Ok(ActionTally {
                    actor: r.get(0)?,
                    action: r.get(1)?,
                    tasks: from_sql_count(r.get(2)?),
                    events: from_sql_count(r.get(3)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The latest event named `action`, by its place in the log.
    pub fn last_event_named(&self, action: &str) -> Result<Option<AuditEvent>> {
        let sql = format!("{EVENT_SELECT} WHERE a.action = ?1 ORDER BY a.id DESC LIMIT 1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![action], event_from_row)
            .optional()?)
    }
}

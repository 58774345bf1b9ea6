//! Figures kept up to date as the mirror changes, so that the providers screen, `stats` and the
//! handover read a few hundred rows instead of every task (schema migration 7):
//!
//! - `task_tallies`: how many tasks each provider sent in each month of receipt (London), by
//!   their status now, and how many of them someone has acted on;
//! - `tasks.first_action_at`: when the task was first assigned, rejected or completed by an
//!   action that has not been undone (Unix seconds), with a partial index of acted-on tasks by
//!   receipt for the median working time to the first action.
//!
//! Both are kept by triggers, in the transaction of the change that moves them, so every writer
//! (actions, undo, imports, sync, purge, the demo) keeps them right without knowing they exist.
//! A bulk import, which defers its per-row triggers exactly as it defers search indexing (see
//! migration 2's `fts_deferred`), adds its new tasks to the tallies in one grouped statement at
//! the end of the batch. `Store::recount_tallies` counts everything again from scratch; the
//! recount tests compare the two after random sequences of changes.

use rusqlite::params;

use super::{Result, Store, from_sql_count};

/// The receipt month on the practice's wall clock (London), as `YYYY-MM`, of a Unix-seconds
/// column. British Summer Time runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on
/// the last Sunday of October; only the hour before midnight at a month's end is affected.
/// Written in SQL so that triggers (and any connection) can use it; the recount test checks it
/// against the time-zone database task by task.
macro_rules! london_month {
    ($t:literal) => {
        concat!(
            "strftime('%Y-%m', ",
            $t,
            " + 3600 * (",
            $t,
            " >= CAST(strftime('%s', date(strftime('%Y', ",
            $t,
            ", 'unixepoch') || '-03-31', '-6 days', 'weekday 0')) AS INTEGER) + 3600 AND ",
            $t,
            " < CAST(strftime('%s', date(strftime('%Y', ",
            $t,
            ", 'unixepoch') || '-10-31', '-6 days', 'weekday 0')) AS INTEGER) + 3600",
            "), 'unixepoch')"
        )
    };
}

/// The actions that count as a person deciding about a task. Notes and unassigning are not.
macro_rules! first_action_kinds {
    () => {
        "('assign', 'reject', 'complete')"
    };
}

/// A write that is not an import's deferred new task (see migration 2).
macro_rules! not_deferred {
    () => {
        "NOT EXISTS (SELECT 1 FROM fts_deferred WHERE new.id > after_id)"
    };
}

/// Adds one task (the `new` row) to its tally.
macro_rules! tally_add_new {
    () => {
        concat!(
            "INSERT INTO task_tallies (provider_ods, month, status, tasks, acted_on) VALUES (",
            "new.provider_ods, ",
            london_month!("new.received_at"),
            ", new.status, 1, new.first_action_at IS NOT NULL) ",
            "ON CONFLICT (provider_ods, month, status) DO UPDATE SET tasks = tasks + 1, ",
            "acted_on = acted_on + excluded.acted_on;"
        )
    };
}

/// Takes one task (the `old` row) out of its tally, dropping the tally when it reaches zero.
macro_rules! tally_remove_old {
    () => {
        concat!(
            "UPDATE task_tallies SET tasks = tasks - 1, ",
            "acted_on = acted_on - (old.first_action_at IS NOT NULL) ",
            "WHERE provider_ods = old.provider_ods AND month = ",
            london_month!("old.received_at"),
            " AND status = old.status; ",
            "DELETE FROM task_tallies WHERE provider_ods = old.provider_ods AND month = ",
            london_month!("old.received_at"),
            " AND status = old.status AND tasks = 0;"
        )
    };
}

/// Migration 7: the kept figures, built from the mirror as it is, and the triggers that keep
/// them. Also two partial indexes the handover reads: tasks in a sync conflict, and audit events
/// by time (a handover with no sign-off yet reads the last twelve hours of the log, not all of
/// it).
pub(super) const MIGRATION_7: &str = concat!(
    "ALTER TABLE tasks ADD COLUMN first_action_at INTEGER;\n",
    "UPDATE tasks SET first_action_at = f.at FROM (",
    "SELECT i.task_id, min(a.at) AS at FROM action_items i JOIN actions a ON a.id = i.action_id ",
    "WHERE a.kind IN ",
    first_action_kinds!(),
    " AND a.undone_by_action IS NULL GROUP BY i.task_id) AS f ",
    "WHERE tasks.id = f.task_id;\n",
    "CREATE INDEX tasks_first_action ON tasks (received_at, provider_ods, first_action_at) ",
    "WHERE first_action_at IS NOT NULL;\n",
    "CREATE INDEX tasks_conflicted ON tasks (received_at, id) WHERE sync_state = 'conflict';\n",
    "CREATE INDEX audit_by_time ON audit_log (at, actor, action, task_id);\n",
    "CREATE TABLE task_tallies (\n",
    "    provider_ods TEXT NOT NULL,\n",
    "    month        TEXT NOT NULL,\n",
    "    status       TEXT NOT NULL,\n",
    "    tasks        INTEGER NOT NULL,\n",
    "    acted_on     INTEGER NOT NULL,\n",
    "    PRIMARY KEY (provider_ods, month, status)\n",
    ") WITHOUT ROWID;\n",
    "INSERT INTO task_tallies (provider_ods, month, status, tasks, acted_on) ",
    "SELECT provider_ods, ",
    london_month!("received_at"),
    " AS month, status, count(*), count(first_action_at) FROM tasks ",
    "GROUP BY provider_ods, month, status;\n",
    "CREATE TRIGGER task_tallies_insert AFTER INSERT ON tasks WHEN ",
    not_deferred!(),
    "\nBEGIN ",
    tally_add_new!(),
    " END;\n",
    "CREATE TRIGGER task_tallies_update AFTER UPDATE OF status, provider_ods, received_at, ",
    "first_action_at ON tasks WHEN (old.status IS NOT new.status ",
    "OR old.provider_ods IS NOT new.provider_ods OR old.received_at IS NOT new.received_at ",
    "OR (old.first_action_at IS NULL) <> (new.first_action_at IS NULL)) AND ",
    not_deferred!(),
    "\nBEGIN ",
    tally_remove_old!(),
    " ",
    tally_add_new!(),
    " END;\n",
    "CREATE TRIGGER task_tallies_delete AFTER DELETE ON tasks\nBEGIN ",
    tally_remove_old!(),
    " END;\n",
    // An action's items are written after its row, so the kind is known here.
    "CREATE TRIGGER first_action_taken AFTER INSERT ON action_items WHEN ",
    "(SELECT kind FROM actions WHERE id = new.action_id) IN ",
    first_action_kinds!(),
    "\nBEGIN UPDATE tasks SET first_action_at = (SELECT at FROM actions WHERE id = new.action_id) ",
    "WHERE id = new.task_id AND (first_action_at IS NULL ",
    "OR first_action_at > (SELECT at FROM actions WHERE id = new.action_id)); END;\n",
    // An undone action never counts: its tasks' first action is found again among the rest.
    "CREATE TRIGGER first_action_undone AFTER UPDATE OF undone_by_action ON actions WHEN ",
    "new.kind IN ",
    first_action_kinds!(),
    " AND old.undone_by_action IS NOT new.undone_by_action\nBEGIN ",
    "UPDATE tasks SET first_action_at = (SELECT min(a.at) FROM action_items i ",
    "JOIN actions a ON a.id = i.action_id WHERE i.task_id = tasks.id AND a.kind IN ",
    first_action_kinds!(),
    " AND a.undone_by_action IS NULL) ",
    "WHERE id IN (SELECT task_id FROM action_items WHERE action_id = new.id); END;\n",
);

/// An import's new tasks (ids above `?1`), added to the tallies at the end of the batch.
pub(super) const TALLY_NEW_TASKS: &str = concat!(
    "INSERT INTO task_tallies (provider_ods, month, status, tasks, acted_on) ",
    "SELECT provider_ods, ",
    london_month!("received_at"),
    " AS month, status, count(*), count(first_action_at) FROM tasks WHERE id > ?1 ",
    "GROUP BY provider_ods, month, status ",
    "ON CONFLICT (provider_ods, month, status) DO UPDATE SET tasks = tasks + excluded.tasks, ",
    "acted_on = acted_on + excluded.acted_on"
);

/// A task id and its first action's time (Unix seconds), if it has one.
pub type TaskFirstAction = (i64, Option<i64>);

/// One kept tally: a provider's tasks received in one month that now have one status.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tally {
    pub provider_ods: String,
    /// London month of receipt, `YYYY-MM`.
    pub month: String,
    /// The status as stored (`new`, `assigned`, …).
    pub status: String,
    pub tasks: u64,
    /// Of those, the tasks with a first action that was not undone.
    pub acted_on: u64,
}

/// A task someone has acted on: enough to place it in a group and work out its working time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstAction<'a> {
    pub received_at: i64,
    pub provider_ods: &'a str,
    pub first_action_at: i64,
}

fn tally_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Tally> {
    Ok(Tally {
        provider_ods: r.get(0)?,
        month: r.get(1)?,
        status: r.get(2)?,
        tasks: from_sql_count(r.get(3)?),
        acted_on: from_sql_count(r.get(4)?),
    })
}

impl Store {
    /// The kept tallies for receipt months from `from_month` (inclusive) to `until_month`
    /// (exclusive), `YYYY-MM`; `None` leaves that end open. Sorted by provider, month, status.
    pub fn tallies(
        &self,
        from_month: Option<&str>,
        until_month: Option<&str>,
    ) -> Result<Vec<Tally>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT provider_ods, month, status, tasks, acted_on FROM task_tallies \
                 WHERE (?1 IS NULL OR month >= ?1) AND (?2 IS NULL OR month < ?2) \
                 ORDER BY provider_ods, month, status",
            )?
            .query_map(params![from_month, until_month], tally_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Tallies counted from the tasks themselves for receipts in `[from, until)` (Unix seconds):
    /// for the part of a window that does not cover whole months. Costs as many rows as the
    /// range holds.
    pub fn tallies_received_between(&self, from: i64, until: i64) -> Result<Vec<Tally>> {
        let sql = concat!(
            "SELECT provider_ods, ",
            london_month!("received_at"),
            " AS month, status, count(*), count(first_action_at) FROM tasks ",
            "WHERE received_at >= ?1 AND received_at < ?2 ",
            "GROUP BY provider_ods, month, status ORDER BY provider_ods, month, status"
        );
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_map(params![from, until], tally_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Every acted-on task received in `[from, until)` (Unix seconds; `None` for an open end),
    /// in receipt order, read from the partial index of acted-on tasks alone.
    pub fn for_each_first_action(
        &self,
        from: Option<i64>,
        until: Option<i64>,
        mut each: impl FnMut(FirstAction<'_>),
    ) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT received_at, provider_ods, first_action_at FROM tasks \
             INDEXED BY tasks_first_action \
             WHERE first_action_at IS NOT NULL AND received_at >= ?1 AND received_at < ?2 \
             ORDER BY received_at",
        )?;
        let mut rows = stmt.query(params![from.unwrap_or(i64::MIN), until.unwrap_or(i64::MAX)])?;
        while let Some(r) = rows.next()? {
            let provider: rusqlite::types::ValueRef<'_> = r.get_ref(1)?;
            let provider = provider.as_str().unwrap_or_default();
            each(FirstAction {
                received_at: r.get(0)?,
                provider_ods: provider,
                first_action_at: r.get(2)?,
            });
        }
        Ok(())
    }

    /// The tallies and first actions counted again from scratch, sorted as `tallies` and by
    /// task id: what the kept figures must equal. Reads every task and every action.
    pub fn recount_tallies(&self) -> Result<(Vec<Tally>, Vec<TaskFirstAction>)> {
        let tallies = self.tallies_received_between(i64::MIN, i64::MAX)?;
        let sql = concat!(
            "SELECT t.id, (SELECT min(a.at) FROM action_items i JOIN actions a ",
            "ON a.id = i.action_id WHERE i.task_id = t.id AND a.kind IN ",
            first_action_kinds!(),
            " AND a.undone_by_action IS NULL) FROM tasks t ORDER BY t.id"
        );
        let first = self
            .conn
            .prepare(sql)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok((tallies, first))
    }

    /// The kept first-action times, by task id, to compare with `recount_tallies`.
    pub fn kept_first_actions(&self) -> Result<Vec<(i64, Option<i64>)>> {
        Ok(self
            .conn
            .prepare("SELECT id, first_action_at FROM tasks ORDER BY id")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }
}

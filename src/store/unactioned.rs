//! The rows behind the overdue listing, streamed: unactioned tasks of one priority
//! received up to a cutoff (the caller turns "overdue, or due soon, at `now`" into a receipt
//! cutoff with a calendar sum), and assigned tasks with what the stalled rule needs.
//!
//! Both read only the columns the listing shows, which the partial indexes `tasks_unactioned`
//! and `tasks_assigned` (schema migration 4) hold: on a mirror of a million tasks the answer
//! comes from a few megabytes of index, never from rows scattered across the whole table.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

use super::{Result, Store, bad_column, from_unix};
use crate::domain::task::initials_of;
use crate::domain::{Priority, TaskId};

/// What the overdue listing shows of a task, and nothing more: no body, and the patient by
/// initials only (the listing is read around the office).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTask {
    pub id: TaskId,
    pub source_id: String,
    pub priority: Priority,
    pub provider_name: String,
    pub patient_initials: String,
    pub subject: String,
    pub received_at: DateTime<Utc>,
}

/// An assigned task as the stalled rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedTask {
    pub task: ListedTask,
    pub owner: Option<String>,
    /// When it was assigned: its last change.
    pub assigned_at: DateTime<Utc>,
    /// The sender's own due date, when it gave one.
    pub due_by: Option<DateTime<Utc>>,
}

/// Columns of a `ListedTask`, in the order `listed_from_row` reads them. The provider is read
/// as its code and named from the providers table, read once per page: a join would look up
/// the name for every row.
const LISTED: &str =
    "t.id, t.source_id, t.priority, t.provider_ods, t.patient_name, t.subject, t.received_at";

fn listed_from_row(r: &Row<'_>, names: &HashMap<String, String>) -> rusqlite::Result<ListedTask> {
    let name: String = r.get(4)?;
    let ods = r.get_ref(3)?.as_str()?;
    Ok(ListedTask {
        id: r.get(0)?,
        source_id: r.get(1)?,
        priority: r
            .get::<_, String>(2)?
            .parse()
            .map_err(|e| bad_column(2, e))?,
        provider_name: names.get(ods).cloned().unwrap_or_else(|| ods.to_owned()),
        patient_initials: initials_of(&name),
        subject: r.get(5)?,
        received_at: from_unix(r.get(6)?)?,
    })
}

impl Store {
    /// Every provider's name by its ODS code.
    fn provider_names(&self) -> Result<HashMap<String, String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT ods_code, name FROM providers")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Calls `visit` with each unactioned (`new`) task of `priority` received at or before
    /// `cutoff`, oldest first. One statement streams them: nothing is held but the current row.
    pub fn each_late_candidate(
        &self,
        priority: Priority,
        cutoff: DateTime<Utc>,
        mut visit: impl FnMut(ListedTask),
    ) -> Result<()> {
        let names = self.provider_names()?;
        let sql = format!(
            "SELECT {LISTED} FROM tasks t INDEXED BY tasks_unactioned \
              WHERE t.status = 'new' AND t.priority = ?1 AND t.received_at <= ?2 \
              ORDER BY t.received_at, t.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![priority.as_str(), cutoff.timestamp()])?;
        while let Some(r) = rows.next()? {
            visit(listed_from_row(r, &names)?);
        }
        Ok(())
    }

    /// The id and receipt of each unactioned task of `priority` received at or before
    /// `cutoff`: all the overdue view needs to order them, without the text a listing shows.
    pub fn late_candidate_receipts(
        &self,
        priority: Priority,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<(TaskId, DateTime<Utc>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.id, t.received_at FROM tasks t INDEXED BY tasks_unactioned \
              WHERE t.status = 'new' AND t.priority = ?1 AND t.received_at <= ?2",
        )?;
        let mut rows = stmt.query(params![priority.as_str(), cutoff.timestamp()])?;
        let mut receipts = Vec::new();
        while let Some(r) = rows.next()? {
            receipts.push((r.get(0)?, from_unix(r.get(1)?)?));
        }
        Ok(receipts)
    }

    /// Calls `visit` with each assigned task that was assigned at or before `held_since` or
    /// whose sender's due date is at or before `due_by`, longest-held first (by when it was
    /// assigned), streamed as `each_late_candidate` streams. The rest are only scanned in the
    /// index, never read out.
    pub fn each_assigned(
        &self,
        held_since: DateTime<Utc>,
        due_by: DateTime<Utc>,
        mut visit: impl FnMut(AssignedTask),
    ) -> Result<()> {
        let names = self.provider_names()?;
        let sql = format!(
            "SELECT {LISTED}, t.owner, t.updated_at, t.due_by \
               FROM tasks t INDEXED BY tasks_assigned \
              WHERE t.status = 'assigned' AND (t.updated_at <= ?1 OR t.due_by <= ?2) \
              ORDER BY t.updated_at, t.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([held_since.timestamp(), due_by.timestamp()])?;
        while let Some(r) = rows.next()? {
            let due_by: Option<i64> = r.get(9)?;
            visit(AssignedTask {
                task: listed_from_row(r, &names)?,
                owner: r.get(7)?,
                assigned_at: from_unix(r.get(8)?)?,
                due_by: due_by.map(from_unix).transpose()?,
            });
        }
        Ok(())
    }
}

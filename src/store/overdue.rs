//! Counts behind the header's overdue and due-soon figures. The caller turns "overdue at `now`"
//! into "received no later than a cutoff" (a calendar sum per priority), so the count here is a
//! range over the (status, received_at) index and stays cheap on a mirror of millions.

use chrono::{DateTime, Utc};

use super::{Result, Store};
use crate::domain::Priority;

impl Store {
    /// Unactioned (`new`) tasks of `priority` received at or before `cutoff`.
    pub fn count_unactioned_received_by(
        &self,
        priority: Priority,
        cutoff: DateTime<Utc>,
    ) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM tasks
                  WHERE status = 'new' AND received_at <= ?1 AND priority = ?2",
            )?
            .query_row(
                rusqlite::params![cutoff.timestamp(), priority.as_str()],
                |r| r.get(0),
            )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// A number that changes whenever another connection commits to the mirror (SQLite's
    /// `PRAGMA data_version`), so a cached answer can tell it is stale.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// All unactioned (`new`) tasks: the inbox's size, for the header.
    pub fn count_unactioned(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM tasks WHERE status = 'new'")?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

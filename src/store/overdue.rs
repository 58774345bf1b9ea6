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
}

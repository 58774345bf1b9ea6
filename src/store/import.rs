//! One import file into the mirror: its good rows upserted and its bad rows quarantined in the
//! same transaction, so a file is either wholly taken (with its quarantine) or not at all, and a
//! re-import of the same file changes nothing: unchanged tasks write no audit event, and a bad
//! row already kept from the same origin and line is not kept twice.

use std::collections::HashSet;

use super::misc::insert_quarantined;
use chrono::{DateTime, Utc};

use super::tasks::upsert_incoming;
use super::{InsertSummary, QuarantinedRow, Result, Store};
use crate::domain::IncomingTask;

/// What importing one file did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileImport {
    pub tasks: InsertSummary,
    /// Bad rows newly kept in quarantine; rows kept by an earlier import of the same file are
    /// not counted again.
    pub newly_quarantined: u64,
}

impl Store {
    /// Upserts `good` from `origin` (as `insert_tasks` does, with its audit event when anything
    /// changed) and keeps `bad` in quarantine, each under its own origin, in one transaction. A
    /// bad row whose origin, line and raw text are already in quarantine is not kept again, so
    /// importing a file twice keeps each of its bad rows once.
    pub fn import_file<I: IntoIterator<Item = IncomingTask>>(
        &mut self,
        good: I,
        bad: &[QuarantinedRow],
        origin: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<FileImport> {
        let tx = self.write_tx()?;
        let tasks = upsert_incoming(&tx, good, origin, actor, now)?;
        let mut newly_quarantined = 0;
        if !bad.is_empty() {
            // One read per origin of what is already kept beats a lookup per row: the
            // quarantine table has no index on origin, and a broken file can have thousands.
            let mut kept: HashSet<(String, Option<i64>, String)> = HashSet::new();
            let origins: HashSet<&str> = bad.iter().map(|r| r.origin.as_str()).collect();
            let mut existing =
                tx.prepare_cached("SELECT origin, line, raw FROM quarantine WHERE origin = ?")?;
            for o in origins {
                for row in existing.query_map([o], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
                    kept.insert(row?);
                }
            }
            for row in bad {
                let line = row.line.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
                if !kept.insert((row.origin.clone(), line, row.raw.clone())) {
                    continue;
                }
                insert_quarantined(&tx, row)?;
                newly_quarantined += 1;
            }
        }
        tx.commit()?;
        Ok(FileImport {
            tasks,
            newly_quarantined,
        })
    }
}

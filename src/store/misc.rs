//! The small tables around the tasks: online backups (owner-only, never overwriting), staff
//! absences (audited, since they change who the picker offers), sync's key-value state
//! (watermarks, last successful sync) and quarantined import rows kept with their reason.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::backup::Backup;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::audit::{AuditWriter, NewEvent};
use super::{Actor, Result, Store, files, from_unix, mirror_key};
use crate::domain::Absence;

/// An input row an import could not take, kept so staff can see and fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantinedRow {
    /// The file path, or `fhir` for rows from the server.
    pub origin: String,
    pub line: Option<u64>,
    pub field: Option<String>,
    pub reason: String,
    /// The row as it came in.
    pub raw: String,
    pub at: DateTime<Utc>,
}

/// SQLite's online backup into `dest`, which is unlocked with the mirror's key first: a backup
/// holds the same patient data, so an encrypted mirror gets an encrypted backup (SQLCipher also
/// refuses to copy between an encrypted and a plain file).
fn copy_into(mirror: &Connection, dest: &Path) -> Result<()> {
    let mut copy = mirror_key::open_unlocked(dest)?;
    Backup::new(mirror, &mut copy)?.run_to_completion(100, Duration::ZERO, None)?;
    Ok(())
}

impl Store {
    /// Copies the whole mirror to a new owner-only file while it stays in use. Refuses a
    /// destination that exists, so a backup never replaces anything.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        files::create_owner_only(dest)?;
        let copied = copy_into(&self.conn, dest);
        if copied.is_err() {
            // A half-written copy must not be mistaken for a backup. Removal is best effort:
            // the copy's own error is the one the user needs.
            let _ = std::fs::remove_file(dest);
        }
        copied
    }

    /// Every recorded absence, earliest first.
    pub fn absences(&self) -> Result<Vec<Absence>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT staff_id, from_date, until_date, reason FROM staff_absence \
                 ORDER BY from_date, staff_id, id",
            )?
            .query_map([], |r| {
                Ok(Absence {
                    staff_id: r.get(0)?,
                    from: r.get::<_, NaiveDate>(1)?,
                    until: r.get::<_, NaiveDate>(2)?,
                    reason: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Records an absence and its audit event together.
    pub fn record_absence(&mut self, by: &Actor<'_>, a: &Absence) -> Result<()> {
        let tx = self.write_tx()?;
        tx.prepare_cached(
            "INSERT INTO staff_absence (staff_id, from_date, until_date, reason, recorded_by, \
             recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
        )?
        .execute(params![
            a.staff_id,
            a.from,
            a.until,
            a.reason,
            by.id,
            by.now.timestamp()
        ])?;
        let target = format!("staff:{}", a.staff_id);
        let detail = format!("away {} to {}: {}", a.from, a.until, a.reason);
        AuditWriter::begin(&tx)?.append(
            &tx,
            &NewEvent {
                actor: by.id,
                at: by.now,
                task_id: None,
                target: Some(&target),
                action: "absence.record",
                from: None,
                to: None,
                detail: Some(&detail),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A value sync keeps between runs (a watermark, the last successful sync time).
    pub fn sync_value(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM sync_state WHERE key = ?")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_sync_value(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_state (key, value) VALUES (?, ?) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])?;
        Ok(())
    }

    /// Keeps rows an import refused, all in one transaction.
    pub fn quarantine(&mut self, rows: &[QuarantinedRow]) -> Result<()> {
        let tx = self.write_tx()?;
        for row in rows {
            insert_quarantined(&tx, row)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Quarantined rows in the order they were kept.
    pub fn quarantined(&self) -> Result<Vec<QuarantinedRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT origin, line, field, reason, raw, at FROM quarantine ORDER BY id",
            )?
            .query_map([], |r| {
                let line: Option<i64> = r.get(1)?;
                Ok(QuarantinedRow {
                    origin: r.get(0)?,
                    line: line.and_then(|l| u64::try_from(l).ok()),
                    field: r.get(2)?,
                    reason: r.get(3)?,
                    raw: r.get(4)?,
                    at: from_unix(r.get(5)?)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }
}

/// Stores one refused row inside the caller's transaction: the one writer of the quarantine
/// table, for plain quarantine, file imports and sync pages alike.
pub(super) fn insert_quarantined(conn: &rusqlite::Connection, row: &QuarantinedRow) -> Result<()> {
    let line = row.line.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    conn.prepare_cached(
        "INSERT INTO quarantine (origin, line, field, reason, raw, at) VALUES (?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        row.origin,
        line,
        row.field,
        row.reason,
        row.raw,
        row.at.timestamp()
    ])?;
    Ok(())
}

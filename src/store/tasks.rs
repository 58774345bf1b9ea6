//! Tasks coming into the mirror from a source, and reading one task back. An import is one
//! transaction with prepared statements and one audit event for the whole batch, so a demo of a
//! million tasks or a sync page of a hundred costs the same per task. A task with local changes
//! not yet confirmed upstream is never overwritten by an import: sync resolves it.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, Transaction, params};
use serde::Serialize;

use super::audit::{AuditWriter, NewEvent};
use super::{Result, Store, bad_column, from_unix};
use crate::domain::nhs_number::NhsNumberError;
use crate::domain::{IncomingTask, NhsNumber, Patient, Task, TaskId};

/// What an import did, for the CLI's summary line and the audit event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct InsertSummary {
    pub inserted: u64,
    pub updated: u64,
    /// Re-delivered as it was, older than the mirror's copy, or held back because the task has
    /// local changes waiting to go upstream (or a sync conflict waiting for a person).
    pub unchanged: u64,
}

/// Columns of `TASK_FROM`, in the order `task_from_row` reads them.
pub(super) const TASK_COLUMNS: &str = "t.id, t.row_version, t.source_id, t.source_version, \
    t.status, t.priority, t.provider_ods, p.name, t.sender_team, t.addressed_to, t.owner, \
    t.patient_nhs, t.patient_name, t.patient_dob, t.subject, t.body, t.received_at, t.due_by, \
    t.updated_at";

pub(super) const TASK_FROM: &str = "tasks t JOIN providers p ON p.ods_code = t.provider_ods";

pub(super) fn task_from_row(r: &Row<'_>) -> rusqlite::Result<Task> {
    let status: String = r.get(4)?;
    let priority: String = r.get(5)?;
    let nhs: Option<String> = r.get(11)?;
    let due_by: Option<i64> = r.get(17)?;
    Ok(Task {
        id: r.get(0)?,
        row_version: r.get(1)?,
        source_id: r.get(2)?,
        source_version: r.get(3)?,
        status: status.parse().map_err(|e| bad_column(4, e))?,
        priority: priority.parse().map_err(|e| bad_column(5, e))?,
        provider_ods: r.get(6)?,
        provider_name: r.get(7)?,
        sender_team: r.get(8)?,
        addressed_to: r.get(9)?,
        owner: r.get(10)?,
        patient: Patient {
            nhs_number: nhs
                .map(|n| NhsNumber::parse(&n))
                // Stored before CHI numbers were checked for a date of birth: shown as no valid
                // number, as a FHIR pull now keeps such a task.
                .filter(|parsed| parsed != &Err(NhsNumberError::ChiNotADate))
                .transpose()
                .map_err(|e| bad_column(11, e))?,
            name: r.get(12)?,
            birth_date: r.get::<_, Option<NaiveDate>>(13)?,
        },
        subject: r.get(14)?,
        body: r.get(15)?,
        received_at: from_unix(r.get(16)?)?,
        due_by: due_by.map(from_unix).transpose()?,
        updated_at: from_unix(r.get(18)?)?,
    })
}

/// One task by id, on any connection or open transaction.
pub(super) fn load_task(conn: &Connection, id: TaskId) -> Result<Option<Task>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.id = ?"
        ))?
        .query_row([id], task_from_row)
        .optional()?)
}

/// A re-delivered older version (numeric versions, as FHIR servers give) must not roll the
/// mirror back; opaque versions that merely differ are taken as newer.
pub(super) fn is_older(incoming: Option<&str>, stored: Option<&str>) -> bool {
    match (
        incoming.map(str::parse::<u64>),
        stored.map(str::parse::<u64>),
    ) {
        (Some(Ok(new)), Some(Ok(old))) => new < old,
        _ => false,
    }
}

const INSERT_TASK: &str = "INSERT INTO tasks (source_id, source_version, status, priority, \
    provider_ods, sender_team, addressed_to, owner, patient_nhs, patient_name, patient_dob, \
    subject, body, received_at, due_by, updated_at, source_extra) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
    ON CONFLICT (source_id) DO NOTHING";

/// Updates only when something differs, so `changes()` tells updated from unchanged for
/// sources that carry no version.
const UPDATE_TASK: &str = "UPDATE tasks SET source_version = ?2, status = ?3, priority = ?4, \
    provider_ods = ?5, sender_team = ?6, addressed_to = ?7, owner = ?8, patient_nhs = ?9, \
    patient_name = ?10, patient_dob = ?11, subject = ?12, body = ?13, received_at = ?14, \
    due_by = ?15, updated_at = ?16, source_extra = ?17, row_version = row_version + 1, \
    sync_state = 'synced' \
    WHERE id = ?1 AND (source_version IS NOT ?2 OR status IS NOT ?3 OR priority IS NOT ?4 \
    OR provider_ods IS NOT ?5 OR sender_team IS NOT ?6 OR addressed_to IS NOT ?7 \
    OR owner IS NOT ?8 OR patient_nhs IS NOT ?9 OR patient_name IS NOT ?10 \
    OR patient_dob IS NOT ?11 OR subject IS NOT ?12 OR body IS NOT ?13 \
    OR received_at IS NOT ?14 OR due_by IS NOT ?15 OR source_extra IS NOT ?17)";

const LOOKUP_TASK: &str = "SELECT id, source_version, sync_state = 'conflict' OR EXISTS \
    (SELECT 1 FROM outbox o WHERE o.task_id = tasks.id AND o.state IN ('pending', 'sent')) \
    FROM tasks WHERE source_id = ?";

const INDEX_NEW_TASKS: &str = "INSERT INTO tasks_fts (rowid, subject, body, provider, patient) \
    SELECT t.id, t.subject, t.body, p.name || ' ' || t.provider_ods, \
    t.patient_name || ' ' || coalesce(t.patient_nhs, '') \
    FROM tasks t JOIN providers p ON p.ods_code = t.provider_ods WHERE t.id > ? ORDER BY t.id";

/// The batch's new open tasks, for the open-tasks search index (schema migrations 4 and 5).
const INDEX_NEW_OPEN_TASKS: &str = "INSERT INTO open_fts (rowid, subject, body, provider, \
    patient, status) SELECT t.id, t.subject, t.body, p.name || ' ' || t.provider_ods, \
    t.patient_name || ' ' || coalesce(t.patient_nhs, ''), t.status \
    FROM tasks t JOIN providers p ON p.ods_code = t.provider_ods \
    WHERE t.id > ? AND t.status IN ('new', 'assigned') ORDER BY t.id";

const UPSERT_SEEN_PROVIDER: &str = "INSERT INTO providers (ods_code, name) \
    VALUES (?1, CASE WHEN ?2 = '' THEN ?1 ELSE ?2 END) \
    ON CONFLICT (ods_code) DO UPDATE SET name = excluded.name \
    WHERE from_registry = 0 AND excluded.name <> '' AND excluded.name <> excluded.ods_code \
    AND name IS NOT excluded.name";

impl Store {
    /// Upserts a batch of tasks from `origin` (a file path, `fhir` or `demo`) in one
    /// transaction. Writes one `mirror.import` audit event for the batch when anything was
    /// inserted or updated: a sync poll that finds nothing new leaves no trace.
    pub fn insert_tasks<I: IntoIterator<Item = IncomingTask>>(
        &mut self,
        tasks: I,
        origin: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<InsertSummary> {
        let tx = self.write_tx()?;
        let summary = upsert_incoming(&tx, tasks, origin, actor, now)?;
        tx.commit()?;
        Ok(summary)
    }

    /// As `insert_tasks`, for the demo inbox, whose tasks were dealt with over time: every task
    /// the batch brings in already triaged gets its last change a while after its receipt
    /// (one to ninety-six hours, spread by id, never after `now`) rather than the moment of
    /// the import. "Rejected in the last 30 days" and "assigned for N days" then read as they
    /// would in a practice, and those screens' indexes hold what a real mirror's would.
    pub fn insert_demo_tasks<I: IntoIterator<Item = IncomingTask>>(
        &mut self,
        tasks: I,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<InsertSummary> {
        let tx = self.write_tx()?;
        let last_before: TaskId =
            tx.query_row("SELECT coalesce(max(id), 0) FROM tasks", [], |r| r.get(0))?;
        let summary = upsert_incoming(&tx, tasks, "demo", actor, now)?;
        tx.execute(
            "UPDATE tasks SET updated_at = min(received_at + 3600 * (1 + (id * 7919) % 96), ?2) \
             WHERE id > ?1 AND status <> 'new'",
            params![last_before, now.timestamp()],
        )?;
        tx.commit()?;
        Ok(summary)
    }

    /// The source's own record of a task (the FHIR resource as JSON), if the source gave one.
    pub fn source_raw(&self, id: TaskId) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT source_extra FROM tasks WHERE id = ?")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// One task by its mirror id.
    pub fn task(&self, id: TaskId) -> Result<Option<Task>> {
        load_task(&self.conn, id)
    }
}

/// The batch of `insert_tasks`, inside a write transaction the caller owns, so that sync can
/// commit a page together with its watermark (and an import with its quarantined rows).
pub(super) fn upsert_incoming<I: IntoIterator<Item = IncomingTask>>(
    tx: &Transaction<'_>,
    tasks: I,
    origin: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<InsertSummary> {
    tx.pragma_update(None, "cache_size", super::BULK_CACHE_KIB)?;
    let summary = upsert_rows(tx, tasks, origin, actor, now);
    // Back to the reading cache whatever happened, so a long-lived connection (the inbox's
    // background sync) gives the memory back after a pull.
    tx.pragma_update(None, "cache_size", super::READING_CACHE_KIB)?;
    summary
}

fn upsert_rows<I: IntoIterator<Item = IncomingTask>>(
    tx: &Transaction<'_>,
    tasks: I,
    origin: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<InsertSummary> {
    let mut summary = InsertSummary::default();
    let last_before: TaskId =
        tx.query_row("SELECT coalesce(max(id), 0) FROM tasks", [], |r| r.get(0))?;
    tx.prepare_cached("INSERT INTO fts_deferred (after_id) VALUES (?)")?
        .execute([last_before])?;
    {
        let mut seen_providers: HashMap<String, String> = HashMap::new();
        let mut upsert_provider = tx.prepare_cached(UPSERT_SEEN_PROVIDER)?;
        let mut insert = tx.prepare_cached(INSERT_TASK)?;
        let mut lookup = tx.prepare_cached(LOOKUP_TASK)?;
        let mut update = tx.prepare_cached(UPDATE_TASK)?;
        let updated_at = now.timestamp();
        for task in tasks {
            if seen_providers.get(&task.provider_ods) != Some(&task.provider_name) {
                upsert_provider.execute(params![task.provider_ods, task.provider_name])?;
                seen_providers.insert(task.provider_ods.clone(), task.provider_name.clone());
            }
            let nhs = task.patient.nhs_number.map(|n| n.digits());
            let status = task.status.as_str();
            let priority = task.priority.as_str();
            let received_at = task.received_at.timestamp();
            let due_by = task.due_by.map(|d| d.timestamp());
            // Slot 0 is the key: the source id to insert, the mirror id to update.
            let mut values: [&dyn ToSql; 17] = [
                &task.source_id,
                &task.source_version,
                &status,
                &priority,
                &task.provider_ods,
                &task.sender_team,
                &task.addressed_to,
                &task.owner,
                &nhs,
                &task.patient.name,
                &task.patient.birth_date,
                &task.subject,
                &task.body,
                &received_at,
                &due_by,
                &updated_at,
                &task.raw,
            ];
            if insert.execute(&values[..])? == 1 {
                summary.inserted += 1;
                continue;
            }
            let (id, stored_version, held): (TaskId, Option<String>, bool) =
                lookup.query_row([&task.source_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            let same_version =
                task.source_version.is_some() && task.source_version == stored_version;
            if held
                || same_version
                || is_older(task.source_version.as_deref(), stored_version.as_deref())
            {
                summary.unchanged += 1;
                continue;
            }
            values[0] = &id;
            if update.execute(&values[..])? == 1 {
                summary.updated += 1;
            } else {
                summary.unchanged += 1;
            }
        }
    }
    // New tasks take ids above every existing one, so this indexes exactly this batch's.
    tx.prepare_cached(INDEX_NEW_TASKS)?.execute([last_before])?;
    tx.prepare_cached(INDEX_NEW_OPEN_TASKS)?
        .execute([last_before])?;
    // And counted in the kept figures, in one grouped statement (tallies.rs).
    tx.prepare_cached(super::tallies::TALLY_NEW_TASKS)?
        .execute([last_before])?;
    tx.prepare_cached("DELETE FROM fts_deferred")?.execute([])?;
    if summary.inserted + summary.updated > 0 {
        let detail = format!(
            "from {origin}: {} inserted, {} updated, {} unchanged",
            summary.inserted, summary.updated, summary.unchanged
        );
        AuditWriter::begin(tx)?.append(
            tx,
            &NewEvent {
                actor,
                at: now,
                task_id: None,
                target: Some("mirror"),
                action: "mirror.import",
                from: None,
                to: None,
                detail: Some(&detail),
            },
        )?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::is_older;

    #[test]
    fn only_numerically_older_versions_are_stale() {
        assert!(is_older(Some("2"), Some("10")));
        assert!(!is_older(Some("10"), Some("2")));
        assert!(!is_older(Some("b"), Some("a")));
        assert!(!is_older(None, Some("3")));
    }
}

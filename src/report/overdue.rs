//! The overdue listing as plain data and its three renderings (fixed-width table, stable JSON,
//! CSV): unactioned tasks past their threshold (most overdue first), those due within the
//! margin, and assigned tasks that have stalled. It is shown around the office, so a row names
//! the patient by initials only, never by name or NHS number. Only the tasks that can be late
//! are read (a receipt cutoff per priority bounds the scan of a partial index); they are then
//! assessed and worded on every core, keeping their order.

use std::collections::BTreeSet;
use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use color_eyre::eyre::Result;
use rayon::prelude::*;
use serde::Serialize;

use super::csv_safe;
use super::text::{fit, local_stamp};
use crate::config::Config;
use crate::domain::calendar::{WorkingCalendar, WorkingDuration, format_working_age};
use crate::domain::overdue::{
    DueAssessment, DueCutoffs, DueState, StalledReason, Thresholds, explain, latest_receipt_due_by,
    stalled, stalled_assignment,
};
use crate::domain::{Priority, Status, Task, TaskId};
use crate::store::{AssignedTask, ListedTask, Store};
use crate::terminal_text::Escaping;

/// The practice's overdue rules, resolved against its calendar.
#[derive(Debug, Clone, Copy)]
pub struct OverdueRules {
    pub thresholds: Thresholds,
    /// Each priority's threshold as the config writes it ("1 working day"), in the order of
    /// `Priority::ALL`, because the explanation quotes the practice's own words.
    pub written: [WorkingDuration; 4],
    /// Working time an assigned task may sit without action before it is stalled.
    pub assigned_stalled: Duration,
}

impl OverdueRules {
    /// The config's `[overdue]` section as working-time durations on the practice's calendar.
    pub fn from_config(config: &Config, calendar: &WorkingCalendar) -> Self {
        let o = &config.overdue;
        OverdueRules {
            thresholds: Thresholds {
                routine: calendar.to_duration(o.routine),
                urgent: calendar.to_duration(o.urgent),
                asap: calendar.to_duration(o.asap),
                stat: calendar.to_duration(o.stat),
                due_soon: calendar.to_duration(o.due_soon),
            },
            written: Priority::ALL.map(|p| config.threshold_for(p)),
            assigned_stalled: calendar.to_duration(o.assigned_stalled),
        }
    }

    pub fn written_for(&self, priority: Priority) -> WorkingDuration {
        let at = Priority::ALL
            .iter()
            .position(|p| *p == priority)
            .unwrap_or(0);
        self.written[at]
    }
}

/// The whole listing. This is the stable JSON shape of `taskgate overdue --format json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueReport {
    pub generated_at: DateTime<Utc>,
    /// Unactioned tasks past their due time, most overdue first.
    pub overdue: Vec<OverdueRow>,
    /// Unactioned tasks due within the due-soon margin, soonest first.
    pub due_soon: Vec<OverdueRow>,
    /// Assigned tasks past the sender's due date or idle too long, longest-held first.
    pub stalled: Vec<StalledRow>,
    /// Calendar warnings (bank-holiday data ran out), each once.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueRow {
    pub id: TaskId,
    pub source_id: String,
    pub priority: Priority,
    pub provider_name: String,
    pub patient_initials: String,
    pub subject: String,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Working minutes past the due time; 0 for a task not yet due.
    pub overdue_by_minutes: i64,
    /// Working minutes left until the due time; 0 for an overdue task.
    pub due_in_minutes: i64,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StalledRow {
    pub id: TaskId,
    pub source_id: String,
    pub priority: Priority,
    pub provider_name: String,
    pub patient_initials: String,
    pub subject: String,
    pub owner: Option<String>,
    /// When the task was assigned (its last change).
    pub assigned_at: DateTime<Utc>,
    /// The sender's own due date, when it gave one.
    pub sender_due_by: Option<DateTime<Utc>>,
    /// `sender-due-date` or `no-action`.
    pub reason: &'static str,
    pub explanation: String,
}

/// Reads the listing from the mirror as of `now`.
pub fn build(
    store: &Store,
    calendar: &WorkingCalendar,
    rules: &OverdueRules,
    now: DateTime<Utc>,
) -> Result<OverdueReport> {
    let mut report = OverdueReport {
        generated_at: now,
        overdue: Vec::new(),
        due_soon: Vec::new(),
        stalled: Vec::new(),
        warnings: Vec::new(),
    };
    let cutoffs = DueCutoffs::at(calendar, &rules.thresholds, now);
    let late = late_tasks(calendar, rules, &cutoffs, |priority, cutoff, into| {
        store.each_late_candidate(priority, cutoff, |task| into.push(task))
    })?;
    let warnings: BTreeSet<String> = late
        .iter()
        .filter_map(|(_, due)| due.warning.as_ref().map(ToString::to_string))
        .collect();
    // Each row's sums and sentence are its own, so they are written on every core.
    let rows: Vec<(DueState, OverdueRow)> = late
        .into_par_iter()
        .map(|(task, due)| (due.state, late_row(task, &due, calendar, rules, now)))
        .collect();
    for (state, row) in rows {
        match state {
            DueState::Overdue => report.overdue.push(row),
            DueState::DueSoon => report.due_soon.push(row),
            DueState::OnTime => {}
        }
    }
    report
        .overdue
        .par_sort_unstable_by_key(|r| overdue_order(r.overdue_by_minutes, r.due_at, r.id));
    report.due_soon.sort_unstable_by_key(|r| (r.due_at, r.id));
    report.stalled = stalled_tasks(store, calendar, rules, now)?
        .into_iter()
        .map(|(held, reason)| StalledRow {
            id: held.task.id,
            source_id: held.task.source_id,
            priority: held.task.priority,
            provider_name: held.task.provider_name,
            patient_initials: held.task.patient_initials,
            subject: held.task.subject,
            owner: held.owner,
            assigned_at: held.assigned_at,
            sender_due_by: held.due_by,
            reason: reason.code(),
            explanation: reason.to_string(),
        })
        .collect();
    // Stalled tasks come longest-held first already.
    report.warnings = warnings.into_iter().collect();
    Ok(report)
}

/// The listing's order without its words, for the overdue view, which reads its rows a page
/// at a time: task ids (overdue, most overdue first; then due soon; then stalled) and how many
/// there are of each. Nothing but ids is kept, however many tasks are late.
pub struct ListingOrder {
    pub ids: Vec<TaskId>,
    pub overdue: usize,
    pub due_soon: usize,
    pub stalled: usize,
}

pub fn order(
    store: &Store,
    calendar: &WorkingCalendar,
    rules: &OverdueRules,
    now: DateTime<Utc>,
) -> Result<ListingOrder> {
    let cutoffs = DueCutoffs::at(calendar, &rules.thresholds, now);
    let late = late_tasks(calendar, rules, &cutoffs, |priority, cutoff, into| {
        let receipts = store.late_candidate_receipts(priority, cutoff)?;
        into.extend(receipts.into_iter().map(|(id, at)| (id, priority, at)));
        Ok(())
    })?;
    let mut overdue = Vec::new();
    let mut due_soon = Vec::new();
    for (state, key) in late
        .par_iter()
        .map(|(task, due)| {
            let by = match due.state {
                DueState::Overdue => overdue_by(calendar, due, now),
                _ => 0,
            };
            (due.state, overdue_order(by, due.due_at, task.0))
        })
        .collect::<Vec<_>>()
    {
        match state {
            DueState::Overdue => overdue.push(key),
            DueState::DueSoon => due_soon.push((key.1, key.2)),
            DueState::OnTime => {}
        }
    }
    overdue.par_sort_unstable();
    due_soon.sort_unstable();
    let stalled: Vec<TaskId> = stalled_tasks(store, calendar, rules, now)?
        .into_iter()
        .map(|(held, _)| held.task.id)
        .collect();
    let (o, d, s) = (overdue.len(), due_soon.len(), stalled.len());
    let mut ids = Vec::with_capacity(o + d + s);
    ids.extend(overdue.into_iter().map(|(_, _, id)| id));
    ids.extend(due_soon.into_iter().map(|(_, id)| id));
    ids.extend(stalled);
    Ok(ListingOrder {
        ids,
        overdue: o,
        due_soon: d,
        stalled: s,
    })
}

/// Why one task is in the listing as of the cut-offs' instant, in the listing's words; `None`
/// when it is not (any more) overdue, due soon or stalled.
pub fn why(
    task: &Task,
    calendar: &WorkingCalendar,
    rules: &OverdueRules,
    cutoffs: &DueCutoffs,
) -> Option<String> {
    match task.status {
        Status::New => {
            let due = cutoffs.assess(calendar, &rules.thresholds, task.priority, task.received_at);
            (due.state != DueState::OnTime).then(|| {
                explain(
                    calendar,
                    rules.written_for(task.priority),
                    task.received_at,
                    &due,
                )
            })
        }
        _ => stalled(task, cutoffs.now, calendar, rules.assigned_stalled).map(|r| r.to_string()),
    }
}

/// Most overdue first; equal working time past due (due in the same evening, say) by due time,
/// then by id, so the order is total and stable.
fn overdue_order(
    overdue_by_minutes: i64,
    due_at: DateTime<Utc>,
    id: TaskId,
) -> (std::cmp::Reverse<i64>, DateTime<Utc>, TaskId) {
    (std::cmp::Reverse(overdue_by_minutes), due_at, id)
}

fn overdue_by(calendar: &WorkingCalendar, due: &DueAssessment, now: DateTime<Utc>) -> i64 {
    calendar
        .working_time_between(due.due_at, now)
        .value
        .num_minutes()
}

/// What assessing a task needs: its priority and when it was received.
trait Receipt {
    fn receipt(&self) -> (Priority, DateTime<Utc>);
}

impl Receipt for ListedTask {
    fn receipt(&self) -> (Priority, DateTime<Utc>) {
        (self.priority, self.received_at)
    }
}

/// The overdue view's candidates: the ordering needs nothing else.
impl Receipt for (TaskId, Priority, DateTime<Utc>) {
    fn receipt(&self) -> (Priority, DateTime<Utc>) {
        (self.1, self.2)
    }
}

/// Every unactioned task that is overdue or due soon at the cut-offs' instant, with its
/// assessment, in no particular order. `read` fetches, per priority, the tasks received by the
/// late cut-off: exactly the late ones, by the definition in [`DueCutoffs`]. Their due times
/// (for order and words) are then summed on every core.
fn late_tasks<T: Receipt + Send>(
    calendar: &WorkingCalendar,
    rules: &OverdueRules,
    cutoffs: &DueCutoffs,
    mut read: impl FnMut(Priority, DateTime<Utc>, &mut Vec<T>) -> crate::store::Result<()>,
) -> Result<Vec<(T, DueAssessment)>> {
    let mut candidates = Vec::new();
    for priority in Priority::ALL {
        read(
            priority,
            cutoffs.late_received_by(priority),
            &mut candidates,
        )?;
    }
    Ok(candidates
        .into_par_iter()
        .filter_map(|task| {
            let (priority, received_at) = task.receipt();
            let due = cutoffs.assess(calendar, &rules.thresholds, priority, received_at);
            (due.state != DueState::OnTime).then_some((task, due))
        })
        .collect())
}

/// An overdue or due-soon task as the listing shows it.
fn late_row(
    task: ListedTask,
    due: &DueAssessment,
    calendar: &WorkingCalendar,
    rules: &OverdueRules,
    now: DateTime<Utc>,
) -> OverdueRow {
    OverdueRow {
        explanation: explain(
            calendar,
            rules.written_for(task.priority),
            task.received_at,
            due,
        ),
        id: task.id,
        source_id: task.source_id,
        priority: task.priority,
        provider_name: task.provider_name,
        patient_initials: task.patient_initials,
        subject: task.subject,
        received_at: task.received_at,
        due_at: due.due_at,
        overdue_by_minutes: overdue_by(calendar, due, now),
        due_in_minutes: calendar
            .working_time_between(now, due.due_at)
            .value
            .num_minutes(),
    }
}

/// Every stalled assigned task and why, longest-held first. Reads only the tasks that can have
/// stalled, then applies the rule on every core, as for late tasks.
fn stalled_tasks(
    store: &Store,
    calendar: &WorkingCalendar,
    rules: &OverdueRules,
    now: DateTime<Utc>,
) -> Result<Vec<(AssignedTask, StalledReason)>> {
    // Only tasks assigned long enough ago, or past the sender's date, can have stalled; a day
    // of margin on the first keeps the rule itself (below) the only judge of the boundary.
    let held_since =
        latest_receipt_due_by(calendar, rules.assigned_stalled, now) + Duration::days(1);
    let mut candidates = Vec::new();
    store.each_assigned(held_since, now, |held| candidates.push(held))?;
    Ok(candidates
        .into_par_iter()
        .filter_map(|held| {
            stalled_assignment(
                held.owner.as_deref(),
                held.assigned_at,
                held.due_by,
                now,
                calendar,
                rules.assigned_stalled,
            )
            .map(|reason| (held, reason))
        })
        .collect())
}

/// The report as JSON with one task to a line: compact enough for tens of thousands of tasks
/// (pretty-printing spreads each over fifteen lines), and still readable, or greppable, by eye.
/// The same document as serde would write for `OverdueReport`, whitespace aside.
pub fn write_json(report: &OverdueReport, mut out: impl Write) -> Result<()> {
    fn rows<T: Serialize + Sync>(out: &mut impl Write, key: &str, rows: &[T]) -> Result<()> {
        write!(out, "  \"{key}\": [")?;
        // Blocks of rows are written to buffers on every core, then out in order.
        let blocks = rows
            .par_chunks(1024)
            .enumerate()
            .map(|(block, chunk)| {
                let mut buf = Vec::new();
                for (n, row) in chunk.iter().enumerate() {
                    let first = block == 0 && n == 0;
                    buf.extend_from_slice(if first { b"\n    " } else { b",\n    " });
                    serde_json::to_writer(&mut buf, row)?;
                }
                Ok(buf)
            })
            .collect::<serde_json::Result<Vec<Vec<u8>>>>()?;
        for block in blocks {
            out.write_all(&block)?;
        }
        out.write_all(if rows.is_empty() { b"]" } else { b"\n  ]" })?;
        Ok(())
    }
    writeln!(
        out,
        "{{\n  \"generated_at\": {},",
        serde_json::to_string(&report.generated_at)?
    )?;
    rows(&mut out, "overdue", &report.overdue)?;
    out.write_all(b",\n")?;
    rows(&mut out, "due_soon", &report.due_soon)?;
    out.write_all(b",\n")?;
    rows(&mut out, "stalled", &report.stalled)?;
    out.write_all(b",\n")?;
    rows(&mut out, "warnings", &report.warnings)?;
    out.write_all(b"\n}\n")?;
    Ok(())
}

/// One CSV table for all three sections, told apart by the `section` column.
pub fn write_csv(report: &OverdueReport, out: impl Write) -> Result<()> {
    let mut w = csv_safe::writer(out);
    w.write_record([
        "section",
        "id",
        "source_id",
        "priority",
        "provider_name",
        "patient_initials",
        "subject",
        "received_at",
        "due_at",
        "overdue_by_minutes",
        "owner",
        "explanation",
    ])?;
    for (section, rows) in [("overdue", &report.overdue), ("due-soon", &report.due_soon)] {
        for r in rows {
            w.write_record([
                section.to_owned(),
                r.id.to_string(),
                csv_safe::owned(r.source_id.clone()),
                r.priority.as_str().to_owned(),
                csv_safe::owned(r.provider_name.clone()),
                csv_safe::owned(r.patient_initials.clone()),
                csv_safe::owned(r.subject.clone()),
                r.received_at.to_rfc3339(),
                r.due_at.to_rfc3339(),
                r.overdue_by_minutes.to_string(),
                String::new(),
                csv_safe::owned(r.explanation.clone()),
            ])?;
        }
    }
    for r in &report.stalled {
        w.write_record([
            "stalled".to_owned(),
            r.id.to_string(),
            csv_safe::owned(r.source_id.clone()),
            r.priority.as_str().to_owned(),
            csv_safe::owned(r.provider_name.clone()),
            csv_safe::owned(r.patient_initials.clone()),
            csv_safe::owned(r.subject.clone()),
            String::new(),
            r.sender_due_by.map(|d| d.to_rfc3339()).unwrap_or_default(),
            String::new(),
            csv_safe::owned(r.owner.clone().unwrap_or_default()),
            csv_safe::owned(r.explanation.clone()),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Fixed-width sections, each row followed by its explanation on an indented line, as staff
/// read it at the desk. `day_length` turns working minutes into days and hours.
pub fn write_table(report: &OverdueReport, day_length: Duration, out: impl Write) -> Result<()> {
    let mut out = Escaping::new(out);
    let header = |out: &mut dyn Write, last: &str| -> std::io::Result<()> {
        writeln!(
            out,
            "{:>7}  {}  {}  {}  {}  {}  {last}",
            "ID",
            fit("PRI", 7),
            fit("PROVIDER", 24),
            fit("PT", 3),
            fit("SUBJECT", 40),
            fit("DUE", 21),
        )
    };
    let age = |minutes: i64| format_working_age(Duration::minutes(minutes), day_length);
    let sections = [
        ("OVERDUE", &report.overdue, "OVERDUE BY"),
        ("DUE SOON", &report.due_soon, "DUE IN"),
    ];
    for (title, rows, last) in sections {
        writeln!(out, "{title} ({})", rows.len())?;
        header(&mut out, last)?;
        for r in rows {
            let amount = if title == "OVERDUE" {
                r.overdue_by_minutes
            } else {
                r.due_in_minutes
            };
            writeln!(
                out,
                "{:>7}  {}  {}  {}  {}  {}  {}",
                r.id,
                fit(r.priority.as_str(), 7),
                fit(&r.provider_name, 24),
                fit(&r.patient_initials, 3),
                fit(&r.subject, 40),
                fit(&local_stamp(r.due_at), 21),
                age(amount),
            )?;
            writeln!(out, "         {}", r.explanation)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "STALLED ({})", report.stalled.len())?;
    header(&mut out, "OWNER")?;
    for r in &report.stalled {
        let due = r.sender_due_by.map(local_stamp).unwrap_or_default();
        writeln!(
            out,
            "{:>7}  {}  {}  {}  {}  {}  {}",
            r.id,
            fit(r.priority.as_str(), 7),
            fit(&r.provider_name, 24),
            fit(&r.patient_initials, 3),
            fit(&r.subject, 40),
            fit(&due, 21),
            r.owner.as_deref().unwrap_or("-"),
        )?;
        writeln!(out, "         {}", r.explanation)?;
    }
    for w in &report.warnings {
        writeln!(out, "\nWarning: {w}")?;
    }
    out.flush()?;
    Ok(())
}

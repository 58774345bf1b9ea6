//! The overdue listing as plain data and its three renderings (fixed-width table, stable JSON,
//! CSV): unactioned tasks past their threshold (most overdue first), those due within the
//! margin, and assigned tasks that have stalled. It is shown around the office, so a row names
//! the patient by initials only, never by name or NHS number. Rows are read a page at a time,
//! and only the tasks that can be late: a receipt cutoff per priority bounds the scan.

use std::collections::BTreeSet;
use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use color_eyre::eyre::Result;
use serde::Serialize;

use super::text::{fit, local_stamp};
use crate::config::Config;
use crate::domain::calendar::{WorkingCalendar, WorkingDuration, format_working_age};
use crate::domain::overdue::{
    DueState, Thresholds, assess, explain, latest_receipt_due_by, stalled,
};
use crate::domain::{Priority, Status, Task, TaskId};
use crate::store::{PageKey, Store, TaskFilter};

/// Rows fetched per query: enough to stream quickly, small enough to keep memory flat.
const PAGE: usize = 1_000;

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

    fn written_for(&self, priority: Priority) -> WorkingDuration {
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
    let mut warnings = BTreeSet::new();
    // Tasks due no later than this are overdue or due soon; anything received later is on time.
    let soon_deadline = calendar
        .add_working_time(now, rules.thresholds.due_soon)
        .value;
    for priority in Priority::ALL {
        let threshold = rules.thresholds.for_priority(priority);
        let cutoff = latest_receipt_due_by(calendar, threshold, soon_deadline);
        let mut after = None;
        loop {
            let page = store.unactioned_page_received_by(priority, cutoff, after, PAGE)?;
            for task in &page {
                let due = assess(calendar, &rules.thresholds, priority, task.received_at, now);
                if let Some(w) = &due.warning {
                    warnings.insert(w.to_string());
                }
                let row = OverdueRow {
                    id: task.id,
                    source_id: task.source_id.clone(),
                    priority,
                    provider_name: task.provider_name.clone(),
                    patient_initials: task.patient.initials(),
                    subject: task.subject.clone(),
                    received_at: task.received_at,
                    due_at: due.due_at,
                    overdue_by_minutes: calendar
                        .working_time_between(due.due_at, now)
                        .value
                        .num_minutes(),
                    due_in_minutes: calendar
                        .working_time_between(now, due.due_at)
                        .value
                        .num_minutes(),
                    explanation: explain(
                        calendar,
                        rules.written_for(priority),
                        task.received_at,
                        &due,
                    ),
                };
                match due.state {
                    DueState::Overdue => report.overdue.push(row),
                    DueState::DueSoon => report.due_soon.push(row),
                    DueState::OnTime => {}
                }
            }
            if page.len() < PAGE {
                break;
            }
            after = page.last().map(PageKey::of);
        }
    }
    report.overdue.sort_by(|a, b| {
        b.overdue_by_minutes
            .cmp(&a.overdue_by_minutes)
            .then(a.due_at.cmp(&b.due_at))
            .then(a.id.cmp(&b.id))
    });
    report
        .due_soon
        .sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.id.cmp(&b.id)));
    report.stalled = stalled_rows(store, calendar, rules, now)?;
    report.warnings = warnings.into_iter().collect();
    Ok(report)
}

/// Assigned tasks that have stalled, longest-held first.
fn stalled_rows(
    store: &Store,
    calendar: &WorkingCalendar,
    rules: &OverdueRules,
    now: DateTime<Utc>,
) -> Result<Vec<StalledRow>> {
    let filter = TaskFilter {
        statuses: vec![Status::Assigned],
        ..TaskFilter::default()
    };
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page: Vec<Task> = store.tasks_after(&filter, after, PAGE)?;
        for task in &page {
            if let Some(reason) = stalled(task, now, calendar, rules.assigned_stalled) {
                rows.push(StalledRow {
                    id: task.id,
                    source_id: task.source_id.clone(),
                    priority: task.priority,
                    provider_name: task.provider_name.clone(),
                    patient_initials: task.patient.initials(),
                    subject: task.subject.clone(),
                    owner: task.owner.clone(),
                    assigned_at: task.updated_at,
                    sender_due_by: task.due_by,
                    reason: reason.code(),
                    explanation: reason.to_string(),
                });
            }
        }
        if page.len() < PAGE {
            break;
        }
        after = page.last().map(PageKey::of);
    }
    rows.sort_by(|a, b| a.assigned_at.cmp(&b.assigned_at).then(a.id.cmp(&b.id)));
    Ok(rows)
}

/// Pretty-printed JSON with a final newline.
pub fn write_json(report: &OverdueReport, mut out: impl Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)?;
    Ok(())
}

/// One CSV table for all three sections, told apart by the `section` column.
pub fn write_csv(report: &OverdueReport, out: impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
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
                r.source_id.clone(),
                r.priority.as_str().to_owned(),
                r.provider_name.clone(),
                r.patient_initials.clone(),
                r.subject.clone(),
                r.received_at.to_rfc3339(),
                r.due_at.to_rfc3339(),
                r.overdue_by_minutes.to_string(),
                String::new(),
                r.explanation.clone(),
            ])?;
        }
    }
    for r in &report.stalled {
        w.write_record([
            "stalled".to_owned(),
            r.id.to_string(),
            r.source_id.clone(),
            r.priority.as_str().to_owned(),
            r.provider_name.clone(),
            r.patient_initials.clone(),
            r.subject.clone(),
            String::new(),
            r.sender_due_by.map(|d| d.to_rfc3339()).unwrap_or_default(),
            String::new(),
            r.owner.clone().unwrap_or_default(),
            r.explanation.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Fixed-width sections, each row followed by its explanation on an indented line, as staff
/// read it at the desk. `day_length` turns working minutes into days and hours.
pub fn write_table(
    report: &OverdueReport,
    day_length: Duration,
    mut out: impl Write,
) -> Result<()> {
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

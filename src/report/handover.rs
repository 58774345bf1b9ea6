//! The shift handover report: what the incoming shift inherits (overdue and unactioned tasks,
//! tasks held by staff who are away, sync conflicts), what was done since the last sign-off,
//! and whether the mirror can be trusted at all. `build` gathers it as plain data from the store;
//! `render` turns it into Markdown, one self-contained printable HTML file, or stable JSON. The
//! report gets printed and left on desks, so task lines carry patient initials only, never a
//! name or an NHS number.

mod render;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::Serialize;

pub use render::{to_html, to_json, to_markdown};

use super::overdue::OverdueRules;
use crate::config::Config;
use crate::domain::calendar::{WorkingCalendar, format_working_age};
use crate::domain::overdue::{DueCutoffs, DueState, Thresholds};
use crate::domain::staff::{group_presence_on, presence_on};
use crate::domain::{Group, Presence, Priority, Staff, Status, Task};
use crate::store::{ActionTally, Result, Store, TaskFilter};

/// The audit action a sign-off is recorded under.
pub const SIGN_OFF_ACTION: &str = "handover.sign-off";
/// The audit target of a sign-off: it is about the handover, not one task.
pub const SIGN_OFF_TARGET: &str = "handover";
/// Without a sign-off to start from, a handover covers the last twelve hours: a long shift.
pub const DEFAULT_WINDOW_HOURS: i64 = 12;

/// What the report needs besides the mirror, resolved by the caller from the config and clock.
#[derive(Debug, Clone, Copy)]
pub struct HandoverInputs<'a> {
    pub practice: &'a str,
    /// `demo`, `file` or `fhir`, as `[source] kind` says.
    pub source_kind: &'a str,
    pub stale_after: Duration,
    pub calendar: &'a WorkingCalendar,
    pub thresholds: &'a Thresholds,
    pub staff: &'a [Staff],
    pub groups: &'a [Group],
    pub now: DateTime<Utc>,
    /// `--since`; `None` starts at the last sign-off (or twelve hours back).
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandoverReport {
    pub generated_at: DateTime<Utc>,
    pub practice: String,
    /// Actions are counted from here.
    pub since: DateTime<Utc>,
    pub since_from: SinceFrom,
    pub sync: SyncFreshness,
    /// Set when the mirror is stale: shown first, and in red in HTML.
    pub stale_warning: Option<String>,
    /// The overdue line in words; never "nothing overdue" when the mirror is stale.
    pub overdue_summary: String,
    pub overdue: TaskSection,
    /// Unactioned tasks due within the due-soon margin, earliest due first. The inbox's
    /// handover screen shows them; the printed report and its JSON keep their documented shape.
    #[serde(skip)]
    pub due_soon: TaskSection,
    pub unactioned: Unactioned,
    pub held_by_away: AwaySection,
    pub conflicts: TaskSection,
    pub actions: Vec<ActionTally>,
    pub last_sign_off: Option<SignOff>,
}

/// Where the report's window starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SinceFrom {
    /// `--since` on the command line.
    Given,
    LastSignOff,
    /// No sign-off yet: twelve hours before now.
    Default,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncFreshness {
    pub source: String,
    pub last_success_at: Option<DateTime<Utc>>,
    pub stale: bool,
    /// One line for people: "demo mirror, no sync source", "last synced … (5m ago)", …
    pub summary: String,
}

/// A task as a printed report may show it: no patient name, no NHS number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskLine {
    pub id: i64,
    pub patient_initials: String,
    pub provider: String,
    pub subject: String,
    pub priority: Priority,
    pub status: Status,
    pub owner: Option<String>,
    pub received_at: DateTime<Utc>,
    /// Working time since receipt, as staff read it ("1d 3h").
    pub age: String,
    pub working_age_minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskSection {
    pub count: u64,
    pub tasks: Vec<TaskLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unactioned {
    pub count: u64,
    pub oldest: Option<TaskLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwaySection {
    /// Open tasks held by everyone listed below.
    pub count: u64,
    pub holders: Vec<AwayHolder>,
}

/// A person (or a group whose every member is away) holding open tasks nobody will pick up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwayHolder {
    pub id: String,
    pub name: String,
    pub kind: HolderKind,
    pub until: chrono::NaiveDate,
    pub reason: String,
    pub tasks: Vec<TaskLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HolderKind {
    Staff,
    Group,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignOff {
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: String,
    pub detail: String,
}

/// The report for the practice's config as of `now` (to the whole second: people read it, and
/// its JSON should not jitter). The CLI and the TUI both come this way.
pub fn build_for_config(
    store: &Store,
    config: &Config,
    calendar: &WorkingCalendar,
    now: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
) -> Result<HandoverReport> {
    let thresholds = OverdueRules::from_config(config, calendar).thresholds;
    let source_kind = config.source.kind.to_string();
    let inputs = HandoverInputs {
        practice: &config.practice.name,
        source_kind: &source_kind,
        // A config duration beyond chrono's range is a typo for "never"; treat it as huge.
        stale_after: Duration::from_std(config.sync.stale_after).unwrap_or(Duration::MAX),
        calendar,
        thresholds: &thresholds,
        staff: &config.staff,
        groups: &config.groups,
        now: now.trunc_subsecs(0),
        since,
    };
    build(store, &inputs)
}

/// Gathers the report from the mirror as of `inputs.now`.
pub fn build(store: &Store, inputs: &HandoverInputs<'_>) -> Result<HandoverReport> {
    let now = inputs.now;
    let last_event = store.last_event_named(SIGN_OFF_ACTION)?;
    let (since, since_from, after_id) = match (inputs.since, &last_event) {
        (Some(given), _) => (given, SinceFrom::Given, 0),
        (None, Some(e)) => (e.at, SinceFrom::LastSignOff, e.id),
        (None, None) => (
            now - Duration::hours(DEFAULT_WINDOW_HOURS),
            SinceFrom::Default,
            0,
        ),
    };
    let last_sign_off = last_event.map(|e| SignOff {
        at: e.at,
        by: e.actor,
        detail: e.detail.unwrap_or_default(),
    });
    let sync = freshness(store, inputs)?;
    let (overdue, due_soon) = late_tasks(store, inputs)?;
    let stale_warning = sync.stale.then(|| {
        format!(
            "The mirror is stale ({}): tasks may be missing from this report.",
            sync.summary
        )
    });
    let overdue_summary = overdue_summary(overdue.count, sync.stale);
    let unactioned_count = store
        .status_counts()?
        .get(&Status::New)
        .copied()
        .unwrap_or(0);
    let unactioned_filter = TaskFilter {
        statuses: vec![Status::New],
        ..TaskFilter::default()
    };
    let oldest = store
        .tasks_after(&unactioned_filter, None, 1)?
        .first()
        .map(|t| line(t, inputs));
    let conflicts: Vec<TaskLine> = store
        .conflicted_tasks()?
        .iter()
        .map(|t| line(t, inputs))
        .collect();
    Ok(HandoverReport {
        generated_at: now,
        practice: inputs.practice.to_owned(),
        since,
        since_from,
        sync,
        stale_warning,
        overdue_summary,
        overdue,
        due_soon,
        unactioned: Unactioned {
            count: unactioned_count,
            oldest,
        },
        held_by_away: held_by_away(store, inputs)?,
        conflicts: TaskSection {
            count: count_of(&conflicts),
            tasks: conflicts,
        },
        actions: store.action_tallies_since(after_id, since)?,
        last_sign_off,
    })
}

/// The overdue line. A stale mirror may be missing exactly the tasks that are overdue, so a
/// zero from it is reported as what it is, never as reassurance (hazard: missed task).
pub fn overdue_summary(count: u64, stale: bool) -> String {
    match (count, stale) {
        (0, true) => {
            "0 overdue in the mirror, but the mirror is stale: tasks may be missing".to_owned()
        }
        (n, true) => {
            format!("{n} overdue in the mirror; the mirror is stale, so there may be more")
        }
        (0, false) => "Nothing overdue.".to_owned(),
        (1, false) => "1 task overdue.".to_owned(),
        (n, false) => format!("{n} tasks overdue."),
    }
}

/// The detail written to the audit log at sign-off: both people and what they handed over.
pub fn sign_off_detail(outgoing: &Staff, incoming: &Staff, r: &HandoverReport) -> String {
    let stale = if r.sync.stale { "; mirror stale" } else { "" };
    format!(
        "outgoing {} ({}) handed over to incoming {} ({}); at sign-off: {} overdue, {} \
         unactioned, {} held by staff who are away, {} sync conflicts{stale}",
        outgoing.id,
        outgoing.name,
        incoming.id,
        incoming.name,
        r.overdue.count,
        r.unactioned.count,
        r.held_by_away.count,
        r.conflicts.count,
    )
}

fn count_of<T>(items: &[T]) -> u64 {
    u64::try_from(items.len()).unwrap_or(u64::MAX)
}

fn line(task: &Task, inputs: &HandoverInputs<'_>) -> TaskLine {
    let age = inputs
        .calendar
        .working_time_between(task.received_at, inputs.now)
        .value;
    TaskLine {
        id: task.id,
        patient_initials: task.patient.initials(),
        provider: task.provider_name.clone(),
        subject: task.subject.clone(),
        priority: task.priority,
        status: task.status,
        owner: task.owner.clone(),
        received_at: task.received_at,
        age: format_working_age(age, inputs.calendar.day_length()),
        working_age_minutes: age.num_minutes(),
    }
}

/// Sync state as the handover must state it. A recorded successful sync is judged by its age
/// whatever the source; with none, a demo mirror has nothing to sync from, and any other source
/// has never delivered, which is the most dangerous kind of stale.
fn freshness(store: &Store, inputs: &HandoverInputs<'_>) -> Result<SyncFreshness> {
    let recorded = store.sync_value("last_success_at")?;
    let source = inputs.source_kind.to_owned();
    let Some(text) = recorded else {
        let demo = inputs.source_kind == "demo";
        return Ok(SyncFreshness {
            source,
            last_success_at: None,
            stale: !demo,
            summary: if demo {
                "demo mirror, no sync source".to_owned()
            } else {
                "never synced".to_owned()
            },
        });
    };
    let Some(at) = parse_instant(&text) else {
        return Ok(SyncFreshness {
            source,
            last_success_at: None,
            stale: true,
            summary: "the last sync time recorded in the mirror is unreadable".to_owned(),
        });
    };
    let age = inputs.now - at;
    let stale = age > inputs.stale_after;
    let ago = format_working_age(age, Duration::hours(24));
    Ok(SyncFreshness {
        source,
        last_success_at: Some(at),
        stale,
        summary: format!(
            "last synced {} ({ago} ago){}",
            crate::report::text::local_stamp(at),
            if stale { ", stale" } else { "" }
        ),
    })
}

/// Sync records its time as RFC 3339; Unix seconds are accepted too, so a hand-set value works.
fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            text.trim()
                .parse::<i64>()
                .ok()
                .and_then(|s| DateTime::from_timestamp(s, 0))
        })
}

/// Every unactioned task past its threshold, most overdue (earliest due) first, and those due
/// soon, earliest due first. The store reads only tasks received by each priority's cut-off;
/// `assess` then confirms each one, so the lists agree with the overdue view task by task.
fn late_tasks(store: &Store, inputs: &HandoverInputs<'_>) -> Result<(TaskSection, TaskSection)> {
    // The same cut-offs as the header and the overdue listing: one definition of overdue.
    let cutoffs = DueCutoffs::at(inputs.calendar, inputs.thresholds, inputs.now);
    let mut overdue = Vec::new();
    let mut due_soon = Vec::new();
    for p in Priority::ALL {
        for task in store.unactioned_received_by(p, cutoffs.late_received_by(p))? {
            let a = cutoffs.assess(
                inputs.calendar,
                inputs.thresholds,
                task.priority,
                task.received_at,
            );
            match a.state {
                DueState::Overdue => overdue.push((a.due_at, task)),
                DueState::DueSoon => due_soon.push((a.due_at, task)),
                DueState::OnTime => {}
            }
        }
    }
    let section = |mut found: Vec<(DateTime<Utc>, Task)>| {
        found.sort_by_key(|(due, t)| (*due, t.id));
        let tasks: Vec<TaskLine> = found.iter().map(|(_, t)| line(t, inputs)).collect();
        TaskSection {
            count: count_of(&tasks),
            tasks,
        }
    };
    Ok((section(overdue), section(due_soon)))
}

/// Staff away today, and groups whose every member is, with the open tasks they hold. Everyone
/// away is listed even when they hold nothing, so the incoming shift knows who is missing.
fn held_by_away(store: &Store, inputs: &HandoverInputs<'_>) -> Result<AwaySection> {
    let today = inputs
        .now
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let absences = store.absences()?;
    let people = inputs.staff.iter().map(|s| {
        (
            s.id.as_str(),
            s.name.as_str(),
            HolderKind::Staff,
            presence_on(&s.id, today, &absences),
        )
    });
    let groups = inputs.groups.iter().map(|g| {
        (
            g.id.as_str(),
            g.name.as_str(),
            HolderKind::Group,
            group_presence_on(g, today, &absences),
        )
    });
    let mut holders = Vec::new();
    for (id, name, kind, presence) in people.chain(groups) {
        if let Presence::Away { until, reason } = presence {
            let tasks = store
                .open_tasks_held_by(id)?
                .iter()
                .map(|t| line(t, inputs))
                .collect();
            holders.push(AwayHolder {
                id: id.to_owned(),
                name: name.to_owned(),
                kind,
                until,
                reason,
                tasks,
            });
        }
    }
    Ok(AwaySection {
        count: holders.iter().map(|h| count_of(&h.tasks)).sum(),
        holders,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_mirror_never_claims_nothing_is_overdue() {
        let stale_zero = overdue_summary(0, true);
        assert!(!stale_zero.to_lowercase().contains("nothing overdue"));
        assert!(stale_zero.contains("stale"));
        assert!(overdue_summary(2, true).contains("may be more"));
        assert_eq!(overdue_summary(0, false), "Nothing overdue.");
        assert_eq!(overdue_summary(3, false), "3 tasks overdue.");
    }

    #[test]
    fn sync_times_are_read_as_rfc3339_or_unix_seconds() {
        let t = parse_instant("2026-11-20T08:00:00Z").expect("rfc3339");
        assert_eq!(parse_instant(&t.timestamp().to_string()), Some(t));
        assert_eq!(parse_instant("yesterday"), None);
    }
}

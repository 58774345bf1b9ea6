//! When an unactioned task becomes due and whether it is overdue now: due time = receipt + the
//! practice's threshold for its priority, counted in working time. Also the inverse ("received
//! no later than this instant means overdue"), which lets the store count overdue tasks with an
//! index range instead of evaluating every task in a large mirror. Every due time comes with a
//! sentence a receptionist can check by hand (which days the holidays took away), and assigned
//! tasks that have sat too long are recognised as "stalled", a separate signal.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveTime, Timelike, Utc};
use serde::Serialize;

use super::calendar::{
    CalendarWarning, PRACTICE_TIME_ZONE, WorkingCalendar, WorkingDuration, format_working_age,
};
use super::{Priority, Status, Task};

/// Thresholds as working-time durations, one per priority, plus the due-soon margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub routine: Duration,
    pub urgent: Duration,
    pub asap: Duration,
    pub stat: Duration,
    pub due_soon: Duration,
}

impl Thresholds {
    pub fn for_priority(&self, p: Priority) -> Duration {
        match p {
            Priority::Routine => self.routine,
            Priority::Urgent => self.urgent,
            Priority::Asap => self.asap,
            Priority::Stat => self.stat,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DueState {
    OnTime,
    DueSoon,
    Overdue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAssessment {
    pub due_at: DateTime<Utc>,
    pub state: DueState,
    pub warning: Option<CalendarWarning>,
}

/// What "overdue" and "due soon" mean at one instant, for every priority: the latest receipt
/// (a whole second, as the mirror stores receipts) that is already overdue, and the latest that
/// is due within the due-soon margin. This is the one definition: an unactioned task is overdue
/// exactly when it was received at or before its priority's overdue cut-off. The header counts
/// with it (an index range per priority), the overdue listing, `taskgate overdue`, the handover
/// and every row's colour classify with it, so they cannot disagree about any task.
///
/// The cut-offs are found from the due time itself ([`latest_receipt_due_by`]): a task is due
/// `threshold` of working time after receipt, overdue once that due time has come, and due soon
/// when it comes within the margin of working time from now (so a margin never counts nights).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueCutoffs {
    pub now: DateTime<Utc>,
    /// Per priority, in the order of `Priority::ALL`.
    overdue: [DateTime<Utc>; 4],
    late: [DateTime<Utc>; 4],
}

impl DueCutoffs {
    /// The cut-offs at `now`: eight binary searches over the calendar, whatever the mirror holds.
    pub fn at(calendar: &WorkingCalendar, thresholds: &Thresholds, now: DateTime<Utc>) -> Self {
        let soon_deadline = calendar.add_working_time(now, thresholds.due_soon).value;
        DueCutoffs {
            now,
            overdue: Priority::ALL
                .map(|p| latest_receipt_due_by(calendar, thresholds.for_priority(p), now)),
            late: Priority::ALL.map(|p| {
                latest_receipt_due_by(calendar, thresholds.for_priority(p), soon_deadline)
            }),
        }
    }

    fn slot(priority: Priority) -> usize {
        Priority::ALL
            .iter()
            .position(|p| *p == priority)
            .unwrap_or(0)
    }

    /// Unactioned tasks of `priority` received at or before this are overdue.
    pub fn overdue_received_by(&self, priority: Priority) -> DateTime<Utc> {
        self.overdue[Self::slot(priority)]
    }

    /// Unactioned tasks of `priority` received at or before this are overdue or due soon.
    pub fn late_received_by(&self, priority: Priority) -> DateTime<Utc> {
        self.late[Self::slot(priority)]
    }

    /// Where an unactioned task received at `received_at` stands.
    pub fn state(&self, priority: Priority, received_at: DateTime<Utc>) -> DueState {
        if received_at <= self.overdue_received_by(priority) {
            DueState::Overdue
        } else if received_at <= self.late_received_by(priority) {
            DueState::DueSoon
        } else {
            DueState::OnTime
        }
    }

    /// The task's due time (for display and ordering) and its state by the cut-offs.
    pub fn assess(
        &self,
        calendar: &WorkingCalendar,
        thresholds: &Thresholds,
        priority: Priority,
        received_at: DateTime<Utc>,
    ) -> DueAssessment {
        let due = calendar.add_working_time(received_at, thresholds.for_priority(priority));
        DueAssessment {
            due_at: due.value,
            state: self.state(priority, received_at),
            warning: due.warning,
        }
    }
}

/// Where one unactioned task stands at `now`, by [`DueCutoffs`]. For many tasks at one instant,
/// build the cut-offs once and call [`DueCutoffs::assess`].
pub fn assess(
    calendar: &WorkingCalendar,
    thresholds: &Thresholds,
    priority: Priority,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DueAssessment {
    DueCutoffs::at(calendar, thresholds, now).assess(calendar, thresholds, priority, received_at)
}

/// The latest receipt instant, a whole second as the mirror stores receipts, whose due time,
/// `threshold` of working time later, is at or before `deadline`. Tasks received at or before
/// it are due by the deadline: the header counts overdue tasks with it, and must agree with
/// [`assess`] on every task, including the many received overnight that share one due time.
///
/// `add_working_time` never decreases as the start moves later, so a binary search over the
/// receipt second finds the boundary; the window looks back far enough for any threshold a
/// practice would set (a threshold of weeks still fits in a year of calendar time).
pub fn latest_receipt_due_by(
    calendar: &WorkingCalendar,
    threshold: Duration,
    deadline: DateTime<Utc>,
) -> DateTime<Utc> {
    let second = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or(deadline);
    let due_by_deadline =
        |s: i64| calendar.add_working_time(second(s), threshold).value <= deadline;
    let mut hi = deadline.timestamp();
    let mut lo = hi - 400 * 86_400;
    if !due_by_deadline(lo) {
        return second(lo);
    }
    if due_by_deadline(hi) {
        return second(hi);
    }
    // Invariant: lo is due by the deadline and hi is not, so the answer is in lo..hi.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if due_by_deadline(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    second(lo)
}

/// An instant as staff read it on the practice's wall clock: "Fri 28 Aug 16:00".
fn wall_clock(at: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(16);
    push_wall_clock(&mut out, at);
    out
}

/// Appends [`wall_clock`]'s text to `out`. Written out by hand rather than through a format
/// string: the overdue listing writes two or three of these for each of tens of thousands of
/// tasks, and `format!` machinery was a tenth of its time.
fn push_wall_clock(out: &mut String, at: DateTime<Utc>) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let local = at.with_timezone(&PRACTICE_TIME_ZONE);
    let two_digits = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + u8::try_from(n / 10 % 10).unwrap_or(0)));
        out.push(char::from(b'0' + u8::try_from(n % 10).unwrap_or(0)));
    };
    let weekday = local.weekday().num_days_from_monday() as usize;
    out.push_str(WEEKDAYS.get(weekday).copied().unwrap_or(""));
    out.push(' ');
    if local.day() >= 10 {
        two_digits(out, local.day());
    } else {
        out.push(char::from(b'0' + u8::try_from(local.day()).unwrap_or(0)));
    }
    out.push(' ');
    out.push_str(MONTHS.get(local.month0() as usize).copied().unwrap_or(""));
    out.push(' ');
    two_digits(out, local.hour());
    out.push(':');
    two_digits(out, local.minute());
}

/// When the working-time clock starts for a receipt at `at`: `None` when `at` is inside working
/// hours (the clock starts at once), else the opening of the next working window.
fn clock_start_if_outside_hours(
    calendar: &WorkingCalendar,
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let local = at.with_timezone(&PRACTICE_TIME_ZONE).naive_local();
    let (start, end) = calendar.working_hours();
    let time: NaiveTime = local.time();
    if calendar.is_working_day(local.date()) && time >= start && time < end {
        return None;
    }
    // One nanosecond of working time lands just after the next window opens; stepping back
    // gives the opening itself without re-implementing the calendar's walk over days.
    let tick = Duration::nanoseconds(1);
    Some(calendar.add_working_time(at, tick).value - tick)
}

/// The receptionist's sentence behind a due time: when the task came in (and when the clock
/// started, if that was outside working hours), the threshold as the practice wrote it, the due
/// time, the bank holidays and closures that moved it, and the calendar's warning when the
/// bank-holiday data ran out. Weekends are not listed: nobody is surprised by them.
pub fn explain(
    calendar: &WorkingCalendar,
    threshold: WorkingDuration,
    received_at: DateTime<Utc>,
    due: &DueAssessment,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(96);
    out.push_str("received ");
    push_wall_clock(&mut out, received_at);
    if let Some(start) = clock_start_if_outside_hours(calendar, received_at) {
        out.push_str(" (outside working hours: the clock starts ");
        push_wall_clock(&mut out, start);
        out.push(')');
    }
    // Writing to a String cannot fail.
    let _ = write!(out, "; threshold {threshold}; due ");
    push_wall_clock(&mut out, due.due_at);
    let from = received_at.with_timezone(&PRACTICE_TIME_ZONE).date_naive();
    let to = due.due_at.with_timezone(&PRACTICE_TIME_ZONE).date_naive();
    for (n, day) in calendar.days_lost_between(from, to).enumerate() {
        out.push_str(if n == 0 { " — " } else { ", " });
        let _ = write!(out, "{day}");
    }
    if let Some(w) = due.warning {
        let _ = write!(out, ". Warning: {w}");
    }
    out
}

/// Why an assigned task counts as stalled. The sender's own due date is the stronger signal, so
/// it is reported when both apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StalledReason {
    /// The date the sender asked for (`restriction.period.end`) has passed.
    PastSendersDueDate {
        owner: Option<String>,
        assigned_at: DateTime<Utc>,
        due_by: DateTime<Utc>,
    },
    /// Nothing has happened to the task for longer than the practice allows.
    NoActionFor {
        owner: Option<String>,
        assigned_at: DateTime<Utc>,
        /// Working time since the assignment.
        idle: Duration,
        /// The practice's `assigned_stalled` limit, in working time.
        limit: Duration,
        /// Length of one working day, so durations read as days and hours.
        day_length: Duration,
    },
}

impl StalledReason {
    /// A short stable name for machine-readable output.
    pub fn code(&self) -> &'static str {
        match self {
            Self::PastSendersDueDate { .. } => "sender-due-date",
            Self::NoActionFor { .. } => "no-action",
        }
    }
}

impl fmt::Display for StalledReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (owner, assigned_at) = match self {
            Self::PastSendersDueDate {
                owner, assigned_at, ..
            }
            | Self::NoActionFor {
                owner, assigned_at, ..
            } => (owner.as_deref().unwrap_or("someone"), *assigned_at),
        };
        write!(f, "assigned to {owner} on {}; ", wall_clock(assigned_at))?;
        match self {
            Self::PastSendersDueDate { due_by, .. } => write!(
                f,
                "the sender asked for it by {} and that has passed",
                wall_clock(*due_by)
            ),
            Self::NoActionFor {
                idle,
                limit,
                day_length,
                ..
            } => write!(
                f,
                "no action for {} of working time (the practice allows {})",
                format_working_age(*idle, *day_length),
                format_working_age(*limit, *day_length)
            ),
        }
    }
}

/// Whether an assigned task has stalled at `now`: past the sender's due date, or with at least
/// `assigned_stalled` of working time since it was assigned (its last change). Tasks in any
/// other status are never stalled: unactioned ones are measured by `assess` instead.
pub fn stalled(
    task: &Task,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
    assigned_stalled: Duration,
) -> Option<StalledReason> {
    if task.status != Status::Assigned {
        return None;
    }
    stalled_assignment(
        task.owner.as_deref(),
        task.updated_at,
        task.due_by,
        now,
        calendar,
        assigned_stalled,
    )
}

/// The stalled rule for a task known to be assigned, from the three facts it looks at: who
/// holds it, when it was assigned, and the sender's due date.
pub fn stalled_assignment(
    owner: Option<&str>,
    assigned_at: DateTime<Utc>,
    due_by: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    calendar: &WorkingCalendar,
    assigned_stalled: Duration,
) -> Option<StalledReason> {
    let owner = owner.map(str::to_owned);
    if let Some(due_by) = due_by.filter(|due| now >= *due) {
        return Some(StalledReason::PastSendersDueDate {
            owner,
            assigned_at,
            due_by,
        });
    }
    let idle = calendar.working_time_between(assigned_at, now).value;
    (idle >= assigned_stalled).then(|| StalledReason::NoActionFor {
        owner,
        assigned_at,
        idle,
        limit: assigned_stalled,
        day_length: calendar.day_length(),
    })
}

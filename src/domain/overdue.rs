//! When an unactioned task becomes due and whether it is overdue now: due time = receipt + the
//! practice's threshold for its priority, counted in working time. Also the inverse ("received
//! no later than this instant means overdue"), which lets the store count overdue tasks with an
//! index range instead of evaluating every task in a large mirror.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::Priority;
use super::calendar::{CalendarWarning, WorkingCalendar};

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

/// Where an unactioned task stands at `now`. "Due soon" means due within the margin of working
/// time from now (so a margin never counts nights and weekends).
pub fn assess(
    calendar: &WorkingCalendar,
    thresholds: &Thresholds,
    priority: Priority,
    received_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> DueAssessment {
    let due = calendar.add_working_time(received_at, thresholds.for_priority(priority));
    let state = if now >= due.value {
        DueState::Overdue
    } else if calendar.working_time_between(now, due.value).value <= thresholds.due_soon {
        DueState::DueSoon
    } else {
        DueState::OnTime
    };
    DueAssessment {
        due_at: due.value,
        state,
        warning: due.warning,
    }
}

/// The latest receipt instant (to the second) whose due time, `threshold` of working time later,
/// is at or before `deadline`. Tasks received at or before it are due by the deadline.
///
/// `add_working_time` never decreases as the start moves later, so a binary search over the
/// receipt instant finds the boundary; the window looks back far enough for any threshold a
/// practice would set (a threshold of weeks still fits in a year of calendar time).
pub fn latest_receipt_due_by(
    calendar: &WorkingCalendar,
    threshold: Duration,
    deadline: DateTime<Utc>,
) -> DateTime<Utc> {
    let mut lo = deadline - Duration::days(400);
    let mut hi = deadline;
    if calendar.add_working_time(lo, threshold).value > deadline {
        return lo;
    }
    // Invariant: due(lo) <= deadline < due(hi) unless due(hi) <= deadline too.
    if calendar.add_working_time(hi, threshold).value <= deadline {
        return hi;
    }
    while (hi - lo) > Duration::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if calendar.add_working_time(mid, threshold).value <= deadline {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

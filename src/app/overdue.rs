//! "Overdue", answered once. The cut-offs of [`DueCutoffs`] are the definition: an unactioned
//! task is overdue at an instant exactly when it was received at or before its priority's
//! overdue cut-off, and due soon when at or before its late cut-off. The header counts tasks
//! with them (an index range per priority, so the count stays cheap on millions of tasks); the
//! overdue view, `taskgate overdue` and the handover list tasks with them. They therefore count
//! the same tasks at the same instant by construction, not by two algorithms agreeing.

use chrono::{DateTime, Utc};

use super::{AppError, Practice};
use crate::domain::overdue::DueCutoffs;
use crate::domain::{Priority, Task};
use crate::report::overdue::{self, ListingOrder, OverdueReport};
use crate::store::Store;

/// The inbox header's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeaderCounts {
    /// Tasks nobody has triaged yet (status `new`).
    pub unactioned: u64,
    pub overdue: u64,
    pub due_soon: u64,
}

/// The practice's cut-offs at `now`.
pub fn cutoffs(practice: &Practice, now: DateTime<Utc>) -> DueCutoffs {
    DueCutoffs::at(&practice.calendar, &practice.overdue.thresholds, now)
}

/// The header's counts at `now`, without reading any task: per priority, two index-range
/// counts up to the cut-offs.
pub fn header_counts(
    store: &Store,
    practice: &Practice,
    now: DateTime<Utc>,
) -> Result<HeaderCounts, AppError> {
    let c = cutoffs(practice, now);
    let mut overdue = 0;
    let mut late = 0;
    for p in Priority::ALL {
        overdue += store.count_unactioned_received_by(p, c.overdue_received_by(p))?;
        late += store.count_unactioned_received_by(p, c.late_received_by(p))?;
    }
    Ok(HeaderCounts {
        unactioned: store.count_unactioned()?,
        overdue,
        due_soon: late.saturating_sub(overdue),
    })
}

/// The overdue listing at `now` (`taskgate overdue`): overdue, due soon and stalled tasks with
/// their explanations.
pub fn overdue_listing(
    store: &Store,
    practice: &Practice,
    now: DateTime<Utc>,
) -> Result<OverdueReport, AppError> {
    overdue::build(store, &practice.calendar, &practice.overdue, now)
        .map_err(|e| AppError::report(&e))
}

/// The same listing's order without its words, for the overdue view, which reads its rows a
/// page at a time.
pub fn overdue_order(
    store: &Store,
    practice: &Practice,
    now: DateTime<Utc>,
) -> Result<ListingOrder, AppError> {
    overdue::order(store, &practice.calendar, &practice.overdue, now)
        .map_err(|e| AppError::report(&e))
}

/// Why `task` is in the listing at the cut-offs' instant, in the listing's words; `None` when
/// it is not (any more).
pub fn why_listed(task: &Task, practice: &Practice, cutoffs: &DueCutoffs) -> Option<String> {
    overdue::why(task, &practice.calendar, &practice.overdue, cutoffs)
}

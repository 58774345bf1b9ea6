//! The overdue view's rows, a window at a time. The listing (which tasks, in which order, and
//! why) is built by the same report as `taskgate overdue` and kept here; the screen asks for
//! pages of it as the cursor moves, and only those pages' tasks are read in full. On a mirror
//! with tens of thousands of overdue tasks the screen never holds more than its window.
//!
//! The listing is rebuilt when the clock the screen shows has moved or the mirror has changed:
//! by this connection (the worker forgets it after every action) or by another one (the
//! background sync, another desk), which `PRAGMA data_version` reveals.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::app::{AppError, Practice, overdue};
use crate::domain::TaskId;
use crate::domain::overdue::DueCutoffs;
use crate::store::Store;
use crate::tui::msg::{PageAt, Reply};
use crate::tui::state::OverdueSummary;

pub struct Listing {
    /// The instant the listing answers for, with its cut-offs: the same ones the header counts
    /// with, so the view and the header agree task for task.
    cutoffs: DueCutoffs,
    data_version: i64,
    /// Overdue (most overdue first), then due soon, then stalled; their explanations are
    /// written for a page's tasks only, when the page is asked for.
    entries: Vec<TaskId>,
    position: HashMap<TaskId, usize>,
    summary: OverdueSummary,
}

impl Listing {
    fn build(store: &Store, practice: &Practice, now: DateTime<Utc>) -> Result<Listing, AppError> {
        let data_version = store.data_version()?;
        let order = overdue::overdue_order(store, practice, now)?;
        let position = order
            .ids
            .iter()
            .enumerate()
            .map(|(at, id)| (*id, at))
            .collect();
        Ok(Listing {
            cutoffs: overdue::cutoffs(practice, now),
            data_version,
            entries: order.ids,
            position,
            summary: OverdueSummary {
                overdue: order.overdue,
                due_soon: order.due_soon,
                stalled: order.stalled,
            },
        })
    }

    /// The range of entries a page at `at` covers.
    fn range(&self, at: PageAt, limit: usize) -> std::ops::Range<usize> {
        let total = self.entries.len();
        let from = match at {
            PageAt::First | PageAt::From(_) => 0,
            PageAt::Last => total.saturating_sub(limit),
            PageAt::After(key) => self.position.get(&key.id).map_or(0, |p| p + 1),
            PageAt::Before(key) => self
                .position
                .get(&key.id)
                .map_or(0, |p| p.saturating_sub(limit)),
        };
        let to = match at {
            PageAt::Before(key) => self.position.get(&key.id).copied().unwrap_or(limit),
            _ => from + limit,
        };
        from.min(total)..to.min(total)
    }
}

/// Answers a page of the overdue view as of `now`, rebuilding the listing when it is stale.
pub fn page(
    store: &Store,
    practice: &Practice,
    cache: &mut Option<Listing>,
    request: (u64, PageAt, usize, DateTime<Utc>),
) -> Result<Reply, AppError> {
    let (id, at, limit, now) = request;
    let data_version = store.data_version()?;
    let fresh = cache
        .as_ref()
        .is_some_and(|l| l.cutoffs.now == now && l.data_version == data_version);
    if !fresh {
        *cache = Some(Listing::build(store, practice, now)?);
    }
    let Some(listing) = cache.as_ref() else {
        return Err(AppError::Report("the overdue listing was not built".into()));
    };
    let mut tasks = Vec::new();
    let mut why = HashMap::new();
    for task_id in &listing.entries[listing.range(at, limit)] {
        // A task closed since the listing was built is simply left out of the page.
        let Some(task) = store.task(*task_id)? else {
            continue;
        };
        if let Some(explanation) = overdue::why_listed(&task, practice, &listing.cutoffs) {
            why.insert(task.id, explanation);
            tasks.push(task);
        }
    }
    Ok(Reply::Overdue {
        id,
        at,
        tasks,
        why,
        total: listing.entries.len() as u64,
        summary: listing.summary,
    })
}

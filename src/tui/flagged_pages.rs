//! Pages of tasks that raise one LMC flag. Flags are computed from the task, its provider, the
//! config and the clock, not stored, so the worker walks the mirror's own keyset order in
//! batches, keeps the tasks that raise the flag, and stops when the page is full. The count
//! walks the whole filtered list once; it is only asked for when a person picks a flag.

use chrono::{DateTime, Duration, Utc};

use super::msg::PageAt;
use super::worker::WorkerContext;
use crate::domain::Agreement;
use crate::domain::Task;
use crate::domain::policy::{Flag, ProviderFacts, flags_for};
use crate::store::{PageKey, Selection, Store, StoreError, TaskFilter};

const BATCH: usize = 500;

pub(super) fn page(
    store: &Store,
    ctx: &WorkerContext,
    filter: &TaskFilter,
    flag: Flag,
    at: PageAt,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<(Vec<Task>, u64), StoreError> {
    let facts = store.provider_facts(now - Duration::days(30))?;
    let rules = ctx.config.policy_rules();
    let unknown = ProviderFacts {
        agreement: Agreement::None,
        known: false,
        rejections_last_30_days: 0,
    };
    let raises = |t: &Task| {
        let f = facts.get(&t.provider_ods).unwrap_or(&unknown);
        flags_for(t, f, &rules, &ctx.calendar)
            .iter()
            .any(|r| r.flag == flag)
    };
    // The search (if any) runs once for every batch of the page and of the count.
    let sel = store.select(filter)?;
    let rows = match at {
        PageAt::First => forward(store, &sel, None, limit, &raises)?,
        PageAt::After(key) | PageAt::From(key) => forward(store, &sel, Some(key), limit, &raises)?,
        PageAt::Last => backward(store, &sel, None, limit, &raises)?,
        PageAt::Before(key) => backward(store, &sel, Some(key), limit, &raises)?,
    };
    let total = forward(store, &sel, None, usize::MAX, &raises)?.len() as u64;
    Ok((rows, total))
}

fn forward(
    store: &Store,
    sel: &Selection,
    mut after: Option<PageKey>,
    limit: usize,
    raises: &dyn Fn(&Task) -> bool,
) -> Result<Vec<Task>, StoreError> {
    let mut out = Vec::new();
    loop {
        let batch = store.page_after(sel, after, BATCH)?;
        let done = batch.len() < BATCH;
        after = batch.last().map(PageKey::of);
        out.extend(batch.into_iter().filter(|t| raises(t)));
        if out.len() >= limit || done {
            out.truncate(limit);
            return Ok(out);
        }
    }
}

fn backward(
    store: &Store,
    sel: &Selection,
    mut before: Option<PageKey>,
    limit: usize,
    raises: &dyn Fn(&Task) -> bool,
) -> Result<Vec<Task>, StoreError> {
    let mut out: Vec<Task> = Vec::new();
    loop {
        let batch = store.page_before(sel, before, BATCH)?;
        let done = batch.len() < BATCH;
        before = batch.first().map(PageKey::of);
        // Batches come oldest first; collect newest first, then turn the page round.
        out.extend(batch.into_iter().rev().filter(|t| raises(t)));
        if out.len() >= limit || done {
            out.truncate(limit);
            out.reverse();
            return Ok(out);
        }
    }
}

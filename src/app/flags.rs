//! The LMC flags of tasks, for every surface: the detail pane and the inbox's flag filter,
//! `taskgate list --flag`, and the `flags` of `list` and `show` output. Flags are computed from
//! the task, its provider's facts, the config and the clock, never stored, so a flag filter
//! walks the mirror's own keyset order in batches and keeps the tasks that raise a flag.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{AppError, Practice};
use crate::domain::Agreement;
use crate::domain::Task;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::policy::{Flag, PolicyRules, ProviderFacts, RaisedFlag, Rejection, flags_for};
use crate::store::{PageKey, Selection, Store};

/// How many tasks a flag filter reads at a time.
const BATCH: usize = 500;

/// What the flag rules need besides a task: every provider's facts at one instant.
pub struct FlagRules<'p> {
    practice: &'p Practice,
    facts: HashMap<String, ProviderFacts>,
}

/// A provider the mirror does not know: no agreement, never rejected.
pub(crate) const UNKNOWN_PROVIDER: ProviderFacts = ProviderFacts {
    agreement: Agreement::None,
    known: false,
    rejections_last_30_days: 0,
};

impl<'p> FlagRules<'p> {
    /// Reads the providers' agreements and their rejections in the 30 days before `now`.
    pub fn at(
        store: &Store,
        practice: &'p Practice,
        now: DateTime<Utc>,
    ) -> Result<FlagRules<'p>, AppError> {
        Ok(FlagRules {
            practice,
            facts: store.provider_facts(now - Duration::days(30))?,
        })
    }

    /// Every flag `task` raises, with the rule behind it and what it suggests.
    pub fn flags_of(&self, task: &Task) -> Vec<RaisedFlag> {
        flags_with_facts(
            task,
            &self.facts,
            &self.practice.policy,
            &self.practice.calendar,
        )
    }

    /// What rejecting `task` would do: its letter and the risks that ask for a confirmation.
    pub fn rejection_of(&self, task: &Task) -> Rejection {
        super::tasks::rejection_with_facts(
            task,
            &self.facts,
            &self.practice.policy,
            &self.practice.calendar,
        )
    }

    /// Whether `task` raises any of `wanted` (all tasks when `wanted` is empty).
    pub fn raises_any(&self, task: &Task, wanted: &[Flag]) -> bool {
        wanted.is_empty() || self.flags_of(task).iter().any(|r| wanted.contains(&r.flag))
    }
}

/// Every flag `task` raises, given the providers' facts already read (the inbox keeps them,
/// refreshed on its tick). A provider the facts do not describe counts as unknown with no
/// agreement, which is what the rules assume. Every surface's flags come through here.
pub fn flags_with_facts<S: std::hash::BuildHasher>(
    task: &Task,
    facts: &HashMap<String, ProviderFacts, S>,
    policy: &PolicyRules,
    calendar: &WorkingCalendar,
) -> Vec<RaisedFlag> {
    let facts = facts.get(&task.provider_ods).unwrap_or(&UNKNOWN_PROVIDER);
    flags_for(task, facts, policy, calendar)
}

/// The flags of one task at `now`.
pub fn flags_of_task(
    store: &Store,
    practice: &Practice,
    task: &Task,
    now: DateTime<Utc>,
) -> Result<Vec<RaisedFlag>, AppError> {
    Ok(FlagRules::at(store, practice, now)?.flags_of(task))
}

/// Up to `limit` tasks of the selection after `after` (from the start when `None`) that raise
/// any of `wanted`, in keyset order. Returns them and the key to continue after, `None` when the
/// selection is exhausted.
pub fn flagged_after(
    store: &Store,
    sel: &Selection,
    rules: &FlagRules<'_>,
    wanted: &[Flag],
    mut after: Option<PageKey>,
    limit: usize,
) -> Result<(Vec<Task>, Option<PageKey>), AppError> {
    let mut out = Vec::new();
    loop {
        let batch = store.page_after(sel, after, BATCH)?;
        let done = batch.len() < BATCH;
        for task in batch {
            after = Some(PageKey::of(&task));
            if rules.raises_any(&task, wanted) {
                out.push(task);
                if out.len() >= limit {
                    return Ok((out, after));
                }
            }
        }
        if done {
            return Ok((out, None));
        }
    }
}

/// Up to `limit` tasks of the selection before `before` (from the end when `None`) that raise
/// any of `wanted`, in keyset order.
pub fn flagged_before(
    store: &Store,
    sel: &Selection,
    rules: &FlagRules<'_>,
    wanted: &[Flag],
    mut before: Option<PageKey>,
    limit: usize,
) -> Result<Vec<Task>, AppError> {
    let mut out: Vec<Task> = Vec::new();
    loop {
        let batch = store.page_before(sel, before, BATCH)?;
        let done = batch.len() < BATCH;
        before = batch.first().map(PageKey::of);
        // Batches come oldest first; collect newest first, then turn the page round.
        out.extend(
            batch
                .into_iter()
                .rev()
                .filter(|t| rules.raises_any(t, wanted)),
        );
        if out.len() >= limit || done {
            out.truncate(limit);
            out.reverse();
            return Ok(out);
        }
    }
}

/// How many tasks of the selection raise any of `wanted`: the whole selection is walked once.
pub fn count_flagged(
    store: &Store,
    sel: &Selection,
    rules: &FlagRules<'_>,
    wanted: &[Flag],
) -> Result<u64, AppError> {
    let mut count = 0u64;
    let mut after = None;
    loop {
        let batch = store.page_after(sel, after, BATCH)?;
        let done = batch.len() < BATCH;
        after = batch.last().map(PageKey::of);
        count += batch.iter().filter(|t| rules.raises_any(t, wanted)).count() as u64;
        if done {
            return Ok(count);
        }
    }
}

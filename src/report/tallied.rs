//! Figures for a receipt window read from what the mirror keeps (`store/tallies.rs`) rather
//! than from every task: whole London months come from the kept tallies, the days of a window
//! that begins or ends inside a month are counted from those days' tasks, and first-action
//! working times are worked out from the index of acted-on tasks alone. Shared by `stats` (by
//! provider and by month) and the providers screen, so the two agree to the task.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use color_eyre::eyre::Result;

use crate::domain::calendar::{PRACTICE_TIME_ZONE, WorkingCalendar};
use crate::store::{Store, Tally};

/// `YYYY-MM` of an instant's London date.
pub(super) fn month_key(at: DateTime<Utc>) -> String {
    at.with_timezone(&PRACTICE_TIME_ZONE)
        .format("%Y-%m")
        .to_string()
}

/// London midnight at the start of `day`, as an instant (midnight always exists in London: the
/// clocks change at 1 am).
pub(super) fn start_of(day: NaiveDate) -> Option<DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(PRACTICE_TIME_ZONE).earliest())
        .map(|t| t.with_timezone(&Utc))
}

/// The first day of the London month `at` falls in.
fn month_of(at: DateTime<Utc>) -> Option<NaiveDate> {
    at.with_timezone(&PRACTICE_TIME_ZONE)
        .date_naive()
        .with_day(1)
}

/// The tallies of tasks received in `[from, until)` (`None` for an open end).
pub(super) fn window_tallies(
    store: &Store,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<Tally>> {
    // Whole months from `first_whole` (inclusive) to `end_whole` (exclusive).
    let mut out = Vec::new();
    let first_whole = match from {
        None => None,
        Some(from) => {
            let month = month_of(from).unwrap_or(NaiveDate::MIN);
            if start_of(month) == Some(from) {
                Some(month)
            } else {
                Some(
                    month
                        .checked_add_months(Months::new(1))
                        .unwrap_or(NaiveDate::MAX),
                )
            }
        }
    };
    let end_whole = until.and_then(month_of);
    let both_in_one_month = match (first_whole, end_whole) {
        (Some(a), Some(b)) => a > b,
        _ => false,
    };
    if both_in_one_month {
        // The window lies inside one month: count its days directly.
        if let (Some(from), Some(until)) = (from, until) {
            out.extend(store.tallies_received_between(from.timestamp(), until.timestamp())?);
        }
        return Ok(out);
    }
    let key = |d: NaiveDate| d.format("%Y-%m").to_string();
    let (from_key, until_key) = (first_whole.map(key), end_whole.map(key));
    out.extend(store.tallies(from_key.as_deref(), until_key.as_deref())?);
    if let (Some(from), Some(first)) = (from, first_whole.and_then(start_of))
        && from < first
    {
        out.extend(store.tallies_received_between(from.timestamp(), first.timestamp())?);
    }
    if let (Some(until), Some(last)) = (until, end_whole.and_then(start_of))
        && last < until
    {
        out.extend(store.tallies_received_between(last.timestamp(), until.timestamp())?);
    }
    Ok(out)
}

/// Working minutes from receipt to the first action of every acted-on task in the window,
/// grouped by `key` (which sees the task's receipt and provider), plus calendar warnings.
pub(super) struct FirstActionMinutes {
    pub by_group: BTreeMap<String, Vec<i64>>,
    pub all: Vec<i64>,
    pub warnings: BTreeSet<String>,
}

pub(super) fn first_action_minutes(
    store: &Store,
    calendar: &WorkingCalendar,
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    key: impl Fn(DateTime<Utc>, &str) -> String,
) -> Result<FirstActionMinutes> {
    let mut out = FirstActionMinutes {
        by_group: BTreeMap::new(),
        all: Vec::new(),
        warnings: BTreeSet::new(),
    };
    let mut bad_time = None;
    store.for_each_first_action(
        from.map(|t| t.timestamp()),
        until.map(|t| t.timestamp()),
        |fa| {
            let (Some(received), Some(first)) = (
                DateTime::from_timestamp(fa.received_at, 0),
                DateTime::from_timestamp(fa.first_action_at, 0),
            ) else {
                bad_time = Some(fa.received_at);
                return;
            };
            let worked = calendar.working_time_between(received, first);
            if let Some(w) = worked.warning {
                out.warnings.insert(w.to_string());
            }
            let minutes = worked.value.num_minutes();
            out.all.push(minutes);
            let group = key(received, fa.provider_ods);
            match out.by_group.get_mut(&group) {
                Some(v) => v.push(minutes),
                None => {
                    out.by_group.insert(group, vec![minutes]);
                }
            }
        },
    )?;
    if let Some(secs) = bad_time {
        return Err(color_eyre::eyre::eyre!(
            "the mirror holds a time taskgate cannot read ({secs} seconds): was it edited by hand?"
        ));
    }
    Ok(out)
}

//! The providers view's figures: for every sender the practice knows (the config's registry and
//! every organisation seen in the mirror), what it sent over the last twelve months, by month
//! and by category of work, how much of it the practice rejected, how quickly someone first
//! acted on it, and where it stands on the escalation ladder. Counts only, as in `stats`: the
//! practice manager shows this screen in meetings, so it carries no patient data and no task
//! text. Counts, months and first-action times come from what the mirror keeps
//! (`report::tallied`); categories from one pass over the window's tasks, a page at a time.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use color_eyre::eyre::Result;

use super::stats::{Counts, OTHER_CATEGORY, add_tally, category_of, finish_counts};
use super::tallied;
use crate::domain::calendar::{PRACTICE_TIME_ZONE, WorkingCalendar};
use crate::domain::policy::PolicyRules;
use crate::domain::{Provider, Status};
use crate::store::{PageKey, ReceivedWindow, Store};

/// Months the view covers, this one included: a year is what the LMC asks evidence over.
pub const MONTHS: usize = 12;

const PAGE: usize = 500;

/// One calendar month of a provider's tasks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthCount {
    /// The first day of the month (London).
    pub month: NaiveDate,
    pub received: u64,
    pub rejected: u64,
}

/// One sender, as the providers view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderFigures {
    pub provider: Provider,
    /// Over the whole window.
    pub counts: Counts,
    /// Oldest month first, always `MONTHS` long so the bar chart keeps its shape.
    pub months: Vec<MonthCount>,
    /// Category name and count, in the config's order, "other" last; empty ones left out.
    pub categories: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProvidersOverview {
    /// The first day of the window (London): the first of the month eleven months ago.
    pub from: NaiveDate,
    /// Most rejections first (the senders the ladder is for), then by ODS code.
    pub providers: Vec<ProviderFigures>,
    /// Calendar warnings (bank-holiday data ran out), each once.
    pub warnings: Vec<String>,
}

#[derive(Default)]
struct Running {
    counts: Counts,
    months: [MonthCount; MONTHS],
    categories: HashMap<String, u64>,
}

/// Builds the figures as of `now`.
pub fn build(
    store: &Store,
    calendar: &WorkingCalendar,
    rules: &PolicyRules,
    now: DateTime<Utc>,
) -> Result<ProvidersOverview> {
    let this_month = now
        .with_timezone(&PRACTICE_TIME_ZONE)
        .date_naive()
        .with_day(1);
    let from = this_month
        .and_then(|m| m.checked_sub_months(Months::new(u32::try_from(MONTHS - 1).unwrap_or(0))))
        .unwrap_or(NaiveDate::MIN);
    let month_starts: Vec<NaiveDate> = (0..MONTHS)
        .map(|i| {
            from.checked_add_months(Months::new(u32::try_from(i).unwrap_or(0)))
                .unwrap_or(from)
        })
        .collect();
    let window = ReceivedWindow {
        from: from
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(PRACTICE_TIME_ZONE).earliest())
            .map(|t| t.with_timezone(&Utc)),
        until: None,
    };
    let mut running: HashMap<String, Running> = HashMap::new();
    // Counts and months from the kept tallies: the window starts on a month's first day.
    let month_keys: Vec<String> = month_starts
        .iter()
        .map(|m| m.format("%Y-%m").to_string())
        .collect();
    for t in tallied::window_tallies(store, window.from, window.until)? {
        let r = running.entry(t.provider_ods.clone()).or_default();
        add_tally(&mut r.counts, &t);
        if let Some(i) = month_keys.iter().position(|k| *k == t.month) {
            let m = &mut r.months[i];
            m.received += t.tasks;
            if t.status == Status::Rejected.as_str() {
                m.rejected += t.tasks;
            }
        }
    }
    let mut minutes =
        tallied::first_action_minutes(store, calendar, window.from, window.until, |_, ods| {
            ods.to_owned()
        })?;
    let warnings: Vec<String> = std::mem::take(&mut minutes.warnings).into_iter().collect();
    // Categories follow the config's keywords, so they are read from the tasks themselves.
    let mut after = None;
    loop {
        let page = store.tasks_received_in(window, after, PAGE)?;
        for task in &page {
            let category =
                category_of(task, rules, calendar).unwrap_or_else(|| OTHER_CATEGORY.to_owned());
            let r = running.entry(task.provider_ods.clone()).or_default();
            *r.categories.entry(category).or_default() += 1;
        }
        if page.len() < PAGE {
            break;
        }
        after = page.last().map(PageKey::of);
    }
    let mut providers: Vec<ProviderFigures> = store
        .providers()?
        .into_iter()
        .map(|provider| {
            let r = running.remove(&provider.ods_code).unwrap_or_default();
            let mut months = r.months;
            for (m, start) in months.iter_mut().zip(&month_starts) {
                m.month = *start;
            }
            let group_minutes = minutes.by_group.get_mut(&provider.ods_code);
            ProviderFigures {
                counts: finish_counts(
                    r.counts,
                    group_minutes.map(Vec::as_mut_slice).unwrap_or_default(),
                ),
                provider,
                months: months.to_vec(),
                categories: ordered_categories(rules, r.categories),
            }
        })
        .collect();
    providers.sort_by(|a, b| {
        b.counts
            .rejected
            .cmp(&a.counts.rejected)
            .then_with(|| a.provider.ods_code.cmp(&b.provider.ods_code))
    });
    Ok(ProvidersOverview {
        from,
        providers,
        warnings,
    })
}

/// The config's categories in its order, then "other"; names instead of ids.
fn ordered_categories(rules: &PolicyRules, mut counts: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut out: BTreeMap<usize, (String, u64)> = BTreeMap::new();
    for (i, c) in rules.categories.iter().enumerate() {
        if let Some(n) = counts.remove(&c.id) {
            out.insert(i, (c.name.clone(), n));
        }
    }
    if let Some(n) = counts.remove(OTHER_CATEGORY) {
        out.insert(rules.categories.len(), ("Other".to_owned(), n));
    }
    out.into_values().collect()
}

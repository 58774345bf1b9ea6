//! The statistics the LMC and ICB ask for, as plain data and three renderings (fixed-width table,
//! stable JSON, CSV): per provider, category of work or month of receipt, how many tasks came in,
//! what became of them, the rejection rate and the median working time to the first decision.
//! The figures leave the practice, so they are counts only: no row carries a patient's name, NHS
//! number or date of birth, nor a task's subject or body (senders write patients' names there).
//! Tasks are read a page at a time; only per-group tallies and first-action times are kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::Write;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use color_eyre::eyre::Result;
use serde::Serialize;

use super::text::fit;
use super::{csv_safe, tallied};
use crate::domain::calendar::{PRACTICE_TIME_ZONE, WorkingCalendar, format_working_age};
use crate::domain::policy::{Flag, PolicyRules, ProviderFacts, flags_for};
use crate::domain::{Agreement, Provider, Status, Task};
use crate::store::{PageKey, ReceivedWindow, Store, Tally as KeptTally};
use crate::terminal_text::Escaping;

/// Rows fetched per query: enough to stream quickly, few enough for one grouped audit query.
const PAGE: usize = 500;

/// The group a task that matches no configured category of work falls into.
pub const OTHER_CATEGORY: &str = "other";

/// What the figures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Provider,
    Category,
    Month,
}

/// What to count: the grouping and the receipt window, both as the user wrote it (London days,
/// inclusive) and as instants for the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsQuery {
    pub by: GroupBy,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl StatsQuery {
    /// The receipt window in instants: from the start of `since` to the end of `until`, on the
    /// practice's wall clock (midnight always exists in London: the clocks change at 1 am).
    pub fn window(&self) -> ReceivedWindow {
        let start_of = tallied::start_of;
        ReceivedWindow {
            from: self.since.and_then(start_of),
            until: self.until.and_then(|d| d.succ_opt()).and_then(start_of),
        }
    }
}

/// The whole report. This is the stable JSON shape of `taskgate stats --format json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsReport {
    pub generated_at: DateTime<Utc>,
    pub by: GroupBy,
    /// The receipt window, London days, inclusive; `null` for an open end.
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub groups: Vec<StatsGroup>,
    /// Every task in the window, whatever its group.
    pub total: Counts,
    /// Calendar warnings (bank-holiday data ran out), each once.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsGroup {
    /// ODS code, category id (or `other`), or receipt month `YYYY-MM`.
    pub key: String,
    /// Provider name, category name, or the month in words.
    pub name: String,
    /// For `--by provider`: where the practice stands with the sender; else `null`.
    pub provider: Option<ProviderStanding>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderStanding {
    pub ods_code: String,
    /// `none` or `sop`.
    pub agreement: &'static str,
    pub agreement_since: Option<NaiveDate>,
    /// 0 (none) to 4 (LMC).
    pub escalation_stage: u8,
    pub escalation_label: &'static str,
}

impl ProviderStanding {
    fn of(p: &Provider) -> Self {
        let (agreement, agreement_since) = match p.agreement {
            Agreement::None => ("none", None),
            Agreement::Sop { since } => ("sop", Some(since)),
        };
        ProviderStanding {
            ods_code: p.ods_code.clone(),
            agreement,
            agreement_since,
            escalation_stage: p.escalation.number(),
            escalation_label: p.escalation.label(),
        }
    }
}

/// Tasks of one group by their status now, and how quickly they were first acted on.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub received: u64,
    /// Still `new`: nobody has triaged them.
    pub unactioned: u64,
    pub assigned: u64,
    pub rejected: u64,
    pub completed: u64,
    pub cancelled: u64,
    /// Unactioned plus assigned.
    pub open: u64,
    /// Rejected / received, to three decimals; `null` when nothing was received.
    pub rejection_rate: Option<f64>,
    /// Tasks with a first action (assign, reject or complete) in this mirror's audit log.
    pub acted_on: u64,
    /// Median working minutes from receipt to the first action, over `acted_on` tasks.
    pub median_first_action_minutes: Option<i64>,
}

/// A group's running tally while pages stream past.
#[derive(Debug, Default)]
pub(super) struct Tally {
    counts: Counts,
    first_action_minutes: Vec<i64>,
}

impl Tally {
    pub(super) fn add(&mut self, status: Status, first_action_minutes: Option<i64>) {
        let c = &mut self.counts;
        c.received += 1;
        match status {
            Status::New => c.unactioned += 1,
            Status::Assigned => c.assigned += 1,
            Status::Rejected => c.rejected += 1,
            Status::Completed => c.completed += 1,
            Status::Cancelled => c.cancelled += 1,
        }
        if let Some(m) = first_action_minutes {
            self.first_action_minutes.push(m);
        }
    }

    pub(super) fn finish(mut self) -> Counts {
        let mut c = self.counts;
        c.open = c.unactioned + c.assigned;
        c.rejection_rate = rate(c.rejected, c.received);
        c.acted_on = self.first_action_minutes.len() as u64;
        c.median_first_action_minutes = median(&mut self.first_action_minutes);
        c
    }
}

/// `part / whole` rounded to three decimals.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}

/// The middle value; for an even count, the mean of the two middle values, rounded down.
fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]).div_euclid(2)
    })
}

/// The first configured category of work whose keywords the task uses, as the `provider-work`
/// flag finds it; the domain owns the matching, so the statistics and the flag never disagree.
/// The provider facts do not affect the category, so neutral ones are passed.
pub fn category_of(task: &Task, rules: &PolicyRules, calendar: &WorkingCalendar) -> Option<String> {
    let neutral = ProviderFacts {
        agreement: Agreement::None,
        known: true,
        rejections_last_30_days: 0,
    };
    flags_for(task, &neutral, rules, calendar)
        .into_iter()
        .find(|f| f.flag == Flag::ProviderWork)
        .and_then(|f| f.category)
}

/// Where a task's figures go: a sort position (config order for categories) and the key.
type GroupKey = (usize, String);

struct Grouper<'a> {
    by: GroupBy,
    rules: &'a PolicyRules,
    calendar: &'a WorkingCalendar,
}

impl Grouper<'_> {
    fn key(&self, task: &Task) -> GroupKey {
        match self.by {
            GroupBy::Provider => (0, task.provider_ods.clone()),
            GroupBy::Month => (
                0,
                task.received_at
                    .with_timezone(&PRACTICE_TIME_ZONE)
                    .format("%Y-%m")
                    .to_string(),
            ),
            GroupBy::Category => {
                let categories = &self.rules.categories;
                match category_of(task, self.rules, self.calendar) {
                    Some(id) => {
                        let at = categories.iter().position(|c| c.id == id);
                        (at.unwrap_or(categories.len()), id)
                    }
                    None => (categories.len(), OTHER_CATEGORY.to_owned()),
                }
            }
        }
    }
}

/// Adds one kept tally to a group's counts (`finish_counts` completes them).
pub(super) fn add_tally(c: &mut Counts, t: &KeptTally) {
    c.received += t.tasks;
    c.acted_on += t.acted_on;
    match t.status.parse::<Status>() {
        Ok(Status::New) => c.unactioned += t.tasks,
        Ok(Status::Assigned) => c.assigned += t.tasks,
        Ok(Status::Rejected) => c.rejected += t.tasks,
        Ok(Status::Completed) => c.completed += t.tasks,
        Ok(Status::Cancelled) => c.cancelled += t.tasks,
        // The schema's CHECK allows nothing else.
        Err(_) => {}
    }
}

/// The derived figures of counts built from tallies, with the group's first-action minutes.
pub(super) fn finish_counts(mut c: Counts, minutes: &mut [i64]) -> Counts {
    c.open = c.unactioned + c.assigned;
    c.rejection_rate = rate(c.rejected, c.received);
    c.median_first_action_minutes = median(minutes);
    c
}

/// Reads the figures from the mirror. By provider and by month they come from the kept tallies
/// (`report::tallied`); by category every task in the window is read, since categories follow
/// the config's keywords.
pub fn build(
    store: &Store,
    calendar: &WorkingCalendar,
    rules: &PolicyRules,
    query: StatsQuery,
    now: DateTime<Utc>,
) -> Result<StatsReport> {
    if query.by != GroupBy::Category {
        return build_from_tallies(store, calendar, query, now);
    }
    let grouper = Grouper {
        by: query.by,
        rules,
        calendar,
    };
    let window = query.window();
    let mut tallies: BTreeMap<GroupKey, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut warnings = BTreeSet::new();
    let mut provider_names: HashMap<String, String> = HashMap::new();
    let mut after = None;
    loop {
        let page = store.tasks_received_in(window, after, PAGE)?;
        let ids: Vec<_> = page.iter().map(|t| t.id).collect();
        let first_actions = store.first_actions(&ids)?;
        for task in &page {
            let minutes = first_actions.get(&task.id).map(|at| {
                let worked = calendar.working_time_between(task.received_at, *at);
                if let Some(w) = worked.warning {
                    warnings.insert(w.to_string());
                }
                worked.value.num_minutes()
            });
            if query.by == GroupBy::Provider && !provider_names.contains_key(&task.provider_ods) {
                provider_names.insert(task.provider_ods.clone(), task.provider_name.clone());
            }
            tallies
                .entry(grouper.key(task))
                .or_default()
                .add(task.status, minutes);
            total.add(task.status, minutes);
        }
        if page.len() < PAGE {
            break;
        }
        after = page.last().map(PageKey::of);
    }
    let providers = providers_by_ods(store, query.by == GroupBy::Provider)?;
    let groups = tallies
        .into_iter()
        .map(|((_, key), tally)| {
            let provider = providers.get(&key);
            let name = match query.by {
                GroupBy::Provider => provider
                    .map(|p| p.name.clone())
                    .or_else(|| provider_names.get(&key).cloned())
                    .unwrap_or_default(),
                GroupBy::Category => category_name(rules, &key),
                GroupBy::Month => month_name(&key),
            };
            StatsGroup {
                name,
                provider: provider.map(ProviderStanding::of),
                key,
                counts: tally.finish(),
            }
        })
        .collect();
    Ok(StatsReport {
        generated_at: now,
        by: query.by,
        since: query.since,
        until: query.until,
        groups,
        total: total.finish(),
        warnings: warnings.into_iter().collect(),
    })
}

/// By provider or by month, from the kept tallies and the acted-on tasks' index.
fn build_from_tallies(
    store: &Store,
    calendar: &WorkingCalendar,
    query: StatsQuery,
    now: DateTime<Utc>,
) -> Result<StatsReport> {
    let window = query.window();
    let by_provider = query.by == GroupBy::Provider;
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for t in tallied::window_tallies(store, window.from, window.until)? {
        let key = if by_provider {
            t.provider_ods.clone()
        } else {
            t.month.clone()
        };
        add_tally(counts.entry(key).or_default(), &t);
        add_tally(&mut total, &t);
    }
    let mut minutes =
        tallied::first_action_minutes(store, calendar, window.from, window.until, |at, ods| {
            if by_provider {
                ods.to_owned()
            } else {
                tallied::month_key(at)
            }
        })?;
    let providers = providers_by_ods(store, by_provider)?;
    let groups = counts
        .into_iter()
        .filter(|(_, c)| c.received > 0)
        .map(|(key, c)| {
            let provider = providers.get(&key);
            let name = if by_provider {
                provider.map(|p| p.name.clone()).unwrap_or_default()
            } else {
                month_name(&key)
            };
            let group_minutes = minutes.by_group.get_mut(&key).map(Vec::as_mut_slice);
            StatsGroup {
                name,
                provider: provider.map(ProviderStanding::of),
                counts: finish_counts(c, group_minutes.unwrap_or_default()),
                key,
            }
        })
        .collect();
    Ok(StatsReport {
        generated_at: now,
        by: query.by,
        since: query.since,
        until: query.until,
        groups,
        total: finish_counts(total, &mut minutes.all),
        warnings: minutes.warnings.into_iter().collect(),
    })
}

fn category_name(rules: &PolicyRules, id: &str) -> String {
    rules.categories.iter().find(|c| c.id == id).map_or_else(
        || "Other (no category matched)".to_owned(),
        |c| c.name.clone(),
    )
}

/// "2026-11" as "November 2026".
fn month_name(key: &str) -> String {
    NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d")
        .map_or_else(|_| key.to_owned(), |d| d.format("%B %Y").to_string())
}

/// Pretty-printed JSON with a final newline.
pub fn write_json(report: &StatsReport, mut out: impl Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)?;
    Ok(())
}

const CSV_HEADER: [&str; 16] = [
    "key",
    "name",
    "ods_code",
    "agreement",
    "agreement_since",
    "escalation_stage",
    "received",
    "unactioned",
    "assigned",
    "rejected",
    "completed",
    "cancelled",
    "open",
    "rejection_rate",
    "acted_on",
    "median_first_action_minutes",
];

/// One row per group, the same columns whatever the grouping (provider columns empty unless
/// `--by provider`), so a spreadsheet built on one export takes the next. No total row: a
/// column sum gives it, and a total row would be counted twice by anyone who sums.
pub fn write_csv(report: &StatsReport, out: impl Write) -> Result<()> {
    let mut w = csv_safe::writer(out);
    w.write_record(CSV_HEADER)?;
    let text = |v: Option<String>| v.unwrap_or_default();
    for g in &report.groups {
        let p = g.provider.as_ref();
        let c = &g.counts;
        w.write_record([
            csv_safe::owned(g.key.clone()),
            csv_safe::owned(g.name.clone()),
            csv_safe::owned(text(p.map(|p| p.ods_code.clone()))),
            text(p.map(|p| p.agreement.to_owned())),
            text(p.and_then(|p| p.agreement_since).map(|d| d.to_string())),
            text(p.map(|p| p.escalation_stage.to_string())),
            c.received.to_string(),
            c.unactioned.to_string(),
            c.assigned.to_string(),
            c.rejected.to_string(),
            c.completed.to_string(),
            c.cancelled.to_string(),
            c.open.to_string(),
            text(c.rejection_rate.map(|r| format!("{r:.3}"))),
            c.acted_on.to_string(),
            text(c.median_first_action_minutes.map(|m| m.to_string())),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// A fixed-width table with a total line; the median reads as working time ("1d 2h").
/// `day_length` turns working minutes into days and hours.
pub fn write_table(report: &StatsReport, day_length: Duration, out: impl Write) -> Result<()> {
    let mut out = Escaping::new(out);
    let window = match (report.since, report.until) {
        (None, None) => "all tasks in the mirror".to_owned(),
        (since, until) => format!(
            "tasks received {} to {}",
            since.map_or_else(|| "the first".to_owned(), |d| d.to_string()),
            until.map_or_else(|| "the last".to_owned(), |d| d.to_string())
        ),
    };
    let by = match report.by {
        GroupBy::Provider => "provider",
        GroupBy::Category => "category of work",
        GroupBy::Month => "month received",
    };
    writeln!(out, "Statistics by {by}: {window}")?;
    let standing = report.by == GroupBy::Provider;
    let mut head = format!(
        "{}  {}  {:>8}  {:>8}  {:>9}  {:>8}  {:>6}  {:>6}  {:>12}",
        fit("KEY", 22),
        fit("NAME", 30),
        "RECEIVED",
        "REJECTED",
        "COMPLETED",
        "ASSIGNED",
        "OPEN",
        "REJ %",
        "MEDIAN 1ST"
    );
    if standing {
        head.push_str("  AGREEMENT        STAGE");
    }
    writeln!(out, "{head}")?;
    let line = |key: &str, name: &str, c: &Counts| {
        let rate = c
            .rejection_rate
            .map_or_else(|| "-".to_owned(), |r| format!("{:.1}", r * 100.0));
        let median = c.median_first_action_minutes.map_or_else(
            || "-".to_owned(),
            |m| format_working_age(Duration::minutes(m), day_length),
        );
        format!(
            "{}  {}  {:>8}  {:>8}  {:>9}  {:>8}  {:>6}  {:>6}  {:>12}",
            fit(key, 22),
            fit(name, 30),
            c.received,
            c.rejected,
            c.completed,
            c.assigned,
            c.open,
            rate,
            median
        )
    };
    for g in &report.groups {
        let mut row = line(&g.key, &g.name, &g.counts);
        if let Some(p) = &g.provider {
            let agreement = p.agreement_since.map_or_else(
                || p.agreement.to_owned(),
                |d| format!("{} {d}", p.agreement),
            );
            let _ = write!(row, "  {}  {}", fit(&agreement, 15), p.escalation_stage);
        }
        writeln!(out, "{}", row.trim_end())?;
    }
    writeln!(out, "{}", line("TOTAL", "", &report.total).trim_end())?;
    writeln!(
        out,
        "\nMEDIAN 1ST: working time from receipt to the first assign, reject or complete."
    )?;
    for w in &report.warnings {
        writeln!(out, "Warning: {w}")?;
    }
    out.flush()?;
    Ok(())
}

/// The provider register by ODS code, read only when the figures are grouped by provider.
fn providers_by_ods(store: &Store, by_provider: bool) -> Result<HashMap<String, Provider>> {
    if !by_provider {
        return Ok(HashMap::new());
    }
    Ok(store
        .providers()?
        .into_iter()
        .map(|p| (p.ods_code.clone(), p))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_takes_the_middle_or_the_mean_of_the_two_middles() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [30, 10, 20]), Some(20));
        assert_eq!(median(&mut [40, 10, 20, 30]), Some(25));
    }

    #[test]
    fn rates_round_to_three_decimals_and_need_a_denominator() {
        assert_eq!(rate(1, 3), Some(0.333));
        assert_eq!(rate(0, 0), None);
    }

    #[test]
    fn the_window_runs_from_london_midnight_to_the_end_of_the_last_day() {
        let q = StatsQuery {
            by: GroupBy::Month,
            since: NaiveDate::from_ymd_opt(2026, 7, 1),
            until: NaiveDate::from_ymd_opt(2026, 7, 31),
        };
        let w = q.window();
        // British Summer Time: London midnight is 23:00 UTC the evening before.
        assert_eq!(
            w.from.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-06-30T23:00:00+00:00")
        );
        assert_eq!(
            w.until.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-07-31T23:00:00+00:00")
        );
    }
}

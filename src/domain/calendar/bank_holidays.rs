//! The public UK bank-holiday data (`england-and-wales`, `scotland`, `northern-ireland`
//! divisions of dated, titled events): the snapshot shipped with taskgate, parsing a replacement
//! the user supplies, and one nation's holidays: the list for the years it covers, the rules
//! (see `rules`) for the years after.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::rules::{RuleHoliday, bank_holidays_by_rule};
use super::{CalendarDataError, Nation};

/// The snapshot shipped in `assets/`, used until the user supplies a newer file.
pub const SHIPPED_BANK_HOLIDAYS: &str = include_str!("../../../assets/bank-holidays.json");

#[derive(Deserialize)]
struct RawFile {
    #[serde(rename = "england-and-wales")]
    england_and_wales: Option<RawDivision>,
    scotland: Option<RawDivision>,
    #[serde(rename = "northern-ireland")]
    northern_ireland: Option<RawDivision>,
}

#[derive(Deserialize)]
struct RawDivision {
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    title: String,
    // Kept as text so that a malformed date can be reported with its event's title.
    date: String,
    #[serde(default)]
    notes: String,
}

/// Every division of a bank-holiday file, dates checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHolidays {
    // Indexed in `Nation::ALL` order.
    divisions: [Vec<(NaiveDate, String, bool)>; 3],
}

impl BankHolidays {
    /// Parses a file in the public format. All three divisions must be present: the public file
    /// always has them, so a missing one means the file was cut short or is something else.
    pub fn from_json(text: &str) -> Result<Self, CalendarDataError> {
        let raw: RawFile = serde_json::from_str(text).map_err(|e| {
            // serde_json appends the position to its message; it is reported separately.
            let full = e.to_string();
            let position = format!(" at line {} column {}", e.line(), e.column());
            CalendarDataError::Json {
                line: e.line(),
                column: e.column(),
                message: full.strip_suffix(&position).unwrap_or(&full).to_owned(),
            }
        })?;
        Ok(Self {
            divisions: [
                checked(Nation::EnglandAndWales, raw.england_and_wales)?,
                checked(Nation::Scotland, raw.scotland)?,
                checked(Nation::NorthernIreland, raw.northern_ireland)?,
            ],
        })
    }

    /// The shipped snapshot.
    pub fn shipped() -> Result<Self, CalendarDataError> {
        Self::from_json(SHIPPED_BANK_HOLIDAYS)
    }

    pub fn for_nation(&self, nation: Nation) -> Result<HolidaySet, CalendarDataError> {
        let index = Nation::ALL
            .iter()
            .position(|n| *n == nation)
            .unwrap_or_default();
        HolidaySet::from_events(nation, self.divisions[index].iter().cloned())
    }
}

fn checked(
    nation: Nation,
    division: Option<RawDivision>,
) -> Result<Vec<(NaiveDate, String, bool)>, CalendarDataError> {
    let division = division.ok_or(CalendarDataError::MissingDivision { nation })?;
    division
        .events
        .into_iter()
        .map(
            |event| match NaiveDate::parse_from_str(&event.date, "%Y-%m-%d") {
                Ok(date) => {
                    let substitute = event.notes.trim().eq_ignore_ascii_case("substitute day");
                    Ok((date, event.title, substitute))
                }
                Err(_) => Err(CalendarDataError::BadDate {
                    nation,
                    title: event.title,
                    date: event.date,
                }),
            },
        )
        .collect()
}

/// The last year the rules are worked out for. Far beyond any task's due date; a sum that
/// reaches past it (only a threshold of centuries does) is told so, like any other gap.
pub const RULES_LAST_YEAR: i32 = 2199;

/// Where a bank holiday comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HolidaySource {
    /// The published list (the shipped snapshot or the practice's replacement file).
    Snapshot,
    /// Worked out from the nation's rules, for a year after the published list.
    Rule,
}

impl HolidaySource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Snapshot => "snapshot",
            Self::Rule => "rule",
        }
    }
}

/// One bank holiday, with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday<'a> {
    pub date: NaiveDate,
    pub title: &'a str,
    /// It replaces a holiday that fell at a weekend (the list's "Substitute day" note).
    pub substitute: bool,
    pub source: HolidaySource,
}

/// One nation's bank holidays: the published list for the whole years it covers (from 1 January
/// of its first holiday's year to 31 December of its last one's), then the rules for every year
/// after that up to [`RULES_LAST_YEAR`]. The list wins for its own years because only it knows
/// one-off proclamations. Before the list nothing is known, and calculations that reach there
/// say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidaySet {
    nation: Nation,
    /// Title and substitute-day flag by date.
    snapshot: BTreeMap<NaiveDate, (String, bool)>,
    snapshot_from: NaiveDate,
    snapshot_to: NaiveDate,
    /// The rules' holidays for the years after the list, in date order.
    rules: Vec<RuleHoliday>,
    covered_to: NaiveDate,
}

impl HolidaySet {
    /// Builds a set from dated titles; if a date appears twice the first title is kept. A nation
    /// with no holidays at all is refused, since it would silently make every day a working day.
    pub fn new(
        nation: Nation,
        holidays: impl IntoIterator<Item = (NaiveDate, String)>,
    ) -> Result<Self, CalendarDataError> {
        Self::from_events(
            nation,
            holidays
                .into_iter()
                .map(|(date, title)| (date, title, false)),
        )
    }

    fn from_events(
        nation: Nation,
        events: impl IntoIterator<Item = (NaiveDate, String, bool)>,
    ) -> Result<Self, CalendarDataError> {
        let mut snapshot = BTreeMap::new();
        for (date, title, substitute) in events {
            snapshot.entry(date).or_insert((title, substitute));
        }
        let (Some(first), Some(last)) = (snapshot.keys().next(), snapshot.keys().next_back())
        else {
            return Err(CalendarDataError::NoEvents { nation });
        };
        let snapshot_from = NaiveDate::from_yo_opt(first.year(), 1).unwrap_or(*first);
        let snapshot_to = NaiveDate::from_ymd_opt(last.year(), 12, 31).unwrap_or(*last);
        let rules: Vec<RuleHoliday> = (snapshot_to.year().saturating_add(1)..=RULES_LAST_YEAR)
            .flat_map(|year| bank_holidays_by_rule(nation, year))
            .collect();
        let covered_to = NaiveDate::from_ymd_opt(RULES_LAST_YEAR, 12, 31)
            .map_or(snapshot_to, |end| end.max(snapshot_to));
        Ok(Self {
            nation,
            snapshot,
            snapshot_from,
            snapshot_to,
            rules,
            covered_to,
        })
    }

    pub fn nation(&self) -> Nation {
        self.nation
    }

    /// The first day whose holiday status is known: 1 January of the list's first year.
    pub fn covered_from(&self) -> NaiveDate {
        self.snapshot_from
    }

    /// The last day whose holiday status is known: the rules' last year, or the list's if later.
    pub fn covered_to(&self) -> NaiveDate {
        self.covered_to
    }

    /// The last day of the published list's last year; the rules take over the day after.
    pub fn snapshot_to(&self) -> NaiveDate {
        self.snapshot_to
    }

    pub fn covers(&self, date: NaiveDate) -> bool {
        (self.covered_from()..=self.covered_to).contains(&date)
    }

    /// The bank holiday on `date`, if there is one.
    pub fn get(&self, date: NaiveDate) -> Option<Holiday<'_>> {
        if date <= self.snapshot_to {
            self.snapshot.get(&date).map(|(title, substitute)| Holiday {
                date,
                title,
                substitute: *substitute,
                source: HolidaySource::Snapshot,
            })
        } else {
            let at = self.rules.binary_search_by_key(&date, |h| h.date).ok()?;
            self.rules.get(at).map(rule_holiday)
        }
    }

    /// The holiday's title, if `date` is a bank holiday.
    pub fn title(&self, date: NaiveDate) -> Option<&str> {
        self.get(date).map(|h| h.title)
    }

    /// Every holiday, from the list then the rules, in date order.
    pub fn holidays(&self) -> impl Iterator<Item = Holiday<'_>> {
        self.snapshot
            .iter()
            .map(|(date, (title, substitute))| Holiday {
                date: *date,
                title,
                substitute: *substitute,
                source: HolidaySource::Snapshot,
            })
            .chain(self.rules.iter().map(rule_holiday))
    }

    /// Holidays in date order, as date and title.
    pub fn iter(&self) -> impl Iterator<Item = (NaiveDate, &str)> {
        self.holidays().map(|h| (h.date, h.title))
    }

    /// The holidays of one calendar year.
    pub fn in_year(&self, year: i32) -> impl Iterator<Item = Holiday<'_>> {
        self.holidays().filter(move |h| h.date.year() == year)
    }

    /// How many holidays the published list gives this nation.
    pub fn snapshot_len(&self) -> usize {
        self.snapshot.len()
    }

    /// Every holiday known, listed and by rule.
    pub fn len(&self) -> usize {
        self.snapshot.len() + self.rules.len()
    }

    /// Always false for a constructed set; present because `len` is.
    pub fn is_empty(&self) -> bool {
        self.snapshot.is_empty()
    }
}

fn rule_holiday(h: &RuleHoliday) -> Holiday<'_> {
    Holiday {
        date: h.date,
        title: h.title,
        substitute: h.substitute,
        source: HolidaySource::Rule,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn bad_json_reports_line_and_column() {
        let err = BankHolidays::from_json("{\n  \"scotland\": [,]\n}").unwrap_err();
        let CalendarDataError::Json { line, column, .. } = err else {
            panic!("expected a JSON error, got {err:?}");
        };
        assert_eq!((line, column), (2, 16));
        assert_eq!(
            err_text("{"),
            "the bank-holiday file is not valid at line 1, column 1: EOF while parsing an object"
        );
    }

    fn err_text(json: &str) -> String {
        BankHolidays::from_json(json).unwrap_err().to_string()
    }

    #[test]
    fn missing_division_is_named() {
        let json = r#"{"england-and-wales": {"events": []}, "scotland": {"events": []}}"#;
        assert_eq!(
            BankHolidays::from_json(json),
            Err(CalendarDataError::MissingDivision {
                nation: Nation::NorthernIreland
            })
        );
        assert!(err_text(json).contains("\"northern-ireland\""));
    }

    #[test]
    fn bad_date_names_event_and_date() {
        let json = r#"{
            "england-and-wales": {"events": [{"title": "Boxing Day", "date": "2026-12-32"}]},
            "scotland": {"events": []}, "northern-ireland": {"events": []}}"#;
        let text = err_text(json);
        assert!(text.contains("\"Boxing Day\""), "{text}");
        assert!(text.contains("\"2026-12-32\""), "{text}");
        assert!(text.contains("England and Wales"), "{text}");
    }

    #[test]
    fn empty_division_is_refused_when_asked_for() {
        let json = r#"{
            "england-and-wales": {"events": [{"title": "Boxing Day", "date": "2026-12-28"}]},
            "scotland": {"events": []}, "northern-ireland": {"events": []}}"#;
        let all = BankHolidays::from_json(json).unwrap();
        assert_eq!(
            all.for_nation(Nation::Scotland),
            Err(CalendarDataError::NoEvents {
                nation: Nation::Scotland
            })
        );
        let ew = all.for_nation(Nation::EnglandAndWales).unwrap();
        assert_eq!(ew.title(date(2026, 12, 28)), Some("Boxing Day"));
        assert_eq!(ew.covered_from(), date(2026, 1, 1));
        assert_eq!(ew.snapshot_to(), date(2026, 12, 31));
        assert_eq!(ew.covered_to(), date(RULES_LAST_YEAR, 12, 31));
        let next_year = ew.get(date(2027, 1, 1)).unwrap();
        assert_eq!(next_year.source, HolidaySource::Rule);
        assert_eq!(next_year.title, "New Year\u{2019}s Day");
    }

    #[test]
    fn shipped_data_covers_2023_to_2027_for_every_nation() {
        let all = BankHolidays::shipped().unwrap();
        for nation in Nation::ALL {
            let set = all.for_nation(nation).unwrap();
            assert_eq!(set.covered_from(), date(2023, 1, 1), "{nation}");
            assert_eq!(set.snapshot_to(), date(2027, 12, 31), "{nation}");
            assert_eq!(set.covered_to(), date(RULES_LAST_YEAR, 12, 31), "{nation}");
        }
    }
}

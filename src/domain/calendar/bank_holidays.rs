//! The public UK bank-holiday data (`england-and-wales`, `scotland`, `northern-ireland`
//! divisions of dated, titled events): the snapshot shipped with taskgate, parsing a replacement
//! the user supplies, and one nation's holidays with the span of years the data vouches for.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

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
}

/// Every division of a bank-holiday file, dates checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHolidays {
    // Indexed in `Nation::ALL` order.
    divisions: [Vec<(NaiveDate, String)>; 3],
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
        HolidaySet::new(nation, self.divisions[index].iter().cloned())
    }
}

fn checked(
    nation: Nation,
    division: Option<RawDivision>,
) -> Result<Vec<(NaiveDate, String)>, CalendarDataError> {
    let division = division.ok_or(CalendarDataError::MissingDivision { nation })?;
    division
        .events
        .into_iter()
        .map(
            |event| match NaiveDate::parse_from_str(&event.date, "%Y-%m-%d") {
                Ok(date) => Ok((date, event.title)),
                Err(_) => Err(CalendarDataError::BadDate {
                    nation,
                    title: event.title,
                    date: event.date,
                }),
            },
        )
        .collect()
}

/// One nation's bank holidays, and the whole years the data covers: from 1 January of the first
/// holiday's year to 31 December of the last one's. Outside that span nothing is known, and
/// calculations that reach there say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidaySet {
    nation: Nation,
    days: BTreeMap<NaiveDate, String>,
    covered_from: NaiveDate,
    covered_to: NaiveDate,
}

impl HolidaySet {
    /// Builds a set from dated titles; if a date appears twice the first title is kept. A nation
    /// with no holidays at all is refused, since it would silently make every day a working day.
    pub fn new(
        nation: Nation,
        holidays: impl IntoIterator<Item = (NaiveDate, String)>,
    ) -> Result<Self, CalendarDataError> {
        let mut days = BTreeMap::new();
        for (date, title) in holidays {
            days.entry(date).or_insert(title);
        }
        let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) else {
            return Err(CalendarDataError::NoEvents { nation });
        };
        let covered_from = NaiveDate::from_yo_opt(first.year(), 1).unwrap_or(*first);
        let covered_to = NaiveDate::from_ymd_opt(last.year(), 12, 31).unwrap_or(*last);
        Ok(Self {
            nation,
            days,
            covered_from,
            covered_to,
        })
    }

    pub fn nation(&self) -> Nation {
        self.nation
    }

    pub fn covered_from(&self) -> NaiveDate {
        self.covered_from
    }

    pub fn covered_to(&self) -> NaiveDate {
        self.covered_to
    }

    pub fn covers(&self, date: NaiveDate) -> bool {
        (self.covered_from..=self.covered_to).contains(&date)
    }

    /// The holiday's title, if `date` is a bank holiday.
    pub fn title(&self, date: NaiveDate) -> Option<&str> {
        self.days.get(&date).map(String::as_str)
    }

    /// Holidays in date order.
    pub fn iter(&self) -> impl Iterator<Item = (NaiveDate, &str)> {
        self.days.iter().map(|(d, t)| (*d, t.as_str()))
    }

    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// Always false for a constructed set; present because `len` is.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
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
        assert_eq!(ew.covered_to(), date(2026, 12, 31));
    }

    #[test]
    fn shipped_data_covers_2023_to_2027_for_every_nation() {
        let all = BankHolidays::shipped().unwrap();
        for nation in Nation::ALL {
            let set = all.for_nation(nation).unwrap();
            assert_eq!(set.covered_from(), date(2023, 1, 1), "{nation}");
            assert_eq!(set.covered_to(), date(2027, 12, 31), "{nation}");
        }
    }
}

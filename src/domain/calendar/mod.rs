//! Working time: when a task received at one instant becomes due, and how much working time has
//! passed since. Time counts only inside the practice's working hours, on its working weekdays,
//! less the bank holidays of its nation and its own closure days, measured in Europe/London
//! wall-clock time so that a working day is the same length either side of a clock change. Bank
//! holidays come from the published list for the years it covers and from each nation's rules
//! after that; closures only the practice can list. Every sum reports (rather than hides) when
//! it had to assume that days nothing is known about were ordinary working days: before the
//! published list begins, or after the last year the practice listed closures for.

mod bank_holidays;
mod duration;
mod index;
mod rules;
mod working;

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use bank_holidays::{
    BankHolidays, Holiday, HolidaySet, HolidaySource, RULES_LAST_YEAR, SHIPPED_BANK_HOLIDAYS,
};
pub use duration::{ParseWorkingDurationError, WorkingDuration, format_working_age};
pub use rules::{RuleHoliday, bank_holidays_by_rule, easter_sunday};
pub use working::{NonWorkingDay, WorkingCalendar};

/// The practice's time zone; working hours are read on its wall clock.
pub const PRACTICE_TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::London;

/// The UK nations whose bank holidays differ, named as the public data names its divisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nation {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Nation {
    pub const ALL: [Nation; 3] = [
        Nation::EnglandAndWales,
        Nation::Scotland,
        Nation::NorthernIreland,
    ];

    /// The division key used in the bank-holiday file and the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Nation::EnglandAndWales => "england-and-wales",
            Nation::Scotland => "scotland",
            Nation::NorthernIreland => "northern-ireland",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Nation::EnglandAndWales => "England and Wales",
            Nation::Scotland => "Scotland",
            Nation::NorthernIreland => "Northern Ireland",
        }
    }
}

impl fmt::Display for Nation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Raised when a nation name is none of the three divisions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a nation for bank holidays; use \"england-and-wales\", \"scotland\" or \
     \"northern-ireland\""
)]
pub struct ParseNationError(pub String);

impl FromStr for Nation {
    type Err = ParseNationError;

    /// Accepts the division key or the human label, in any case, since both appear in
    /// hand-edited configuration.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Nation::ALL
            .into_iter()
            .find(|n| {
                wanted.eq_ignore_ascii_case(n.as_str()) || wanted.eq_ignore_ascii_case(n.label())
            })
            .ok_or_else(|| ParseNationError(s.to_owned()))
    }
}

/// What is wrong with bank-holiday data or a working-hours set-up, in terms the person who
/// edited the file can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarDataError {
    #[error("the bank-holiday file is not valid at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the bank-holiday file has no \"{}\" division ({nation})", nation.as_str())]
    MissingDivision { nation: Nation },
    #[error(
        "the bank-holiday file's {nation} event \"{title}\" has date \"{date}\"; dates must be \
         written YYYY-MM-DD"
    )]
    BadDate {
        nation: Nation,
        title: String,
        date: String,
    },
    #[error("the bank-holiday file lists no bank holidays for {nation}")]
    NoEvents { nation: Nation },
    #[error("working hours must start before they end (start {start}, end {end})")]
    HoursOutOfOrder {
        start: chrono::NaiveTime,
        end: chrono::NaiveTime,
    },
    #[error("at least one working day of the week must be configured")]
    NoWorkingDays,
}

/// A computed answer, plus a warning when it rests on an assumption the user should know about.
/// The value is always usable: a due time that may be a day early is better than none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Computed<T> {
    pub value: T,
    pub warning: Option<CalendarWarning>,
}

impl<T> Computed<T> {
    pub fn exact(value: T) -> Self {
        Self {
            value,
            warning: None,
        }
    }
}

/// A computation counted, as ordinary working days, days it knows too little about: days before
/// the bank-holiday data begins or after the rules' last year, or days after the last year the
/// practice listed closures for (only the practice knows its closures, so a list that stops is a
/// gap taskgate cannot fill).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarWarning {
    pub nation: Nation,
    /// The span whose bank holidays are known: the published list, then the rules.
    pub covered_from: NaiveDate,
    pub covered_to: NaiveDate,
    /// Days before `covered_from` were counted.
    pub before_data: bool,
    /// Days after `covered_to` were counted.
    pub after_data: bool,
    /// Set to the end of the last year with a listed closure when days after it were counted.
    pub closures_listed_to: Option<NaiveDate>,
}

impl fmt::Display for CalendarWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nation = self.nation.label();
        let mut parts: Vec<String> = Vec::with_capacity(1);
        if self.before_data {
            parts.push(format!(
                "bank holidays for {nation} are known from {}; days before that were counted \
                 as ordinary working days — use a bank-holiday file that reaches back further",
                self.covered_from.format("%-d %b %Y")
            ));
        }
        if self.after_data {
            parts.push(format!(
                "bank holidays for {nation} are worked out up to {}; days after that were \
                 counted as ordinary working days",
                self.covered_to.format("%-d %b %Y")
            ));
        }
        if let Some(to) = self.closures_listed_to {
            parts.push(format!(
                "the practice's closure days are listed up to {}; days after that were counted \
                 as ordinary working days — add the coming closures to working_time.closures",
                to.format("%-d %b %Y")
            ));
        }
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nation_reads_keys_and_labels_in_any_case() {
        assert_eq!("scotland".parse(), Ok(Nation::Scotland));
        assert_eq!("England and Wales".parse(), Ok(Nation::EnglandAndWales));
        assert_eq!(" NORTHERN-IRELAND ".parse(), Ok(Nation::NorthernIreland));
        let err = "wales".parse::<Nation>().unwrap_err().to_string();
        assert!(err.contains("\"england-and-wales\""), "{err}");
    }

    #[test]
    fn nation_serde_uses_division_keys() {
        for n in Nation::ALL {
            let json = serde_json::to_string(&n).unwrap();
            assert_eq!(json, format!("\"{}\"", n.as_str()));
            assert_eq!(serde_json::from_str::<Nation>(&json).unwrap(), n);
        }
    }

    #[test]
    fn warning_names_what_is_unknown() {
        let mut w = CalendarWarning {
            nation: Nation::EnglandAndWales,
            covered_from: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap(),
            covered_to: NaiveDate::from_ymd_opt(2199, 12, 31).unwrap(),
            before_data: false,
            after_data: false,
            closures_listed_to: NaiveDate::from_ymd_opt(2026, 12, 31),
        };
        assert_eq!(
            w.to_string(),
            "the practice's closure days are listed up to 31 Dec 2026; days after that were \
             counted as ordinary working days — add the coming closures to \
             working_time.closures"
        );
        w.closures_listed_to = None;
        w.before_data = true;
        assert_eq!(
            w.to_string(),
            "bank holidays for England and Wales are known from 1 Jan 2023; days before that \
             were counted as ordinary working days — use a bank-holiday file that reaches back \
             further"
        );
    }
}

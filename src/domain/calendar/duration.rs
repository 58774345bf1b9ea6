//! How long a threshold is in working time, as people write it in the configuration ("4 working
//! hours", "2d"), and the compact working age shown in the task table.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A span of working time. Days are kept as days rather than converted to hours, because their
/// length depends on the practice's working hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkingDuration {
    Minutes(u32),
    Hours(u32),
    Days(u32),
}

/// A duration text that is none of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a working duration; write a whole number and a unit, such as \"30 working \
     minutes\", \"4 working hours\" or \"2 working days\" (\"30m\", \"4h\" and \"2d\" also work)"
)]
pub struct ParseWorkingDurationError(pub String);

impl FromStr for WorkingDuration {
    type Err = ParseWorkingDurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseWorkingDurationError(s.to_owned());
        let text = s.trim();
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let amount: u32 = text[..digits_end].parse().map_err(|_| bad())?;
        let rest = text[digits_end..].trim_start().to_ascii_lowercase();
        let unit = rest
            .strip_prefix("working")
            .map_or(rest.as_str(), str::trim_start);
        match unit {
            "m" | "min" | "mins" | "minute" | "minutes" => Ok(Self::Minutes(amount)),
            "h" | "hr" | "hrs" | "hour" | "hours" => Ok(Self::Hours(amount)),
            "d" | "day" | "days" => Ok(Self::Days(amount)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for WorkingDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (amount, unit) = match *self {
            Self::Minutes(n) => (n, "minute"),
            Self::Hours(n) => (n, "hour"),
            Self::Days(n) => (n, "day"),
        };
        let plural = if amount == 1 { "" } else { "s" };
        write!(f, "{amount} working {unit}{plural}")
    }
}

impl<'de> Deserialize<'de> for WorkingDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for WorkingDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A task's age in working time for a narrow table column, at most two units:
///
/// - under an hour: minutes, `"45m"` (anything under a minute, or negative, is `"0m"`);
/// - under one working day: hours and minutes, `"3h 20m"`, or `"3h"` on the hour;
/// - otherwise working days of `day_length` and hours, `"2d 3h"`, or `"2d"`; the minutes are
///   dropped because at that age they no longer change what anyone does.
///
/// A zero or negative `day_length` never produces days.
pub fn format_working_age(d: chrono::Duration, day_length: chrono::Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let day_minutes = day_length.num_minutes();
    if day_minutes > 0 && minutes >= day_minutes {
        let days = minutes / day_minutes;
        let hours = (minutes % day_minutes) / 60;
        if hours == 0 {
            format!("{days}d")
        } else {
            format!("{days}d {hours}h")
        }
    } else if minutes >= 60 {
        let (hours, mins) = (minutes / 60, minutes % 60);
        if mins == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h {mins}m")
        }
    } else {
        format!("{minutes}m")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn display_is_canonical_and_parses_back() {
        for d in [
            WorkingDuration::Minutes(30),
            WorkingDuration::Hours(1),
            WorkingDuration::Hours(4),
            WorkingDuration::Days(1),
            WorkingDuration::Days(10),
        ] {
            assert_eq!(d.to_string().parse(), Ok(d));
        }
        assert_eq!(WorkingDuration::Hours(1).to_string(), "1 working hour");
        assert_eq!(WorkingDuration::Days(3).to_string(), "3 working days");
    }

    #[test]
    fn serde_round_trips_as_text() {
        let d: WorkingDuration = serde_json::from_str("\"4h\"").unwrap();
        assert_eq!(d, WorkingDuration::Hours(4));
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"4 working hours\"");
        let err = serde_json::from_str::<WorkingDuration>("\"soon\"").unwrap_err();
        assert!(err.to_string().contains("\"4 working hours\""), "{err}");
    }

    #[test]
    fn age_uses_two_units_at_most() {
        let day = Duration::hours(9);
        let age = |m: i64| format_working_age(Duration::minutes(m), day);
        assert_eq!(age(-5), "0m");
        assert_eq!(age(0), "0m");
        assert_eq!(age(45), "45m");
        assert_eq!(age(60), "1h");
        assert_eq!(age(200), "3h 20m");
        assert_eq!(age(9 * 60 - 1), "8h 59m");
        assert_eq!(age(9 * 60), "1d");
        assert_eq!(age(2 * 9 * 60 + 3 * 60 + 59), "2d 3h");
        assert_eq!(
            format_working_age(Duration::hours(30), Duration::zero()),
            "30h"
        );
    }
}

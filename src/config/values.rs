//! Readers for the config's scalar values that TOML has no single spelling for: dates written as
//! TOML date literals or as quoted text, times of day, weekday names and wall-clock durations.
//! Each refuses a bad value with a message that says what was written and what was expected,
//! because the person reading it is editing the file by hand.

use std::fmt::Display;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Deserializer};

use crate::domain::calendar::Nation;

const DATE_HINT: &str = "expected YYYY-MM-DD";

/// A TOML value as the user wrote it, for "found …" in messages.
fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("\"{s}\""),
        toml::Value::Array(_) => "a list".to_owned(),
        toml::Value::Table(_) => "a table".to_owned(),
        other => other.to_string(),
    }
}

fn date_from_text(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| format!("\"{text}\" is not a date ({DATE_HINT})"))
}

fn date_from_value(value: &toml::Value) -> Result<NaiveDate, String> {
    match value {
        toml::Value::String(s) => date_from_text(s),
        toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .ok_or_else(|| format!("{dt} is not a date ({DATE_HINT})"))
            }
            _ => Err(format!("{dt} has a time of day; {DATE_HINT} alone")),
        },
        other => Err(format!("{} is not a date ({DATE_HINT})", describe(other))),
    }
}

fn custom<E: serde::de::Error>(message: impl Display) -> E {
    E::custom(message)
}

/// A date written either as a TOML date literal (`2026-01-05`) or as text (`"2026-01-05"`):
/// both appear in hand-edited files and neither should be a trap.
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    date_from_value(&toml::Value::deserialize(d)?).map_err(custom)
}

pub fn optional_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    date(d).map(Some)
}

/// Each element is checked on its own so that the error names the element's index and line.
pub fn dates<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
    Ok(Vec::<DateItem>::deserialize(d)?
        .into_iter()
        .map(|DateItem(day)| day)
        .collect())
}

struct DateItem(NaiveDate);

impl<'de> Deserialize<'de> for DateItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        date(d).map(DateItem)
    }
}

/// A wall-clock time such as `"08:00"`; TOML 1.1 time literals (`08:00`) are accepted too.
pub fn time_of_day<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    const HINT: &str = "expected HH:MM on the 24-hour clock, e.g. \"08:00\" or \"18:30\"";
    match toml::Value::deserialize(d)? {
        toml::Value::String(s) => NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
            .map_err(|_| custom(format!("\"{s}\" is not a time of day ({HINT})"))),
        toml::Value::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (None, Some(t), None) => NaiveTime::from_hms_opt(
                u32::from(t.hour),
                u32::from(t.minute),
                u32::from(t.second.unwrap_or(0)),
            )
            .ok_or_else(|| custom(format!("{dt} is not a time of day ({HINT})"))),
            _ => Err(custom(format!("{dt} is not a time of day ({HINT})"))),
        },
        other => Err(custom(format!(
            "{} is not a time of day ({HINT})",
            describe(&other)
        ))),
    }
}

fn weekday_from_text(text: &str) -> Result<Weekday, String> {
    const NAMES: [(&str, &str, Weekday); 7] = [
        ("mon", "monday", Weekday::Mon),
        ("tue", "tuesday", Weekday::Tue),
        ("wed", "wednesday", Weekday::Wed),
        ("thu", "thursday", Weekday::Thu),
        ("fri", "friday", Weekday::Fri),
        ("sat", "saturday", Weekday::Sat),
        ("sun", "sunday", Weekday::Sun),
    ];
    let wanted = text.trim();
    NAMES
        .iter()
        .find(|(short, long, _)| {
            wanted.eq_ignore_ascii_case(short) || wanted.eq_ignore_ascii_case(long)
        })
        .map(|(_, _, day)| *day)
        .ok_or_else(|| {
            format!("\"{text}\" is not a day of the week (expected one of: mon, tue, wed, thu, fri, sat, sun)")
        })
}

struct WeekdayItem(Weekday);

impl<'de> Deserialize<'de> for WeekdayItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        weekday_from_text(&text).map(WeekdayItem).map_err(custom)
    }
}

pub fn weekdays<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
    Ok(Vec::<WeekdayItem>::deserialize(d)?
        .into_iter()
        .map(|WeekdayItem(day)| day)
        .collect())
}

/// A wall-clock duration (`"30s"`, `"5m"`, `"1h 30m"`) for network timings, which unlike
/// thresholds do not stop outside working hours.
pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(text.trim()).map_err(|_| {
        custom(format!(
            "\"{text}\" is not a duration (expected e.g. \"30s\", \"5m\" or \"1h\")"
        ))
    })
}

/// Goes through `Nation`'s own parser so that "England and Wales" is accepted as well as the
/// division key, and a typo gets the list of valid names.
pub fn nation<'de, D: Deserializer<'de>>(d: D) -> Result<Nation, D::Error> {
    String::deserialize(d)?.parse().map_err(custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_read_from_text_or_a_toml_literal() {
        let want = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
        assert_eq!(date_from_text("2026-01-05"), Ok(want));
        let literal: toml::Value = toml::from_str::<toml::Table>("d = 2026-01-05")
            .expect("toml")
            .remove("d")
            .expect("d");
        assert_eq!(date_from_value(&literal), Ok(want));
        assert!(date_from_text("05/01/2026").is_err());
    }

    #[test]
    fn weekdays_accept_short_and_long_names() {
        assert_eq!(weekday_from_text("mon"), Ok(Weekday::Mon));
        assert_eq!(weekday_from_text("Sunday"), Ok(Weekday::Sun));
        assert!(weekday_from_text("funday").is_err());
    }
}

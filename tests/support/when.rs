//! Dates and wall-clock instants as the calendar tests write them: a day, a time on the
//! practice's clock (Europe/London, summer time applied as the date needs), the working week.

#![allow(dead_code)] // each calendar test file uses a different part

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};
use taskgate::domain::calendar::PRACTICE_TIME_ZONE;

/// Monday to Friday, the working week of every calendar these tests build.
pub const WEEKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
}

/// A wall-clock time in the practice, as the instant it names.
pub fn london(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    PRACTICE_TIME_ZONE
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("a time that happened once")
        .with_timezone(&Utc)
}

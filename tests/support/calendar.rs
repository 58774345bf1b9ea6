//! The calendar most screen tests read against: England and Wales bank holidays from the
//! shipped data, Monday to Friday, 08:00–17:00 (the hours of the domain notes' worked example).

#![allow(dead_code)] // not every test file that includes the support module draws a screen

use chrono::{NaiveTime, Weekday};
use taskgate::domain::calendar::{BankHolidays, Nation, SHIPPED_BANK_HOLIDAYS, WorkingCalendar};

pub fn weekdays_8_to_17() -> WorkingCalendar {
    let holidays = BankHolidays::from_json(SHIPPED_BANK_HOLIDAYS)
        .and_then(|b| b.for_nation(Nation::EnglandAndWales))
        .expect("shipped data");
    let days = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("time");
    WorkingCalendar::new(&days, t(8), t(17), holidays, []).expect("calendar")
}

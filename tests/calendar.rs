//! Working-time arithmetic as a receptionist meets it: when a task falls due after a weekend, a
//! bank holiday or a closure, across clock changes, in each nation, and what the shipped
//! bank-holiday file says.
#![allow(clippy::unwrap_used)]

#[path = "support/when.rs"]
mod when;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use proptest::prelude::*;
use taskgate::domain::calendar::Nation::{self, EnglandAndWales, NorthernIreland, Scotland};
use taskgate::domain::calendar::{
    BankHolidays, CalendarDataError, NonWorkingDay, PRACTICE_TIME_ZONE, WorkingCalendar,
    WorkingDuration, format_working_age,
};
use when::{WEEKDAYS, date, london};

fn wall_clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&PRACTICE_TIME_ZONE)
        .format("%a %-d %b %Y %H:%M %Z")
        .to_string()
}

fn calendar_with(nation: Nation, closures: &[NaiveDate]) -> WorkingCalendar {
    let holidays = BankHolidays::shipped().unwrap().for_nation(nation).unwrap();
    let (start, end) = (
        NaiveTime::from_hms_opt(8, 0, 0),
        NaiveTime::from_hms_opt(17, 0, 0),
    );
    WorkingCalendar::new(
        &WEEKDAYS,
        start.unwrap(),
        end.unwrap(),
        holidays,
        closures.iter().copied(),
    )
    .unwrap()
}

fn england() -> WorkingCalendar {
    calendar_with(EnglandAndWales, &[])
}

fn due(calendar: &WorkingCalendar, received: DateTime<Utc>, hours: i64) -> String {
    let computed = calendar.add_working_time(received, Duration::hours(hours));
    assert_eq!(
        computed.warning, None,
        "inside the data no warning is expected"
    );
    wall_clock(computed.value)
}

#[test]
fn worked_example_skips_the_summer_bank_holiday() {
    let calendar = england();
    let received = london(2026, 8, 28, 16, 0);
    let threshold = calendar.to_duration("4 working hours".parse().unwrap());
    let computed = calendar.add_working_time(received, threshold);
    assert_eq!(computed.value, london(2026, 9, 1, 11, 0));
    assert_eq!(wall_clock(computed.value), "Tue 1 Sep 2026 11:00 BST");
    assert_eq!(computed.warning, None);
    let between = calendar.working_time_between(received, computed.value);
    assert_eq!(between.value, Duration::hours(4));
    assert_eq!(between.warning, None);
    let explained: Vec<String> = calendar
        .days_lost_between(date(2026, 8, 28), date(2026, 9, 1))
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        explained,
        ["Mon 31 Aug is a bank holiday (Summer bank holiday)"]
    );
}

#[test]
fn received_outside_hours_counts_from_the_next_opening() {
    let calendar = england();
    assert_eq!(
        due(&calendar, london(2026, 9, 1, 7, 0), 4),
        "Tue 1 Sep 2026 12:00 BST"
    );
    assert_eq!(
        due(&calendar, london(2026, 9, 1, 18, 30), 4),
        "Wed 2 Sep 2026 12:00 BST"
    );
    assert_eq!(
        due(&calendar, london(2026, 9, 5, 10, 0), 4),
        "Mon 7 Sep 2026 12:00 BST"
    );
    assert_eq!(
        due(&calendar, london(2026, 9, 1, 17, 0), 1),
        "Wed 2 Sep 2026 09:00 BST"
    );
    // Working time spent waiting outside hours is nil.
    let saturday =
        calendar.working_time_between(london(2026, 9, 5, 9, 0), london(2026, 9, 7, 8, 0));
    assert_eq!(saturday.value, Duration::zero());
}

#[test]
fn time_running_out_at_closing_is_due_at_closing_not_next_morning() {
    let calendar = england();
    assert_eq!(
        due(&calendar, london(2026, 8, 28, 16, 0), 1),
        "Fri 28 Aug 2026 17:00 BST"
    );
    assert_eq!(
        due(&calendar, london(2026, 9, 3, 8, 0), 9),
        "Thu 3 Sep 2026 17:00 BST"
    );
    let one_day = calendar.to_duration(WorkingDuration::Days(1));
    assert_eq!(one_day, Duration::hours(9));
    let from_nine = calendar.add_working_time(london(2026, 9, 2, 9, 0), one_day);
    assert_eq!(wall_clock(from_nine.value), "Thu 3 Sep 2026 09:00 BST");
}

#[test]
fn threshold_across_the_october_clock_change() {
    let calendar = england();
    let received = london(2026, 10, 23, 15, 0);
    let computed = calendar
        .add_working_time(received, Duration::hours(4))
        .value;
    assert_eq!(wall_clock(computed), "Mon 26 Oct 2026 10:00 GMT");
    assert_eq!(
        computed,
        Utc.with_ymd_and_hms(2026, 10, 26, 10, 0, 0).unwrap()
    );
    assert_eq!(
        received,
        Utc.with_ymd_and_hms(2026, 10, 23, 14, 0, 0).unwrap()
    );
    assert_eq!(
        calendar.working_time_between(received, computed).value,
        Duration::hours(4)
    );
}

#[test]
fn threshold_across_the_march_clock_change() {
    let calendar = england();
    let received = london(2026, 3, 27, 15, 0);
    assert_eq!(
        received,
        Utc.with_ymd_and_hms(2026, 3, 27, 15, 0, 0).unwrap()
    );
    let computed = calendar
        .add_working_time(received, Duration::hours(4))
        .value;
    assert_eq!(wall_clock(computed), "Mon 30 Mar 2026 10:00 BST");
    assert_eq!(
        computed,
        Utc.with_ymd_and_hms(2026, 3, 30, 9, 0, 0).unwrap()
    );
    assert_eq!(
        calendar.working_time_between(received, computed).value,
        Duration::hours(4)
    );
}

#[test]
fn practice_closure_day_is_skipped_and_explained() {
    let calendar = calendar_with(EnglandAndWales, &[date(2026, 9, 2)]);
    assert_eq!(
        due(&calendar, london(2026, 9, 1, 15, 0), 4),
        "Thu 3 Sep 2026 10:00 BST"
    );
    assert!(!calendar.is_working_day(date(2026, 9, 2)));
    assert_eq!(
        calendar
            .non_working_reason(date(2026, 9, 2))
            .unwrap()
            .to_string(),
        "Wed 2 Sep is a practice closure day"
    );
    assert_eq!(
        calendar
            .non_working_reason(date(2026, 9, 5))
            .unwrap()
            .to_string(),
        "Sat 5 Sep is a weekend"
    );
    assert_eq!(calendar.non_working_reason(date(2026, 9, 3)), None);
}

#[test]
fn scotland_and_england_differ_in_august() {
    let scotland = calendar_with(Scotland, &[]);
    let england = england();
    assert_eq!(
        scotland.non_working_reason(date(2026, 8, 3)),
        Some(NonWorkingDay::BankHoliday {
            date: date(2026, 8, 3),
            title: "Summer bank holiday".to_owned()
        })
    );
    assert!(england.is_working_day(date(2026, 8, 3)));
    assert!(scotland.is_working_day(date(2026, 8, 31)));
    assert!(!england.is_working_day(date(2026, 8, 31)));
    // The worked example in a Scottish practice is due on the Monday.
    assert_eq!(
        due(&scotland, london(2026, 8, 28, 16, 0), 4),
        "Mon 31 Aug 2026 11:00 BST"
    );
}

#[test]
fn christmas_2026_substitute_day_moves_due_times_to_tuesday() {
    let calendar = england();
    assert_eq!(
        due(&calendar, london(2026, 12, 24, 16, 0), 4),
        "Tue 29 Dec 2026 11:00 GMT"
    );
    let lost: Vec<String> = calendar
        .days_lost_between(date(2026, 12, 24), date(2026, 12, 31))
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        lost,
        [
            "Fri 25 Dec is a bank holiday (Christmas Day)",
            "Mon 28 Dec is a bank holiday (Boxing Day)"
        ]
    );
}

#[test]
fn a_whole_year_is_its_working_days_times_the_day() {
    // 2026 has 261 weekdays, 8 of them English bank holidays.
    let year = england().working_time_between(london(2026, 1, 1, 0, 0), london(2027, 1, 1, 0, 0));
    assert_eq!(year.value, Duration::hours(253 * 9));
    assert_eq!(year.warning, None);
    assert_eq!(format_working_age(year.value, Duration::hours(9)), "253d");
}

#[test]
fn past_the_end_of_the_list_the_rules_know_the_substitute_new_year() {
    let calendar = england();
    // The shipped list ends with 2027; 1 Jan 2028 is a Saturday, so Monday 3 January is off.
    let computed = calendar.add_working_time(london(2027, 12, 31, 16, 0), Duration::hours(4));
    assert_eq!(wall_clock(computed.value), "Tue 4 Jan 2028 11:00 GMT");
    assert_eq!(computed.warning, None);
    let lost: Vec<String> = calendar
        .days_lost_between(date(2027, 12, 31), date(2028, 1, 4))
        .map(|d| d.to_string())
        .collect();
    assert_eq!(
        lost,
        ["Mon 3 Jan is a bank holiday (New Year\u{2019}s Day)"]
    );
    let age = calendar.working_time_between(london(2027, 12, 31, 16, 0), london(2028, 1, 4, 9, 0));
    assert_eq!(age.value, Duration::hours(2));
    assert_eq!(age.warning, None);
}

#[test]
fn only_days_that_would_be_worked_raise_the_warning() {
    let calendar = england();
    let from_2022 =
        calendar.working_time_between(london(2022, 12, 30, 16, 0), london(2023, 1, 3, 9, 0));
    // Fri 30 Dec 2022 counted; Mon 2 Jan 2023 is a known substitute holiday.
    assert_eq!(from_2022.value, Duration::hours(2));
    let warning = from_2022.warning.unwrap();
    assert!(warning.before_data && !warning.after_data);
    assert!(
        warning
            .to_string()
            .starts_with("bank holidays for England and Wales are known from 1 Jan 2023"),
        "{warning}"
    );
    // Starting on Saturday 31 Dec 2022 counts no day before the list.
    let from_saturday =
        calendar.working_time_between(london(2022, 12, 31, 9, 0), london(2023, 1, 3, 12, 0));
    assert_eq!(from_saturday.value, Duration::hours(4));
    assert_eq!(from_saturday.warning, None);
}

#[test]
fn working_durations_read_as_people_write_them() {
    for (text, expected) in [
        ("30 working minutes", WorkingDuration::Minutes(30)),
        ("2 working hours", WorkingDuration::Hours(2)),
        ("1 working hour", WorkingDuration::Hours(1)),
        ("1 working day", WorkingDuration::Days(1)),
        ("3 working days", WorkingDuration::Days(3)),
        ("4 hours", WorkingDuration::Hours(4)),
        ("2h", WorkingDuration::Hours(2)),
        ("30m", WorkingDuration::Minutes(30)),
        ("1d", WorkingDuration::Days(1)),
        ("  10 Working Days ", WorkingDuration::Days(10)),
    ] {
        assert_eq!(text.parse::<WorkingDuration>(), Ok(expected), "{text}");
    }
    assert_eq!(WorkingDuration::Hours(2).to_string(), "2 working hours");
    for bad in ["", "four hours", "2 weeks", "-1h", "1.5h", "h", "2 working"] {
        let message = bad.parse::<WorkingDuration>().unwrap_err().to_string();
        assert!(message.contains(&format!("\"{bad}\"")), "{message}");
        assert!(message.contains("\"4 working hours\""), "{message}");
    }
}

#[test]
fn bad_working_hours_are_refused() {
    let holidays = BankHolidays::shipped()
        .unwrap()
        .for_nation(EnglandAndWales)
        .unwrap();
    let five = NaiveTime::from_hms_opt(17, 0, 0).unwrap();
    let err = WorkingCalendar::new(&WEEKDAYS, five, five, holidays, []).unwrap_err();
    assert!(matches!(err, CalendarDataError::HoursOutOfOrder { .. }));
    assert_eq!(
        err.to_string(),
        "working hours must start before they end (start 17:00:00, end 17:00:00)"
    );
}

#[test]
fn shipped_file_has_every_nation_on_the_right_weekdays() {
    let all = BankHolidays::shipped().unwrap();
    for (nation, per_year) in [(EnglandAndWales, 8), (Scotland, 9), (NorthernIreland, 10)] {
        let set = all.for_nation(nation).unwrap();
        for year in 2023..=2027 {
            let coronation = usize::from(year == 2023);
            let extra = usize::from(nation == Scotland && year == 2026);
            let count = set.iter().filter(|(d, _)| d.year() == year).count();
            assert_eq!(count, per_year + coronation + extra, "{nation} {year}");
        }
        for (day, title) in set.iter() {
            assert!(
                !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
                "{nation} {day}"
            );
            let expected = match title {
                "Good Friday" => Some(Weekday::Fri),
                "Easter Monday"
                | "Early May bank holiday"
                | "Spring bank holiday"
                | "Summer bank holiday" => Some(Weekday::Mon),
                _ => None,
            };
            if let Some(weekday) = expected {
                assert_eq!(day.weekday(), weekday, "{nation} {title} {day}");
            }
        }
    }
    let dates = |nation, year| -> Vec<String> {
        let set = all.for_nation(nation).unwrap();
        set.iter()
            .filter(|(d, _)| d.year() == year)
            .map(|(d, _)| d.format("%-d %b").to_string())
            .collect()
    };
    assert_eq!(
        dates(EnglandAndWales, 2026),
        [
            "1 Jan", "3 Apr", "6 Apr", "4 May", "25 May", "31 Aug", "25 Dec", "28 Dec"
        ]
    );
    assert_eq!(
        dates(EnglandAndWales, 2027),
        [
            "1 Jan", "26 Mar", "29 Mar", "3 May", "31 May", "30 Aug", "27 Dec", "28 Dec"
        ]
    );
    assert_eq!(
        dates(Scotland, 2027),
        [
            "1 Jan", "4 Jan", "26 Mar", "3 May", "31 May", "2 Aug", "30 Nov", "27 Dec", "28 Dec"
        ]
    );
    assert_eq!(
        dates(Scotland, 2026),
        [
            "1 Jan", "2 Jan", "3 Apr", "4 May", "25 May", "15 Jun", "3 Aug", "30 Nov", "25 Dec",
            "28 Dec"
        ]
    );
    assert_eq!(
        dates(NorthernIreland, 2026),
        [
            "1 Jan", "17 Mar", "3 Apr", "6 Apr", "4 May", "25 May", "13 Jul", "31 Aug", "25 Dec",
            "28 Dec"
        ]
    );
    let ew = all.for_nation(EnglandAndWales).unwrap();
    assert_eq!(
        ew.title(date(2023, 5, 8)),
        Some("Bank holiday for the coronation of King Charles III")
    );
}

/// An instant between 2023 and 2027 with minute resolution, inside or outside working hours.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let from = Utc
        .with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp()
        / 60;
    let to = Utc
        .with_ymd_and_hms(2027, 11, 30, 0, 0, 0)
        .unwrap()
        .timestamp()
        / 60;
    (from..to).prop_map(|minute| DateTime::from_timestamp(minute * 60, 0).unwrap())
}

fn working_minutes() -> impl Strategy<Value = i64> {
    0_i64..(20 * 9 * 60)
}

proptest! {
    #[test]
    fn adding_then_measuring_gives_the_duration_back(start in instant(), minutes in working_minutes()) {
        let calendar = calendar_with(EnglandAndWales, &[date(2025, 7, 16)]);
        let d = Duration::minutes(minutes);
        let due = calendar.add_working_time(start, d).value;
        prop_assert_eq!(calendar.working_time_between(start, due).value, d);
        if minutes > 0 {
            prop_assert!(due > start);
            let local = due.with_timezone(&PRACTICE_TIME_ZONE);
            prop_assert!(calendar.is_working_day(local.date_naive()));
            prop_assert!((8..=17).contains(&local.hour()));
        }
    }

    #[test]
    fn a_longer_threshold_is_never_due_sooner(start in instant(), a in working_minutes(), b in working_minutes()) {
        let calendar = calendar_with(Scotland, &[]);
        let (short, long) = (a.min(b), a.max(b));
        let sooner = calendar.add_working_time(start, Duration::minutes(short)).value;
        let later = calendar.add_working_time(start, Duration::minutes(long)).value;
        prop_assert!(sooner <= later);
    }

    #[test]
    fn working_time_adds_up_over_consecutive_spans(x in instant(), y in instant(), z in instant()) {
        let calendar = calendar_with(NorthernIreland, &[date(2024, 12, 24)]);
        let mut points = [x, y, z];
        points.sort();
        let [a, b, c] = points;
        let between = |p, q| calendar.working_time_between(p, q).value;
        prop_assert_eq!(between(a, b) + between(b, c), between(a, c));
        prop_assert_eq!(between(c, a), Duration::zero());
    }
}

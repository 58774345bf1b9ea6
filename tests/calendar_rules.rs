//! Bank holidays by rule, as a practice meets them once the published list runs out: the rules
//! agree with the list wherever the list has no one-off, Easter and Christmas move due times in
//! years no list covers, Scotland's 15 June 2026 holds a Scottish task back a day, a due time
//! never lands on a non-working day, and `taskgate calendar` shows where each day comes from.
#![allow(clippy::unwrap_used)]

#[path = "support/when.rs"]
mod when;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::LazyLock;
use when::{WEEKDAYS, date, london};

use assert_cmd::Command;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use predicates::prelude::*;
use proptest::prelude::*;
use serde_json::Value;
use taskgate::domain::Priority;
use taskgate::domain::calendar::Nation::{self, EnglandAndWales, NorthernIreland, Scotland};
use taskgate::domain::calendar::{
    BankHolidays, HolidaySource, PRACTICE_TIME_ZONE, WorkingCalendar, bank_holidays_by_rule,
};
use taskgate::domain::overdue::{DueState, Thresholds, assess, explain};

fn wall_clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&PRACTICE_TIME_ZONE)
        .format("%a %-d %b %Y %H:%M")
        .to_string()
}

/// 08:00–17:00, Monday to Friday, the shipped bank holidays of `nation`.
fn calendar(nation: Nation, closures: &[NaiveDate]) -> WorkingCalendar {
    let holidays = BankHolidays::shipped().unwrap().for_nation(nation).unwrap();
    WorkingCalendar::new(
        &WEEKDAYS,
        NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        holidays,
        closures.iter().copied(),
    )
    .unwrap()
}

/// Days the published list holds that no rule can give, and why.
const ONE_OFFS: [(Nation, (i32, u32, u32), &str); 4] = [
    (
        EnglandAndWales,
        (2023, 5, 8),
        "the coronation of King Charles III, proclaimed for 2023 only",
    ),
    (Scotland, (2023, 5, 8), "the coronation, in Scotland too"),
    (
        NorthernIreland,
        (2023, 5, 8),
        "the coronation, in Northern Ireland too",
    ),
    (
        Scotland,
        (2026, 6, 15),
        "Scotland's extra bank holiday, proclaimed in February 2026",
    ),
];

#[test]
fn rules_give_exactly_the_published_days_apart_from_one_offs() {
    let all = BankHolidays::shipped().unwrap();
    for nation in Nation::ALL {
        let listed = all.for_nation(nation).unwrap();
        for year in 2023..=2027 {
            let one_offs: BTreeSet<NaiveDate> = ONE_OFFS
                .iter()
                .filter(|(n, (y, _, _), _)| *n == nation && *y == year)
                .map(|(_, (y, m, d), _)| date(*y, *m, *d))
                .collect();
            let published: Vec<(NaiveDate, &str)> = listed
                .in_year(year)
                .inspect(|h| assert_eq!(h.source, HolidaySource::Snapshot))
                .filter(|h| !one_offs.contains(&h.date))
                .map(|h| (h.date, h.title))
                .collect();
            let ruled: Vec<(NaiveDate, &str)> = bank_holidays_by_rule(nation, year)
                .iter()
                .map(|h| (h.date, h.title))
                .collect();
            let dates = |days: &[(NaiveDate, &str)]| days.iter().map(|d| d.0).collect::<Vec<_>>();
            assert_eq!(dates(&ruled), dates(&published), "{nation} {year}");
            for ((day, rule_title), (_, listed_title)) in ruled.iter().zip(&published) {
                // In 2023 New Year's Day fell on a Sunday: the list calls Monday 2 January the
                // New Year substitute and Tuesday the "2nd January" one; the rules keep 2
                // January as itself. Same days off, names swapped.
                if nation == Scotland && (*day == date(2023, 1, 2) || *day == date(2023, 1, 3)) {
                    continue;
                }
                assert_eq!(rule_title, listed_title, "{nation} {day}");
            }
        }
    }
}

/// The oracle is the PyPI package `holidays`, written independently of taskgate; its weekday
/// dates for 2028–2060 are kept in a fixture (see docs/calendar.md to regenerate it).
#[test]
fn rules_agree_with_an_independent_implementation_for_2028_to_2060() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/calendar/oracle-2028-2060.json");
    let oracle: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let all = BankHolidays::shipped().unwrap();
    for nation in Nation::ALL {
        let expected: Vec<&str> = oracle[nation.as_str()]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert!(expected.len() > 33 * 7, "{nation}: the fixture is whole");
        let set = all.for_nation(nation).unwrap();
        let ours: Vec<String> = (2028..=2060)
            .flat_map(|year| {
                set.in_year(year)
                    .map(|h| h.date.to_string())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(ours, expected, "{nation}");
    }
}

#[test]
fn after_the_list_the_rules_take_over_and_say_so() {
    let scotland = BankHolidays::shipped()
        .unwrap()
        .for_nation(Scotland)
        .unwrap();
    let good_friday = scotland.get(date(2028, 4, 14)).unwrap();
    assert_eq!(good_friday.title, "Good Friday");
    assert_eq!(good_friday.source, HolidaySource::Rule);
    assert_eq!(scotland.get(date(2028, 4, 17)), None, "no Easter Monday");
    assert_eq!(
        scotland.get(date(2026, 6, 15)).map(|h| (h.title, h.source)),
        Some(("Extra bank holiday", HolidaySource::Snapshot))
    );
}

#[test]
fn easter_2028_moves_due_times_in_each_nation() {
    let received = london(2028, 4, 13, 16, 0);
    let four_hours = Duration::hours(4);
    for (nation, expected) in [
        (EnglandAndWales, "Tue 18 Apr 2028 11:00"),
        (NorthernIreland, "Tue 18 Apr 2028 11:00"),
        (Scotland, "Mon 17 Apr 2028 11:00"),
    ] {
        let due = calendar(nation, &[]).add_working_time(received, four_hours);
        assert_eq!(wall_clock(due.value), expected, "{nation}");
        assert_eq!(due.warning, None, "{nation}: the rules know 2028");
    }
}

#[test]
fn christmas_on_a_saturday_gives_monday_and_tuesday_off() {
    for year in [2027, 2032] {
        assert_eq!(date(year, 12, 25).weekday(), Weekday::Sat);
        for nation in Nation::ALL {
            let cal = calendar(nation, &[]);
            let received = london(year, 12, 24, 16, 0);
            let due = cal.add_working_time(received, Duration::hours(4));
            assert_eq!(
                wall_clock(due.value),
                format!("Wed 29 Dec {year} 11:00"),
                "{nation} {year}"
            );
            assert_eq!(due.warning, None);
            let lost: Vec<String> = cal
                .days_lost_between(date(year, 12, 24), date(year, 12, 29))
                .map(|d| d.to_string())
                .collect();
            assert_eq!(
                lost,
                [
                    "Mon 27 Dec is a bank holiday (Christmas Day)",
                    "Tue 28 Dec is a bank holiday (Boxing Day)"
                ],
                "{nation} {year}"
            );
        }
    }
}

#[test]
fn a_scottish_urgent_task_is_not_overdue_on_15_june_2026() {
    let thresholds = Thresholds {
        routine: Duration::hours(9),
        urgent: Duration::hours(2),
        asap: Duration::hours(2),
        stat: Duration::hours(1),
        due_soon: Duration::minutes(30),
    };
    let received = london(2026, 6, 12, 16, 0);
    let monday_noon = london(2026, 6, 15, 12, 0);
    let scotland = calendar(Scotland, &[]);
    let due = assess(
        &scotland,
        &thresholds,
        Priority::Urgent,
        received,
        monday_noon,
    );
    assert_eq!(wall_clock(due.due_at), "Tue 16 Jun 2026 09:00");
    assert_eq!(due.state, DueState::OnTime);
    assert_eq!(
        explain(
            &scotland,
            "2 working hours".parse().unwrap(),
            received,
            &due
        ),
        "received Fri 12 Jun 16:00; threshold 2 working hours; due Tue 16 Jun 09:00 — Mon 15 Jun \
         is a bank holiday (Extra bank holiday)"
    );
    // In England the same task is overdue by Monday noon.
    let england = calendar(EnglandAndWales, &[]);
    let due = assess(
        &england,
        &thresholds,
        Priority::Urgent,
        received,
        monday_noon,
    );
    assert_eq!(wall_clock(due.due_at), "Mon 15 Jun 2026 09:00");
    assert_eq!(due.state, DueState::Overdue);
}

static CALENDARS: LazyLock<Vec<WorkingCalendar>> = LazyLock::new(|| {
    let closures = [date(2026, 10, 14), date(2031, 2, 5)];
    Nation::ALL
        .into_iter()
        .map(|n| calendar(n, &closures))
        .collect()
});

/// An instant from 2023 to 2060, to the minute.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let from = london(2023, 1, 1, 0, 0).timestamp() / 60;
    let to = london(2060, 12, 1, 0, 0).timestamp() / 60;
    (from..to).prop_map(|minute| DateTime::from_timestamp(minute * 60, 0).unwrap())
}

proptest! {
    /// The independent oracle is the list of holidays by rule (or in the list) for the due
    /// date's year, and the weekday itself; the calendar gets there by index arithmetic.
    #[test]
    fn a_due_time_never_lands_on_a_non_working_day(
        start in instant(),
        minutes in 1_i64..(25 * 9 * 60),
        which in 0_usize..3,
    ) {
        let cal = &CALENDARS[which];
        let due = cal.add_working_time(start, Duration::minutes(minutes));
        let day = due.value.with_timezone(&PRACTICE_TIME_ZONE).date_naive();
        prop_assert!(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun), "{day}");
        prop_assert!(cal.holidays().get(day).is_none(), "{day} is a holiday");
        if day.year() > 2027 {
            prop_assert!(bank_holidays_by_rule(cal.nation(), day.year()).iter().all(|h| h.date != day));
        }
        prop_assert!(day != date(2031, 2, 5) && day != date(2026, 10, 14));
        prop_assert!(cal.is_working_day(day));
        prop_assert_eq!(due.warning.filter(|w| w.before_data || w.after_data), None);
    }
}

fn example_config() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml")
}

fn taskgate(home: &Path) -> Command {
    taskgate_with(home, &example_config())
}

fn taskgate_with(home: &Path, config: &Path) -> Command {
    let mut c = Command::cargo_bin("taskgate").unwrap();
    c.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("TASKGATE_CONFIG")
        .env_remove("TASKGATE_USER")
        .env_remove("TASKGATE_LOG")
        .arg("--config")
        .arg(config);
    c
}

#[test]
fn calendar_command_lists_scotlands_good_friday_and_no_easter_monday() {
    let home = tempfile::tempdir().unwrap();
    let out = taskgate(home.path())
        .args(["calendar", "--nation", "scotland", "--year", "2028"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Non-working days in 2028 for Scotland"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.contains("Fri 14 Apr 2028")
            && l.contains("Good Friday")
            && l.ends_with("rule")),
        "{text}"
    );
    assert!(!text.contains("Easter Monday"), "{text}");
    assert!(!text.contains("17 Apr"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("Mon 3 Jan 2028") && l.contains("(substitute day)")),
        "{text}"
    );
    assert!(text.contains("St Andrew\u{2019}s Day"), "{text}");
}

#[test]
fn calendar_command_defaults_to_the_practice_and_the_year_of_now() {
    let home = tempfile::tempdir().unwrap();
    let out = taskgate(home.path())
        .args([
            "--now",
            "2026-06-01T09:00:00Z",
            "calendar",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listing["nation"], "england-and-wales");
    assert_eq!(listing["year"], 2026);
    let days = listing["days"].as_array().unwrap();
    let row = |when: &str| days.iter().find(|d| d["date"] == when).cloned();
    let easter_monday = row("2026-04-06").unwrap();
    assert_eq!(easter_monday["name"], "Easter Monday");
    assert_eq!(easter_monday["source"], "snapshot");
    // The example config's closures.
    assert_eq!(row("2026-03-11").unwrap()["source"], "practice-closure");
    assert_eq!(row("2026-10-14").unwrap()["source"], "practice-closure");
    // England has no 15 June holiday; weekends are never listed.
    assert!(row("2026-06-15").is_none());
    assert_eq!(days.len(), 8 + 2);
}

#[test]
fn calendar_command_refuses_an_unknown_nation_by_name() {
    let home = tempfile::tempdir().unwrap();
    taskgate(home.path())
        .args(["calendar", "--nation", "wales"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("\"england-and-wales\""));
}

#[test]
fn config_check_says_how_far_the_list_reaches_and_that_rules_follow() {
    let home = tempfile::tempdir().unwrap();
    taskgate(home.path())
        .args(["config", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Holiday data:  01 Jan 2023 to 31 Dec 2027 (41 bank holidays, from the shipped \
             bank-holiday data); rules cover the years after",
        ));
}

#[test]
fn a_replacement_file_still_wins_for_its_years() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("holidays.json");
    let event = |title: &str, date: &str| serde_json::json!({ "title": title, "date": date, "notes": "", "bunting": true });
    let division = |events: Vec<Value>| serde_json::json!({ "division": "x", "events": events });
    let json = serde_json::json!({
        "england-and-wales": division(vec![
            event("Good Friday", "2028-04-14"),
            event("Practice-wide jubilee", "2028-06-05"),
        ]),
        "scotland": division(vec![event("Good Friday", "2028-04-14")]),
        "northern-ireland": division(vec![event("Good Friday", "2028-04-14")]),
    });
    std::fs::write(&file, json.to_string()).unwrap();
    let config = std::fs::read_to_string(example_config()).unwrap().replace(
        "# bank_holidays_file = \"/etc/taskgate/bank-holidays.json\"",
        &format!("bank_holidays_file = {:?}", file.display().to_string()),
    );
    let config_path = home.path().join("config.toml");
    std::fs::write(&config_path, config).unwrap();
    let list = |year: &str| {
        let out = taskgate_with(home.path(), &config_path)
            .args(["calendar", "--year", year])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // 2028 is the file's year: only its two days, Easter Monday not among them.
    let in_file = list("2028");
    assert!(in_file.contains("Practice-wide jubilee"), "{in_file}");
    assert!(!in_file.contains("Easter Monday"), "{in_file}");
    assert!(in_file.contains(&file.display().to_string()), "{in_file}");
    // 2029 follows the rules.
    let after = list("2029");
    assert!(
        after
            .lines()
            .any(|l| l.contains("Mon 2 Apr 2029") && l.contains("Easter Monday")),
        "{after}"
    );
}

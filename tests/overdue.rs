//! Overdue as a receptionist meets it: when an unactioned task falls due and the sentence that
//! explains why (bank holidays, closures, clock changes, receipts outside working hours), when it
//! turns amber, when an assigned task has stalled, and `taskgate overdue` on a demo mirror
//! checked against a hand count that never goes through the report code.
#![allow(clippy::unwrap_used)]

#[path = "support/when.rs"]
mod when;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use when::{WEEKDAYS, date, london};

use assert_cmd::Command;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::Value;
use taskgate::config::Config;
use taskgate::domain::calendar::{BankHolidays, Nation, WorkingCalendar, WorkingDuration};
use taskgate::domain::overdue::{
    DueState, StalledReason, Thresholds, assess, explain, latest_receipt_due_by, stalled,
};
use taskgate::domain::{Patient, Priority, Status, Task};
use tempfile::TempDir;

/// The worked example's practice: 08:00–17:00, Monday to Friday, England and Wales.
fn calendar(closures: &[NaiveDate]) -> WorkingCalendar {
    let holidays = BankHolidays::shipped()
        .unwrap()
        .for_nation(Nation::EnglandAndWales)
        .unwrap();
    WorkingCalendar::new(
        &WEEKDAYS,
        NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        holidays,
        closures.iter().copied(),
    )
    .unwrap()
}

/// Every priority 4 working hours, due soon within 1 working hour.
fn four_hours() -> Thresholds {
    Thresholds {
        routine: Duration::hours(4),
        urgent: Duration::hours(4),
        asap: Duration::hours(4),
        stat: Duration::hours(4),
        due_soon: Duration::hours(1),
    }
}

/// Due time and explanation of a routine task with a 4-working-hour threshold.
fn explained(cal: &WorkingCalendar, received: DateTime<Utc>) -> (DateTime<Utc>, String) {
    let due = assess(cal, &four_hours(), Priority::Routine, received, received);
    let text = explain(cal, WorkingDuration::Hours(4), received, &due);
    (due.due_at, text)
}

#[test]
fn worked_example_explanation_names_the_bank_holiday() {
    let cal = calendar(&[]);
    let (due, text) = explained(&cal, london(2026, 8, 28, 16, 0));
    assert_eq!(due, london(2026, 9, 1, 11, 0));
    assert_eq!(
        text,
        "received Fri 28 Aug 16:00; threshold 4 working hours; due Tue 1 Sep 11:00 — Mon 31 Aug \
         is a bank holiday (Summer bank holiday)"
    );
}

#[test]
fn receipt_outside_working_hours_says_when_the_clock_starts() {
    let cal = calendar(&[]);
    // Saturday of the bank-holiday weekend: the clock starts after the holiday, not on Monday.
    let (due, text) = explained(&cal, london(2026, 8, 29, 10, 0));
    assert_eq!(due, london(2026, 9, 1, 12, 0));
    assert_eq!(
        text,
        "received Sat 29 Aug 10:00 (outside working hours: the clock starts Tue 1 Sep 08:00); \
         threshold 4 working hours; due Tue 1 Sep 12:00 — Mon 31 Aug is a bank holiday (Summer \
         bank holiday)"
    );
    // An evening receipt waits for the next morning.
    let (due, text) = explained(&cal, london(2026, 9, 9, 18, 30));
    assert_eq!(due, london(2026, 9, 10, 12, 0));
    assert!(
        text.starts_with(
            "received Wed 9 Sep 18:30 (outside working hours: the clock starts Thu 10 Sep 08:00)"
        ),
        "{text}"
    );
    // Inside working hours there is nothing to say about the clock.
    let (_, text) = explained(&cal, london(2026, 9, 9, 8, 0));
    assert!(!text.contains("outside working hours"), "{text}");
}

#[test]
fn a_threshold_across_a_weekend_lists_no_days_lost() {
    let cal = calendar(&[]);
    let received = london(2026, 10, 2, 15, 0);
    let due = assess(&cal, &four_hours(), Priority::Routine, received, received);
    let one_day = cal.to_duration(WorkingDuration::Days(1));
    let day_due = cal.add_working_time(received, one_day).value;
    assert_eq!(day_due, london(2026, 10, 5, 15, 0), "Fri 15:00 + 1 day");
    assert_eq!(due.due_at, london(2026, 10, 5, 10, 0), "2h Fri + 2h Mon");
    assert_eq!(
        explain(&cal, WorkingDuration::Hours(4), received, &due),
        "received Fri 2 Oct 15:00; threshold 4 working hours; due Mon 5 Oct 10:00"
    );
}

#[test]
fn thresholds_span_both_clock_changes_in_wall_clock_hours() {
    let cal = calendar(&[]);
    // Clocks go back on Sunday 25 October 2026: Monday's 11:00 is GMT, i.e. 11:00 UTC.
    let (due, text) = explained(&cal, london(2026, 10, 23, 16, 0));
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 10, 26, 11, 0, 0).unwrap());
    assert!(text.ends_with("due Mon 26 Oct 11:00"), "{text}");
    // Clocks go forward on Sunday 29 March 2026: Monday's 11:00 is BST, i.e. 10:00 UTC.
    let (due, text) = explained(&cal, london(2026, 3, 27, 16, 0));
    assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 30, 10, 0, 0).unwrap());
    assert!(text.ends_with("due Mon 30 Mar 11:00"), "{text}");
}

#[test]
fn a_practice_closure_day_moves_the_due_time_and_is_named() {
    let cal = calendar(&[date(2026, 10, 14)]);
    let (due, text) = explained(&cal, london(2026, 10, 13, 16, 0));
    assert_eq!(due, london(2026, 10, 15, 11, 0));
    assert_eq!(
        text,
        "received Tue 13 Oct 16:00; threshold 4 working hours; due Thu 15 Oct 11:00 — Wed 14 Oct \
         is a practice closure day"
    );
}

#[test]
fn explanation_names_holidays_from_the_rules_as_from_the_snapshot() {
    let cal = calendar(&[]);
    // Past the shipped list (which ends in 2027): Easter 2028 comes from the rules.
    let (due, text) = explained(&cal, london(2028, 4, 13, 16, 0));
    assert_eq!(due, london(2028, 4, 18, 11, 0));
    assert_eq!(
        text,
        "received Thu 13 Apr 16:00; threshold 4 working hours; due Tue 18 Apr 11:00 — Fri 14 Apr \
         is a bank holiday (Good Friday), Mon 17 Apr is a bank holiday (Easter Monday)"
    );
    // Inside the list, the same sentence.
    let (_, text) = explained(&cal, london(2027, 3, 25, 16, 0));
    assert!(
        text.ends_with("Fri 26 Mar is a bank holiday (Good Friday), Mon 29 Mar is a bank holiday (Easter Monday)"),
        "{text}"
    );
}

#[test]
fn explanation_warns_only_where_nothing_is_known() {
    // Closures are listed for 2026 only: a due time in 2027 may have missed one.
    let cal = calendar(&[date(2026, 10, 14)]);
    let (_, text) = explained(&cal, london(2028, 3, 1, 9, 0));
    assert!(
        text.ends_with(
            "Warning: the practice's closure days are listed up to 31 Dec 2026; days after that \
             were counted as ordinary working days — add the coming closures to \
             working_time.closures"
        ),
        "{text}"
    );
    let (_, text) = explained(&cal, london(2026, 3, 2, 9, 0));
    assert!(!text.contains("Warning"), "{text}");
    // With no closures listed there is nothing to warn about after the list either.
    let (_, text) = explained(&calendar(&[]), london(2030, 3, 1, 9, 0));
    assert!(!text.contains("Warning"), "{text}");
    // Before the bank-holiday list, nothing is known.
    let (_, text) = explained(&calendar(&[]), london(2022, 12, 30, 16, 0));
    assert!(
        text.contains("Warning: bank holidays for England and Wales are known from 1 Jan 2023"),
        "{text}"
    );
}

#[test]
fn due_soon_starts_exactly_one_working_hour_before_the_due_time() {
    let cal = calendar(&[]);
    // Received Mon 7 Sep 09:00, due 13:00.
    let received = london(2026, 9, 7, 9, 0);
    let state = |h, m| {
        assess(
            &cal,
            &four_hours(),
            Priority::Urgent,
            received,
            london(2026, 9, 7, h, m),
        )
        .state
    };
    assert_eq!(state(11, 59), DueState::OnTime);
    assert_eq!(state(12, 0), DueState::DueSoon);
    assert_eq!(state(12, 1), DueState::DueSoon);
    assert_eq!(state(12, 59), DueState::DueSoon);
    assert_eq!(state(13, 0), DueState::Overdue);
    assert_eq!(state(13, 1), DueState::Overdue);
}

#[test]
fn the_due_soon_margin_does_not_count_the_night() {
    let cal = calendar(&[]);
    // Received Mon 7 Sep 14:00: 3h on Monday, 1h on Tuesday, due Tue 09:00.
    let received = london(2026, 9, 7, 14, 0);
    let at = |d, h, m| {
        assess(
            &cal,
            &four_hours(),
            Priority::Routine,
            received,
            london(2026, 9, d, h, m),
        )
        .state
    };
    assert_eq!(at(7, 16, 59), DueState::OnTime, "61 working minutes left");
    assert_eq!(
        at(7, 17, 0),
        DueState::DueSoon,
        "one working hour left over night"
    );
    assert_eq!(at(8, 8, 59), DueState::DueSoon);
    assert_eq!(at(8, 9, 0), DueState::Overdue);
}

/// The header counts overdue tasks as those received by one cut-off per priority; the overdue
/// view assesses each task. On a demo mirror they once differed by 15 tasks: the cut-off was
/// found to within a second, not to the second, and a task received at the boundary second
/// (such as 08:00:00, which shares its due time with every receipt of the night before) fell
/// on the wrong side. Receipts are whole seconds, as the mirror stores them.
#[test]
fn the_headers_receipt_cut_off_agrees_with_each_tasks_assessment_to_the_second() {
    let cal = calendar(&[date(2026, 9, 9)]);
    let threshold = Duration::hours(4);
    // Instants across a week with a closure (Wed 9 Sep), a weekend and odd seconds; among
    // them the exact due times of receipts at the opening and just after it.
    let start = london(2026, 9, 7, 0, 0);
    let mut nows: Vec<DateTime<Utc>> = (0..2000)
        .map(|n| start + Duration::seconds(n * 433 + n % 7))
        .collect();
    nows.extend([
        london(2026, 9, 7, 12, 0),
        london(2026, 9, 7, 12, 0) + Duration::seconds(1),
        london(2026, 9, 8, 12, 0) + Duration::milliseconds(500),
    ]);
    for now in nows {
        let cut_off = latest_receipt_due_by(&cal, threshold, now);
        let near = cut_off.timestamp();
        let openings = [london(2026, 9, 7, 8, 0), london(2026, 9, 8, 8, 0)].map(|t| t.timestamp());
        let receipts = (near - 3..=near + 3).chain(openings.iter().flat_map(|o| o - 1..=o + 1));
        for second in receipts {
            let received = DateTime::from_timestamp(second, 0).unwrap();
            let overdue = assess(&cal, &four_hours(), Priority::Routine, received, now).state
                == DueState::Overdue;
            assert_eq!(
                received <= cut_off,
                overdue,
                "now {now}, received {received}, cut-off {cut_off}"
            );
        }
    }
}

fn assigned_task(updated_at: DateTime<Utc>, due_by: Option<DateTime<Utc>>) -> Task {
    Task {
        id: 1,
        row_version: 2,
        source_id: "T-1".to_owned(),
        source_version: None,
        status: Status::Assigned,
        priority: Priority::Routine,
        provider_ods: "RX1".to_owned(),
        provider_name: "Community Nursing".to_owned(),
        sender_team: None,
        addressed_to: None,
        owner: Some("sara".to_owned()),
        patient: Patient {
            nhs_number: None,
            name: "Jane Example".to_owned(),
            birth_date: None,
        },
        subject: "Dressing change".to_owned(),
        body: String::new(),
        received_at: updated_at - Duration::days(1),
        due_by,
        updated_at,
    }
}

#[test]
fn an_assigned_task_past_the_senders_due_date_is_stalled() {
    let cal = calendar(&[]);
    let limit = cal.to_duration(WorkingDuration::Days(5));
    let assigned = london(2026, 9, 7, 9, 0);
    let task = assigned_task(assigned, Some(london(2026, 9, 9, 17, 0)));
    assert_eq!(
        stalled(&task, london(2026, 9, 9, 16, 59), &cal, limit),
        None
    );
    let reason = stalled(&task, london(2026, 9, 9, 17, 0), &cal, limit).unwrap();
    assert!(matches!(reason, StalledReason::PastSendersDueDate { .. }));
    assert_eq!(
        reason.to_string(),
        "assigned to sara on Mon 7 Sep 09:00; the sender asked for it by Wed 9 Sep 17:00 and \
         that has passed"
    );
    // An unactioned task is measured as overdue, never as stalled.
    let mut new = task.clone();
    new.status = Status::New;
    assert_eq!(stalled(&new, london(2026, 9, 30, 9, 0), &cal, limit), None);
}

#[test]
fn an_assigned_task_idle_for_the_limit_in_working_time_is_stalled() {
    let cal = calendar(&[]);
    let limit = cal.to_duration(WorkingDuration::Days(5));
    // Assigned Fri 28 Aug 09:00; five working days skip the bank holiday, so they end on the
    // Monday after next, not on Friday 4 September.
    let task = assigned_task(london(2026, 8, 28, 9, 0), None);
    assert_eq!(stalled(&task, london(2026, 9, 4, 17, 0), &cal, limit), None);
    assert_eq!(stalled(&task, london(2026, 9, 7, 8, 59), &cal, limit), None);
    let reason = stalled(&task, london(2026, 9, 7, 9, 0), &cal, limit).unwrap();
    assert_eq!(
        reason.to_string(),
        "assigned to sara on Fri 28 Aug 09:00; no action for 5d of working time (the practice \
         allows 5d)"
    );
}

// ---- the real binary on a demo mirror ----

const NOW: &str = "2026-11-20T12:00:00Z";

struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let s = Sandbox {
            dir: tempfile::tempdir().unwrap(),
        };
        let config_dir = s.path("config/taskgate");
        std::fs::create_dir_all(&config_dir).unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"),
            config_dir.join("config.toml"),
        )
        .unwrap();
        s
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self) -> Command {
        self.cmd_at(NOW)
    }

    fn cmd_at(&self, now: &str) -> Command {
        let mut c = Command::cargo_bin("taskgate").unwrap();
        c.env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env_remove("TASKGATE_CONFIG")
            .env_remove("TASKGATE_USER")
            .env_remove("TASKGATE_LOG")
            .args(["--now", now]);
        c
    }

    fn demo(&self) -> PathBuf {
        let db = self.path("mirror.sqlite");
        self.cmd()
            .args(["demo", "--tasks", "400", "--seed", "7", "--db"])
            .arg(&db)
            .assert()
            .success();
        db
    }

    fn stdout(&self, db: &Path, args: &[&str]) -> String {
        let out = self.cmd().arg("--db").arg(db).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// The example config's calendar, built from its `[working_time]` directly.
fn example_calendar(config: &Config) -> WorkingCalendar {
    let wt = &config.working_time;
    let holidays = BankHolidays::shipped()
        .unwrap()
        .for_nation(config.practice.nation)
        .unwrap();
    WorkingCalendar::new(&wt.days, wt.start, wt.end, holidays, wt.closures.clone()).unwrap()
}

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn ids(rows: &Value) -> BTreeSet<i64> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// Overdue, due-soon and stalled ids by hand: every task of the mirror, each due time a plain
/// calendar sum from the example config's thresholds.
fn hand_count(tasks: &[Value], now: DateTime<Utc>) -> [BTreeSet<i64>; 3] {
    let config = Config::example();
    let cal = example_calendar(&config);
    let margin = cal.to_duration(config.overdue.due_soon);
    let stall = cal.to_duration(config.overdue.assigned_stalled);
    let (mut overdue, mut soon, mut stalled) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for t in tasks {
        let id = t["id"].as_i64().unwrap();
        match t["status"].as_str().unwrap() {
            "new" => {
                let priority: Priority = t["priority"].as_str().unwrap().parse().unwrap();
                let threshold = cal.to_duration(config.threshold_for(priority));
                let due = cal
                    .add_working_time(instant(&t["received_at"]), threshold)
                    .value;
                if due <= now {
                    overdue.insert(id);
                } else if cal.working_time_between(now, due).value <= margin {
                    soon.insert(id);
                }
            }
            "assigned" => {
                let past_due = !t["due_by"].is_null() && instant(&t["due_by"]) <= now;
                let idle = cal
                    .working_time_between(instant(&t["updated_at"]), now)
                    .value;
                if past_due || idle >= stall {
                    stalled.insert(id);
                }
            }
            _ => {}
        }
    }
    [overdue, soon, stalled]
}

#[test]
fn overdue_json_lists_exactly_the_hand_counted_tasks() {
    let s = Sandbox::new();
    let db = s.demo();
    let list: Value =
        serde_json::from_str(&s.stdout(&db, &["list", "--format", "json", "--limit", "0"]))
            .unwrap();
    let oldest_new: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "new")
        .take(2)
        .map(|t| t["id"].to_string())
        .collect();
    // Two tasks assigned eleven days ago and left alone: the demo's own assignments are fresh,
    // so without these nothing would be stalled and that half of the count would prove nothing.
    s.cmd_at("2026-11-09T10:00:00Z")
        .arg("--db")
        .arg(&db)
        .args(["--user", "aclarke", "assign"])
        .args(&oldest_new)
        .arg("bpatel")
        .assert()
        .success();
    let list: Value =
        serde_json::from_str(&s.stdout(&db, &["list", "--format", "json", "--limit", "0"]))
            .unwrap();
    let tasks = list.as_array().unwrap();
    assert_eq!(tasks.len(), 400);
    let [overdue, soon, stalled] = hand_count(tasks, NOW.parse().unwrap());
    assert!(!overdue.is_empty(), "the demo inbox has overdue tasks");
    assert!(!soon.is_empty(), "the demo inbox has tasks due soon");
    let assigned_now: BTreeSet<i64> = oldest_new.iter().map(|id| id.parse().unwrap()).collect();
    assert!(assigned_now.is_subset(&stalled), "{stalled:?}");

    let report: Value =
        serde_json::from_str(&s.stdout(&db, &["overdue", "--format", "json"])).unwrap();
    assert_eq!(report["generated_at"], "2026-11-20T12:00:00Z");
    assert_eq!(ids(&report["overdue"]), overdue);
    assert_eq!(ids(&report["due_soon"]), soon);
    assert_eq!(ids(&report["stalled"]), stalled);
    let by: Vec<i64> = report["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["overdue_by_minutes"].as_i64().unwrap())
        .collect();
    assert!(by.windows(2).all(|w| w[0] >= w[1]), "most overdue first");
    for row in report["overdue"].as_array().unwrap() {
        let text = row["explanation"].as_str().unwrap();
        assert!(text.starts_with("received "), "{text}");
        assert!(text.contains("; due "), "{text}");
    }
}

#[test]
fn csv_and_table_list_the_same_tasks_without_patient_identifiers() {
    let s = Sandbox::new();
    let db = s.demo();
    let json = s.stdout(&db, &["overdue", "--format", "json"]);
    let report: Value = serde_json::from_str(&json).unwrap();
    let sections = [
        ("overdue", "OVERDUE"),
        ("due_soon", "DUE SOON"),
        ("stalled", "STALLED"),
    ];

    let csv = s.stdout(&db, &["overdue", "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut from_csv: [BTreeSet<i64>; 3] = Default::default();
    for record in reader.records() {
        let record = record.unwrap();
        let at = ["overdue", "due-soon", "stalled"]
            .iter()
            .position(|s| *s == &record[0])
            .unwrap();
        from_csv[at].insert(record[1].parse().unwrap());
    }

    let table = s.stdout(&db, &["overdue"]);
    let mut from_table: [BTreeSet<i64>; 3] = Default::default();
    let mut current = None;
    for line in table.lines() {
        if let Some(at) = sections
            .iter()
            .position(|(_, t)| line.starts_with(&format!("{t} (")))
        {
            current = Some(at);
        } else if let (Some(at), Some(Ok(id))) = (
            current,
            line.split_whitespace().next().map(str::parse::<i64>),
        ) {
            from_table[at].insert(id);
        }
    }
    for (at, (key, _)) in sections.iter().enumerate() {
        let expected = ids(&report[key]);
        assert_eq!(from_csv[at], expected, "CSV {key}");
        assert_eq!(from_table[at], expected, "table {key}");
    }

    let list: Value =
        serde_json::from_str(&s.stdout(&db, &["list", "--format", "json", "--limit", "0"]))
            .unwrap();
    for t in list.as_array().unwrap() {
        let name = t["patient"]["name"].as_str().unwrap();
        let nhs = t["patient"]["nhs_number"].as_str().unwrap();
        let spaced = format!("{} {} {}", &nhs[..3], &nhs[3..6], &nhs[6..]);
        for (format, out) in [("json", &json), ("csv", &csv), ("table", &table)] {
            assert!(!out.contains(name), "{format} output names patient {name}");
            assert!(
                !out.contains(nhs) && !out.contains(&spaced),
                "{format} output shows an NHS number"
            );
        }
    }
}

/// The overdue view pages through `order`'s ids, read without the listing's text; `taskgate
/// overdue` lists `build`'s rows. A receptionist comparing the screen with the printout must
/// see the same tasks in the same order, and the same totals.
#[test]
fn the_overdue_views_order_is_the_reports_order() {
    use taskgate::report::overdue::{OverdueRules, build, order};
    use taskgate::source::demo::{DemoSpec, generate};
    use taskgate::store::Store;

    let config = Config::example();
    let calendar = example_calendar(&config);
    let rules = OverdueRules::from_config(&config, &calendar);
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 10, 30, 0).unwrap();
    let dir = TempDir::new().unwrap();
    let mut store = Store::open(&dir.path().join("mirror.db")).unwrap();
    let demo = generate(DemoSpec {
        tasks: 3000,
        seed: 7,
        now,
        staff: config.staff.clone(),
        group_ids: Vec::new(),
    })
    .unwrap();
    store.insert_demo_tasks(demo, "system", now).unwrap();

    let report = build(&store, &calendar, &rules, now).unwrap();
    let order = order(&store, &calendar, &rules, now).unwrap();
    let listed: Vec<i64> = report
        .overdue
        .iter()
        .map(|r| r.id)
        .chain(report.due_soon.iter().map(|r| r.id))
        .chain(report.stalled.iter().map(|r| r.id))
        .collect();
    assert!(
        report.overdue.len() > 50 && !report.due_soon.is_empty() && !report.stalled.is_empty(),
        "the demo has tasks in every section"
    );
    assert_eq!(order.ids, listed);
    assert_eq!(
        (order.overdue, order.due_soon, order.stalled),
        (
            report.overdue.len(),
            report.due_soon.len(),
            report.stalled.len()
        )
    );
}

//! `taskgate stats` on the real binary and a demo mirror: the figures a practice manager would
//! send to the LMC add up to the inbox, follow the practice's own actions, and never carry a
//! patient's name, NHS number, date of birth, or a task's subject or body.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use tempfile::TempDir;

const NOW: &str = "2026-11-20T12:00:00Z";

/// A sandbox with the example config installed, so no test touches the developer's files.
struct Sandbox {
    dir: TempDir,
    db: PathBuf,
}

impl Sandbox {
    /// A sandbox holding a demo mirror of `tasks` tasks.
    fn with_demo(tasks: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config/taskgate");
        std::fs::create_dir_all(&config).expect("config dir");
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        std::fs::copy(example, config.join("config.toml")).expect("copy example");
        let db = dir.path().join("mirror.sqlite");
        let s = Sandbox { dir, db };
        let tasks = tasks.to_string();
        s.cmd()
            .args(["demo", "--tasks", &tasks, "--seed", "7"])
            .assert()
            .success();
        s
    }

    fn cmd(&self) -> Command {
        let home = self.dir.path();
        let mut c = Command::cargo_bin("taskgate").expect("binary built");
        c.env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env_remove("TASKGATE_CONFIG")
            .env_remove("TASKGATE_USER")
            .env_remove("TASKGATE_LOG")
            .args(["--now", NOW, "--db"])
            .arg(&self.db);
        c
    }

    fn stdout(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "taskgate {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.stdout(args)).expect("valid JSON")
    }

    fn tasks(&self) -> Vec<Value> {
        match self.json(&["list", "--format", "json", "--limit", "0"]) {
            Value::Array(tasks) => tasks,
            other => panic!("list gave {other}"),
        }
    }

    fn stats(&self, by: &str) -> Value {
        self.json(&["stats", "--by", by, "--format", "json"])
    }
}

fn groups(stats: &Value) -> &Vec<Value> {
    stats["groups"].as_array().expect("groups")
}

fn group<'a>(stats: &'a Value, key: &str) -> &'a Value {
    groups(stats)
        .iter()
        .find(|g| g["key"] == key)
        .unwrap_or_else(|| panic!("no group {key} in {stats:#}"))
}

fn count(v: &Value) -> u64 {
    v.as_u64().expect("a count")
}

/// How many tasks fall in each group, by the field `key_of` picks out of a listed task.
fn tally(tasks: &[Value], key_of: impl Fn(&Value) -> String) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for t in tasks {
        *out.entry(key_of(t)).or_default() += 1;
    }
    out
}

fn received_on_london(task: &Value) -> NaiveDate {
    let at: DateTime<Utc> = task["received_at"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("received_at");
    at.with_timezone(&chrono_tz::Europe::London).date_naive()
}

#[test]
fn per_provider_figures_add_up_to_the_mirror_and_count_its_rejections() {
    let s = Sandbox::with_demo(300);
    let tasks = s.tasks();
    assert_eq!(tasks.len(), 300);
    let stats = s.stats("provider");
    assert_eq!(stats["by"], "provider");

    let received = tally(&tasks, |t| {
        t["provider"]["ods_code"].as_str().unwrap_or("").into()
    });
    let rejected = tally(
        &tasks
            .iter()
            .filter(|t| t["status"] == "rejected")
            .cloned()
            .collect::<Vec<_>>(),
        |t| t["provider"]["ods_code"].as_str().unwrap_or("").into(),
    );
    let keys: Vec<&str> = groups(&stats)
        .iter()
        .filter_map(|g| g["key"].as_str())
        .collect();
    assert_eq!(
        keys,
        received.keys().map(String::as_str).collect::<Vec<_>>()
    );
    for g in groups(&stats) {
        let ods = g["key"].as_str().expect("key");
        assert_eq!(count(&g["received"]), received[ods], "{ods} received");
        assert_eq!(
            count(&g["rejected"]),
            rejected.get(ods).copied().unwrap_or(0),
            "{ods} rejected"
        );
        assert_eq!(g["provider"]["ods_code"], ods);
        assert!(["none", "sop"].contains(&g["provider"]["agreement"].as_str().unwrap_or("")));
        assert!(count(&g["provider"]["escalation_stage"]) <= 4);
    }
    let sum: u64 = groups(&stats).iter().map(|g| count(&g["received"])).sum();
    assert_eq!(sum, 300);
    assert_eq!(count(&stats["total"]["received"]), 300);
    let all_rejected = tasks.iter().filter(|t| t["status"] == "rejected").count() as u64;
    assert_eq!(count(&stats["total"]["rejected"]), all_rejected);
    assert!(all_rejected > 0, "the demo should hold rejected tasks");

    // The table a manager reads says the same.
    let table = s.stdout(&["stats"]);
    let total_line = table
        .lines()
        .find(|l| l.starts_with("TOTAL"))
        .expect("a total line");
    assert!(total_line.contains(" 300 "), "{total_line}");
}

#[test]
fn rejecting_a_task_counts_against_its_provider_with_a_time_to_first_action() {
    let s = Sandbox::with_demo(120);
    let tasks = s.tasks();
    let task = tasks
        .iter()
        .find(|t| t["status"] == "new")
        .expect("an unactioned task");
    let id = task["id"].as_i64().expect("id").to_string();
    let ods = task["provider"]["ods_code"].as_str().expect("ods");
    let before = s.stats("provider");
    let before = group(&before, ods).clone();
    assert_eq!(before["acted_on"], 0, "demo tasks carry no audited actions");
    assert_eq!(before["median_first_action_minutes"], Value::Null);

    s.cmd()
        .args(["reject", &id, "--despite-risk", "--user", "aclarke"])
        .assert()
        .success();

    let after = s.stats("provider");
    let after = group(&after, ods);
    assert_eq!(count(&after["rejected"]), count(&before["rejected"]) + 1);
    assert_eq!(
        count(&after["unactioned"]),
        count(&before["unactioned"]) - 1
    );
    assert_eq!(count(&after["received"]), count(&before["received"]));
    assert_eq!(count(&after["acted_on"]), 1);
    // Rejected at --now, so the first action came after exactly the task's working age.
    assert_eq!(
        after["median_first_action_minutes"],
        task["working_age_minutes"]
    );
    let csv = s.stdout(&["stats", "--format", "csv"]);
    let row = csv
        .lines()
        .find(|l| l.starts_with(&format!("{ods},")))
        .expect("the provider's CSV row");
    let minutes = task["working_age_minutes"].to_string();
    assert!(row.ends_with(&format!(",1,{minutes}")), "{row}");
}

#[test]
fn month_and_category_groups_cover_every_task_once() {
    let s = Sandbox::with_demo(300);
    let tasks = s.tasks();

    let months = s.stats("month");
    let expected = tally(&tasks, |t| {
        received_on_london(t).format("%Y-%m").to_string()
    });
    let got: BTreeMap<String, u64> = groups(&months)
        .iter()
        .map(|g| {
            (
                g["key"].as_str().expect("key").to_owned(),
                count(&g["received"]),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(group(&months, "2026-11")["name"], "November 2026");
    assert_eq!(groups(&months)[0]["provider"], Value::Null);

    let categories = s.stats("category");
    let keys: Vec<&str> = groups(&categories)
        .iter()
        .filter_map(|g| g["key"].as_str())
        .collect();
    assert_eq!(keys.last(), Some(&"other"), "{keys:?}");
    let configured = [
        "results",
        "referral",
        "prescription-discharge",
        "prescription-clinic",
        "fit-note",
    ];
    assert!(keys.iter().any(|k| configured.contains(k)), "{keys:?}");
    assert!(keys.iter().all(|k| *k == "other" || configured.contains(k)));
    let sum: u64 = groups(&categories)
        .iter()
        .map(|g| count(&g["received"]))
        .sum();
    assert_eq!(sum, 300);
    // A fit-note request lands in the fit-note category, as the provider-work flag says.
    let fit_notes = tasks
        .iter()
        .filter(|t| t["subject"] == "Fit note required for 6 weeks")
        .count() as u64;
    assert!(fit_notes > 0);
    assert!(count(&group(&categories, "fit-note")["received"]) >= fit_notes);
}

#[test]
fn since_and_until_count_whole_london_days_of_receipt() {
    let s = Sandbox::with_demo(300);
    let tasks = s.tasks();
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 11, 16).expect("date"),
        NaiveDate::from_ymd_opt(2026, 11, 18).expect("date"),
    );
    let inside = tasks
        .iter()
        .filter(|t| (from..=to).contains(&received_on_london(t)))
        .count() as u64;
    assert!(inside > 0 && inside < 300, "{inside}");
    let stats = s.json(&[
        "stats",
        "--by",
        "month",
        "--format",
        "json",
        "--since",
        "2026-11-16",
        "--until",
        "2026-11-18",
    ]);
    assert_eq!(count(&stats["total"]["received"]), inside);
    assert_eq!(stats["since"], "2026-11-16");
    assert_eq!(stats["until"], "2026-11-18");

    let out = s
        .cmd()
        .args(["stats", "--since", "2026-11-18", "--until", "2026-11-16"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--since 2026-11-18 is after --until 2026-11-16"),
        "{err}"
    );
}

#[test]
fn no_stats_output_carries_a_patient_identifier_subject_or_body() {
    let s = Sandbox::with_demo(300);
    // An audited action too, so the first-action figures are in the output being scanned.
    let tasks = s.tasks();
    let id = tasks
        .iter()
        .find(|t| t["status"] == "new")
        .and_then(|t| t["id"].as_i64())
        .expect("an unactioned task");
    s.cmd()
        .args([
            "reject",
            &id.to_string(),
            "--despite-risk",
            "--user",
            "aclarke",
        ])
        .assert()
        .success();

    let mut secrets: Vec<String> = Vec::new();
    for t in &tasks {
        let patient = &t["patient"];
        secrets.push(patient["name"].as_str().expect("name").to_owned());
        if let Some(nhs) = patient["nhs_number"].as_str() {
            secrets.push(nhs.to_owned());
            secrets.push(format!("{} {} {}", &nhs[..3], &nhs[3..6], &nhs[6..]));
            secrets.push(format!("{}-{}-{}", &nhs[..3], &nhs[3..6], &nhs[6..]));
        }
        if let Some(dob) = patient["birth_date"].as_str() {
            let date: NaiveDate = dob.parse().expect("ISO date");
            secrets.push(dob.to_owned());
            secrets.push(date.format("%d/%m/%Y").to_string());
        }
        secrets.push(t["subject"].as_str().expect("subject").to_owned());
        secrets.push(t["body"].as_str().expect("body").to_owned());
    }
    assert!(secrets.len() > 1000);
    // The forms scanned for are the forms the mirror holds: `list` does show them.
    let listed = s.stdout(&["list", "--format", "json", "--limit", "0"]);
    assert!(secrets[..2].iter().all(|x| listed.contains(x.as_str())));

    let mut scanned = 0;
    for by in ["provider", "category", "month"] {
        for format in ["table", "csv", "json"] {
            let out = s.stdout(&["stats", "--by", by, "--format", format]);
            assert!(
                out.lines().count() > 1,
                "stats --by {by} --format {format} is empty"
            );
            for secret in &secrets {
                assert!(
                    !out.contains(secret.as_str()),
                    "stats --by {by} --format {format} reveals {secret:?}"
                );
            }
            scanned += 1;
        }
    }
    assert_eq!(scanned, 9);
}

//! `taskgate handover` and `handover sign-off` through the real binary on a demo mirror: what the
//! incoming shift reads, what a printed copy may and may not show, and what the audit log keeps.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

const NOW: &str = "2026-11-20T12:00:00Z";

/// Every section the handover promises, in both human formats.
const HEADINGS: [&str; 6] = [
    "Overdue unactioned tasks",
    "All unactioned tasks",
    "Tasks held by staff who are away",
    "Sync conflicts",
    "Actions this shift",
    "Last sign-off",
];

/// Its own config and data dirs, so no test touches the developer's files.
struct Sandbox {
    dir: TempDir,
    config: PathBuf,
    db: PathBuf,
}

impl Sandbox {
    /// A demo mirror of `tasks` tasks under the example config (source kind `demo`).
    fn demo(tasks: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config.toml");
        std::fs::copy(example_config(), &config).expect("copy example");
        let s = Sandbox {
            db: dir.path().join("mirror.sqlite"),
            dir,
            config,
        };
        s.ok(&["demo", "--tasks", &tasks.to_string(), "--seed", "7"]);
        s
    }

    /// Switches the config to a file source that has never synced.
    fn use_file_source(&self) {
        let folder = self.dir.path().join("drop");
        std::fs::create_dir_all(&folder).expect("drop folder");
        let text = std::fs::read_to_string(&self.config).expect("config");
        let text = text.replacen(
            "kind = \"demo\"",
            &format!("kind = \"file\"\nfolder = \"{}\"", folder.display()),
            1,
        );
        assert!(
            text.contains("kind = \"file\""),
            "example config changed shape"
        );
        std::fs::write(&self.config, text).expect("write config");
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("taskgate").expect("binary built");
        c.env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CONFIG_HOME", self.path("xdg-config"))
            .env_remove("TASKGATE_CONFIG")
            .env_remove("TASKGATE_USER")
            .env_remove("TASKGATE_LOG")
            .arg("--config")
            .arg(&self.config)
            .arg("--db")
            .arg(&self.db)
            .arg("--now")
            .arg(NOW);
        c
    }

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).expect("valid JSON")
    }

    fn sql(&self, statement: &str) {
        let conn = rusqlite::Connection::open(&self.db).expect("open mirror");
        conn.execute_batch(statement).expect("sql");
    }

    /// The first unactioned task, oldest first.
    fn first_unactioned(&self) -> i64 {
        self.json(&[
            "list", "--status", "new", "--format", "json", "--limit", "1",
        ])[0]["id"]
            .as_i64()
            .expect("a task id")
    }
}

fn example_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml")
}

fn ids(section: &Value) -> Vec<i64> {
    section["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect()
}

#[test]
fn markdown_and_html_carry_every_section_and_html_stands_alone() {
    let s = Sandbox::demo(120);
    let md = s.ok(&["handover"]);
    let html = s.ok(&["handover", "--format", "html"]);
    for heading in HEADINGS {
        assert!(md.contains(&format!("## {heading}")), "md lacks {heading}");
        assert!(
            html.contains(&format!("<h2>{heading}</h2>")),
            "html lacks {heading}"
        );
    }
    assert!(md.contains("Riverside Medical Practice"));
    assert!(md.contains("demo mirror, no sync source"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<style>") && html.contains("@media print"));
    assert!(
        !html.contains("http"),
        "a printed report must need nothing online"
    );
    assert!(!html.contains("<link") && !html.contains("<script"));
}

#[test]
fn a_subject_with_markup_is_printed_as_text() {
    let s = Sandbox::demo(60);
    let id = s.first_unactioned();
    s.sql(&format!(
        "UPDATE tasks SET subject = '<script>alert(1)</script> Bloods & <b>x</b>' WHERE id = {id}"
    ));
    let html = s.ok(&["handover", "--format", "html"]);
    assert!(
        !html.contains("<script>"),
        "markup from a sender ran in the report"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; Bloods &amp; &lt;b&gt;x&lt;/b&gt;")
    );
    let md = s.ok(&["handover"]);
    assert!(!md.contains("<script>"));
    assert!(md.contains("&lt;script&gt;"));
}

#[test]
fn json_has_the_documented_shape_and_agrees_with_the_mirror() {
    let s = Sandbox::demo(150);
    let r = s.json(&["handover", "--format", "json"]);
    for key in [
        "generated_at",
        "practice",
        "since",
        "since_from",
        "sync",
        "stale_warning",
        "overdue_summary",
        "overdue",
        "unactioned",
        "held_by_away",
        "conflicts",
        "actions",
        "last_sign_off",
    ] {
        assert!(r.get(key).is_some(), "JSON lacks {key}");
    }
    assert_eq!(r["generated_at"], NOW);
    assert_eq!(
        r["since"], "2026-11-20T00:00:00Z",
        "no sign-off: the last 12 hours"
    );
    assert_eq!(r["since_from"], "default");
    assert_eq!(r["sync"]["source"], "demo");
    assert_eq!(r["sync"]["stale"], false);
    assert!(r["stale_warning"].is_null());
    let unactioned = s
        .json(&[
            "list", "--status", "new", "--format", "json", "--limit", "0",
        ])
        .as_array()
        .expect("array")
        .len();
    assert_eq!(r["unactioned"]["count"], unactioned);
    let overdue = ids(&r["overdue"]);
    assert_eq!(r["overdue"]["count"], overdue.len());
    assert!(!overdue.is_empty(), "the demo inbox has overdue tasks");
    let line = &r["overdue"]["tasks"][0];
    for key in [
        "id",
        "patient_initials",
        "provider",
        "subject",
        "age",
        "received_at",
    ] {
        assert!(line.get(key).is_some(), "task line lacks {key}");
    }
    assert!(line.get("patient").is_none() && line.get("body").is_none());
}

#[test]
fn no_patient_name_or_nhs_number_appears_in_any_format() {
    let s = Sandbox::demo(120);
    let id = s.first_unactioned();
    s.ok(&[
        "--user",
        "aclarke",
        "assign",
        &id.to_string(),
        "bpatel",
        "--even-if-away",
    ]);
    let tasks = s.json(&["list", "--format", "json", "--limit", "0"]);
    let reports = [
        s.ok(&["handover"]),
        s.ok(&["handover", "--format", "html"]),
        s.ok(&["handover", "--format", "json"]),
    ];
    for t in tasks.as_array().expect("array") {
        let name = t["patient"]["name"].as_str().expect("name");
        let nhs = t["patient"]["nhs_number"].as_str().expect("demo numbers");
        let spaced = format!("{} {} {}", &nhs[..3], &nhs[3..6], &nhs[6..]);
        for report in &reports {
            assert!(!report.contains(name), "patient name {name} printed");
            assert!(
                !report.contains(nhs) && !report.contains(&spaced),
                "NHS number printed"
            );
        }
    }
}

#[test]
fn a_stale_mirror_says_so_and_never_claims_nothing_is_overdue() {
    // A file source that has never delivered, on a mirror with nothing in it.
    let s = Sandbox::demo(0);
    s.use_file_source();
    let md = s.ok(&["handover"]);
    assert!(md.contains("STALE MIRROR"));
    assert!(md.contains("0 overdue in the mirror, but the mirror is stale: tasks may be missing"));
    assert!(!md.to_lowercase().contains("nothing overdue"));
    let html = s.ok(&["handover", "--format", "html"]);
    assert!(
        html.contains("<p class=\"stale\">"),
        "stale is shown in the red banner"
    );
    assert!(!html.to_lowercase().contains("nothing overdue"));
    let r = s.json(&["handover", "--format", "json"]);
    assert_eq!(r["sync"]["stale"], true);
    assert_eq!(r["sync"]["summary"], "never synced");
    assert!(
        r["stale_warning"]
            .as_str()
            .is_some_and(|w| w.contains("stale"))
    );

    // The same empty mirror freshly synced five minutes ago is trusted.
    s.sql("INSERT INTO sync_state (key, value) VALUES ('last_success_at', '2026-11-20T11:55:00Z')");
    let r = s.json(&["handover", "--format", "json"]);
    assert_eq!(r["sync"]["stale"], false);
    assert_eq!(r["overdue_summary"], "Nothing overdue.");
}

#[test]
fn a_sync_older_than_stale_after_marks_the_report_stale() {
    let s = Sandbox::demo(80);
    // stale_after is 30m in the example config; 35 minutes is too old.
    s.sql("INSERT INTO sync_state (key, value) VALUES ('last_success_at', '2026-11-20T11:25:00Z')");
    let r = s.json(&["handover", "--format", "json"]);
    assert_eq!(r["sync"]["stale"], true);
    assert_eq!(r["sync"]["last_success_at"], "2026-11-20T11:25:00Z");
    let summary = r["overdue_summary"].as_str().expect("summary");
    assert!(
        summary.contains("stale") && summary.contains("may be more"),
        "{summary}"
    );
    assert!(
        s.ok(&["handover", "--format", "html"])
            .contains("class=\"stale\"")
    );
}

#[test]
fn tasks_held_by_the_colleague_on_leave_are_listed() {
    let s = Sandbox::demo(120);
    let id = s.first_unactioned();
    s.ok(&[
        "--user",
        "aclarke",
        "assign",
        &id.to_string(),
        "bpatel",
        "--even-if-away",
    ]);
    let r = s.json(&["handover", "--format", "json"]);
    let holders = r["held_by_away"]["holders"].as_array().expect("holders");
    let bina = holders
        .iter()
        .find(|h| h["id"] == "bpatel")
        .expect("the demo's second [[staff]] entry is away this week");
    assert_eq!(bina["until"], "2026-11-25");
    assert!(
        ids(bina).contains(&id),
        "task {id} assigned to bpatel is not listed"
    );
    assert!(
        holders.iter().all(|h| h["id"] != "aclarke"),
        "only people who are away are listed"
    );
    let md = s.ok(&["handover"]);
    let away = md
        .split("## Tasks held by staff who are away")
        .nth(1)
        .and_then(|rest| rest.split("## Sync conflicts").next())
        .expect("away section");
    assert!(away.contains("Bina Patel") && away.contains(&format!("| {id} |")));
}

#[test]
fn sign_off_is_audited_and_starts_the_next_window() {
    let s = Sandbox::demo(80);
    let id = s.first_unactioned();
    s.ok(&["--user", "cjones", "assign", &id.to_string(), "reception"]);
    let before = s.json(&["handover", "--format", "json"]);
    assert!(
        before["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .any(|a| a["actor"] == "cjones" && a["action"] == "assign" && a["tasks"] == 1),
        "{}",
        before["actions"]
    );
    assert!(
        !before["actions"].to_string().contains("mirror.import"),
        "filling the mirror is nobody's work"
    );

    let said = s.ok(&[
        "--user",
        "aclarke",
        "handover",
        "sign-off",
        "--outgoing",
        "aclarke",
        "--incoming",
        "cjones",
    ]);
    assert!(said.contains("signed off"));
    s.cmd().args(["audit", "show"]).assert().success().stdout(
        predicate::str::contains("handover.sign-o")
            .and(predicate::str::contains("outgoing aclarke"))
            .and(predicate::str::contains("incoming cjones")),
    );
    s.cmd()
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("intact"));

    let after = s.json(&["handover", "--format", "json"]);
    assert_eq!(after["since_from"], "last-sign-off");
    assert_eq!(after["last_sign_off"]["by"], "aclarke");
    assert!(
        after["last_sign_off"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("incoming cjones") && d.contains("overdue")),
    );
    assert_eq!(
        after["actions"],
        Value::Array(vec![]),
        "actions before the sign-off belong to the last shift"
    );
    assert!(s.ok(&["handover"]).contains("by aclarke: outgoing aclarke"));
}

#[test]
fn sign_off_refuses_people_the_practice_does_not_know() {
    let s = Sandbox::demo(10);
    s.cmd()
        .args([
            "--user",
            "aclarke",
            "handover",
            "sign-off",
            "--outgoing",
            "aclarke",
            "--incoming",
            "nobody",
        ])
        .assert()
        .failure()
        .stderr(predicate::str::contains("nobody").and(predicate::str::contains("[[staff]]")));
    s.cmd()
        .args(["audit", "show"])
        .assert()
        .success()
        .stdout(predicate::str::contains("sign-o").not());
}

#[test]
fn out_writes_a_private_file_and_never_overwrites() {
    let s = Sandbox::demo(40);
    let file = s.path("handover.html");
    s.ok(&[
        "handover",
        "--format",
        "html",
        "--out",
        file.to_str().expect("utf-8 path"),
    ]);
    let meta = std::fs::metadata(&file).expect("written");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let written = std::fs::read_to_string(&file).expect("read");
    assert!(written.contains("<h2>Overdue unactioned tasks</h2>"));

    std::fs::write(&file, "last shift's report").expect("replace");
    s.cmd()
        .args(["handover", "--out"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "last shift's report"
    );
}

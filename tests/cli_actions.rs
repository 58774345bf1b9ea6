//! The command-line actions on the real binary: `letter` prints what a task would be rejected
//! with, `reject` stores the letter and audits the change, `assign` hands tasks to a colleague
//! and refuses someone on leave unless told, and every refusal leaves the mirror as it was.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

const NOW: &str = "2026-11-20T12:00:00Z";
/// The first `[[staff]]` entry of config.example.toml.
const ACTING: &str = "aclarke";
/// The second `[[staff]]` entry, whom the demo records as on leave this week.
const AWAY: &str = "bpatel";
const LMC_SENTENCE: &str = "Your Task has not been acted on or actioned.";
const PRACTICE: &str = "Riverside Medical Practice";

/// Its own HOME, data and config dirs (with the example config installed) and a demo mirror.
struct Sandbox {
    dir: TempDir,
    db: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config_dir = dir.path().join("config/taskgate");
        std::fs::create_dir_all(&config_dir).expect("config dir");
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        std::fs::copy(example, config_dir.join("config.toml")).expect("copy example");
        let db = dir.path().join("mirror.sqlite");
        let s = Sandbox { dir, db };
        s.cmd()
            .args(["demo", "--tasks", "60", "--seed", "7"])
            .assert()
            .success();
        s
    }

    /// The binary, acting as `ACTING` on the sandbox's mirror at the fixed instant.
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("taskgate").expect("binary built");
        c.env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env_remove("TASKGATE_CONFIG")
            .env_remove("TASKGATE_USER")
            .env_remove("TASKGATE_LOG")
            .args(["--now", NOW, "--user", ACTING, "--db"])
            .arg(&self.db);
        c
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("valid JSON")
    }

    fn show(&self, id: i64) -> Value {
        self.json(&["show", &id.to_string(), "--format", "json"])
    }

    fn tasks(&self) -> Vec<Value> {
        let list = self.json(&["list", "--format", "json", "--limit", "0"]);
        list.as_array().expect("an array").clone()
    }

    /// Ids of the first `n` unactioned tasks.
    fn new_ids(&self, n: usize) -> Vec<i64> {
        let ids: Vec<i64> = self
            .tasks()
            .iter()
            .filter(|t| t["status"] == "new")
            .filter_map(|t| t["id"].as_i64())
            .take(n)
            .collect();
        assert_eq!(ids.len(), n, "the demo inbox has {n} unactioned tasks");
        ids
    }

    /// Checks the audit chain and returns how many events it holds.
    fn audit_events(&self) -> u64 {
        let out = self.cmd().args(["audit", "verify"]).output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no event count in {text}"))
    }

    /// Installs a practice override of the LMC rejection letter.
    fn override_rejection_letter(&self, text: &str) {
        let dir = self.dir.path().join("config/taskgate/letters");
        std::fs::create_dir_all(&dir).expect("letters dir");
        std::fs::write(dir.join("lmc-rejection.j2"), text).expect("write override");
    }
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the task is still unactioned, with no letter and no owner.
fn assert_untouched(task: &Value) {
    assert_eq!(task["task"]["status"], "new", "{task}");
    assert_eq!(task["task"]["owner"], Value::Null, "{task}");
    assert_eq!(task["letters"].as_array().map(Vec::len), Some(0), "{task}");
    assert_eq!(task["notes"].as_array().map(Vec::len), Some(0), "{task}");
}

#[test]
fn rejecting_a_task_stores_its_letter_and_audits_the_change() {
    let s = Sandbox::new();
    let id = s.new_ids(1)[0];
    let events = s.audit_events();
    s.cmd()
        .args([
            "reject",
            "--template",
            "lmc-rejection",
            "--despite-risk",
            &id.to_string(),
        ])
        .assert()
        .success()
        .stdout(format!(
            "Rejected task {id} with lmc-rejection (letter stored, queued for upstream).\n"
        ));

    let shown = s.show(id);
    assert_eq!(shown["task"]["status"], "rejected");
    let letters = shown["letters"].as_array().expect("letters");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["template"], "lmc-rejection");
    assert_eq!(letters[0]["created_by"], ACTING);
    let body = letters[0]["body"].as_str().expect("letter text");
    assert!(body.contains(LMC_SENTENCE), "{body}");
    assert!(body.contains(PRACTICE), "{body}");
    assert!(
        body.contains("Alex Clarke"),
        "signed by the acting user:\n{body}"
    );
    let reference = shown["task"]["source_id"].as_str().expect("reference");
    assert!(body.contains(reference), "{body}");

    let history = shown["history"].as_array().expect("history");
    let reject = history
        .iter()
        .find(|e| e["action"] == "reject")
        .expect("a reject event");
    assert_eq!(reject["actor"], ACTING);
    assert_eq!(reject["to"], "rejected");
    assert_eq!(
        s.audit_events(),
        events + 1,
        "one audit event, chain still intact"
    );
}

#[test]
fn a_batch_is_rejected_together_each_with_its_own_letter() {
    let s = Sandbox::new();
    let ids = s.new_ids(2);
    let out = s
        .cmd()
        .args(["reject", "--template", "lmc-rejection", "--despite-risk"])
        .args(ids.iter().map(ToString::to_string))
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    for id in ids {
        assert!(
            stdout.contains(&format!("Rejected task {id} with lmc-rejection")),
            "{stdout}"
        );
        let shown = s.show(id);
        assert_eq!(shown["task"]["status"], "rejected");
        let reference = shown["task"]["source_id"].as_str().expect("reference");
        let body = shown["letters"][0]["body"].as_str().expect("a letter");
        assert!(
            body.contains(reference),
            "each letter names its own task:\n{body}"
        );
    }
}

#[test]
fn a_batch_holding_a_closed_task_is_refused_whole() {
    let s = Sandbox::new();
    let open = s.new_ids(1)[0];
    let closed = s
        .tasks()
        .iter()
        .find(|t| t["status"] == "completed")
        .and_then(|t| t["id"].as_i64())
        .expect("the demo inbox has a completed task");
    let events = s.audit_events();
    let out = s
        .cmd()
        .args([
            "reject",
            "--despite-risk",
            &open.to_string(),
            &closed.to_string(),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("cannot reject task {closed}: it is completed")),
        "{err}"
    );
    assert!(err.contains("nothing was rejected"), "{err}");
    assert_untouched(&s.show(open));
    assert_eq!(s.show(closed)["letters"].as_array().map(Vec::len), Some(0));
    assert_eq!(s.audit_events(), events);
}

#[test]
fn letter_prints_the_letter_and_stores_nothing() {
    let s = Sandbox::new();
    let id = s.new_ids(1)[0];
    let events = s.audit_events();
    let out = s
        .cmd()
        .args(["letter", &id.to_string()])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let letter = String::from_utf8_lossy(&out.stdout);
    let shown = s.show(id);
    let reference = shown["task"]["source_id"].as_str().expect("reference");
    assert!(
        letter.contains(&format!("Your Task: {reference}")),
        "{letter}"
    );
    assert!(
        letter.contains("Date: 20 November 2026"),
        "--now dates the letter:\n{letter}"
    );
    assert!(letter.contains(LMC_SENTENCE), "{letter}");
    assert!(letter.contains(PRACTICE), "{letter}");
    assert_untouched(&shown);
    assert_eq!(s.audit_events(), events);

    s.cmd()
        .args(["letter", &id.to_string(), "--template", "escalation-lmc"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "the letters are: lmc-rejection, immediate-action, provider-responsibility",
        ));
}

#[test]
fn the_responsibility_letter_quotes_the_clause_of_the_matching_category() {
    let s = Sandbox::new();
    let referral = s
        .tasks()
        .iter()
        .find(|t| {
            t["subject"]
                .as_str()
                .is_some_and(|x| x.to_lowercase().contains("referral"))
        })
        .and_then(|t| t["id"].as_i64())
        .expect("the demo inbox has a referral request");
    s.cmd()
        .args([
            "letter",
            &referral.to_string(),
            "--template",
            "provider-responsibility",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("NHS Standard Contract 8.4"));
}

#[test]
fn a_practice_override_replaces_the_shipped_letter() {
    let s = Sandbox::new();
    let id = s.new_ids(1)[0];
    s.override_rejection_letter("Riverside's own words about {{ task_reference }}.\n");
    s.cmd()
        .args([
            "reject",
            "--template",
            "lmc-rejection",
            "--despite-risk",
            &id.to_string(),
        ])
        .assert()
        .success();
    let shown = s.show(id);
    let reference = shown["task"]["source_id"].as_str().expect("reference");
    assert_eq!(
        shown["letters"][0]["body"].as_str(),
        Some(format!("Riverside's own words about {reference}.\n").as_str())
    );
}

#[test]
fn a_letter_variable_taskgate_cannot_fill_stops_the_reject_and_changes_nothing() {
    let s = Sandbox::new();
    let ids = s.new_ids(2);
    let events = s.audit_events();
    // `clause_text` is only given to the contractual-responsibility letter, so an LMC rejection
    // letter that quotes it can never be filled.
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/letters/lmc-rejection.j2"),
    )
    .expect("shipped letter");
    s.override_rejection_letter(&format!("{shipped}\n{{{{ clause_text }}}}\n"));
    let out = s
        .cmd()
        .args([
            "reject",
            "--template",
            "lmc-rejection",
            "--despite-risk",
            &ids[0].to_string(),
            &ids[1].to_string(),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("`clause_text`"), "names the variable: {err}");
    assert!(
        err.contains("policy.categories[].clause"),
        "names the config key: {err}"
    );
    assert!(err.contains("nothing was rejected"), "{err}");
    for id in &ids {
        assert_untouched(&s.show(*id));
    }
    assert_eq!(s.audit_events(), events);

    s.override_rejection_letter("Dear {{ favourite_colour }}\n");
    s.cmd()
        .args([
            "reject",
            "--template",
            "lmc-rejection",
            "--despite-risk",
            &ids[0].to_string(),
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "`favourite_colour`, which taskgate does not know",
        ));
    s.cmd()
        .args(["letter", &ids[0].to_string()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`favourite_colour`"));
    assert_untouched(&s.show(ids[0]));
    assert_eq!(s.audit_events(), events);
}

#[test]
fn assign_hands_tasks_to_a_colleague_or_a_group_with_the_note() {
    let s = Sandbox::new();
    let ids = s.new_ids(3);
    s.cmd()
        .args([
            "assign",
            &ids[0].to_string(),
            "cjones",
            "--note",
            "repeat prescription query",
        ])
        .assert()
        .success()
        .stdout(format!(
            "Assigned task {} to Chris Jones (cjones), with the note.\n",
            ids[0]
        ));
    let shown = s.show(ids[0]);
    assert_eq!(shown["task"]["status"], "assigned");
    assert_eq!(shown["task"]["owner"], "cjones");
    assert_eq!(shown["notes"][0]["text"], "repeat prescription query");
    assert_eq!(shown["notes"][0]["author"], ACTING);
    let history = shown["history"].as_array().expect("history");
    assert!(
        history
            .iter()
            .any(|e| e["action"] == "assign" && e["to"] == "assigned (cjones)")
    );

    // A group with one member on leave still has someone on duty.
    s.cmd()
        .args([
            "assign",
            &ids[1].to_string(),
            &ids[2].to_string(),
            "reception",
        ])
        .assert()
        .success();
    for id in &ids[1..] {
        assert_eq!(s.show(*id)["task"]["owner"], "reception");
    }
}

#[test]
fn assigning_to_someone_away_is_refused_unless_the_user_insists() {
    let s = Sandbox::new();
    let id = s.new_ids(1)[0];
    let events = s.audit_events();
    let out = s
        .cmd()
        .args(["assign", &id.to_string(), AWAY])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("Bina Patel (bpatel) is away until Wed 25 Nov 2026"),
        "{err}"
    );
    assert!(err.contains("--even-if-away"), "{err}");
    assert_untouched(&s.show(id));
    assert_eq!(s.audit_events(), events);

    s.cmd()
        .args(["assign", &id.to_string(), AWAY, "--even-if-away"])
        .assert()
        .success()
        .stdout(predicate::str::contains("away until"));
    let shown = s.show(id);
    assert_eq!(shown["task"]["status"], "assigned");
    assert_eq!(shown["task"]["owner"], AWAY);
}

#[test]
fn an_unknown_staff_id_is_refused_with_the_known_ids() {
    let s = Sandbox::new();
    let id = s.new_ids(1)[0];
    let events = s.audit_events();
    let out = s
        .cmd()
        .args(["assign", &id.to_string(), "jbloggs"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("\"jbloggs\""), "{err}");
    assert!(
        err.contains("aclarke, bpatel, cjones, dokafor, ehughes"),
        "{err}"
    );
    assert!(err.contains("reception, prescriptions, admin"), "{err}");
    assert_untouched(&s.show(id));
    assert_eq!(s.audit_events(), events);
}

#[test]
fn if_version_acts_only_on_the_version_the_script_read() {
    let s = Sandbox::new();
    let id = s.new_ids(1)[0];
    let read = s.show(id)["task"]["row_version"]
        .as_i64()
        .expect("show prints the row version");
    // Another desk hands the task to reception after the script read it.
    s.cmd()
        .args(["assign", &id.to_string(), "reception"])
        .assert()
        .success();
    let now = s.show(id)["task"]["row_version"].as_i64().expect("version");
    assert!(now > read, "an assignment is a change: {read} -> {now}");
    let events = s.audit_events();

    let stale = [
        "assign",
        &id.to_string(),
        "cjones",
        "--if-version",
        &read.to_string(),
    ]
    .map(str::to_owned);
    let out = s.cmd().args(&stale).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!(
            "task {id} changed since you looked at it (version {read}, now {now}): reload and \
             try again"
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "it claims nothing");
    let task = s.show(id);
    assert_eq!(task["task"]["owner"], "reception", "{task}");
    assert_eq!(task["task"]["row_version"], now, "{task}");
    assert_eq!(s.audit_events(), events, "nothing audited");

    // At the version it is now, it goes ahead.
    s.cmd()
        .args([
            "assign",
            &id.to_string(),
            "cjones",
            "--if-version",
            &now.to_string(),
        ])
        .assert()
        .success();
    assert_eq!(s.show(id)["task"]["owner"], "cjones");
}

//! The escalation ladder on the real binary: `provider escalate` moves a provider one stage (or
//! back, or to a named stage) with an audit event, `provider list` shows who moved it and when,
//! `provider letter` cites the provider's recently rejected tasks without any patient data, and
//! every refusal leaves the mirror and the audit log as they were.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{DateTime, Utc};
use serde_json::Value;
use taskgate::domain::{
    Agreement, EscalationStage, IncomingTask, Patient, Priority, Provider, Status,
};
use taskgate::store::{Actor, AuditVerification, EscalationError, EscalationMove, Store};
use tempfile::TempDir;

const NOW: &str = "2026-11-20T12:00:00Z";
/// The first `[[staff]]` entry of config.example.toml.
const ACTING: &str = "aclarke";
/// A provider of the example config's registry, at stage 0 in a fresh demo mirror.
const HOSPITAL: &str = "ZHT02";
/// Where the default 30-day evidence period of a letter written at `NOW` starts: midnight of
/// 21 October in London, which is still on summer time.
const PERIOD_START: &str = "2026-10-20T23:00:00Z";

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
        s.ok(&["demo", "--tasks", "60", "--seed", "7"]);
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

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "taskgate {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command that must fail with exit code 1 and returns its stderr.
    fn refused(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("runs");
        assert_eq!(
            out.status.code(),
            Some(1),
            "taskgate {args:?} should be refused; stdout: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// The provider's line of `provider list`.
    fn listed(&self, ods: &str) -> String {
        self.ok(&["provider", "list"])
            .lines()
            .find(|l| l.starts_with(ods))
            .unwrap_or_else(|| panic!("{ods} is not listed"))
            .to_owned()
    }

    /// Checks the audit chain and returns how many events it holds.
    fn audit_events(&self) -> u64 {
        let text = self.ok(&["audit", "verify"]);
        assert!(text.contains("intact"), "{text}");
        text.split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("no event count in {text}"))
    }

    fn tasks(&self) -> Vec<Value> {
        let list = self.ok(&["list", "--format", "json", "--limit", "0"]);
        let list: Value = serde_json::from_str(&list).expect("valid JSON");
        list.as_array().expect("an array").clone()
    }
}

fn received(task: &Value) -> DateTime<Utc> {
    task["received_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("received_at is RFC 3339")
}

#[test]
fn escalating_one_stage_is_listed_with_who_and_when_audited_and_undone_by_back() {
    let s = Sandbox::new();
    let before = s.audit_events();
    assert!(s.listed(HOSPITAL).contains("0 (none)"));

    let out = s.ok(&["provider", "escalate", HOSPITAL]);
    assert!(
        out.contains("now at stage 1 (reminded the sending team)"),
        "{out}"
    );
    assert!(out.contains("escalation-reminder"), "{out}");

    let line = s.listed(HOSPITAL);
    assert!(line.contains("1 (reminded the sending team)"), "{line}");
    assert!(line.contains("20 Nov 2026 12:00 by aclarke"), "{line}");

    let latest = s.ok(&["audit", "show", "--limit", "1"]);
    assert!(latest.contains("escalation"), "{latest}");
    assert!(latest.contains(ACTING), "{latest}");
    assert!(
        latest.contains("0 (none) → 1 (reminded the sending team)"),
        "{latest}"
    );
    assert!(latest.contains(HOSPITAL), "{latest}");
    assert_eq!(s.audit_events(), before + 1);

    let out = s.ok(&["provider", "escalate", HOSPITAL, "--back"]);
    assert!(out.contains("now at stage 0 (none)"), "{out}");
    assert!(s.listed(HOSPITAL).contains("0 (none)"));
    assert_eq!(s.audit_events(), before + 2);
}

#[test]
fn a_provider_at_the_top_of_the_ladder_cannot_go_further_and_nothing_changes() {
    let s = Sandbox::new();
    // Only a named stage may jump more than one rung.
    s.ok(&["provider", "escalate", HOSPITAL, "--to", "4"]);
    let line = s.listed(HOSPITAL);
    assert!(line.contains("4 (LMC)"), "{line}");
    let events = s.audit_events();

    let err = s.refused(&["provider", "escalate", HOSPITAL]);
    assert!(err.contains("already at stage 4 (LMC)"), "{err}");
    let err = s.refused(&["provider", "escalate", HOSPITAL, "--to", "4"]);
    assert!(err.contains("already at stage 4 (LMC)"), "{err}");

    assert_eq!(s.listed(HOSPITAL), line);
    assert_eq!(s.audit_events(), events);
}

#[test]
fn an_unknown_provider_is_refused_naming_the_known_codes() {
    let s = Sandbox::new();
    let events = s.audit_events();
    for args in [
        ["provider", "escalate", "NOPE1"],
        ["provider", "letter", "NOPE1"],
    ] {
        let err = s.refused(&args);
        assert!(err.contains("no provider NOPE1"), "{err}");
        assert!(err.contains(HOSPITAL), "{err}");
    }
    assert_eq!(s.audit_events(), events);
}

#[test]
fn stage_0_has_no_letter_and_says_how_to_get_one() {
    let s = Sandbox::new();
    let err = s.refused(&["provider", "letter", HOSPITAL]);
    assert!(err.contains("stage 0 (none), which has no letter"), "{err}");
    assert!(err.contains("taskgate provider escalate ZHT02"), "{err}");
    let err = s.refused(&["provider", "letter", HOSPITAL, "--stage", "0"]);
    assert!(err.contains("no letter"), "{err}");
}

#[test]
fn the_reminder_letter_cites_the_providers_recent_rejections_and_no_patient() {
    let s = Sandbox::new();
    let tasks = s.tasks();
    let since: DateTime<Utc> = PERIOD_START.parse().expect("instant");
    let in_period = |t: &&Value| t["status"] == "rejected" && received(t) >= since;
    // The provider with the most rejections in the period, so the letter has a list to show.
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for t in tasks.iter().filter(in_period) {
        let ods = t["provider"]["ods_code"].as_str().expect("ods").to_owned();
        *counts.entry(ods).or_default() += 1;
    }
    let (ods, count) = counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .expect("the demo mirror has recent rejections");
    let cited: Vec<&Value> = tasks
        .iter()
        .filter(in_period)
        .filter(|t| t["provider"]["ods_code"] == ods.as_str())
        .collect();
    let name = cited[0]["provider"]["name"].as_str().expect("name");

    s.ok(&["provider", "escalate", &ods]);
    let letter = s.ok(&["provider", "letter", &ods]);

    assert!(
        letter.contains(&format!("To: The sending team, {name}")),
        "{letter}"
    );
    assert!(letter.contains("reminder of the LMC guidance"), "{letter}");
    assert!(letter.contains("Alex Clarke"), "{letter}");
    assert!(
        letter.contains("Between 21 October 2026 and 20 November 2026"),
        "{letter}"
    );
    let noun = if count == 1 { "Task" } else { "Tasks" };
    assert!(
        letter.contains(&format!("rejected {count} {noun} from your team")),
        "{letter}"
    );
    for t in &cited {
        let day = received(t)
            .with_timezone(&chrono_tz::Europe::London)
            .format("%-d %B %Y");
        let reference = t["source_id"].as_str().expect("reference");
        let line = format!("- received {day}, Task reference {reference}");
        assert!(letter.contains(&line), "missing `{line}` in\n{letter}");
    }
    // No other task's reference: older rejections and other senders stay out.
    let references = letter.matches("Task reference ").count();
    assert_eq!(references, cited.len(), "{letter}");

    for t in &tasks {
        let patient = &t["patient"];
        let patient_name = patient["name"].as_str().expect("patient name");
        assert!(
            !letter.contains(patient_name),
            "{patient_name} in the letter"
        );
        if let Some(nhs) = patient["nhs_number"].as_str() {
            let spaced = format!("{} {} {}", &nhs[..3], &nhs[3..6], &nhs[6..]);
            assert!(!letter.contains(nhs), "{nhs} in the letter");
            assert!(!letter.contains(&spaced), "{spaced} in the letter");
        }
    }

    // A named stage gives that stage's letter, whatever the provider's own stage.
    let lmc = s.ok(&["provider", "letter", &ods, "--stage", "4"]);
    assert!(lmc.contains("To: Local Medical Committee (LMC)"), "{lmc}");
}

fn provider(ods: &str) -> Provider {
    Provider {
        ods_code: ods.into(),
        name: format!("{ods} Trust"),
        agreement: Agreement::None,
        escalation: EscalationStage::None,
        escalation_changed: None,
    }
}

fn audit_count(store: &Store) -> u64 {
    match store.verify_audit().expect("verify") {
        AuditVerification::Intact { events, .. } => events,
        AuditVerification::Broken { reason, .. } => panic!("audit broken: {reason}"),
    }
}

#[test]
fn a_refused_move_leaves_the_provider_and_the_audit_log_as_they_were() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("mirror.sqlite")).expect("open");
    store.upsert_provider(&provider("RV9")).expect("provider");
    store.upsert_provider(&provider("RWA")).expect("provider");
    let jo = Actor {
        id: "jo",
        now: NOW.parse().expect("instant"),
    };

    let moved = store
        .move_escalation(&jo, "RV9", EscalationMove::To(EscalationStage::Lmc))
        .expect("a named jump is allowed");
    assert_eq!(moved.escalation, EscalationStage::Lmc);
    assert_eq!(moved.escalation_changed, Some((jo.now, "jo".to_owned())));
    let events = audit_count(&store);
    let later = Actor {
        id: "sam",
        now: jo.now + chrono::Duration::hours(1),
    };

    let refused = [
        store.move_escalation(&later, "RV9", EscalationMove::Up),
        store.move_escalation(&later, "RV9", EscalationMove::To(EscalationStage::Lmc)),
        store.move_escalation(&later, "RWA", EscalationMove::Down),
        store.move_escalation(&later, "XXX", EscalationMove::Up),
    ];
    assert!(matches!(refused[0], Err(EscalationError::AtTop { .. })));
    assert!(matches!(
        refused[1],
        Err(EscalationError::AlreadyThere { .. })
    ));
    assert!(matches!(refused[2], Err(EscalationError::AtBottom { .. })));
    match &refused[3] {
        Err(EscalationError::UnknownProvider { known, .. }) => assert_eq!(known, &["RV9", "RWA"]),
        other => panic!("expected an unknown provider, got {other:?}"),
    }

    assert_eq!(audit_count(&store), events);
    assert_eq!(store.provider("RV9").expect("read"), Some(moved));
    assert_eq!(store.provider("RWA").expect("read"), Some(provider("RWA")));
}

fn incoming(reference: &str, ods: &str, status: Status, received_at: &str) -> IncomingTask {
    IncomingTask {
        source_id: reference.into(),
        source_version: None,
        status,
        priority: Priority::Routine,
        provider_ods: ods.into(),
        provider_name: format!("{ods} Trust"),
        sender_team: None,
        addressed_to: None,
        owner: None,
        patient: Patient {
            nhs_number: None,
            name: "Test Patient".into(),
            birth_date: None,
        },
        subject: "Bloods".into(),
        body: String::new(),
        received_at: received_at.parse().expect("instant"),
        due_by: None,
        raw: None,
    }
}

#[test]
fn the_evidence_is_the_providers_rejections_received_in_the_period_newest_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("mirror.sqlite")).expect("open");
    let now: DateTime<Utc> = NOW.parse().expect("instant");
    store
        .insert_tasks(
            [
                incoming("OLD", "RV9", Status::Rejected, "2026-10-20T22:59:00Z"),
                // 23:30 UTC on 20 October is 00:30 on the 21st in London: inside the period,
                // and dated the 21st.
                incoming("FIRST", "RV9", Status::Rejected, "2026-10-20T23:30:00Z"),
                incoming("LATEST", "RV9", Status::Rejected, "2026-11-19T09:00:00Z"),
                incoming("OPEN", "RV9", Status::New, "2026-11-18T09:00:00Z"),
                incoming("OTHER", "RWA", Status::Rejected, "2026-11-18T09:00:00Z"),
                incoming("FUTURE", "RV9", Status::Rejected, "2026-11-20T12:30:00Z"),
            ],
            "test",
            "test",
            now,
        )
        .expect("insert");
    let since: DateTime<Utc> = PERIOD_START.parse().expect("instant");
    let cited = store.recent_rejections("RV9", since, now).expect("query");
    let cited: Vec<(String, String)> = cited
        .into_iter()
        .map(|r| (r.received.to_string(), r.reference))
        .collect();
    assert_eq!(
        cited,
        [
            ("2026-11-19".to_owned(), "LATEST".to_owned()),
            ("2026-10-21".to_owned(), "FIRST".to_owned()),
        ]
    );
}

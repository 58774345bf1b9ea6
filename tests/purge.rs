//! Retention: `taskgate purge --closed-before DATE` removes what identifies patients from old
//! closed tasks, everywhere the mirror keeps it (task, notes, letters, outbox, search index,
//! quarantine, free pages, WAL), keeps the counts and the audit trail, and records itself.

mod support;

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use support::sandbox::Sandbox;
use taskgate::domain::{IncomingTask, NhsNumber, Patient, Priority, Status, Task};
use taskgate::store::{
    Actor, AuditVerification, NewLetter, PURGED, PurgeRequest, PurgeSummary, QuarantinedRow, Store,
    Target, TaskFilter,
};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0)
        .single()
        .expect("instant")
}

/// A valid synthetic (999-range) NHS number, different for each `n`.
fn nhs(n: u32) -> NhsNumber {
    (0..100)
        .find_map(|k| {
            let serial = n * 100 + k;
            let mut first = [9, 9, 9, 0, 0, 0, 0, 0, 0];
            for (i, digit) in first.iter_mut().enumerate().skip(3) {
                let place = 10_u32.pow(u32::try_from(8 - i).expect("small"));
                *digit = u8::try_from(serial / place % 10).expect("a digit");
            }
            NhsNumber::from_first_nine(first)
        })
        .expect("some serial has a valid check digit")
}

/// Patients whose words appear nowhere else, so finding one in the file means it was kept.
const CLOSED_PATIENTS: [&str; 3] = [
    "Quillon Vandersnoot",
    "Marisela Oakenthwaite",
    "Thaddeus Brimblecombe",
];
const OPEN_PATIENT: &str = "Ysolde Farquharbank";
/// A note on a closed task, naming its patient by a made-up (999-range) NHS number.
const NOTE: &str = "Daughter rang about NHS 999 555 1234, will call back";
const NOTE_NHS: &str = "999 555 1234";

fn incoming(n: u32, name: &str, status: Status) -> IncomingTask {
    IncomingTask {
        source_id: format!("src-{n}"),
        source_version: Some("1".into()),
        status,
        priority: Priority::Routine,
        provider_ods: "ZDN01".into(),
        provider_name: "Riverside Community Health".into(),
        sender_team: Some("District Nursing".into()),
        addressed_to: None,
        owner: None,
        patient: Patient {
            nhs_number: Some(nhs(n)),
            name: name.into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1950, 3, 1),
        },
        subject: format!("Fit note required for {name}"),
        body: format!("Bodyword{n}glimmer: {name} was seen in clinic."),
        received_at: at(2, 9),
        due_by: None,
        raw: Some(format!(r#"{{"resourceType":"Task","note":"{name}"}}"#)),
    }
}

/// Every byte of the mirror and its sidecars, as someone who copied the files would have them.
fn file_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        if let Ok(b) = std::fs::read(&path) {
            bytes.extend(b);
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The words the search index holds, read through SQLite's own view of an FTS5 index (words
/// are stored lower-cased and prefix-compressed, so the raw bytes alone would not show them).
fn indexed_words(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.execute_batch("CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, tasks_fts, 'row')")
        .expect("vocabulary view");
    let mut stmt = conn.prepare("SELECT term FROM temp.words").expect("query");
    stmt.query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("terms")
}

fn category_keyword_subject(task: &Task) -> String {
    if task.subject.contains("Fit note") {
        format!("{PURGED} fit note")
    } else {
        PURGED.to_owned()
    }
}

struct Mirror {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: Store,
}

/// Two tasks closed upstream, two open; a local rejection whose edited letter names the
/// patient, a note, and a quarantined row holding another patient's record.
fn mirror_with_history() -> Mirror {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mirror.sqlite");
    let mut store = Store::open(&path).expect("open");
    let tasks = vec![
        incoming(1, CLOSED_PATIENTS[0], Status::Completed),
        incoming(2, CLOSED_PATIENTS[1], Status::Cancelled),
        incoming(3, CLOSED_PATIENTS[2], Status::New),
        incoming(4, OPEN_PATIENT, Status::New),
    ];
    store
        .insert_tasks(tasks, "test", "test", at(2, 9))
        .expect("import");
    let by = Actor {
        id: "jsmith",
        now: at(3, 10),
    };
    let third = store.task(3).expect("read").expect("task 3");
    store
        .reject_with_letter(
            &by,
            &[(
                Target {
                    id: 3,
                    row_version: third.row_version,
                },
                NewLetter {
                    template: "lmc-rejection".into(),
                    body: format!("Dear Colleague, about {}.", CLOSED_PATIENTS[2]),
                },
            )],
        )
        .expect("reject");
    let first = store.task(1).expect("read").expect("task 1");
    store
        .add_note(
            &by,
            &[Target {
                id: 1,
                row_version: first.row_version,
            }],
            // The audit event commits to the note by a salted hash; its words are kept
            // beside the log, where purge erases them.
            NOTE,
        )
        .expect("note");
    store
        .quarantine(&[QuarantinedRow {
            origin: "export.csv".into(),
            line: Some(7),
            field: Some("nhs_number".into()),
            reason: "not a valid NHS number".into(),
            raw: format!("{},123", CLOSED_PATIENTS[1]),
            at: at(2, 9),
        }])
        .expect("quarantine");
    Mirror {
        _dir: dir,
        path,
        store,
    }
}

fn purge_summary(
    store: &mut Store,
    before: DateTime<Utc>,
    include_unsent: bool,
    dry_run: bool,
) -> PurgeSummary {
    store
        .purge_closed(
            &Actor {
                id: "manager",
                now: at(20, 9),
            },
            &PurgeRequest {
                closed_before: before,
                include_unsent,
                anonymised_subject: &category_keyword_subject,
                dry_run,
            },
        )
        .expect("purge")
}

fn purge(store: &mut Store, before: DateTime<Utc>, include_unsent: bool, dry_run: bool) -> u64 {
    purge_summary(store, before, include_unsent, dry_run).purged
}

/// The history mirror after purging everything closed before day 10.
fn purged_mirror() -> Mirror {
    let mut m = mirror_with_history();
    // The words are in the index before: the checks after can see words.
    assert!(indexed_words(&m.path).contains(&"farquharbank".to_owned()));
    assert!(indexed_words(&m.path).contains(&"vandersnoot".to_owned()));
    let summary = purge_summary(&mut m.store, at(10, 0), true, false);
    assert_eq!(summary.purged, 3);
    assert_eq!(summary.quarantined_removed, 1);
    assert!(summary.wal_cleared);
    m
}

#[test]
fn a_purged_patient_is_nowhere_in_the_files_and_open_tasks_are_untouched() {
    let m = purged_mirror();
    let bytes = file_bytes(&m.path);
    for name in CLOSED_PATIENTS {
        assert!(
            !contains(&bytes, name),
            "{name} is still in the mirror's files"
        );
        for word in name.split(' ') {
            assert!(
                !contains(&bytes, word),
                "{word} is still in the mirror's files"
            );
        }
    }
    for n in 1..=3 {
        assert!(!contains(&bytes, &nhs(n).digits()), "NHS number {n} kept");
        assert!(
            !contains(&bytes, &format!("Bodyword{n}glimmer")),
            "body {n}"
        );
    }
    let words = indexed_words(&m.path);
    for name in CLOSED_PATIENTS {
        for word in name.to_lowercase().split(' ') {
            assert!(!words.contains(&word.to_owned()), "{word} still indexed");
        }
    }
    assert!(words.contains(&"farquharbank".to_owned()), "open task kept");

    let open = m.store.task(4).expect("read").expect("open task");
    assert_eq!(open.patient.name, OPEN_PATIENT);
    assert_eq!(open.patient.nhs_number, Some(nhs(4)));
    assert!(contains(&bytes, OPEN_PATIENT));
    let search = |words: &str| {
        m.store
            .count_tasks(&TaskFilter {
                search: Some(words.into()),
                ..TaskFilter::default()
            })
            .expect("search")
    };
    assert_eq!(search("Vandersnoot"), 0);
    assert_eq!(search("Farquharbank"), 1);
}

#[test]
fn a_note_naming_a_patient_leaves_no_byte_in_the_files_and_the_audit_chain_verifies() {
    let mut m = mirror_with_history();
    assert!(
        contains(&file_bytes(&m.path), NOTE_NHS),
        "the note is in the files before the purge"
    );
    let noted = |m: &Mirror| {
        m.store
            .history(1)
            .expect("history")
            .into_iter()
            .find(|e| e.action == "note")
            .and_then(|e| e.detail)
    };
    assert_eq!(noted(&m).as_deref(), Some(NOTE));
    let summary = purge_summary(&mut m.store, at(10, 0), true, false);
    assert!(summary.wal_cleared);
    let bytes = file_bytes(&m.path);
    for words in [NOTE_NHS, "9995551234", "Daughter rang"] {
        assert!(!contains(&bytes, words), "{words:?} is still in the files");
    }
    match m.store.verify_audit().expect("verify") {
        AuditVerification::Intact { .. } => {}
        broken @ AuditVerification::Broken { .. } => panic!("audit chain broken: {broken:?}"),
    }
    assert_eq!(noted(&m).as_deref(), Some("[text purged]"));
}

#[test]
fn a_purged_task_keeps_what_stats_and_the_audit_trail_need() {
    let m = purged_mirror();
    for id in 1..=3 {
        let t = m.store.task(id).expect("read").expect("purged task");
        assert_eq!(t.patient.name, PURGED);
        assert_eq!(t.patient.nhs_number, None);
        assert_eq!(t.patient.birth_date, None);
        assert_eq!(t.body, "");
        assert_eq!(m.store.source_raw(id).expect("raw"), None);
        // What stats count stays: provider, dates, status, priority, category keyword.
        assert_eq!(t.provider_ods, "ZDN01");
        assert_eq!(t.received_at, at(2, 9));
        assert_eq!(t.subject, format!("{PURGED} fit note"));
    }
    assert_eq!(
        m.store.task(3).expect("read").expect("t3").status,
        Status::Rejected
    );
    let letters = m.store.letters(3).expect("letters");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].template, "lmc-rejection");
    assert_eq!(letters[0].body, PURGED);
    assert_eq!(m.store.notes(1).expect("notes")[0].text, PURGED);
    let outbox = m.store.outbox_entries(3).expect("outbox");
    assert_eq!(outbox[0].payload["letter"]["body"], PURGED);
    assert_eq!(outbox[0].payload["status"], "rejected");
    assert_eq!(
        outbox[0].state, "cancelled",
        "never sent: a demo or file source has no upstream"
    );

    assert!(m.store.integrity_check().expect("check"));
    match m.store.verify_audit().expect("verify") {
        AuditVerification::Intact { .. } => {}
        broken @ AuditVerification::Broken { .. } => panic!("audit chain broken: {broken:?}"),
    }
    let last = m.store.audit_events(None, 1).expect("events");
    assert_eq!(last[0].action, "mirror.purge");
    let detail = last[0].detail.as_deref().expect("detail");
    assert!(detail.contains("3 tasks purged"), "{detail}");
    assert!(detail.contains("2026-03-10T00:00:00Z"), "{detail}");
    // The earlier history of the purged tasks is still there to audit.
    assert!(
        m.store
            .history(3)
            .expect("history")
            .iter()
            .any(|e| e.action == "reject")
    );
}

#[test]
fn tasks_closed_after_the_cut_off_or_still_open_are_kept_and_a_second_purge_finds_nothing() {
    let mut m = mirror_with_history();
    // Tasks 1 (note at day 3) and 3 (rejected day 3) changed after day 2 23:00; task 2 did not.
    assert_eq!(purge(&mut m.store, at(3, 0), true, false), 1);
    assert_eq!(
        m.store.task(1).expect("read").expect("t1").patient.name,
        CLOSED_PATIENTS[0]
    );
    assert_eq!(
        m.store.task(2).expect("read").expect("t2").patient.name,
        PURGED
    );
    let events = m.store.audit_events(None, 100).expect("events").len();
    assert_eq!(purge(&mut m.store, at(3, 0), true, false), 0);
    assert_eq!(
        m.store.audit_events(None, 100).expect("events").len(),
        events,
        "nothing purged, nothing recorded"
    );
}

#[test]
fn a_dry_run_counts_and_changes_nothing() {
    let mut m = mirror_with_history();
    let before = m.store.audit_events(None, 100).expect("events");
    assert_eq!(purge(&mut m.store, at(10, 0), true, true), 3);
    assert_eq!(
        m.store.task(1).expect("read").expect("t1").patient.name,
        CLOSED_PATIENTS[0]
    );
    assert_eq!(m.store.audit_events(None, 100).expect("events"), before);
}

#[test]
fn with_an_upstream_a_change_not_yet_confirmed_is_held_back() {
    let mut m = mirror_with_history();
    let summary = purge_summary(&mut m.store, at(10, 0), false, false);
    // Task 3's rejection (and task 1's note) wait in the outbox: only task 2 goes.
    assert_eq!((summary.purged, summary.held_unsent), (1, 2));
    let t3 = m.store.task(3).expect("read").expect("t3");
    assert_eq!(t3.patient.name, CLOSED_PATIENTS[2]);
    assert_eq!(
        m.store.outbox_entries(3).expect("outbox")[0].state,
        "pending"
    );
}

/// What `stats` prints as JSON, which must not move when old tasks are purged.
fn stats(s: &Sandbox, by: &str) -> Value {
    s.json(&["stats", "--by", by, "--format", "json"])
}

#[test]
fn the_command_purges_old_closed_tasks_keeps_the_figures_and_is_audited() {
    let s = Sandbox::new();
    s.demo(300);
    let later = ["--now", "2026-12-01T09:00:00Z"];
    let tasks = s.json(&["list", "--format", "json", "--limit", "0"]);
    let closed: Vec<&Value> = tasks
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|t| {
            ["rejected", "completed", "cancelled"].contains(&t["status"].as_str().unwrap_or(""))
        })
        .collect();
    assert!(closed.len() > 50, "the demo has closed tasks to purge");
    let by_provider = stats(&s, "provider");
    let by_category = stats(&s, "category");

    let dry = s.ok(&[
        &later[..],
        &["purge", "--closed-before", "2026-11-21", "--dry-run"],
    ]
    .concat());
    assert!(
        dry.contains(&format!("Would purge {}", closed.len())),
        "{dry}"
    );
    let out = s.ok(&[&later[..], &["purge", "--closed-before", "2026-11-21"]].concat());
    assert!(out.contains(&format!("Purged {}", closed.len())), "{out}");

    let after = s.json(&["list", "--format", "json", "--limit", "0"]);
    for t in after.as_array().expect("tasks") {
        let is_closed =
            ["rejected", "completed", "cancelled"].contains(&t["status"].as_str().unwrap_or(""));
        assert_eq!(t["patient"]["name"] == PURGED, is_closed, "{t}");
        if is_closed {
            assert_eq!(t["patient"]["nhs_number"], Value::Null);
            assert_eq!(t["body"], "");
        }
    }
    assert_eq!(stats(&s, "provider"), by_provider);
    assert_eq!(stats(&s, "category"), by_category);
    let verify = s.ok(&["audit", "verify"]);
    assert!(verify.contains("intact"), "{verify}");
    let latest = s.ok(&["audit", "show", "--limit", "1"]);
    assert!(latest.contains("mirror.purge"), "{latest}");

    // A cut-off that has not begun would reach tasks closed today: refused, nothing changes.
    let refused = s.run(&["purge", "--closed-before", "2026-11-21"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is in the future"));
}

#[test]
fn the_cut_off_is_midnight_in_london() {
    // 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): tasks closed then were closed on
    // 1 July, so "before 1 July" must keep them. Read as UTC days, they would be purged.
    let s = Sandbox::new();
    s.ok(&["--now", "2026-06-30T23:30:00Z", "demo", "--tasks", "100"]);
    let unactioned = s.json(&[
        "list", "--format", "json", "--status", "new", "--limit", "3",
    ]);
    let ids: Vec<String> = unactioned
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| t["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 3);
    let mut reject = vec!["--now", "2026-06-30T23:30:00Z", "reject"];
    reject.extend(ids.iter().map(String::as_str));
    s.ok(&reject);
    let patient = |id: &str| {
        let all = s.json(&[
            "list", "--format", "json", "--status", "rejected", "--limit", "0",
        ]);
        all.as_array()
            .expect("a list")
            .iter()
            .find(|t| t["id"].as_i64().is_some_and(|n| n.to_string() == id))
            .map(|t| t["patient"]["name"].clone())
            .expect("the task is listed")
    };
    s.ok(&[
        "--now",
        "2026-07-02T12:00:00Z",
        "purge",
        "--closed-before",
        "2026-07-01",
    ]);
    for id in &ids {
        assert_ne!(
            patient(id),
            PURGED,
            "task {id}, closed 00:30 on 1 July, is kept"
        );
    }
    s.ok(&[
        "--now",
        "2026-07-02T12:00:00Z",
        "purge",
        "--closed-before",
        "2026-07-02",
    ]);
    for id in &ids {
        assert_eq!(
            patient(id),
            PURGED,
            "task {id} is purged with the next day's cut-off"
        );
    }
}

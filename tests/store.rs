//! The SQLite mirror on real temporary files: owner-only permissions (WAL included), import and
//! read-back, search and paging, every user action with its audit and outbox rows, undo, the
//! audit chain under tampering, backups, and two handles racing on the same file.

use std::fs;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use taskgate::domain::{
    Absence, Agreement, EscalationStage, IncomingTask, NhsNumber, Patient, Priority, Provider,
    Status, Task, TaskAction,
};
use taskgate::store::{
    Actor, AuditVerification, NewLetter, PageKey, QuarantinedRow, Store, StoreError, Target,
    TaskFilter,
};
use tempfile::TempDir;

fn at(hour: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 1, hour, min, 0)
        .single()
        .expect("valid time")
}

fn jo() -> Actor<'static> {
    Actor {
        id: "jo",
        now: at(10, 0),
    }
}

fn incoming(n: u32) -> IncomingTask {
    IncomingTask {
        source_id: format!("T{n}"),
        source_version: Some("1".into()),
        status: Status::New,
        priority: if n % 7 == 0 {
            Priority::Urgent
        } else {
            Priority::Routine
        },
        provider_ods: if n % 2 == 0 {
            "RV9".into()
        } else {
            "RWA".into()
        },
        provider_name: if n % 2 == 0 {
            "Humber Teaching".into()
        } else {
            "Hull University".into()
        },
        sender_team: Some("Community nursing".into()),
        addressed_to: (n % 5 == 0).then(|| "Dr Patel".into()),
        owner: None,
        patient: Patient {
            nhs_number: Some(NhsNumber::parse("999 000 0018").expect("valid number")),
            name: format!("Patient{n} Example"),
            birth_date: NaiveDate::from_ymd_opt(1950, 1, 1 + n % 28),
        },
        subject: format!("Request {n}"),
        body: format!("Please review bloods for task number {n}."),
        // Pairs share a receipt time so paging must break ties by id.
        received_at: at(8, 0) + Duration::minutes(i64::from(n / 2)),
        due_by: (n % 3 == 0).then(|| at(17, 0)),
    }
}

fn store_with(dir: &TempDir, n: u32) -> (Store, PathBuf) {
    let path = dir.path().join("mirror.db");
    let mut store = Store::open(&path).expect("open");
    store
        .insert_tasks((0..n).map(incoming), "demo", "system", at(9, 0))
        .expect("import");
    (store, path)
}

fn all(store: &Store, f: &TaskFilter) -> Vec<Task> {
    store.tasks_after(f, None, 100_000).expect("list")
}

fn target(t: &Task) -> Target {
    Target {
        id: t.id,
        row_version: t.row_version,
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// Everything an action could have touched, to prove a failed one touched nothing.
fn snapshot(store: &Store) -> (Vec<Task>, usize, usize, usize) {
    let tasks = all(store, &TaskFilter::default());
    let outbox = tasks
        .iter()
        .map(|t| store.outbox_entries(t.id).expect("outbox").len())
        .sum();
    let letters = tasks
        .iter()
        .map(|t| store.letters(t.id).expect("letters").len())
        .sum();
    let audit = store.audit_events(None, 100_000).expect("audit").len();
    (tasks, outbox, letters, audit)
}

fn letter() -> NewLetter {
    NewLetter {
        template: "lmc-rejection".into(),
        body: "Dear Colleague".into(),
    }
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("raw connection")
}

#[test]
fn mirror_folder_file_and_wal_are_owner_only() {
    let dir = TempDir::new().expect("tempdir");
    let folder = dir.path().join("data").join("taskgate");
    let path = folder.join("mirror.db");
    let mut store = Store::open(&path).expect("open");
    store
        .insert_tasks([incoming(1)], "demo", "system", at(9, 0))
        .expect("import");
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&path), 0o600);
    for suffix in ["-wal", "-shm"] {
        let sidecar = PathBuf::from(format!("{}{suffix}", path.display()));
        assert_eq!(mode(&sidecar), 0o600, "{suffix} file");
    }
    assert!(store.integrity_check().expect("check"));
}

#[test]
fn a_mirror_readable_by_others_is_refused_with_the_fix() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("mirror.db");
    drop(Store::open(&path).expect("create"));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = Store::open(&path).expect_err("must refuse");
    assert!(
        matches!(err, StoreError::Permissions { mode: 0o644, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("chmod 600 {}", path.display())),
        "{err}"
    );
}

#[test]
fn imported_tasks_read_back_as_sent_and_reimport_changes_nothing() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 6);
    let tasks = all(&store, &TaskFilter::default());
    assert_eq!(tasks.len(), 6);
    for task in &tasks {
        let n: u32 = task.source_id[1..].parse().expect("number");
        let sent = incoming(n);
        assert_eq!(store.task(task.id).expect("read").as_ref(), Some(task));
        assert_eq!(
            (
                &task.source_version,
                task.status,
                task.priority,
                &task.provider_ods
            ),
            (
                &sent.source_version,
                sent.status,
                sent.priority,
                &sent.provider_ods
            )
        );
        assert_eq!(
            (&task.provider_name, &task.sender_team),
            (&sent.provider_name, &sent.sender_team)
        );
        assert_eq!(
            (&task.addressed_to, &task.owner, &task.patient),
            (&sent.addressed_to, &sent.owner, &sent.patient)
        );
        assert_eq!((&task.subject, &task.body), (&sent.subject, &sent.body));
        assert_eq!(
            (task.received_at, task.due_by),
            (sent.received_at, sent.due_by)
        );
        assert_eq!(task.row_version, 1);
    }
    let again = store
        .insert_tasks((0..6).map(incoming), "demo", "system", at(9, 5))
        .expect("again");
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 6));
    assert_eq!(all(&store, &TaskFilter::default()), tasks);

    let mut newer = incoming(2);
    newer.source_version = Some("2".into());
    newer.subject = "Request 2, amended".into();
    let mut older = incoming(3);
    older.source_version = Some("0".into());
    older.subject = "stale copy".into();
    let s = store
        .insert_tasks([newer, older], "fhir", "sync", at(9, 10))
        .expect("update");
    assert_eq!((s.inserted, s.updated, s.unchanged), (0, 1, 1));
    let updated = all(&store, &TaskFilter::default());
    let t2 = updated.iter().find(|t| t.source_id == "T2").expect("T2");
    assert_eq!(
        (t2.subject.as_str(), t2.row_version),
        ("Request 2, amended", 2)
    );
    let t3 = updated.iter().find(|t| t.source_id == "T3").expect("T3");
    assert_eq!(t3.subject, "Request 3");
    let providers = store.providers().expect("providers");
    assert_eq!(
        providers
            .iter()
            .map(|p| p.ods_code.as_str())
            .collect::<Vec<_>>(),
        ["RV9", "RWA"]
    );
}

#[test]
fn an_import_never_overwrites_a_change_waiting_to_go_upstream() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 2);
    let t = all(&store, &TaskFilter::default()).remove(0);
    store
        .assign(&jo(), &[target(&t)], "sam", None)
        .expect("assign");
    let mut newer = incoming(t.source_id[1..].parse().expect("n"));
    newer.source_version = Some("5".into());
    newer.subject = "changed upstream".into();
    let s = store
        .insert_tasks([newer], "fhir", "sync", at(10, 5))
        .expect("import");
    assert_eq!((s.updated, s.unchanged), (0, 1));
    let now = store.task(t.id).expect("read").expect("task");
    assert_eq!(
        (now.status, now.owner.as_deref(), now.subject.as_str()),
        (Status::Assigned, Some("sam"), "Request 0")
    );
}

#[test]
fn search_finds_words_in_each_field_and_survives_hostile_input() {
    let dir = TempDir::new().expect("tempdir");
    let (store, _) = store_with(&dir, 10);
    let search = |q: &str| {
        let f = TaskFilter {
            search: Some(q.into()),
            ..TaskFilter::default()
        };
        let found: Vec<String> = all(&store, &f).into_iter().map(|t| t.source_id).collect();
        assert_eq!(store.count_tasks(&f).expect("count"), found.len() as u64);
        found
    };
    assert_eq!(search("bloods number 7"), ["T7"]);
    assert_eq!(search("request 4"), ["T4"]);
    assert_eq!(search("humber").len(), 5);
    assert_eq!(search("RWA").len(), 5);
    assert_eq!(search("patient3 example"), ["T3"]);
    assert_eq!(search("hull univ"), search("RWA"));
    assert_eq!(search("nosuchword"), Vec::<String>::new());
    for hostile in [
        "\"",
        "AND",
        "*",
        "-",
        "OR NOT (",
        "a\"b",
        "NEAR(x y)",
        "subject:x",
        "^",
        "",
        "'",
    ] {
        let f = TaskFilter {
            search: Some(hostile.into()),
            ..TaskFilter::default()
        };
        store.tasks_after(&f, None, 10).expect(hostile);
        store.count_tasks(&f).expect(hostile);
    }
}

#[test]
fn paging_walks_the_filtered_list_both_ways_without_gaps_or_repeats() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 57);
    let everything = all(&store, &TaskFilter::default());
    let picked: Vec<Target> = everything.iter().step_by(4).map(target).collect();
    store.assign(&jo(), &picked, "sam", None).expect("assign");
    let f = TaskFilter {
        statuses: vec![Status::New],
        provider: Some("RV9".into()),
        ..TaskFilter::default()
    };
    let mut expected: Vec<Task> = all(&store, &TaskFilter::default())
        .into_iter()
        .filter(|t| t.status == Status::New && t.provider_ods == "RV9")
        .collect();
    expected.sort_by_key(PageKey::of);
    assert_eq!(store.count_tasks(&f).expect("count"), expected.len() as u64);

    let mut forward = Vec::new();
    let mut key = None;
    loop {
        let page = store.tasks_after(&f, key, 4).expect("page");
        let Some(last) = page.last() else { break };
        key = Some(PageKey::of(last));
        forward.extend(page);
    }
    assert_eq!(forward, expected);

    let mut backward = Vec::new();
    let mut key = None;
    loop {
        let page = store.tasks_before(&f, key, 4).expect("page");
        let Some(first) = page.first() else { break };
        key = Some(PageKey::of(first));
        backward.splice(0..0, page);
    }
    assert_eq!(backward, expected);

    let counts = store.status_counts().expect("counts");
    assert_eq!(counts[&Status::Assigned], picked.len() as u64);
    assert_eq!(counts[&Status::New], 57 - picked.len() as u64);
    assert_eq!(counts[&Status::Rejected], 0);
}

#[test]
fn each_action_changes_the_task_and_writes_one_audit_event_and_one_outbox_entry_per_task() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 4);
    let tasks = all(&store, &TaskFilter::default());
    let (a, b, c) = (&tasks[0], &tasks[1], &tasks[2]);
    let audit_before = store.audit_events(None, 1000).expect("audit").len();

    let out = store
        .assign(&jo(), &[target(a), target(b)], "sam", Some("for Monday"))
        .expect("assign");
    assert_eq!(out.tasks.len(), 2);
    for t in &out.tasks {
        assert_eq!(
            (t.status, t.owner.as_deref(), t.row_version),
            (Status::Assigned, Some("sam"), 2)
        );
        assert_eq!(store.notes(t.id).expect("notes")[0].text, "for Monday");
        let outbox = store.outbox_entries(t.id).expect("outbox");
        assert_eq!(outbox.len(), 1);
        assert_eq!(
            (outbox[0].state.as_str(), &outbox[0].payload["owner"]),
            ("pending", &"sam".into())
        );
        let history = store.history(t.id).expect("history");
        assert_eq!(history.len(), 1);
        assert_eq!(
            (history[0].actor.as_str(), history[0].action.as_str()),
            ("jo", "assign")
        );
        assert_eq!(
            (history[0].from.as_deref(), history[0].to.as_deref()),
            (Some("new"), Some("assigned (sam)"))
        );
    }
    assert_eq!(
        store.audit_events(None, 1000).expect("audit").len(),
        audit_before + 2
    );

    let b = &out.tasks[1];
    let out = store.unassign(&jo(), &[target(b)]).expect("unassign");
    assert_eq!(
        (out.tasks[0].status, out.tasks[0].owner.as_deref()),
        (Status::New, None)
    );

    let out = store
        .reject_with_letter(&jo(), &[(target(c), letter())])
        .expect("reject");
    assert_eq!(out.tasks[0].status, Status::Rejected);
    let letters = store.letters(c.id).expect("letters");
    assert_eq!(
        (letters[0].template.as_str(), letters[0].body.as_str()),
        ("lmc-rejection", "Dear Colleague")
    );
    assert_eq!(
        store.outbox_entries(c.id).expect("outbox")[0].payload["letter"]["template"],
        "lmc-rejection"
    );

    let a = &store.task(a.id).expect("read").expect("a");
    let out = store.complete(&jo(), &[target(a)]).expect("complete");
    assert_eq!(out.tasks[0].status, Status::Completed);

    let c = &store.task(c.id).expect("read").expect("c");
    let out = store
        .add_note(&jo(), &[target(c)], "phoned the ward")
        .expect("note on a closed task");
    assert_eq!(out.tasks[0].status, Status::Rejected);
    assert_eq!(store.history(c.id).expect("history").len(), 2);
    assert_eq!(store.outbox_entries(c.id).expect("outbox").len(), 2);
}

#[test]
fn a_stale_target_changes_nothing_even_in_a_batch() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 3);
    let tasks = all(&store, &TaskFilter::default());
    store
        .add_note(&jo(), &[target(&tasks[2])], "moves the version")
        .expect("note");
    let before = snapshot(&store);

    let stale = [target(&tasks[0]), target(&tasks[1]), target(&tasks[2])];
    let err = store
        .assign(&jo(), &stale, "sam", Some("n"))
        .expect_err("stale");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("reload and try again"));
    let items: Vec<_> = stale.iter().map(|t| (*t, letter())).collect();
    assert!(matches!(
        store.reject_with_letter(&jo(), &items),
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        store.complete(&jo(), &stale),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(snapshot(&store), before);

    let missing = Target {
        id: 999,
        row_version: 1,
    };
    assert!(matches!(
        store.complete(&jo(), &[target(&tasks[0]), missing]),
        Err(StoreError::NotFound(999))
    ));
    assert!(matches!(
        store.complete(&jo(), &[]),
        Err(StoreError::NothingSelected)
    ));
    assert_eq!(snapshot(&store), before);
}

#[test]
fn closed_tasks_refuse_status_actions() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 2);
    let tasks = all(&store, &TaskFilter::default());
    let done = store
        .complete(&jo(), &[target(&tasks[0])])
        .expect("complete")
        .tasks
        .remove(0);
    let before = snapshot(&store);
    let err = store
        .reject_with_letter(&jo(), &[(target(&done), letter())])
        .expect_err("closed");
    assert!(matches!(
        err,
        StoreError::NotAllowed {
            status: Status::Completed,
            action: TaskAction::Reject,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        format!("cannot reject task {}: it is completed", done.id)
    );
    assert!(matches!(
        store.assign(&jo(), &[target(&done)], "sam", None),
        Err(StoreError::NotAllowed { .. })
    ));
    assert!(matches!(
        store.unassign(&jo(), &[target(&tasks[1])]),
        Err(StoreError::NotAllowed { .. })
    ));
    assert_eq!(snapshot(&store), before);
}

#[test]
fn undo_reverses_a_whole_batch_and_withdraws_its_letters() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 3);
    let tasks = all(&store, &TaskFilter::default());
    store
        .assign(&jo(), &[target(&tasks[0])], "sam", None)
        .expect("assign");
    let a = store.task(tasks[0].id).expect("read").expect("a");
    let items = [(target(&a), letter()), (target(&tasks[1]), letter())];
    let rejected = store.reject_with_letter(&jo(), &items).expect("reject");

    let undone = store.undo_last(&jo()).expect("undo");
    assert_eq!(undone.tasks.len(), 2);
    assert_eq!(
        (undone.tasks[0].status, undone.tasks[0].owner.as_deref()),
        (Status::Assigned, Some("sam"))
    );
    assert_eq!(
        (undone.tasks[1].status, undone.tasks[1].owner.as_deref()),
        (Status::New, None)
    );
    for t in &undone.tasks {
        let letters = store.letters(t.id).expect("letters");
        assert_eq!(letters[0].withdrawn_by_action, Some(undone.action_id));
        let outbox = store.outbox_entries(t.id).expect("outbox");
        let reject_entry = outbox
            .iter()
            .find(|e| e.action_id == Some(rejected.action_id))
            .expect("entry");
        assert_eq!(reject_entry.state, "cancelled");
        let last = store.history(t.id).expect("history").pop().expect("event");
        let from = if t.id == a.id {
            "rejected (sam)"
        } else {
            "rejected"
        };
        assert_eq!(
            (last.action.as_str(), last.from.as_deref()),
            ("undo", Some(from))
        );
    }
    // The next undo walks back to the assignment, then there is nothing left.
    let again = store.undo_last(&jo()).expect("undo assign");
    assert_eq!(
        (again.tasks[0].status, again.tasks[0].owner.as_deref()),
        (Status::New, None)
    );
    assert!(matches!(
        store.undo_last(&jo()),
        Err(StoreError::NothingToUndo)
    ));
    assert!(matches!(
        store.undo_last(&Actor {
            id: "sam",
            now: at(11, 0)
        }),
        Err(StoreError::NothingToUndo)
    ));
}

#[test]
fn undo_stops_once_sent_upstream_or_changed_by_someone_else() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, path) = store_with(&dir, 2);
    let tasks = all(&store, &TaskFilter::default());
    let out = store
        .complete(&jo(), &[target(&tasks[0])])
        .expect("complete");
    raw(&path)
        .execute(
            "UPDATE outbox SET state = 'sent' WHERE action_id = ?",
            [out.action_id],
        )
        .expect("mark sent");
    let err = store.undo_last(&jo()).expect_err("sent");
    assert!(matches!(err, StoreError::AlreadySent { action_id } if action_id == out.action_id));
    assert_eq!(
        store.task(tasks[0].id).expect("read").expect("t").status,
        Status::Completed
    );

    let mine = store
        .assign(&jo(), &[target(&tasks[1])], "jo", None)
        .expect("assign")
        .tasks
        .remove(0);
    let sam = Actor {
        id: "sam",
        now: at(10, 30),
    };
    store
        .add_note(&sam, &[target(&mine)], "I'll take it")
        .expect("sam's note");
    let before = snapshot(&store);
    assert!(matches!(
        store.undo_last(&jo()),
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(snapshot(&store), before);
}

#[test]
fn the_audit_chain_holds_and_exposes_tampering_and_removal() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, path) = store_with(&dir, 20);
    for t in all(&store, &TaskFilter::default()) {
        store
            .assign(&jo(), &[target(&t)], "sam", Some("batch"))
            .expect("assign");
    }
    store
        .record_event(
            "jo",
            at(17, 0),
            "handover",
            "handover.sign_off",
            "jo to sam",
        )
        .expect("event");
    let AuditVerification::Intact { events, .. } = store.verify_audit().expect("verify") else {
        panic!("chain should be intact")
    };
    assert_eq!(events, 22);

    let conn = raw(&path);
    assert!(
        conn.execute("UPDATE audit_log SET detail = 'x' WHERE id = 5", [])
            .is_err()
    );
    assert!(
        conn.execute("DELETE FROM audit_log WHERE id = 5", [])
            .is_err()
    );
    assert!(matches!(
        store.verify_audit().expect("verify"),
        AuditVerification::Intact { .. }
    ));

    conn.execute_batch(
        "DROP TRIGGER audit_log_append_only_update; DROP TRIGGER audit_log_append_only_delete;",
    )
    .expect("drop triggers");
    conn.execute("DELETE FROM audit_log WHERE id = 12", [])
        .expect("delete");
    match store.verify_audit().expect("verify") {
        AuditVerification::Broken { event_id, reason } => {
            assert_eq!(event_id, 13);
            assert!(reason.contains("missing"), "{reason}");
        }
        other => panic!("deletion not detected: {other:?}"),
    }
    conn.execute(
        "UPDATE audit_log SET detail = 'nothing to see' WHERE id = 7",
        [],
    )
    .expect("tamper");
    match store.verify_audit().expect("verify") {
        AuditVerification::Broken { event_id, reason } => {
            assert_eq!(event_id, 7);
            assert!(reason.contains("altered"), "{reason}");
        }
        other => panic!("tampering not detected: {other:?}"),
    }
}

#[test]
fn a_backup_is_a_private_copy_and_never_overwrites() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 5);
    let first = all(&store, &TaskFilter::default()).remove(0);
    store
        .assign(&jo(), &[target(&first)], "sam", None)
        .expect("assign");
    let dest = dir.path().join("backup.db");
    store.backup_to(&dest).expect("backup");
    assert_eq!(mode(&dest), 0o600);
    let copy = Store::open(&dest).expect("open copy");
    assert_eq!(
        all(&copy, &TaskFilter::default()),
        all(&store, &TaskFilter::default())
    );
    assert!(matches!(
        copy.verify_audit().expect("verify"),
        AuditVerification::Intact { events: 2, .. }
    ));
    let err = store.backup_to(&dest).expect_err("exists");
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err:?}");
}

#[test]
fn two_handles_on_one_file_cannot_both_act_on_the_same_version() {
    let dir = TempDir::new().expect("tempdir");
    let (mut desk_a, path) = store_with(&dir, 1);
    let mut desk_b = Store::open(&path).expect("second handle");
    let seen_by_b = all(&desk_b, &TaskFilter::default()).remove(0);
    desk_a
        .assign(&jo(), &[target(&seen_by_b)], "jo", None)
        .expect("a acts first");
    let err = desk_b
        .reject_with_letter(
            &Actor {
                id: "sam",
                now: at(10, 1),
            },
            &[(target(&seen_by_b), letter())],
        )
        .expect_err("b is stale");
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        desk_b
            .task(seen_by_b.id)
            .expect("read")
            .expect("t")
            .owner
            .as_deref(),
        Some("jo")
    );
    assert!(matches!(
        desk_b.verify_audit().expect("verify"),
        AuditVerification::Intact { events: 2, .. }
    ));
}

#[test]
fn the_registry_never_resets_an_escalation_and_small_tables_round_trip() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 2);
    let since = NaiveDate::from_ymd_opt(2026, 4, 1).expect("date");
    let mut rxx = Provider {
        ods_code: "RXX".into(),
        name: "Nowhere Community Trust".into(),
        agreement: Agreement::Sop { since },
        escalation: EscalationStage::ServiceLead,
        escalation_changed: Some((at(9, 0), "jo".into())),
    };
    store.upsert_provider(&rxx).expect("first");
    assert_eq!(store.provider("RXX").expect("read"), Some(rxx.clone()));
    rxx.escalation = EscalationStage::None;
    rxx.escalation_changed = None;
    rxx.agreement = Agreement::None;
    store.upsert_provider(&rxx).expect("again");
    let stored = store.provider("RXX").expect("read").expect("rxx");
    assert_eq!(stored.agreement, Agreement::None);
    assert_eq!(stored.escalation, EscalationStage::ServiceLead);

    // A registry name replaces the one tasks brought, and search follows it.
    let mut rv9 = store.provider("RV9").expect("read").expect("seen in tasks");
    rv9.name = "Humber Teaching NHS Foundation Trust".into();
    store.upsert_provider(&rv9).expect("rename");
    let f = TaskFilter { search: Some("foundation trust".into()), ..TaskFilter::default() };
    assert_eq!(store.count_tasks(&f).expect("search"), 1);
    store.insert_tasks([incoming(10)], "demo", "system", at(9, 30)).expect("import");
    assert_eq!(store.count_tasks(&f).expect("search"), 2, "a task's naming must not win");

    let away = Absence {
        staff_id: "sam".into(),
        from: since,
        until: since + Duration::days(4),
        reason: "leave".into(),
    };
    store.record_absence(&jo(), &away).expect("absence");
    assert_eq!(store.absences().expect("absences"), [away]);
    let last = store.audit_events(None, 1).expect("audit").remove(0);
    assert_eq!(
        (last.action.as_str(), last.target.as_deref()),
        ("absence.record", Some("staff:sam"))
    );

    assert_eq!(store.sync_value("watermark").expect("get"), None);
    store
        .set_sync_value("watermark", "2026-09-01T09:00:00Z")
        .expect("set");
    store
        .set_sync_value("watermark", "2026-09-01T10:00:00Z")
        .expect("set again");
    assert_eq!(
        store.sync_value("watermark").expect("get").as_deref(),
        Some("2026-09-01T10:00:00Z")
    );

    let row = QuarantinedRow {
        origin: "inbox.csv".into(),
        line: Some(7),
        field: Some("nhs_number".into()),
        reason: "check digit".into(),
        raw: "a,b,c".into(),
        at: at(9, 0),
    };
    store
        .quarantine(std::slice::from_ref(&row))
        .expect("quarantine");
    assert_eq!(store.quarantined().expect("read"), [row]);
}

/// Measures a demo-sized import: `cargo test --release --test store -- --ignored --nocapture`.
#[test]
#[ignore = "slow: imports a million tasks"]
fn a_million_tasks_import_in_one_call() {
    let dir = TempDir::new().expect("tempdir");
    let mut store = Store::open(&dir.path().join("big.db")).expect("open");
    if let Ok(sql) = std::env::var("SCRATCH_SQL") { raw(&dir.path().join("big.db")).execute_batch(&sql).expect("scratch"); }
    let started = std::time::Instant::now();
    let s = store
        .insert_tasks((0..1_000_000).map(incoming), "demo", "system", at(9, 0))
        .expect("import");
    println!("imported {} tasks in {:?}", s.inserted, started.elapsed());
    assert_eq!(s.inserted, 1_000_000);
    let started = std::time::Instant::now();
    let f = TaskFilter {
        statuses: vec![Status::New],
        search: Some("bloods 99999".into()),
        ..TaskFilter::default()
    };
    let page = store.tasks_after(&f, None, 50).expect("search");
    let last = store
        .tasks_before(&TaskFilter::default(), None, 50)
        .expect("end");
    println!("search + last page in {:?}", started.elapsed());
    assert_eq!(page.len(), 11);
    assert_eq!(last.len(), 50);
}

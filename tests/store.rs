//! The SQLite mirror on real temporary files: owner-only permissions (WAL included), import and
//! read-back, search and paging, every user action with its audit and outbox rows, undo, the
//! audit chain under tampering, backups, and two handles racing on the same file.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use taskgate::domain::{IncomingTask, NhsNumber, Patient, Priority, Status, Task};
use taskgate::store::{Actor, NewLetter, PageKey, Store, StoreError, Target, TaskFilter};
use tempfile::TempDir;

#[path = "store/actions.rs"]
mod actions;
#[path = "store/safekeeping.rs"]
mod safekeeping;

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
        priority: if n.is_multiple_of(7) {
            Priority::Urgent
        } else {
            Priority::Routine
        },
        provider_ods: if n.is_multiple_of(2) {
            "RV9".into()
        } else {
            "RWA".into()
        },
        provider_name: if n.is_multiple_of(2) {
            "Humber Teaching".into()
        } else {
            "Hull University".into()
        },
        sender_team: Some("Community nursing".into()),
        addressed_to: n.is_multiple_of(5).then(|| "Dr Patel".into()),
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
        due_by: n.is_multiple_of(3).then(|| at(17, 0)),
        raw: None,
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
    drop(store);

    // Without the store's own tightening: SQLite must give new WAL files the database's mode.
    let conn = raw(&path);
    conn.execute("INSERT INTO sync_state (key, value) VALUES ('k', 'v')", [])
        .expect("write");
    for suffix in ["-wal", "-shm"] {
        let sidecar = PathBuf::from(format!("{}{suffix}", path.display()));
        assert_eq!(
            mode(&sidecar),
            0o600,
            "{suffix} file created by SQLite itself"
        );
    }
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
fn a_file_without_versions_reimports_as_unchanged_and_updates_when_edited() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("mirror.db");
    let mut store = Store::open(&path).expect("open");
    let unversioned = |n| IncomingTask {
        source_version: None,
        ..incoming(n)
    };
    let first = store.insert_tasks((0..3).map(unversioned), "a.csv", "jo", at(9, 0));
    assert_eq!(first.expect("import").inserted, 3);
    let again = store.insert_tasks((0..3).map(unversioned), "a.csv", "jo", at(9, 1));
    assert_eq!(again.expect("again").unchanged, 3);
    let edited = IncomingTask {
        body: "Corrected request".into(),
        ..unversioned(1)
    };
    let s = store
        .insert_tasks([edited], "a.csv", "jo", at(9, 2))
        .expect("edited");
    assert_eq!((s.updated, s.unchanged), (1, 0));
    let f = TaskFilter {
        search: Some("corrected".into()),
        ..TaskFilter::default()
    };
    assert_eq!(all(&store, &f)[0].source_id, "T1");
    let imports: Vec<_> = store.audit_events(None, 10).expect("audit");
    assert_eq!(
        imports.len(),
        2,
        "an import that changed nothing leaves no event"
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
fn search_sees_each_task_as_last_delivered_in_a_batch() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 2);
    let first = IncomingTask {
        subject: "Zebra crossing".into(),
        ..incoming(100)
    };
    let second = IncomingTask {
        source_version: Some("2".into()),
        subject: "Yak shaving".into(),
        ..incoming(100)
    };
    let renamed = IncomingTask {
        provider_name: "Humber Valley Care".into(),
        ..incoming(102)
    };
    let s = store.insert_tasks([first, second, renamed], "fhir", "sync", at(9, 30));
    let s = s.expect("import");
    assert_eq!((s.inserted, s.updated), (2, 1));
    let found = |q: &str| {
        let f = TaskFilter {
            search: Some(q.into()),
            ..TaskFilter::default()
        };
        all(&store, &f)
            .into_iter()
            .map(|t| t.source_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(found("yak"), ["T100"]);
    assert_eq!(found("zebra"), Vec::<String>::new());
    // The sender renamed itself mid-batch: older and newer tasks are found by the new name.
    assert_eq!(found("valley"), ["T0", "T100", "T102"]);
    assert_eq!(found("teaching"), Vec::<String>::new());
}

/// Searches over open tasks read their own index; after every kind of change it must find
/// exactly what the index of all tasks finds among the tasks in those statuses.
#[test]
fn searching_open_tasks_finds_what_searching_every_task_finds_among_them() {
    let dir = TempDir::new().expect("tempdir");
    let (mut store, _) = store_with(&dir, 40);
    let words = [
        "bloods",
        "request 7",
        "humber",
        "hull",
        "valley",
        "patient1",
        "zebra",
        // The open-tasks index also holds each task's status; typed words must not reach it.
        "new",
        "assigned",
    ];
    let check = |store: &Store, when: &str| {
        for statuses in [
            vec![Status::New],
            vec![Status::Assigned],
            vec![Status::New, Status::Assigned],
        ] {
            for q in words {
                let open = TaskFilter {
                    statuses: statuses.clone(),
                    search: Some(q.into()),
                    ..TaskFilter::default()
                };
                let every = TaskFilter {
                    search: Some(q.into()),
                    ..TaskFilter::default()
                };
                let found: Vec<String> =
                    all(store, &open).into_iter().map(|t| t.source_id).collect();
                let expected: Vec<String> = all(store, &every)
                    .into_iter()
                    .filter(|t| statuses.contains(&t.status))
                    .map(|t| t.source_id)
                    .collect();
                assert_eq!(found, expected, "{when}: {q:?} in {statuses:?}");
                assert_eq!(store.count_tasks(&open).expect("count"), found.len() as u64);
            }
        }
    };
    check(&store, "imported");
    let tasks = all(&store, &TaskFilter::default());
    let rejected: Vec<_> = tasks[..6].iter().map(|t| (target(t), letter())).collect();
    store.reject_with_letter(&jo(), &rejected).expect("reject");
    let assigned: Vec<_> = tasks[6..12].iter().map(target).collect();
    store.assign(&jo(), &assigned, "sam", None).expect("assign");
    check(&store, "after a rejection and an assignment");
    store.undo_last(&jo()).expect("undo the assignment");
    store.undo_last(&jo()).expect("undo the rejection");
    check(&store, "after undoing both");
    // A later batch: new tasks (indexed at the batch's end), a closed one delivered again
    // reworded, and a sender renaming itself.
    let reworded = IncomingTask {
        source_version: Some("2".into()),
        subject: "Zebra crossing".into(),
        ..incoming(3)
    };
    let renamed = IncomingTask {
        provider_name: "Humber Valley Care".into(),
        ..incoming(50)
    };
    let closed = IncomingTask {
        status: Status::Completed,
        ..incoming(51)
    };
    store
        .insert_tasks([reworded, renamed, closed], "fhir", "sync", at(9, 30))
        .expect("import");
    check(&store, "after a second batch");
}

/// Which listed tasks a filter should keep, computed without the database.
type Keep = Box<dyn Fn(&Task) -> bool>;

/// Walks `f` with pages of `size`, forward from the start and backward from the end.
fn walk_both_ways(store: &Store, f: &TaskFilter, size: usize) -> (Vec<Task>, Vec<Task>) {
    let mut forward = Vec::new();
    let mut key = None;
    loop {
        let page = store.tasks_after(f, key, size).expect("page");
        let Some(last) = page.last() else { break };
        key = Some(PageKey::of(last));
        forward.extend(page);
    }
    let mut backward = Vec::new();
    let mut key = None;
    loop {
        let page = store.tasks_before(f, key, size).expect("page");
        let Some(first) = page.first() else { break };
        key = Some(PageKey::of(first));
        backward.splice(0..0, page);
    }
    (forward, backward)
}

/// Each filter the paging test walks, with which tasks it should list: plain filters, and
/// searches that are narrow, broad, exact (the index answers the filter's statuses) or not.
fn filters_to_page() -> Vec<(TaskFilter, Keep)> {
    let n = |t: &Task| t.source_id[1..].to_owned();
    let open = vec![Status::New, Status::Assigned];
    vec![
        (
            TaskFilter {
                statuses: vec![Status::New],
                provider: Some("RV9".into()),
                ..TaskFilter::default()
            },
            Box::new(|t: &Task| t.status == Status::New && t.provider_ods == "RV9"),
        ),
        (
            TaskFilter {
                statuses: open.clone(),
                ..TaskFilter::default()
            },
            Box::new(|t: &Task| t.status.is_open()),
        ),
        (
            TaskFilter {
                statuses: open,
                search: Some("bloods".into()),
                ..TaskFilter::default()
            },
            Box::new(|t: &Task| t.status.is_open()),
        ),
        (
            TaskFilter {
                statuses: vec![Status::New],
                search: Some("bloods".into()),
                ..TaskFilter::default()
            },
            Box::new(|t: &Task| t.status == Status::New),
        ),
        (
            TaskFilter {
                statuses: vec![Status::Assigned],
                search: Some("bloods".into()),
                ..TaskFilter::default()
            },
            Box::new(|t: &Task| t.status == Status::Assigned),
        ),
        (
            TaskFilter {
                statuses: vec![Status::New],
                provider: Some("RV9".into()),
                search: Some("bloods".into()),
                ..TaskFilter::default()
            },
            Box::new(|t: &Task| t.status == Status::New && t.provider_ods == "RV9"),
        ),
        (
            TaskFilter {
                statuses: vec![Status::Rejected, Status::Completed],
                search: Some("bloods".into()),
                ..TaskFilter::default()
            },
            Box::new(|t: &Task| t.status == Status::Rejected),
        ),
        (
            TaskFilter {
                search: Some("bloods".into()),
                ..TaskFilter::default()
            },
            Box::new(|_: &Task| true),
        ),
        (
            TaskFilter {
                owner: Some("sam".into()),
                search: Some("bloods 1".into()),
                ..TaskFilter::default()
            },
            Box::new(move |t: &Task| t.owner.as_deref() == Some("sam") && n(t).starts_with('1')),
        ),
        (TaskFilter::default(), Box::new(|_: &Task| true)),
    ]
}

#[test]
fn paging_walks_the_filtered_list_both_ways_without_gaps_or_repeats() {
    let dir = TempDir::new().expect("tempdir");
    // Enough tasks that a search in one status, or in several, matches more than a "narrow"
    // search holds (2,000), so broad searches take their own path too.
    let (mut store, _) = store_with(&dir, 4000);
    let everything = all(&store, &TaskFilter::default());
    let picked: Vec<Target> = everything.iter().step_by(4).map(target).collect();
    store.assign(&jo(), &picked, "sam", None).expect("assign");
    let everything = all(&store, &TaskFilter::default());
    let rejected: Vec<_> = everything
        .iter()
        .skip(1)
        .step_by(9)
        .map(|t| (target(t), letter()))
        .collect();
    store.reject_with_letter(&jo(), &rejected).expect("reject");
    let everything = all(&store, &TaskFilter::default());
    for (f, keep) in &filters_to_page() {
        let mut expected: Vec<Task> = everything.iter().filter(|t| keep(t)).cloned().collect();
        expected.sort_by_key(PageKey::of);
        assert!(expected.len() > 50, "{f:?} should span several pages");
        assert_eq!(
            store.count_tasks(f).expect("count"),
            expected.len() as u64,
            "{f:?}"
        );
        let (forward, backward) = walk_both_ways(&store, f, 50);
        assert!(forward == expected, "forward walk of {f:?}");
        assert!(backward == expected, "backward walk of {f:?}");
    }

    let counts = store.status_counts().expect("counts");
    for status in Status::ALL {
        let listed = everything.iter().filter(|t| t.status == status).count();
        assert_eq!(counts[&status], listed as u64, "{status}");
    }
    assert_eq!(counts[&Status::Rejected], rejected.len() as u64);
    assert_eq!(counts.values().sum::<u64>(), 4000);
}

/// Measures a demo-sized import: `cargo test --release --test store -- --ignored --nocapture`.
#[test]
#[ignore = "slow: imports a million tasks"]
fn a_million_tasks_import_in_one_call() {
    let dir = TempDir::new().expect("tempdir");
    let mut store = Store::open(&dir.path().join("big.db")).expect("open");
    let started = std::time::Instant::now();
    let s = store
        .insert_tasks((0..1_000_000).map(incoming), "demo", "system", at(9, 0))
        .expect("import");
    println!("imported {} tasks in {:?}", s.inserted, started.elapsed());
    assert_eq!(s.inserted, 1_000_000);
    let open = vec![Status::New, Status::Assigned];
    let views = [
        (
            "narrow search",
            TaskFilter {
                search: Some("bloods 99999".into()),
                ..TaskFilter::default()
            },
        ),
        (
            "broad search",
            TaskFilter {
                search: Some("bloods".into()),
                ..TaskFilter::default()
            },
        ),
        (
            "open tasks",
            TaskFilter {
                statuses: open,
                ..TaskFilter::default()
            },
        ),
        ("everything", TaskFilter::default()),
    ];
    for (name, f) in &views {
        let started = std::time::Instant::now();
        let first = store.tasks_after(f, None, 50).expect("first page");
        let last = store.tasks_before(f, None, 50).expect("last page");
        let paged = started.elapsed();
        let started = std::time::Instant::now();
        let count = store.count_tasks(f).expect("count");
        let counted = started.elapsed();
        println!("{name}: first+last page {paged:?}, count {count} in {counted:?}");
        assert_eq!(first.len(), 50.min(usize::try_from(count).expect("fits")));
        assert_eq!(last.len(), first.len());
    }
}

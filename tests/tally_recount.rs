//! The figures the mirror keeps (tallies per provider, month and status, and each task's first
//! action) equal a recount from scratch after random sequences of imports, actions, undos,
//! sync updates and purges; and the providers screen and `stats` built from them agree to the
//! task, with every status counted. The recount works months out with the time-zone database,
//! not with the SQL that keeps them.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use taskgate::app::Practice;
use taskgate::config::Config;
use taskgate::domain::calendar::PRACTICE_TIME_ZONE;
use taskgate::domain::{IncomingTask, Status, Task};
use taskgate::letters::LetterSources;
use taskgate::report::providers;
use taskgate::report::stats::{self, GroupBy, StatsQuery};
use taskgate::source::demo::{DemoSpec, generate};
use taskgate::store::{Actor, NewLetter, PageKey, PurgeRequest, ReceivedWindow, Store, Target};
use tempfile::TempDir;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn practice() -> Practice {
    Practice::from_config(Config::example(), LetterSources::default()).unwrap()
}

fn demo_mirror(dir: &TempDir, tasks: usize, now: DateTime<Utc>) -> Store {
    let mut store = Store::open(&dir.path().join("mirror.db")).unwrap();
    let demo = generate(DemoSpec {
        tasks,
        seed: 7,
        now,
        staff: Config::example().staff.clone(),
        group_ids: Vec::new(),
    })
    .unwrap();
    store.insert_demo_tasks(demo, "system", now).unwrap();
    store
}

fn all_tasks(store: &Store) -> Vec<Task> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .tasks_received_in(ReceivedWindow::default(), after, 2000)
            .unwrap();
        out.extend(page.iter().cloned());
        if page.len() < 2000 {
            return out;
        }
        after = page.last().map(PageKey::of);
    }
}

/// Every kept figure against a recount from the tasks and the actions.
fn assert_kept_equals_recount(store: &Store, when: &str) {
    let (_, recounted_first) = store.recount_tallies().unwrap();
    let kept_first = store.kept_first_actions().unwrap();
    assert_eq!(kept_first, recounted_first, "first actions after {when}");
    let first: HashMap<i64, Option<i64>> = recounted_first.into_iter().collect();
    let mut recount: BTreeMap<(String, String, String), (u64, u64)> = BTreeMap::new();
    for t in all_tasks(store) {
        let month = t
            .received_at
            .with_timezone(&PRACTICE_TIME_ZONE)
            .format("%Y-%m")
            .to_string();
        let e = recount
            .entry((t.provider_ods.clone(), month, t.status.as_str().to_owned()))
            .or_default();
        e.0 += 1;
        e.1 += u64::from(first.get(&t.id).copied().flatten().is_some());
    }
    let kept: BTreeMap<(String, String, String), (u64, u64)> = store
        .tallies(None, None)
        .unwrap()
        .into_iter()
        .map(|t| ((t.provider_ods, t.month, t.status), (t.tasks, t.acted_on)))
        .collect();
    assert_eq!(kept, recount, "tallies after {when}");
}

fn incoming(t: &Task) -> IncomingTask {
    IncomingTask {
        source_id: t.source_id.clone(),
        source_version: t.source_version.clone(),
        status: t.status,
        priority: t.priority,
        provider_ods: t.provider_ods.clone(),
        provider_name: t.provider_name.clone(),
        sender_team: t.sender_team.clone(),
        addressed_to: t.addressed_to.clone(),
        owner: t.owner.clone(),
        patient: t.patient.clone(),
        subject: t.subject.clone(),
        body: t.body.clone(),
        received_at: t.received_at,
        due_by: t.due_by,
        raw: None,
    }
}

const STATUSES: [Status; 5] = [
    Status::New,
    Status::Assigned,
    Status::Rejected,
    Status::Completed,
    Status::Cancelled,
];

/// One random step; failures a person would also meet (an action the status does not allow,
/// nothing to undo, a task changed meanwhile) are part of the sequence and change nothing.
#[allow(clippy::too_many_lines)]
fn random_step(store: &mut Store, rng: &mut ChaCha8Rng, now: DateTime<Utc>, serial: &mut u32) {
    // Ids are dense: tasks are never deleted.
    let count = i64::try_from(store.status_counts().unwrap().values().sum::<u64>()).unwrap();
    let ids: Vec<i64> = (0..rng.random_range(1..4))
        .map(|_| rng.random_range(1..=count))
        .collect();
    let targets: Vec<Target> = ids
        .iter()
        .filter_map(|id| store.task(*id).unwrap())
        .map(|t| Target {
            id: t.id,
            row_version: t.row_version,
        })
        .collect();
    let actor_id = ["asmith", "bjones"][rng.random_range(0..2)];
    let by = Actor { id: actor_id, now };
    match rng.random_range(0..10) {
        0 | 1 => {
            let _ = store.assign(&by, &targets, "asmith", None);
        }
        2 => {
            let letters: Vec<_> = targets
                .iter()
                .map(|t| {
                    (
                        *t,
                        NewLetter {
                            template: "lmc-rejection".into(),
                            body: "Dear colleague".into(),
                        },
                    )
                })
                .collect();
            let _ = store.reject_with_letter(&by, &letters);
        }
        3 => {
            let _ = store.complete(&by, &targets);
        }
        4 => {
            let _ = store.add_note(&by, &targets, "called the patient");
        }
        5 => {
            let _ = store.unassign(&by, &targets);
        }
        6 | 7 => {
            let _ = store.undo_last(&by);
        }
        8 => {
            // A sync page: some tasks changed upstream (status, sender, receipt) and some new.
            let donor = store.task(ids[0]).unwrap();
            let mut page = Vec::new();
            for id in &ids {
                let Some(t) = store.task(*id).unwrap() else {
                    continue;
                };
                let mut changed = incoming(&t);
                changed.source_version = Some(format!("{}", 1000 + *serial));
                changed.status = STATUSES[rng.random_range(0..STATUSES.len())];
                if let Some(d) = &donor
                    && rng.random_bool(0.3)
                {
                    changed.provider_ods.clone_from(&d.provider_ods);
                    changed.provider_name.clone_from(&d.provider_name);
                }
                if rng.random_bool(0.3) {
                    changed.received_at -= Duration::hours(rng.random_range(1..2000));
                }
                page.push(changed);
                *serial += 1;
                let mut fresh = incoming(&t);
                fresh.source_id = format!("sync-new-{serial}");
                fresh.status = STATUSES[rng.random_range(0..STATUSES.len())];
                // Near a month's end, where the London month differs from the UTC one.
                fresh.received_at = utc(2026, 4 + (*serial % 6), 30, 23, 30);
                page.push(fresh);
            }
            store.insert_tasks(page, "fhir", "sync", now).unwrap();
        }
        _ => {
            let request = PurgeRequest {
                closed_before: now - Duration::days(rng.random_range(0..400)),
                include_unsent: true,
                anonymised_subject: &|_| "Purged".to_owned(),
                dry_run: false,
            };
            store.purge_closed(&by, &request).unwrap();
        }
    }
}

fn check(tasks: usize, steps: usize) {
    let dir = TempDir::new().unwrap();
    let mut now = utc(2026, 11, 20, 10, 30);
    let mut store = demo_mirror(&dir, tasks, now);
    assert_kept_equals_recount(&store, "the demo import");
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let mut serial = 0;
    for step in 0..steps {
        now += Duration::minutes(rng.random_range(1..600));
        random_step(&mut store, &mut rng, now, &mut serial);
        if step % 50 == 49 {
            assert_kept_equals_recount(&store, &format!("step {step}"));
        }
    }
    assert_kept_equals_recount(&store, "the last step");
    // A second import of demo tasks on top, through the bulk path.
    let more = generate(DemoSpec {
        tasks: tasks / 10,
        seed: 8,
        now,
        staff: Config::example().staff.clone(),
        group_ids: Vec::new(),
    })
    .unwrap()
    .map(|mut t| {
        t.source_id = format!("second-{}", t.source_id);
        t
    });
    store.insert_tasks(more, "demo", "system", now).unwrap();
    assert_kept_equals_recount(&store, "a second import");
    assert_screens_agree(&store, now);
}

/// The providers screen and `stats --by provider` over the same months count the same tasks,
/// and received is the sum of every status, cancelled included.
fn assert_screens_agree(store: &Store, now: DateTime<Utc>) {
    let practice = practice();
    let overview = providers::build(store, &practice.calendar, &practice.policy, now).unwrap();
    let report = stats::build(
        store,
        &practice.calendar,
        &practice.policy,
        StatsQuery {
            by: GroupBy::Provider,
            since: Some(overview.from),
            until: None,
        },
        now,
    )
    .unwrap();
    let from_stats: HashMap<&str, &stats::Counts> = report
        .groups
        .iter()
        .map(|g| (g.key.as_str(), &g.counts))
        .collect();
    let mut seen = 0;
    for p in &overview.providers {
        let c = &p.counts;
        assert_eq!(
            c.received,
            c.unactioned + c.assigned + c.rejected + c.completed + c.cancelled,
            "{}",
            p.provider.ods_code
        );
        if c.received == 0 {
            assert!(!from_stats.contains_key(p.provider.ods_code.as_str()));
            continue;
        }
        seen += 1;
        assert_eq!(Some(&c), from_stats.get(p.provider.ods_code.as_str()));
        let by_month: u64 = p.months.iter().map(|m| m.received).sum();
        assert_eq!(by_month, c.received, "{}", p.provider.ods_code);
    }
    assert_eq!(seen, report.groups.len());
    assert!(
        report.total.cancelled > 0,
        "the sequence cancels some tasks"
    );
}

#[test]
fn kept_figures_equal_a_recount_after_random_changes_on_a_10k_mirror() {
    check(10_000, 400);
}

#[test]
#[ignore = "a million tasks: minutes in a release build"]
fn kept_figures_equal_a_recount_after_random_changes_on_a_1m_mirror() {
    check(1_000_000, 400);
}

#[test]
fn an_undone_action_is_never_a_first_action() {
    let dir = TempDir::new().unwrap();
    let now = utc(2026, 11, 20, 10, 30);
    let mut store = demo_mirror(&dir, 200, now);
    let t = all_tasks(&store)
        .into_iter()
        .find(|t| t.status == Status::New)
        .unwrap();
    let target = Target {
        id: t.id,
        row_version: t.row_version,
    };
    let by = Actor { id: "asmith", now };
    store.assign(&by, &[target], "asmith", None).unwrap();
    let first = |s: &Store| {
        s.kept_first_actions()
            .unwrap()
            .into_iter()
            .find(|(id, _)| *id == t.id)
            .and_then(|(_, at)| at)
    };
    assert_eq!(first(&store), Some(now.timestamp()));
    store.undo_last(&by).unwrap();
    assert_eq!(first(&store), None, "the undone assign no longer counts");
    let later = Actor {
        id: "asmith",
        now: now + Duration::hours(3),
    };
    let again = store.task(t.id).unwrap().unwrap();
    store
        .complete(
            &later,
            &[Target {
                id: again.id,
                row_version: again.row_version,
            }],
        )
        .unwrap();
    assert_eq!(first(&store), Some(later.now.timestamp()));
    assert_kept_equals_recount(&store, "assign, undo, complete");
}

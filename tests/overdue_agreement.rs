//! One answer to "what is overdue": the inbox header's counts and the overdue listing (the view
//! and `taskgate overdue`) are the same tasks at the same instant, on demo mirrors, at instants
//! where working time is easy to get wrong: a weekday afternoon, a bank holiday, and the hour
//! the clocks go back. Each is also checked against every task's own due time, so the shared
//! definition is the one a receptionist would work out by hand.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use taskgate::app::Practice;
use taskgate::app::overdue::{cutoffs, header_counts, overdue_listing, overdue_order};
use taskgate::config::Config;
use taskgate::domain::{Priority, Status};
use taskgate::letters::LetterSources;
use taskgate::source::demo::{DemoSpec, generate};
use taskgate::store::{Store, TaskFilter};
use tempfile::TempDir;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// The instants, in UTC: Thu 19 Nov 2026 15:10 (GMT); Mon 31 Aug 2026 11:00 BST, the summer
/// bank holiday; and 01:30 on Sun 25 Oct 2026 twice over, before (00:30 UTC) and after
/// (01:30 UTC) the clocks go back; then the Monday morning after, when the weekend's receipts
/// fall due.
fn instants() -> Vec<(&'static str, DateTime<Utc>)> {
    vec![
        ("weekday afternoon", utc(2026, 11, 19, 15, 10)),
        ("bank holiday", utc(2026, 8, 31, 10, 0)),
        ("01:30 BST as the clocks go back", utc(2026, 10, 25, 0, 30)),
        (
            "01:30 GMT after the clocks went back",
            utc(2026, 10, 25, 1, 30),
        ),
        (
            "the Monday after the clocks went back",
            utc(2026, 10, 26, 9, 45),
        ),
    ]
}

fn practice() -> Practice {
    Practice::from_config(Config::example(), LetterSources::default()).unwrap()
}

/// A mirror of `tasks` demo tasks received in the weeks up to `now`.
fn mirror(dir: &TempDir, tasks: usize, now: DateTime<Utc>, config: &Config) -> Store {
    let mut store = Store::open(&dir.path().join("mirror.db")).unwrap();
    let demo = generate(DemoSpec {
        tasks,
        seed: 11,
        now,
        staff: config.staff.clone(),
        group_ids: Vec::new(),
    })
    .unwrap();
    store.insert_demo_tasks(demo, "system", now).unwrap();
    store
}

fn check(tasks: usize) {
    let practice = practice();
    for (what, now) in instants() {
        let dir = TempDir::new().unwrap();
        let store = mirror(&dir, tasks, now, &practice.config);
        let counts = header_counts(&store, &practice, now).unwrap();
        let listing = overdue_listing(&store, &practice, now).unwrap();
        let order = overdue_order(&store, &practice, now).unwrap();

        // The header's figures are the listing's, and the view's.
        assert_eq!(counts.overdue, listing.overdue.len() as u64, "{what}");
        assert_eq!(counts.due_soon, listing.due_soon.len() as u64, "{what}");
        assert_eq!(order.overdue as u64, counts.overdue, "{what}");
        assert_eq!(order.due_soon as u64, counts.due_soon, "{what}");

        // Task for task: the tasks the header's index ranges count are the listing's.
        let c = cutoffs(&practice, now);
        let counted: BTreeSet<i64> = Priority::ALL
            .into_iter()
            .flat_map(|p| {
                store
                    .unactioned_received_by(p, c.overdue_received_by(p))
                    .unwrap()
            })
            .map(|t| t.id)
            .collect();
        let listed: BTreeSet<i64> = listing.overdue.iter().map(|r| r.id).collect();
        assert_eq!(counted, listed, "{what}");

        // And both are the tasks whose own due time has come (or comes within the margin).
        let th = practice.overdue.thresholds;
        let cal = &practice.calendar;
        let soon = cal.add_working_time(now, th.due_soon).value;
        let unactioned = store
            .tasks_after(
                &TaskFilter {
                    statuses: vec![Status::New],
                    ..TaskFilter::default()
                },
                None,
                usize::MAX,
            )
            .unwrap();
        let mut by_hand = BTreeSet::new();
        let mut soon_by_hand = BTreeSet::new();
        for t in &unactioned {
            let due = cal
                .add_working_time(t.received_at, th.for_priority(t.priority))
                .value;
            if due <= now {
                by_hand.insert(t.id);
            } else if due <= soon {
                soon_by_hand.insert(t.id);
            }
        }
        assert_eq!(listed, by_hand, "{what}: overdue by each task's due time");
        let listed_soon: BTreeSet<i64> = listing.due_soon.iter().map(|r| r.id).collect();
        assert_eq!(
            listed_soon, soon_by_hand,
            "{what}: due soon by each task's due time"
        );
        // The instants are not quiet ones: there are tasks on both sides of the line.
        assert!(
            !by_hand.is_empty() && by_hand.len() < unactioned.len(),
            "{what}: {} of {} unactioned tasks overdue",
            by_hand.len(),
            unactioned.len()
        );
    }
}

#[test]
fn the_header_counts_the_overdue_listings_tasks_on_a_10k_demo() {
    check(10_000);
}

/// The same at the size the performance budgets are set for (slow: run with --ignored, ideally
/// with --release).
#[test]
#[ignore = "builds five 1M-task mirrors"]
fn the_header_counts_the_overdue_listings_tasks_on_a_1m_demo() {
    check(1_000_000);
}

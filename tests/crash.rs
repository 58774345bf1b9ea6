//! Crash safety: commands that write the mirror are killed with SIGKILL at random moments, again
//! and again. After every kill the mirror must pass `PRAGMA integrity_check` (read by the
//! `sqlite3` program and by the bundled SQLite, which also checks the search index), the audit
//! chain must verify, nothing may be half-written or duplicated, and running the same command
//! again must finish the work, ending exactly where an uninterrupted run ends.
//!
//! Each command is a [`CrashCase`]: how to prepare its starting point, the command, what its
//! work looks like half-done (which must never be seen), part-way or done, and a fingerprint of
//! the mirror to compare with the uninterrupted run. The harness that kills and judges is in
//! `crash/harness.rs`; the sync cases, which need the FHIR test peer, in `crash/sync_cases.rs`.
//!
//! `sync` is killed in both directions against the real FHIR test peer: while it pulls two
//! thousand tasks page by page into an empty mirror (a kill part-way leaves a partly filled one
//! for the re-run to resume from its watermark), and while it pushes two hundred queued changes.
//! A push must not send a change twice, nor take a change the server accepted just before the
//! kill (so the mirror never recorded it) for a conflict with another desk.
//!
//! Each case must also show that its kills reached the command: at least half land while it
//! runs, and some leave work for the re-run (all of it for a one-transaction command, the rest
//! of it for a pull or push that commits piece by piece); see `harness::Reach`.
//!
//! The moments are drawn from a generator with a fixed seed; `TASKGATE_CRASH_SEED=<seed>` runs
//! another, and a failure names the seed it ran with.

#[path = "crash/harness.rs"]
mod harness;
mod support;
#[path = "crash/sync_cases.rs"]
mod sync_cases;

use std::cell::Cell;
use std::fmt::Write as _;

use harness::{CrashCase, Progress, kill_at_random_moments, seed};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use support::sandbox::Sandbox;

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

// ----- taskgate demo -----

const DEMO_TASKS: i64 = 6_000;

fn demo_args(_: &Sandbox) -> Vec<String> {
    ["demo", "--tasks", &DEMO_TASKS.to_string(), "--seed", "11"]
        .map(str::to_owned)
        .to_vec()
}

fn demo_progress(conn: &Connection) -> Result<Progress, String> {
    let tasks = count(conn, "SELECT count(*) FROM tasks");
    let imports = count(
        conn,
        "SELECT count(*) FROM audit_log WHERE action = 'mirror.import'",
    );
    let absences = count(conn, "SELECT count(*) FROM staff_absence");
    match (tasks, imports, absences) {
        (0, 0, 0 | 1) => Ok(Progress::NotDone),
        (DEMO_TASKS, 1, 1) => Ok(Progress::Done),
        _ => Err(format!(
            "{tasks} tasks, {imports} import events, {absences} absences"
        )),
    }
}

/// Everything a person could read back: every task as JSON and the whole audit log, whose
/// times come from `--now`, so two runs that did the same work print the same text.
fn whole_mirror(s: &Sandbox) -> String {
    format!(
        "{}\n{}",
        s.ok(&["list", "--format", "json", "--limit", "0"]),
        s.ok(&["audit", "show", "--limit", "1000000"])
    )
}

// ----- taskgate reject / assign: one batch over every unactioned task -----

fn demo_to_act_on(s: &Sandbox) {
    s.ok(&["demo", "--tasks", "2000", "--seed", "5"]);
}

fn unactioned_ids(s: &Sandbox) -> Vec<String> {
    s.json(&[
        "list", "--status", "new", "--format", "json", "--limit", "0",
    ])
    .as_array()
    .expect("tasks")
    .iter()
    .map(|t| t["id"].to_string())
    .collect()
}

fn reject_args(s: &Sandbox) -> Vec<String> {
    let mut args = vec!["reject".to_owned(), "--despite-risk".to_owned()];
    args.extend(unactioned_ids(s));
    args
}

fn assign_args(s: &Sandbox) -> Vec<String> {
    let mut args = vec!["assign".to_owned()];
    args.extend(unactioned_ids(s));
    args.extend(["reception", "--even-if-away", "--note", "Please call back"].map(str::to_owned));
    args
}

/// A batch action is all or nothing: its tasks, letters, notes, outbox entries and audit events
/// appear together or not at all.
fn batch_progress(conn: &Connection, action: &str) -> Result<Progress, String> {
    let actions = count(
        conn,
        &format!("SELECT count(*) FROM actions WHERE kind = '{action}'"),
    );
    let items = count(conn, "SELECT count(*) FROM action_items");
    let changed = count(
        conn,
        "SELECT count(*) FROM tasks WHERE sync_state = 'pending'",
    );
    let outbox = count(conn, "SELECT count(*) FROM outbox");
    let events = count(
        conn,
        &format!("SELECT count(*) FROM audit_log WHERE action = '{action}'"),
    );
    let attached = count(
        conn,
        "SELECT (SELECT count(*) FROM letters) + (SELECT count(*) FROM notes)",
    );
    let unactioned = count(conn, "SELECT count(*) FROM tasks WHERE status = 'new'");
    match actions {
        0 if items + changed + outbox + events + attached == 0 => Ok(Progress::NotDone),
        1 if unactioned == 0
            && [changed, outbox, events, attached]
                .iter()
                .all(|n| *n == items) =>
        {
            Ok(Progress::Done)
        }
        _ => Err(format!(
            "{actions} actions, {items} items, {changed} changed tasks, {outbox} outbox \
             entries, {events} audit events, {attached} letters and notes, {unactioned} still \
             unactioned"
        )),
    }
}

fn reject_progress(conn: &Connection) -> Result<Progress, String> {
    batch_progress(conn, "reject")
}

fn assign_progress(conn: &Connection) -> Result<Progress, String> {
    batch_progress(conn, "assign")
}

fn cases() -> [CrashCase<'static>; 4] {
    [
        CrashCase::local("demo", |_| {}, demo_args, demo_progress, whole_mirror),
        CrashCase::local(
            "reject",
            demo_to_act_on,
            reject_args,
            reject_progress,
            whole_mirror,
        ),
        CrashCase::local(
            "assign",
            demo_to_act_on,
            assign_args,
            assign_progress,
            whole_mirror,
        ),
        CrashCase::local(
            "import",
            write_import_file,
            import_args,
            import_progress,
            tasks_and_quarantine,
        )
        // Bad rows are quarantined and the run says so with exit 2.
        .exiting(2),
    ]
}

// ----- taskgate import: one CSV file, one transaction with its quarantine -----

const IMPORT_ROWS: i64 = 6_000;
/// Every hundredth row has an NHS number that fails its check digit, so the kills land on the
/// quarantine being written too: it must be filled with the tasks or not at all.
const IMPORT_BAD: i64 = IMPORT_ROWS / 100;

fn write_import_file(s: &Sandbox) {
    let mut csv = String::from(
        "source_id,received,provider_ods,provider_name,nhs_number,patient_name,subject,body\n",
    );
    for n in 0..IMPORT_ROWS {
        let nhs_number = if n % 100 == 99 {
            "9990000019"
        } else {
            "9990000018"
        };
        let _ = writeln!(
            csv,
            "IMP-{n:05},2026-11-{:02} 09:{:02},RXX01,Northtown Hospital,{nhs_number},\
             Test Patient {n},\
             Bloods to repeat,Please repeat the bloods.",
            1 + n % 19,
            n % 60
        );
    }
    std::fs::write(s.path("tasks.csv"), csv).expect("write the import file");
}

fn import_args(s: &Sandbox) -> Vec<String> {
    vec![
        "import".to_owned(),
        s.path("tasks.csv").display().to_string(),
    ]
}

fn import_progress(conn: &Connection) -> Result<Progress, String> {
    let tasks = count(conn, "SELECT count(*) FROM tasks");
    let quarantined = count(conn, "SELECT count(*) FROM quarantine");
    let imports = count(
        conn,
        "SELECT count(*) FROM audit_log WHERE action = 'mirror.import'",
    );
    match (tasks, quarantined, imports) {
        (0, 0, 0) => Ok(Progress::NotDone),
        (t, IMPORT_BAD, 1) if t == IMPORT_ROWS - IMPORT_BAD => Ok(Progress::Done),
        _ => Err(format!(
            "{tasks} tasks, {quarantined} quarantined rows, {imports} import events"
        )),
    }
}

/// The tasks and the quarantine as a person reads them back; the audit log names the file by
/// its path, which differs from sandbox to sandbox, so it is compared by its counts above.
fn tasks_and_quarantine(s: &Sandbox) -> String {
    let conn = Connection::open(s.db()).expect("open");
    let lines: Vec<String> = conn
        .prepare("SELECT line, field, reason FROM quarantine ORDER BY line")
        .expect("query")
        .query_map([], |r| {
            Ok(format!(
                "{:?} {:?} {:?}",
                r.get::<_, Option<i64>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?
            ))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("lines");
    format!(
        "{}\n{}",
        s.ok(&["list", "--format", "json", "--limit", "0"]),
        lines.join("\n")
    )
}

#[test]
#[ignore = "about a minute: .ci/run runs it with --ignored"]
fn killing_writers_at_random_moments_never_leaves_a_broken_or_half_written_mirror() {
    let seed = seed();
    eprintln!("crash seed {seed} (replay with TASKGATE_CRASH_SEED={seed})");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for case in &cases() {
        kill_at_random_moments(case, &mut rng, seed);
    }
}

#[test]
#[ignore = "about two minutes with the FHIR peer: .ci/run runs it with --ignored"]
fn killing_sync_while_it_pulls_or_pushes_never_loses_doubles_or_conflicts_a_change() {
    let seed = seed();
    eprintln!("crash seed {seed} (replay with TASKGATE_CRASH_SEED={seed})");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (peer, server) = sync_cases::peer_to_pull_from();
    kill_at_random_moments(&sync_cases::pull_case(&peer, &server), &mut rng, seed);
    drop(peer);
    let in_flight = Cell::new(0);
    kill_at_random_moments(&sync_cases::push_case(&in_flight), &mut rng, seed);
}

#[test]
#[ignore = "about three minutes with the FHIR peer over HTTPS: .ci/run runs it with --ignored"]
fn killing_sync_while_it_pushes_over_https_never_loses_doubles_or_conflicts_a_change() {
    let seed = seed();
    eprintln!("crash seed {seed} (replay with TASKGATE_CRASH_SEED={seed})");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let in_flight = Cell::new(0);
    kill_at_random_moments(
        &sync_cases::push_over_https_case(&in_flight),
        &mut rng,
        seed,
    );
}

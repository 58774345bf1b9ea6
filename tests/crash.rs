//! Crash safety: commands that write the mirror are killed with SIGKILL at random moments, again
//! and again. After every kill the mirror must pass `PRAGMA integrity_check` (read by the
//! `sqlite3` program and by the bundled SQLite, which also checks the search index), the audit
//! chain must verify, nothing may be half-written or duplicated, and running the same command
//! again must finish the work, ending exactly where an uninterrupted run ends.
//!
//! Each command is a [`CrashCase`]: how to prepare its starting point, the command, what its
//! work looks like half-done (which must never be seen), part-way or done, and a fingerprint of
//! the mirror to compare with the uninterrupted run.
//!
//! `sync` is killed in both directions against the real FHIR test peer: while it pulls two
//! thousand tasks page by page into an empty mirror (a kill part-way leaves a partly filled one
//! for the re-run to resume from its watermark), and while it pushes two hundred queued changes.
//! A push must not send a change twice, nor take a change the server accepted just before the
//! kill (so the mirror never recorded it) for a conflict with another desk.
//!
//! The moments are drawn from a seeded generator; a failure prints the seed, and
//! `TASKGATE_CRASH_SEED=<seed>` replays it.

mod support;

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::process::Stdio;
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use serde_json::Value;
use support::ca::TestCa;
use support::peer::Peer;
use support::sandbox::{Sandbox, sqlite3_integrity};

const KILLS_PER_COMMAND: usize = 20;

/// What a killed run left, as the case reads it.
#[derive(Debug, PartialEq, Eq)]
enum Progress {
    /// Nothing of the work is in the mirror yet (or only steps that a re-run completes).
    NotDone,
    /// Some of the work is in, each piece whole (a pull's pages with their watermark, a push's
    /// confirmed changes), and a re-run carries on from there.
    Partial,
    Done,
}

/// One run's world: its sandbox, and the FHIR peer it syncs with, kept alive across the kill,
/// the checks and the re-run.
struct World {
    s: Sandbox,
    peer: Option<Rc<Peer>>,
}

impl World {
    fn peer(&self) -> &Peer {
        self.peer.as_deref().expect("this case syncs with a peer")
    }
}

/// How a case reads a killed run: `Err` says what is half-written.
type ReadProgress<'a> = Box<dyn Fn(&World, &Connection) -> Result<Progress, String> + 'a>;
type Args<'a> = Box<dyn Fn(&World) -> Vec<String> + 'a>;

struct CrashCase<'a> {
    name: &'static str,
    /// A fresh world at the starting point.
    prepare: Box<dyn Fn() -> World + 'a>,
    /// The command under test; run again as it is to finish the work.
    args: Args<'a>,
    /// Reads the mirror (and the server) after a kill: how far the work got, or what is
    /// half-written.
    progress: ReadProgress<'a>,
    /// The mirror's content (and the server's), to compare with an uninterrupted run.
    fingerprint: Box<dyn Fn(&World) -> String + 'a>,
    /// Whatever else the case counted over its kills, for the line it ends with.
    tally: Box<dyn Fn() -> String + 'a>,
}

impl CrashCase<'static> {
    /// A case that needs nothing but its own sandbox.
    fn local(
        name: &'static str,
        prepare: fn(&Sandbox),
        args: fn(&Sandbox) -> Vec<String>,
        progress: fn(&Connection) -> Result<Progress, String>,
        fingerprint: fn(&Sandbox) -> String,
    ) -> Self {
        CrashCase {
            name,
            prepare: Box::new(move || {
                let s = Sandbox::new();
                prepare(&s);
                World { s, peer: None }
            }),
            args: Box::new(move |w| args(&w.s)),
            progress: Box::new(move |_, conn| progress(conn)),
            fingerprint: Box::new(move |w| fingerprint(&w.s)),
            tally: Box::new(String::new),
        }
    }
}

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
    let mut args = vec!["reject".to_owned()];
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
        ),
    ]
}

// ----- taskgate import: one CSV file, one transaction with its quarantine -----

const IMPORT_ROWS: i64 = 6_000;
/// The harness needs a run that succeeds (exit 0), so the file has no bad rows; the
/// quarantine is still checked to stay empty (a half-run must not leave rows there).
const IMPORT_BAD: i64 = 0;

fn write_import_file(s: &Sandbox) {
    let mut csv = String::from(
        "source_id,received,provider_ods,provider_name,nhs_number,patient_name,subject,body\n",
    );
    for n in 0..IMPORT_ROWS {
        let _ = writeln!(
            csv,
            "IMP-{n:05},2026-11-{:02} 09:{:02},RXX01,Northtown Hospital,9990000018,\
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

// ----- taskgate sync, pulling: two thousand tasks into an empty mirror, page by page -----

const PULL_TASKS: usize = 2_000;
/// The peer's tasks arrive in batches a minute apart on its clock, so a re-run that starts
/// from the watermark (less its few seconds' overlap) really skips what is already in, and a
/// watermark that ran ahead of the pages stored would lose tasks.
const PULL_BATCHES: usize = 10;

/// A peer holding the pull's tasks, shared by every run: a pull changes nothing on the server.
/// Returns it with each task's `meta.lastUpdated` by id.
fn peer_to_pull_from() -> (Rc<Peer>, HashMap<String, DateTime<Utc>>) {
    let peer = Peer::start();
    let batch = PULL_TASKS / PULL_BATCHES;
    for n in 0..PULL_BATCHES {
        peer.seed_from(n * batch, batch);
        peer.advance_clock(60);
    }
    // One pull first, untimed: node compiles the peer's search path on first use, and a cold
    // reference run would outlast the runs it times, so many kills would land after they end.
    let warm = Sandbox::new();
    warm.use_fhir(&peer.base_url());
    warm.ok(&["sync"]);
    let stamped = peer
        .all_tasks()
        .iter()
        .map(|t| {
            let id = t["id"].as_str().expect("an id").to_owned();
            (id, instant(&t["meta"]["lastUpdated"]))
        })
        .collect();
    (Rc::new(peer), stamped)
}

fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .unwrap_or_else(|| panic!("an instant: {value}"))
        .with_timezone(&Utc)
}

fn sync_args(_: &World) -> Vec<String> {
    vec!["sync".to_owned()]
}

fn sync_value(conn: &Connection, key_like: &str) -> Option<String> {
    conn.query_row(
        "SELECT value FROM sync_state WHERE key LIKE ?",
        [key_like],
        |r| r.get(0),
    )
    .ok()
}

/// Tasks the audit log says were inserted: each page writes its tasks and its event together.
fn audited_inserts(conn: &Connection) -> i64 {
    let details: Vec<String> = conn
        .prepare("SELECT detail FROM audit_log WHERE action = 'mirror.import'")
        .expect("query")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("details");
    details
        .iter()
        .map(|d| {
            d.split(": ")
                .nth(1)
                .and_then(|counts| counts.split(' ').next())
                .and_then(|n| n.parse::<i64>().ok())
                .unwrap_or_else(|| panic!("an import event's counts: {d}"))
        })
        .sum()
}

/// Pages land whole with their watermark: every task once, each counted by an audit event, and
/// the watermark neither ahead of the newest task stored nor past one that is missing.
fn pull_progress(
    server: &HashMap<String, DateTime<Utc>>,
    conn: &Connection,
) -> Result<Progress, String> {
    let stored: Vec<String> = conn
        .prepare("SELECT source_id FROM tasks")
        .expect("query")
        .query_map([], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("ids");
    let held: HashSet<&str> = stored.iter().map(String::as_str).collect();
    if held.len() != stored.len() {
        return Err(format!(
            "{} tasks but {} server ids: a task is held twice",
            stored.len(),
            held.len()
        ));
    }
    let tasks = i64::try_from(stored.len()).expect("a count");
    let audited = audited_inserts(conn);
    let quarantined = count(conn, "SELECT count(*) FROM quarantine");
    if audited != tasks || quarantined != 0 {
        return Err(format!(
            "{tasks} tasks, {audited} in the audit log's import events, {quarantined} \
             quarantined"
        ));
    }
    let mut newest = None;
    for id in &stored {
        let at = server
            .get(id)
            .ok_or_else(|| format!("task {id} is not one of the server's"))?;
        newest = newest.max(Some(*at));
    }
    let watermark = sync_value(conn, "fhir.watermark %").map(|w| instant(&Value::String(w)));
    match (watermark, newest) {
        (None, None) => {}
        (Some(mark), Some(newest)) if mark <= newest => {
            let missing = server
                .iter()
                .filter(|(id, at)| **at < mark && !held.contains(id.as_str()))
                .count();
            if missing > 0 {
                return Err(format!(
                    "{missing} tasks older than the watermark {mark} are missing: the next \
                     pull would never bring them"
                ));
            }
        }
        (mark, newest) => {
            return Err(format!(
                "watermark {mark:?}, newest task stored {newest:?}: the watermark is ahead"
            ));
        }
    }
    let finished = sync_value(conn, "last_success_at").is_some();
    match (stored.len(), finished) {
        (0, false) => Ok(Progress::NotDone),
        (n, true) if n == server.len() => Ok(Progress::Done),
        (_, false) => Ok(Progress::Partial),
        (n, true) => Err(format!(
            "the pull is recorded as complete with {n} of {} tasks",
            server.len()
        )),
    }
}

/// The tasks as a person reads them back, and the watermark the next pull starts from. The
/// audit log legitimately differs: a resumed pull commits its pages at other boundaries.
fn pulled_mirror(w: &World) -> String {
    let conn = Connection::open(w.s.db()).expect("open");
    format!(
        "{}\nwatermark {:?}",
        tasks_and_quarantine(&w.s),
        sync_value(&conn, "fhir.watermark %")
    )
}

fn pull_case<'a>(peer: &'a Rc<Peer>, server: &'a HashMap<String, DateTime<Utc>>) -> CrashCase<'a> {
    CrashCase {
        name: "sync (pull)",
        prepare: Box::new(move || {
            let s = Sandbox::new();
            s.use_fhir(&peer.base_url());
            World {
                s,
                peer: Some(Rc::clone(peer)),
            }
        }),
        args: Box::new(sync_args),
        progress: Box::new(move |_, conn| pull_progress(server, conn)),
        fingerprint: Box::new(pulled_mirror),
        tally: Box::new(String::new),
    }
}

// ----- taskgate sync, pushing: two hundred changes queued in the outbox -----

/// Each run has a peer of its own with these tasks on it: 200 changes between them.
const PUSH_TASKS: usize = 150;

/// Its own peer (the run changes the server), its tasks pulled, then a third of them
/// rejected, a third assigned with a note, and a third assigned and then rejected: two changes
/// that must reach the server in order, the second on the version the first made.
fn queued_changes() -> World {
    let peer = Peer::start();
    peer.seed(PUSH_TASKS);
    let s = Sandbox::new();
    s.use_fhir(&peer.base_url());
    queue_changes(s, peer)
}

/// As `queued_changes`, with the peer serving HTTPS under a certificate from a CA of the test's
/// own, which the sandbox trusts through `source.ca_file`.
fn queued_changes_over_https() -> World {
    let ca = TestCa::new();
    let peer = Peer::start_with(&ca.https_peer());
    peer.seed(PUSH_TASKS);
    let s = Sandbox::new();
    s.use_fhir(&peer.base_url());
    // The CA outlives this function in the sandbox; the peer read its own files at start.
    let ca_file = s.path("network-ca.pem");
    std::fs::write(&ca_file, ca.ca_pem()).expect("write the CA");
    let config = std::fs::read_to_string(s.config_file()).expect("read the config");
    let config = config.replacen(
        "kind = \"fhir\"",
        &format!("kind = \"fhir\"\nca_file = \"{}\"", ca_file.display()),
        1,
    );
    std::fs::write(s.config_file(), config).expect("write the config");
    queue_changes(s, peer)
}

/// Pulls the peer's tasks into the sandbox and queues the changes `queued_changes` describes.
fn queue_changes(s: Sandbox, peer: Peer) -> World {
    s.ok(&["sync"]);
    let ids: Vec<i64> = s
        .json(&["list", "--format", "json", "--limit", "0"])
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| t["id"].as_i64().expect("an id"))
        .collect();
    assert_eq!(ids.len(), PUSH_TASKS);
    let pick = |thirds: [i64; 2]| -> Vec<String> {
        ids.iter()
            .filter(|id| thirds.contains(&(*id % 3)))
            .map(ToString::to_string)
            .collect()
    };
    let mut assign = vec!["assign".to_owned()];
    assign.extend(pick([1, 2]));
    assign.extend(["reception", "--even-if-away", "--note", "Please call back"].map(str::to_owned));
    run_ok(&s, &assign);
    let mut reject = vec!["reject".to_owned()];
    reject.extend(pick([0, 2]));
    run_ok(&s, &reject);
    World {
        s,
        peer: Some(Rc::new(peer)),
    }
}

fn run_ok(s: &Sandbox, args: &[String]) {
    let out = run_args(s, args);
    assert!(
        out.status.success(),
        "taskgate {}: {}",
        args[0],
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every change is on the server at most once, and the mirror knows of all but at most the one
/// in flight at the kill (the server took it; its answer died with the process). Nothing is a
/// conflict: nobody else writes to this server.
fn push_progress(
    w: &World,
    conn: &Connection,
    in_flight: &Cell<usize>,
) -> Result<Progress, String> {
    let versions: HashMap<String, i64> = w
        .peer()
        .all_tasks()
        .iter()
        .map(|t| {
            let id = t["id"].as_str().expect("an id").to_owned();
            let version = t["meta"]["versionId"].as_str().and_then(|v| v.parse().ok());
            (id, version.expect("a counting version"))
        })
        .collect();
    let conflicts = count(conn, "SELECT count(*) FROM sync_conflicts")
        + count(
            conn,
            "SELECT count(*) FROM tasks WHERE sync_state = 'conflict'",
        );
    if conflicts > 0 {
        return Err(format!(
            "{conflicts} conflict rows and tasks: our own changes came back as someone else's"
        ));
    }
    let mut rows = conn
        .prepare(
            "SELECT t.id, t.source_id, t.source_version, count(o.id), \
             count(o.id) FILTER (WHERE o.state = 'confirmed'), \
             count(o.id) FILTER (WHERE o.state NOT IN ('pending', 'confirmed')) \
             FROM tasks t LEFT JOIN outbox o ON o.task_id = t.id GROUP BY t.id",
        )
        .expect("query");
    let tasks: Vec<(i64, String, Option<String>, i64, i64, i64)> = rows
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("tasks");
    let (mut changes, mut confirmed, mut unrecorded) = (0, 0, 0);
    for (id, source_id, version, queued, done, other) in tasks {
        let on_server = versions
            .get(&source_id)
            .ok_or_else(|| format!("task {id} is not on the server"))?;
        // Seeded at version 1: every write since is one of ours.
        let written = on_server - 1;
        if other > 0 || written < done || written > done + 1 || written > queued {
            return Err(format!(
                "task {id}: {queued} changes queued, {done} confirmed, {other} failed or \
                 cancelled, {written} written on the server"
            ));
        }
        if written == done && done > 0 && version != Some(on_server.to_string()) {
            return Err(format!(
                "task {id}: the mirror keeps version {version:?} of the server's {on_server}"
            ));
        }
        changes += queued;
        confirmed += done;
        unrecorded += written - done;
    }
    if unrecorded > 1 {
        return Err(format!(
            "{unrecorded} changes are on the server unrecorded; only the one in flight can be"
        ));
    }
    if unrecorded == 1 {
        in_flight.set(in_flight.get() + 1);
    }
    let held_back = count(conn, "SELECT count(*) FROM sync_deferred");
    Ok(match (confirmed, unrecorded, held_back) {
        (0, 0, _) => Progress::NotDone,
        (c, 0, 0) if c == changes => Progress::Done,
        _ => Progress::Partial,
    })
}

/// The mirror (tasks, outbox, sync states, the whole audit log) and the server's tasks without
/// their write times. Each peer makes up its own ids, which the letters quote too, so every
/// server id is written as the mirror's id for the task.
fn pushed_mirror_and_server(w: &World) -> String {
    let tasks = w.s.json(&[
        "list",
        "--format",
        "json",
        "--limit",
        "0",
        "--status",
        "new,assigned,rejected,completed,cancelled",
    ]);
    let ids: Vec<(String, String)> = tasks
        .as_array()
        .expect("tasks")
        .iter()
        .map(|t| {
            let source_id = t["source_id"].as_str().expect("a server id").to_owned();
            (source_id, format!("<task {}>", t["id"]))
        })
        .collect();
    let conn = Connection::open(w.s.db()).expect("open");
    let rows = |sql: &str| -> String {
        let mut stmt = conn.prepare(sql).expect(sql);
        let width = stmt.column_count();
        stmt.query_map([], |r| {
            (0..width)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.join(" "))
        })
        .expect(sql)
        .collect::<Result<Vec<_>, _>>()
        .expect(sql)
        .join("\n")
    };
    let mut server: Vec<String> = w
        .peer()
        .all_tasks()
        .into_iter()
        .map(|mut t| {
            t["meta"]
                .as_object_mut()
                .expect("meta")
                .remove("lastUpdated");
            t.to_string()
        })
        .collect();
    server.sort();
    let mut text = format!(
        "{tasks}\n{}\n{}\n{}\n{}",
        rows(
            "SELECT task_id, kind, state, base_source_version, attempts, last_error \
             FROM outbox ORDER BY id"
        ),
        rows("SELECT id, sync_state FROM tasks ORDER BY id"),
        w.s.ok(&["audit", "show", "--limit", "1000000"]),
        server.join("\n")
    );
    for (source_id, id) in &ids {
        text = text.replace(source_id.as_str(), id);
    }
    text
}

fn push_case(in_flight: &Cell<usize>) -> CrashCase<'_> {
    CrashCase {
        name: "sync (push)",
        prepare: Box::new(queued_changes),
        args: Box::new(sync_args),
        progress: Box::new(move |w, conn| push_progress(w, conn, in_flight)),
        fingerprint: Box::new(pushed_mirror_and_server),
        tally: Box::new(move || {
            format!(
                "; {} left a change on the server that the mirror had not recorded, and the \
                 re-run confirmed it without sending it again or calling it a conflict",
                in_flight.get()
            )
        }),
    }
}

// ----- the harness -----

fn seed() -> u64 {
    std::env::var("TASKGATE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_secs())
        })
}

fn run_args(s: &Sandbox, args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    s.run(&args)
}

/// What every case must show after a kill, before its own checks.
fn check_sound(s: &Sandbox, what: &str) {
    if !s.db().exists() {
        return;
    }
    assert_eq!(
        sqlite3_integrity(&s.db()),
        "ok",
        "{what}: sqlite3 integrity_check"
    );
    let conn = Connection::open(s.db()).expect("open");
    let bundled: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(bundled, "ok", "{what}: integrity_check with FTS5");
    let verify = s.run(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{what}: audit verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

fn kill_at_random_moments(case: &CrashCase<'_>, rng: &mut ChaCha8Rng, seed: u64) {
    let case_started = Instant::now();
    // The uninterrupted run: its duration spreads the kills over the whole run, and its mirror
    // is what every interrupted-then-resumed run must end as.
    let reference = (case.prepare)();
    let args = (case.args)(&reference);
    let started = Instant::now();
    let out = run_args(&reference.s, &args);
    let duration = started.elapsed();
    assert!(
        out.status.success(),
        "{}: {}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = (case.fingerprint)(&reference);
    // Its peer, if it has its own, is not needed any more.
    drop(reference);
    let mut interrupted = 0;
    let mut part_way = 0;
    let mut while_running = 0;
    for round in 0..KILLS_PER_COMMAND {
        let what = format!("{} kill {round} (seed {seed})", case.name);
        let world = (case.prepare)();
        let s = &world.s;
        let args = (case.args)(&world);
        let mut child = s
            .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start taskgate");
        // Half the kills anywhere in the run, half in its last third, where commands that
        // prepare at length (rendering a letter for each task) do their writing.
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        let from = if rng.random_bool(0.5) {
            0
        } else {
            micros / 3 * 2
        };
        std::thread::sleep(Duration::from_micros(rng.random_range(from..=micros)));
        if child.try_wait().expect("poll").is_none() {
            while_running += 1;
        }
        // SIGKILL: no destructor, no rollback, no chance to tidy up.
        let _ = child.kill();
        let status = child.wait().expect("reaped");
        check_sound(s, &what);
        let progress = if s.db().exists() {
            let conn = Connection::open(s.db()).expect("open");
            (case.progress)(&world, &conn)
                .unwrap_or_else(|half| panic!("{what}: half-written: {half}"))
        } else {
            Progress::NotDone
        };
        match progress {
            Progress::NotDone => interrupted += 1,
            Progress::Partial => part_way += 1,
            Progress::Done => {}
        }
        if progress != Progress::Done {
            let again = run_args(s, &args);
            assert!(
                again.status.success(),
                "{what}: running it again failed ({status}): {}",
                String::from_utf8_lossy(&again.stderr)
            );
        }
        let conn = Connection::open(s.db()).expect("open");
        assert_eq!((case.progress)(&world, &conn), Ok(Progress::Done), "{what}");
        let found = (case.fingerprint)(&world);
        assert!(
            found == expected,
            "{what}: the mirror differs from an uninterrupted run:\n{}",
            first_difference(&expected, &found)
        );
    }
    eprintln!(
        "{}: {while_running} of {KILLS_PER_COMMAND} kills hit the command while it ran, \
         {interrupted} before its work was in the mirror, {part_way} part-way through it{} \
         ({:.0} s, the uninterrupted run {:.1} s)",
        case.name,
        (case.tally)(),
        case_started.elapsed().as_secs_f64(),
        duration.as_secs_f64()
    );
}

/// Where two fingerprints part, so a failure says what differs rather than that something does.
fn first_difference(expected: &str, found: &str) -> String {
    let at = expected
        .chars()
        .zip(found.chars())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.chars().count().min(found.chars().count()));
    let around = |text: &str| -> String {
        text.chars()
            .skip(at.saturating_sub(200))
            .take(400)
            .collect()
    };
    format!(
        "at character {at}:\n expected …{}…\n found    …{}…",
        around(expected),
        around(found)
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
    let (peer, server) = peer_to_pull_from();
    kill_at_random_moments(&pull_case(&peer, &server), &mut rng, seed);
    drop(peer);
    let in_flight = Cell::new(0);
    kill_at_random_moments(&push_case(&in_flight), &mut rng, seed);
}

#[test]
#[ignore = "about three minutes with the FHIR peer over HTTPS: .ci/run runs it with --ignored"]
fn killing_sync_while_it_pushes_over_https_never_loses_doubles_or_conflicts_a_change() {
    let seed = seed();
    eprintln!("crash seed {seed} (replay with TASKGATE_CRASH_SEED={seed})");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let in_flight = Cell::new(0);
    let case = CrashCase {
        name: "sync (push over HTTPS)",
        prepare: Box::new(queued_changes_over_https),
        ..push_case(&in_flight)
    };
    kill_at_random_moments(&case, &mut rng, seed);
}

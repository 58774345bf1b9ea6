//! The `taskgate sync` cases, against the real FHIR test peer: a pull of two thousand tasks
//! into an empty mirror, page by page, and a push of two hundred queued changes. Both commit
//! piece by piece, so a kill part-way leaves whole pages or confirmed changes for the re-run
//! to carry on from.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::Value;

use super::harness::{CrashCase, Grain, Progress, World, run_args};
use super::support::ca::TestCa;
use super::support::peer::Peer;
use super::support::sandbox::Sandbox;
use super::{count, tasks_and_quarantine};

// ----- taskgate sync, pulling: two thousand tasks into an empty mirror, page by page -----

const PULL_TASKS: usize = 2_000;
/// The peer's tasks arrive in batches a minute apart on its clock, so a re-run that starts
/// from the watermark (less its few seconds' overlap) really skips what is already in, and a
/// watermark that ran ahead of the pages stored would lose tasks.
const PULL_BATCHES: usize = 10;

/// A peer holding the pull's tasks, shared by every run: a pull changes nothing on the server.
/// Returns it with each task's `meta.lastUpdated` by id.
pub fn peer_to_pull_from() -> (Rc<Peer>, HashMap<String, DateTime<Utc>>) {
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

pub fn pull_case<'a>(
    peer: &'a Rc<Peer>,
    server: &'a HashMap<String, DateTime<Utc>>,
) -> CrashCase<'a> {
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
        exit_code: 0,
        grain: Grain::Pieces,
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
/// own, which the config trusts through `source.ca_file`, as a health network's would be.
fn queued_changes_over_https() -> World {
    let ca = TestCa::new();
    let peer = Peer::start_with(&ca.https_peer());
    peer.seed(PUSH_TASKS);
    let s = Sandbox::new();
    s.use_fhir(&peer.base_url());
    // The peer read its certificate files at start; the config needs only the CA's.
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

/// Pulls the peer's tasks, then queues the changes: a third rejected, a third assigned with a
/// note, a third assigned and then rejected.
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
    let mut reject = vec!["reject".to_owned(), "--despite-risk".to_owned()];
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

/// The push case over HTTPS: the same changes, the same checks, through TLS.
pub fn push_over_https_case(in_flight: &Cell<usize>) -> CrashCase<'_> {
    CrashCase {
        name: "sync (push over HTTPS)",
        prepare: Box::new(queued_changes_over_https),
        ..push_case(in_flight)
    }
}

pub fn push_case(in_flight: &Cell<usize>) -> CrashCase<'_> {
    CrashCase {
        name: "sync (push)",
        prepare: Box::new(queued_changes),
        args: Box::new(sync_args),
        exit_code: 0,
        grain: Grain::Pieces,
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

//! `taskgate sync` against the real FHIR peer (Medplum's router in memory, one per test on its
//! own port), driven through the real binary on real mirror files: the first load, incremental
//! pulls, pushing a rejection and an assignment, and what the person at the desk sees when the
//! server goes away or answers nonsense. Two-desk conflicts are in tests/sync_conflicts.rs.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use support::desk::{Desk, Summary};
use support::peer::{PRACTICE_ODS, Peer};

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[test]
fn the_first_sync_loads_two_thousand_tasks_and_a_second_finds_nothing_new() {
    let peer = Peer::start();
    let seeded = sorted(peer.seed(2000));
    let desk = Desk::new(&peer);

    let first = desk.sync_ok();
    assert_eq!(
        (first.pulled, first.new, first.updated, first.pushed),
        (2000, 2000, 0, 0)
    );
    assert_eq!(
        desk.source_ids(),
        seeded,
        "every server task once, and nothing else"
    );
    let tasks = desk.tasks();
    assert!(
        tasks
            .iter()
            .all(|t| t["status"] == "new" && t["owner"].is_null())
    );
    assert!(
        tasks.iter().all(|t| t["source_version"] == "1"),
        "each task keeps the server's version"
    );

    let second = desk.sync_ok();
    assert_eq!((second.new, second.updated), (0, 0), "{second:?}");
    assert_eq!(desk.tasks().len(), 2000);
}

#[test]
fn an_incremental_pull_brings_new_tasks_and_what_others_did_to_old_ones() {
    let peer = Peer::start();
    let ids = peer.seed(30);
    let desk = Desk::new(&peer);
    desk.sync_ok();

    // Another desk rejects one and assigns one to a colleague; the sender withdraws a third;
    // two new tasks arrive.
    peer.change_task(&ids[3], |t| t["status"] = "rejected".into());
    peer.change_task(&ids[4], |t| {
        t["status"] = "accepted".into();
        t["owner"] = serde_json::json!({"reference": "Practitioner/bpatel"});
    });
    peer.change_task(&ids[5], |t| t["status"] = "cancelled".into());
    peer.seed_from(100, 2);

    let second = desk.sync_ok();
    assert_eq!((second.new, second.updated), (2, 3), "{second:?}");
    let by_source = desk.tasks_by_source_id();
    assert_eq!(by_source.len(), 32);
    assert_eq!(by_source[&ids[3]]["status"], "rejected");
    assert_eq!(by_source[&ids[4]]["status"], "assigned");
    assert_eq!(by_source[&ids[4]]["owner"], "bpatel");
    assert_eq!(by_source[&ids[5]]["status"], "cancelled");
    assert_eq!(by_source[&ids[6]]["status"], "new");

    // Moved back to the practice's inbox on the server: the mirror follows.
    peer.change_task(&ids[4], |t| {
        t["status"] = "requested".into();
        t["owner"] = serde_json::json!({"reference": format!("Organization/{PRACTICE_ODS}")});
    });
    let third = desk.sync_ok();
    assert_eq!((third.new, third.updated), (0, 1), "{third:?}");
    let task = &desk.tasks_by_source_id()[&ids[4]];
    assert_eq!(
        (task["status"].as_str(), task["owner"].as_str()),
        (Some("new"), None)
    );
}

#[test]
fn a_rejection_and_an_assignment_reach_the_server_as_valid_fhir() {
    let peer = Peer::start();
    let ids = peer.seed(5);
    let desk = Desk::new(&peer);
    desk.sync_ok();
    let by_source = desk.tasks_by_source_id();
    let rejected = by_source[&ids[0]]["id"].as_i64().expect("an id");
    let assigned = by_source[&ids[1]]["id"].as_i64().expect("an id");

    desk.run_ok(&["reject", &rejected.to_string()]);
    desk.run_ok(&[
        "assign",
        &assigned.to_string(),
        "cjones",
        "--note",
        "Results query for the prescriptions team",
    ]);
    let summary = desk.sync_ok();
    assert_eq!((summary.pushed, summary.conflicts), (2, 0), "{summary:?}");

    let theirs = peer.read_task(&ids[0]);
    assert_eq!(theirs["status"], "rejected");
    assert_eq!(theirs["meta"]["versionId"], "2");
    let letter = theirs["output"][0]["valueString"]
        .as_str()
        .unwrap_or_default();
    assert!(
        letter.contains("Your Task has not been acted on or actioned."),
        "the LMC letter goes with the rejection: {theirs}"
    );
    assert!(theirs["statusReason"].is_object(), "{theirs}");
    Peer::validate(&theirs).unwrap_or_else(|e| panic!("the rejected Task is valid R4:\n{e}"));

    let theirs = peer.read_task(&ids[1]);
    assert_eq!(theirs["status"], "accepted");
    assert_eq!(theirs["owner"]["reference"], "Practitioner/cjones");
    let notes = theirs["note"].as_array().expect("a note");
    assert!(
        notes
            .iter()
            .any(|n| n["text"] == "Results query for the prescriptions team"),
        "{theirs}"
    );
    Peer::validate(&theirs).unwrap_or_else(|e| panic!("the assigned Task is valid R4:\n{e}"));

    // The server's answers are now the mirror's copy: nothing left to send, nothing to pull.
    let store = desk.store();
    for id in [rejected, assigned] {
        let states: Vec<String> = store
            .outbox_entries(id)
            .expect("outbox")
            .into_iter()
            .map(|e| e.state)
            .collect();
        assert_eq!(states, ["confirmed"], "task {id}");
        assert_eq!(
            store
                .task(id)
                .expect("read")
                .expect("present")
                .source_version
                .as_deref(),
            Some("2")
        );
    }
    let again = desk.sync_ok();
    assert_eq!((again.pushed, again.updated), (0, 0), "{again:?}");
    assert_eq!(
        peer.read_task(&ids[0])["meta"]["versionId"],
        "2",
        "not sent twice"
    );
}

#[test]
fn a_peer_stopped_mid_pull_loses_nothing_and_the_next_sync_completes() {
    let peer = Peer::start();
    let seeded = sorted(peer.seed(450));
    let desk = Desk::new(&peer);

    peer.down_after(2, Some("GET"));
    let out = desk.sync();
    assert_eq!(out.code, Some(3), "unreachable is exit 3: {out:?}");
    assert!(
        out.stderr.contains("cannot reach the FHIR server"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing is lost"), "{}", out.stderr);
    assert_eq!(
        out.summary().new,
        200,
        "the two pages served are kept: {out:?}"
    );
    assert_eq!(desk.tasks().len(), 200);
    let store = desk.store();
    assert!(
        store.sync_value("offline_since").expect("read").is_some(),
        "the header can say since when"
    );
    drop(store);

    peer.up();
    let next = desk.sync_ok();
    assert_eq!(next.new, 250, "{next:?}");
    assert_eq!(desk.source_ids(), seeded, "each task once");
    assert_eq!(
        desk.store().sync_value("offline_since").expect("read"),
        None
    );
}

#[test]
fn a_peer_stopped_mid_push_loses_nothing_and_the_next_sync_sends_the_rest() {
    let peer = Peer::start();
    let ids = peer.seed(6);
    let desk = Desk::new(&peer);
    desk.sync_ok();
    let local: Vec<String> = ids[..3]
        .iter()
        .map(|s| desk.tasks_by_source_id()[s]["id"].to_string())
        .collect();
    desk.run_ok(&["reject", &local[0], &local[1], &local[2]]);

    peer.down_after(1, Some("PUT"));
    let out = desk.sync();
    assert_eq!(out.code, Some(3), "{out:?}");
    assert_eq!(out.summary().pushed, 1);
    assert!(
        out.stdout.contains("2 change(s) waiting to go up"),
        "{}",
        out.stdout
    );
    peer.up();
    assert_eq!(peer.read_task(&ids[0])["status"], "rejected");

    let next = desk.sync_ok();
    assert_eq!(next.pushed, 2, "{next:?}");
    for id in &ids[..3] {
        assert_eq!(peer.read_task(id)["status"], "rejected", "task {id}");
        assert_eq!(peer.read_task(id)["meta"]["versionId"], "2", "sent once");
    }
    for id in &ids[3..] {
        assert_eq!(peer.read_task(id)["status"], "requested", "untouched: {id}");
    }
    assert_eq!(desk.store().pending_outbox_count().expect("count"), 0);
}

#[test]
fn server_errors_and_broken_json_are_reported_retried_and_lose_nothing() {
    let peer = Peer::start();
    let ids = peer.seed(120);
    let desk = Desk::new(&peer);

    peer.fail_next(1, Some("GET"));
    let out = desk.sync();
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(out.stderr.contains("HTTP 500"), "{}", out.stderr);
    assert_eq!(desk.tasks().len(), 0);

    peer.garble_next(1, Some("GET"));
    let out = desk.sync();
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(
        out.stderr.contains("not readable FHIR JSON"),
        "{}",
        out.stderr
    );

    let loaded = desk.sync_ok();
    assert_eq!(loaded.new, 120);

    // A rejection meets a failing server, then one whose answer is garbage (and that did not
    // in fact store the change): it stays in the outbox until the server really takes it.
    let local = desk.tasks_by_source_id()[&ids[7]]["id"].to_string();
    desk.run_ok(&["reject", &local]);
    peer.fail_next(1, Some("PUT"));
    let out = desk.sync();
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(out.stderr.contains("HTTP 500"), "{}", out.stderr);
    let entry = &desk
        .store()
        .outbox_entries(local.parse().expect("id"))
        .expect("outbox")[0];
    assert_eq!((entry.state.as_str(), entry.attempts), ("pending", 1));
    assert!(
        entry
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("HTTP 500")
    );

    peer.garble_next(1, Some("PUT"));
    let out = desk.sync();
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(
        out.stderr.contains("not readable FHIR JSON"),
        "{}",
        out.stderr
    );
    assert_eq!(peer.read_task(&ids[7])["status"], "requested");

    let done = desk.sync_ok();
    assert_eq!(done.pushed, 1, "{done:?}");
    assert_eq!(peer.read_task(&ids[7])["status"], "rejected");
    assert_eq!(peer.read_task(&ids[7])["meta"]["versionId"], "2");
}

#[test]
fn a_server_that_is_down_from_the_start_is_exit_3_and_the_mirror_still_works() {
    let peer = Peer::start();
    let desk = Desk::new(&peer);
    peer.down();
    let out = desk.sync();
    assert_eq!(out.code, Some(3), "{out:?}");
    assert!(
        out.stderr.contains("connection was refused"),
        "{}",
        out.stderr
    );
    desk.run_ok(&["list"]);
}

#[test]
fn a_missing_or_wrong_token_is_a_set_up_error_naming_the_variable() {
    let peer = Peer::start();
    peer.seed(3);
    let desk = Desk::new(&peer);

    let out = desk.sync_with_token(None);
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(
        out.stderr.contains("TASKGATE_TEST_FHIR_TOKEN") && out.stderr.contains("not set"),
        "{}",
        out.stderr
    );

    let out = desk.sync_with_token(Some("wrong"));
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(out.stderr.contains("HTTP 401"), "{}", out.stderr);
    assert!(
        out.stderr.contains("TASKGATE_TEST_FHIR_TOKEN"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("wrong"),
        "the token is never echoed: {}",
        out.stderr
    );
    assert_eq!(desk.tasks().len(), 0);
}

#[test]
fn a_task_the_mirror_cannot_read_is_quarantined_with_its_field_and_the_rest_are_kept() {
    let peer = Peer::start();
    let ids = peer.seed(4);
    peer.change_task(&ids[2], |t| {
        t.as_object_mut().expect("a task").remove("requester");
    });
    let desk = Desk::new(&peer);
    let out = desk.sync();
    assert_eq!(out.code, Some(2), "partial is exit 2: {out:?}");
    assert!(
        out.stdout.contains("1 unreadable (quarantined)"),
        "{}",
        out.stdout
    );
    assert_eq!(desk.tasks().len(), 3);
    let kept = desk.store().quarantined().expect("quarantine");
    assert_eq!(kept.len(), 1);
    assert_eq!(
        kept[0].field.as_deref().map(|f| f.starts_with("requester")),
        Some(true)
    );
    assert!(
        kept[0].origin.ends_with(&format!("/Task/{}", ids[2])),
        "{:?}",
        kept[0].origin
    );
    // The overlap re-reads it next time: the sync says so again (still exit 2, still one
    // unreadable), and it is kept once, beside the same three tasks.
    let again = desk.sync();
    assert_eq!(again.code, Some(2), "still partial: {again:?}");
    assert!(
        again.stdout.contains("1 unreadable (quarantined)"),
        "{}",
        again.stdout
    );
    assert_eq!(
        again.summary(),
        Summary {
            pulled: 4,
            new: 0,
            updated: 0,
            pushed: 0,
            conflicts: 0
        },
        "{again:?}"
    );
    assert_eq!(desk.tasks().len(), 3);
    assert_eq!(desk.store().quarantined().expect("quarantine").len(), 1);
}

#[test]
fn a_task_saved_elsewhere_while_the_pull_pages_does_not_push_another_out_of_sight() {
    let peer = Peer::start();
    let seeded = sorted(peer.seed(300));
    let desk = Desk::new(&peer);

    // Between the first and second page the oldest task is saved again and moves to the end:
    // every later task moves up one place, and a plain `_offset` would step over one of them.
    peer.shift_after(1, Some("GET"));
    let first = desk.sync_ok();
    assert_eq!(desk.source_ids(), seeded, "all in one sync: {first:?}");
    let moved = desk
        .tasks()
        .into_iter()
        .filter(|t| t["source_version"] == "2")
        .count();
    assert_eq!(
        moved, 1,
        "the task saved meanwhile is there at its new version"
    );
}

#[test]
fn watch_runs_a_cycle_at_once_and_again_every_poll_interval() {
    let peer = Peer::start();
    peer.seed(3);
    let desk = Desk::new(&peer);
    desk.set_poll_interval("1s");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_taskgate"))
        .args(desk.args())
        .args(["sync", "--watch"])
        .envs(desk.env())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start sync --watch");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a first cycle").expect("text");
    assert!(first.contains("pulled 3 (3 new, 0 updated)"), "{first}");
    peer.seed_from(10, 1);
    // A later cycle brings the new task (the next, unless seeding outlasted the interval).
    let later = lines
        .by_ref()
        .take(30)
        .map(|l| l.expect("text"))
        .find(|l| !l.contains("(0 new, 0 updated)"));
    let later = later.expect("a later cycle found the new task");
    assert!(later.contains("(1 new, 0 updated)"), "{later}");
    child.kill().expect("stop the watch");
    child.wait().expect("reaped");
}

#[test]
fn an_update_the_server_refuses_is_a_set_up_error_kept_and_retried_after_its_wait() {
    let peer = Peer::start();
    let ids = peer.seed(3);
    let desk = Desk::new(&peer);
    desk.sync_ok();
    let local = desk.tasks_by_source_id()[&ids[0]]["id"].to_string();
    desk.run_ok(&["reject", &local]);

    peer.refuse_next(1, 400, Some("PUT"));
    let out = desk.sync();
    assert_eq!(out.code, Some(4), "a refusal needs a person: {out:?}");
    assert!(
        out.stderr
            .contains(&format!("refused the update of task {local} (HTTP 400)")),
        "{}",
        out.stderr
    );
    let id: i64 = local.parse().expect("an id");
    let entry = &desk.store().outbox_entries(id).expect("outbox")[0];
    assert_eq!((entry.state.as_str(), entry.attempts), ("pending", 1));

    // Backing off: the next sync a moment later leaves it waiting...
    let soon = desk.sync_ok();
    assert_eq!(soon.pushed, 0, "{soon:?}");
    assert_eq!(peer.read_task(&ids[0])["status"], "requested");
    // ...and one after the wait sends it.
    let later = (chrono::Utc::now() + chrono::Duration::minutes(2)).to_rfc3339();
    let out = desk
        .cmd()
        .args(["--now", &later, "sync"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(peer.read_task(&ids[0])["status"], "rejected");
}

#[test]
fn two_changes_to_one_task_go_up_in_one_sync_without_a_conflict_with_ourselves() {
    let peer = Peer::start();
    let ids = peer.seed(2);
    let desk = Desk::new(&peer);
    desk.sync_ok();
    let local = desk.tasks_by_source_id()[&ids[0]]["id"].to_string();
    desk.run_ok(&["assign", &local, "reception", "--note", "Call the ward"]);
    desk.run_ok(&["reject", &local]);

    let summary = desk.sync_ok();
    assert_eq!(
        (summary.pushed, summary.conflicts),
        (2, 0),
        "the second change goes on the version the first made: {summary:?}"
    );
    let theirs = peer.read_task(&ids[0]);
    assert_eq!(theirs["status"], "rejected");
    assert_eq!(theirs["meta"]["versionId"], "3", "one write per change");
    assert!(
        theirs["note"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["text"] == "Call the ward")),
        "the first change's note survives the second: {theirs}"
    );
    let task = &desk.tasks_by_source_id()[&ids[0]];
    assert_eq!(
        (task["status"].as_str(), task["source_version"].as_str()),
        (Some("rejected"), Some("3"))
    );
    assert_eq!(desk.store().pending_outbox_count().expect("count"), 0);
}

#[test]
fn changes_the_server_took_but_the_mirror_never_recorded_are_confirmed_not_conflicts() {
    let peer = Peer::start();
    let ids = peer.seed(4);
    let desk = Desk::new(&peer);
    desk.sync_ok();
    let local = |n: usize| desk.tasks_by_source_id()[&ids[n]]["id"].to_string();
    let (rejected, assigned, both) = (local(0), local(1), local(2));
    desk.run_ok(&["reject", &rejected]);
    desk.run_ok(&["assign", &assigned, "cjones", "--note", "Call the ward"]);
    desk.run_ok(&["assign", &both, "reception"]);
    desk.run_ok(&["reject", &both]);

    // The mirror as it stands when the next sync starts, copied whole with SQLite's backup.
    let before = desk.db().with_extension("before");
    desk.run_ok(&["backup", &before.display().to_string()]);
    let sent = desk.sync_ok();
    assert_eq!((sent.pushed, sent.conflicts), (4, 0), "{sent:?}");
    // Put it back: the server has taken every change, but this mirror never recorded its
    // answers. A kill between the server's answer and the mirror's commit leaves one change so;
    // a power cut can leave several (WAL with synchronous = NORMAL loses the last commits), as
    // here the task with two changes. Sent again against the versions they were made on, they
    // are refused as stale, and must not come back as conflicts with ourselves.
    std::fs::rename(&before, desk.db()).expect("restore the mirror");
    for side in ["sqlite-wal", "sqlite-shm"] {
        let _ = std::fs::remove_file(desk.db().with_extension(side));
    }

    let rerun = desk.sync();
    assert_eq!(rerun.code, Some(0), "{rerun:?}");
    assert_eq!(
        (rerun.summary().pushed, rerun.summary().conflicts),
        (4, 0),
        "our own changes, already on the server, are confirmed: {rerun:?}"
    );
    for (n, version) in [(0, "2"), (1, "2"), (2, "3")] {
        assert_eq!(
            peer.read_task(&ids[n])["meta"]["versionId"],
            version,
            "task {n} written once per change"
        );
    }
    let tasks = desk.tasks_by_source_id();
    for (n, status, version) in [
        (0, "rejected", "2"),
        (1, "assigned", "2"),
        (2, "rejected", "3"),
    ] {
        let task = &tasks[&ids[n]];
        assert_eq!(
            (task["status"].as_str(), task["source_version"].as_str()),
            (Some(status), Some(version)),
            "{task}"
        );
    }
    let store = desk.store();
    assert_eq!(store.pending_outbox_count().expect("count"), 0);
    for id in [&rejected, &assigned, &both] {
        let id = id.parse().expect("an id");
        assert!(store.conflict(id).expect("read").is_none(), "task {id}");
        assert!(
            !store
                .history(id)
                .expect("history")
                .iter()
                .any(|e| e.action == "sync.conflict"),
            "no conflict was ever recorded for task {id}"
        );
    }
}

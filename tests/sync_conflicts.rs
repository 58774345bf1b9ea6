//! Two desks, each with its own mirror, work the same inbox on one FHIR server (the real peer)
//! and act on the same task before either syncs. Exactly one change wins on the server; the
//! other desk sees a conflict with both versions kept, and after it keeps theirs or re-applies
//! its own, no change is lost: the server and both mirrors agree on what was chosen, and the
//! audit log says who chose it.

mod support;

use support::desk::Desk;
use support::peer::Peer;

/// Two synced desks and the mirror id (the same on both: each loaded the same inbox in the same
/// order) of the task they are about to fight over, with its server id.
fn two_desks(peer: &Peer) -> (Desk, Desk, i64, String) {
    let ids = peer.seed(8);
    let (front, back) = (Desk::new(peer), Desk::new(peer));
    front.sync_ok();
    back.sync_ok();
    let contested = ids[2].clone();
    let id = front.tasks_by_source_id()[&contested]["id"]
        .as_i64()
        .expect("an id");
    assert_eq!(back.tasks_by_source_id()[&contested]["id"], id);
    (front, back, id, contested)
}

/// The front desk rejects the task and syncs first; the back office assigns it to cjones, and
/// its sync finds the conflict.
fn reject_versus_assign(peer: &Peer) -> (Desk, Desk, i64, String) {
    let (front, back, id, contested) = two_desks(peer);
    front.run_ok(&["reject", &id.to_string()]);
    back.run_ok(&[
        "assign",
        &id.to_string(),
        "cjones",
        "--note",
        "for the clinic letter",
    ]);

    let first = front.sync_ok();
    assert_eq!((first.pushed, first.conflicts), (1, 0), "{first:?}");
    let run = back.sync();
    assert_eq!(run.code, Some(0), "a conflict is a normal outcome: {run:?}");
    assert_eq!(
        (run.summary().pushed, run.summary().conflicts),
        (0, 1),
        "{run:?}"
    );
    assert!(
        run.stderr
            .contains(&format!("taskgate sync resolve {id} --keep theirs")),
        "the desk is told how to choose: {}",
        run.stderr
    );
    (front, back, id, contested)
}

#[test]
fn the_second_desk_sees_a_conflict_with_both_versions_and_the_first_desks_change_stands() {
    let peer = Peer::start();
    let (_front, back, id, contested) = reject_versus_assign(&peer);

    // Exactly one change is on the server: the front desk's rejection.
    let theirs = peer.read_task(&contested);
    assert_eq!(theirs["status"], "rejected");
    assert_eq!(theirs["meta"]["versionId"], "2");

    // The back office keeps its own change locally, beside the server's version.
    let task = &back.tasks_by_source_id()[&contested];
    assert_eq!(
        (task["status"].as_str(), task["owner"].as_str()),
        (Some("assigned"), Some("cjones"))
    );
    let store = back.store();
    let conflict = store
        .conflict(id)
        .expect("read")
        .expect("a conflict is recorded");
    assert_eq!(conflict.http_status, 412);
    assert_eq!(conflict.theirs["status"], "rejected");
    assert_eq!(conflict.theirs_version.as_deref(), Some("2"));
    assert_eq!(conflict.base_version.as_deref(), Some("1"));
    let theirs_task = conflict
        .theirs_task
        .expect("the server's version is readable");
    assert_eq!(theirs_task.status.as_str(), "rejected");
    assert_eq!(conflict.ours.len(), 1);
    assert_eq!(conflict.ours[0].kind, "assign");
    assert_eq!(conflict.ours[0].state, "pending");
    let events: Vec<String> = store
        .history(id)
        .expect("history")
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(events.contains(&"sync.conflict".to_owned()), "{events:?}");
    drop(store);

    // A conflict is not retried on its own: another sync sends nothing and keeps it.
    let again = back.sync_ok();
    assert_eq!((again.pushed, again.conflicts), (0, 0), "{again:?}");
    assert_eq!(peer.read_task(&contested)["meta"]["versionId"], "2");
    assert!(back.store().conflict(id).expect("read").is_some());
}

#[test]
fn keeping_theirs_gives_the_second_desk_the_servers_version_and_sends_nothing() {
    let peer = Peer::start();
    let (front, back, id, contested) = reject_versus_assign(&peer);

    let said = back.run_ok(&["sync", "resolve", &id.to_string(), "--keep", "theirs"]);
    assert!(
        said.contains("now has the server's version: rejected"),
        "{said}"
    );
    let task = &back.tasks_by_source_id()[&contested];
    assert_eq!(task["status"], "rejected");
    assert_eq!(task["source_version"], "2");

    let after = back.sync_ok();
    assert_eq!((after.pushed, after.conflicts), (0, 0), "{after:?}");
    assert_eq!(
        peer.read_task(&contested)["meta"]["versionId"],
        "2",
        "nothing more was sent"
    );
    assert_eq!(front.tasks_by_source_id()[&contested]["status"], "rejected");

    let store = back.store();
    assert!(store.conflict(id).expect("read").is_none());
    // Our assignment is not lost from the record: it stays in the outbox, cancelled, with its
    // note, and the audit log says who gave it up.
    let entries = store.outbox_entries(id).expect("outbox");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].kind.as_str(), entries[0].state.as_str()),
        ("assign", "cancelled")
    );
    assert!(
        store
            .notes(id)
            .expect("notes")
            .iter()
            .any(|n| n.text == "for the clinic letter")
    );
    let resolution = store
        .history(id)
        .expect("history")
        .into_iter()
        .find(|e| e.action == "sync.keep_theirs")
        .expect("the choice is audited");
    assert_eq!(resolution.actor, "aclarke");
    assert_eq!(resolution.to.as_deref(), Some("rejected"));
}

#[test]
fn reapplying_ours_sends_our_change_on_top_of_theirs_and_both_survive_on_the_server() {
    let peer = Peer::start();
    let (front, back, id, contested) = reject_versus_assign(&peer);

    let said = back.run_ok(&["sync", "resolve", &id.to_string(), "--keep", "ours"]);
    assert!(said.contains("against its version 2"), "{said}");
    let after = back.sync_ok();
    assert_eq!((after.pushed, after.conflicts), (1, 0), "{after:?}");

    // The server has our assignment, made on top of the rejection: the front desk's letter is
    // still in the Task's output, and our note is there too.
    let theirs = peer.read_task(&contested);
    assert_eq!(theirs["status"], "accepted");
    assert_eq!(theirs["owner"]["reference"], "Practitioner/cjones");
    assert_eq!(theirs["meta"]["versionId"], "3");
    let letter = theirs["output"][0]["valueString"]
        .as_str()
        .unwrap_or_default();
    assert!(
        letter.contains("Your Task has not been acted on"),
        "{theirs}"
    );
    assert!(
        theirs["note"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["text"] == "for the clinic letter")),
        "{theirs}"
    );
    Peer::validate(&theirs).unwrap_or_else(|e| panic!("valid R4 after the merge:\n{e}"));

    // The front desk's next pull brings the outcome; nothing is pending anywhere.
    let pulled = front.sync_ok();
    assert_eq!(pulled.updated, 1, "{pulled:?}");
    let task = &front.tasks_by_source_id()[&contested];
    assert_eq!(
        (task["status"].as_str(), task["owner"].as_str()),
        (Some("assigned"), Some("cjones"))
    );
    for desk in [&front, &back] {
        assert_eq!(desk.store().pending_outbox_count().expect("count"), 0);
    }
    let choice = back
        .store()
        .history(id)
        .expect("history")
        .into_iter()
        .any(|e| e.action == "sync.reapply_ours");
    assert!(choice, "the choice is audited");
}

#[test]
fn resolving_a_task_without_a_conflict_is_refused_and_changes_nothing() {
    let peer = Peer::start();
    let (front, _back, id, _contested) = two_desks(&peer);
    let out = front
        .cmd()
        .args(["sync", "resolve", &id.to_string(), "--keep", "theirs"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("task {id} has no sync conflict")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_conflict_shows_and_keeps_the_servers_latest_version_as_it_moves_on() {
    let peer = Peer::start();
    let (_front, back, id, contested) = reject_versus_assign(&peer);
    // The server moves on again while the back office has not chosen yet.
    peer.change_task(&contested, |t| t["status"] = "completed".into());

    back.sync_ok();
    let conflict = back
        .store()
        .conflict(id)
        .expect("read")
        .expect("still a conflict");
    assert_eq!(conflict.theirs_version.as_deref(), Some("3"));
    assert_eq!(conflict.theirs["status"], "completed");

    back.run_ok(&["sync", "resolve", &id.to_string(), "--keep", "theirs"]);
    let task = &back.tasks_by_source_id()[&contested];
    assert_eq!(
        task["status"], "completed",
        "the server's latest, not the one first seen"
    );
    assert_eq!(task["source_version"], "3");
}

#[test]
fn an_undone_change_does_not_hide_what_the_server_did_meanwhile() {
    let peer = Peer::start();
    let ids = peer.seed(4);
    let desk = Desk::new(&peer);
    desk.sync_ok();
    let id = desk.tasks_by_source_id()[&ids[1]]["id"]
        .as_i64()
        .expect("an id");

    // A rejection waits in the outbox (the server fails it) while another desk assigns the task.
    desk.run_ok(&["reject", &id.to_string()]);
    peer.change_task(&ids[1], |t| {
        t["status"] = "accepted".into();
        t["owner"] = serde_json::json!({"reference": "Practitioner/dokafor"});
    });
    peer.fail_next(1, Some("PUT"));
    assert_eq!(desk.sync().code, Some(3));
    assert_eq!(
        desk.tasks_by_source_id()[&ids[1]]["status"],
        "rejected",
        "ours is kept"
    );
    // A minute later on the server another task changes, and a pull passes it: the watermark is
    // now well past the assignment, and the next pull will not bring it again.
    peer.advance_clock(60);
    peer.change_task(&ids[3], |t| t["priority"] = "urgent".into());
    peer.fail_next(1, Some("PUT"));
    assert_eq!(desk.sync().code, Some(3));
    assert_eq!(desk.tasks_by_source_id()[&ids[3]]["priority"], "urgent");

    // The rejection is undone before it ever left: the task must now show the server's
    // assignment, although the pull that brought it has long passed.
    let mut store = desk.store();
    let now = chrono::Utc::now();
    store
        .undo_last(&taskgate::store::Actor { id: "aclarke", now })
        .expect("undo");
    drop(store);
    let summary = desk.sync_ok();
    assert_eq!((summary.pushed, summary.conflicts), (0, 0), "{summary:?}");
    let task = &desk.tasks_by_source_id()[&ids[1]];
    assert_eq!(
        (task["status"].as_str(), task["owner"].as_str()),
        (Some("assigned"), Some("dokafor"))
    );
    assert_eq!(task["source_version"], "2");
}

#[test]
fn a_task_in_conflict_takes_no_new_action_until_someone_chooses() {
    let peer = Peer::start();
    let (_front, back, id, contested) = reject_versus_assign(&peer);
    let out = back
        .cmd()
        .args(["reject", &id.to_string()])
        .output()
        .expect("taskgate runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("sync conflict"), "{said}");
    assert!(said.contains(&format!("sync resolve {id}")), "{said}");
    // Nothing was queued on top of the conflict, and it is still there to resolve.
    let task = &back.tasks_by_source_id()[&contested];
    assert_eq!(task["status"], "assigned");
    assert!(back.store().conflict(id).expect("read").is_some());
}

#[test]
fn purging_a_closed_task_also_blanks_the_servers_copy_kept_for_its_conflict() {
    let peer = Peer::start();
    let (_front, back, id, contested) = reject_versus_assign(&peer);
    back.run_ok(&["sync", "resolve", &id.to_string(), "--keep", "theirs"]);
    let name = peer.read_task(&contested)["for"]["display"]
        .as_str()
        .expect("a patient name on the server")
        .to_owned();
    let kept = |desk: &Desk| -> String {
        let conn = rusqlite::Connection::open(desk.db()).expect("open mirror");
        conn.query_row(
            "SELECT group_concat(theirs, '') FROM sync_conflicts WHERE task_id = ?",
            [id],
            |r| r.get::<_, Option<String>>(0),
        )
        .expect("read")
        .unwrap_or_default()
    };
    assert!(
        kept(&back).contains(&name),
        "the conflict kept the server's copy"
    );

    back.run_ok(&[
        "--now",
        "2030-01-02T12:00:00Z",
        "purge",
        "--closed-before",
        "2030-01-01",
    ]);
    assert!(
        !kept(&back).contains(&name),
        "the purge reached the conflict's copy"
    );
}

//! What `taskgate sync` promises the person running it, each against the real FHIR peer and
//! the real binary: exit 4 when the set-up needs a person (no FHIR source, credentials the
//! server refuses with 403, a server that has no such task or path: 404), exit 1 when the
//! mirror itself is at fault, a 409 answer kept as a conflict with both versions, a change
//! that can never be sent marked failed (not retried for ever), and purge holding back closed
//! tasks whose changes the server has not confirmed.

mod support;

use support::desk::Desk;
use support::peer::Peer;

/// The mirror's id of a peer task, for the commands.
fn local_id(desk: &Desk, source_id: &str) -> String {
    desk.tasks_by_source_id()[source_id]["id"].to_string()
}

#[test]
fn a_source_that_is_not_fhir_is_exit_4_naming_the_key_to_set() {
    let peer = Peer::start();
    let desk = Desk::new(&peer);
    let config = std::fs::read_to_string(desk.config_file()).expect("read the config");
    let demo = config.replace("kind = \"fhir\"", "kind = \"demo\"");
    assert_ne!(demo, config);
    std::fs::write(desk.config_file(), demo).expect("write the config");

    let out = desk.sync();
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(
        out.stderr
            .contains("source.kind is \"demo\", so there is no server to sync with"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("kind = \"fhir\""), "{}", out.stderr);
    assert_eq!(peer.requests("GET"), 0, "nothing was asked of any server");
}

#[test]
fn credentials_refused_with_403_are_exit_4_naming_the_token_variable() {
    let peer = Peer::start();
    peer.seed(2);
    let desk = Desk::new(&peer);
    peer.refuse_next(1, 403, Some("GET"));
    let out = desk.sync();
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(
        out.stderr
            .contains("the FHIR server refused our credentials (HTTP 403)"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(support::peer::TOKEN_ENV),
        "{}",
        out.stderr
    );
    assert!(desk.tasks().is_empty(), "nothing was pulled");
    // Fixed (here: the refusal was a one-off), the next sync completes.
    assert_eq!(desk.sync_ok().pulled, 2);
}

#[test]
fn a_search_the_server_answers_404_is_exit_4() {
    let peer = Peer::start();
    peer.seed(2);
    let desk = Desk::new(&peer);
    peer.refuse_next(1, 404, Some("GET"));
    let out = desk.sync();
    assert_eq!(
        out.code,
        Some(4),
        "a wrong base URL needs a person: {out:?}"
    );
    assert!(out.stderr.contains("(HTTP 404)"), "{}", out.stderr);
    assert!(desk.tasks().is_empty());
}

#[test]
fn an_update_of_a_task_the_server_no_longer_has_is_exit_4_and_the_change_kept() {
    let peer = Peer::start();
    let ids = peer.seed(2);
    let desk = Desk::new(&peer);
    desk.sync_ok();
    let local = local_id(&desk, &ids[0]);
    desk.run_ok(&["reject", &local]);
    peer.refuse_next(1, 404, Some("PUT"));
    let out = desk.sync();
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(
        out.stderr
            .contains("the server has no such task (deleted, or another server)"),
        "{}",
        out.stderr
    );
    let id: i64 = local.parse().expect("an id");
    let entry = &desk.store().outbox_entries(id).expect("outbox")[0];
    assert_eq!(
        (entry.state.as_str(), entry.attempts),
        ("pending", 1),
        "kept to retry after its wait"
    );
    assert_eq!(peer.read_task(&ids[0])["status"], "requested");
}

#[test]
fn a_mirror_that_is_not_a_database_is_exit_1_and_nothing_is_asked_of_the_server() {
    let peer = Peer::start();
    peer.seed(1);
    let desk = Desk::new(&peer);
    std::fs::write(
        desk.db(),
        b"this is not an SQLite database, it is a shopping list",
    )
    .expect("write");
    let mut perms = std::fs::metadata(desk.db()).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
    std::fs::set_permissions(desk.db(), perms).expect("owner only");

    let out = desk.sync();
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains(&desk.db().display().to_string()),
        "the message names the mirror: {}",
        out.stderr
    );
    assert_eq!(peer.requests("GET"), 0);
    assert_eq!(
        std::fs::read(desk.db()).expect("read"),
        b"this is not an SQLite database, it is a shopping list",
        "the file is left as it was"
    );
}

#[test]
fn a_409_answer_is_kept_as_a_conflict_with_both_versions() {
    let peer = Peer::start();
    let ids = peer.seed(2);
    let desk = Desk::new(&peer);
    desk.sync_ok();
    let local = local_id(&desk, &ids[0]);
    desk.run_ok(&["reject", &local]);
    // Another desk assigns the task; this server says so with 409 rather than 412.
    peer.change_task(&ids[0], |t| {
        t["status"] = "accepted".into();
    });
    peer.refuse_next(1, 409, Some("PUT"));

    let out = desk.sync();
    assert_eq!(out.code, Some(0), "a conflict is a normal outcome: {out:?}");
    assert_eq!(out.summary().conflicts, 1, "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "task {local} was changed on the server by someone else as well"
        )) && out
            .stderr
            .contains(&format!("taskgate sync resolve {local} --keep theirs")),
        "{}",
        out.stderr
    );
    let id: i64 = local.parse().expect("an id");
    let conflict = desk
        .store()
        .conflict(id)
        .expect("read")
        .expect("the conflict is kept");
    assert_eq!(conflict.http_status, 409);
    assert_eq!(conflict.theirs["status"], "accepted", "theirs is kept");
    assert_eq!(conflict.ours.len(), 1, "ours waits beside it");
    assert_eq!(peer.read_task(&ids[0])["status"], "accepted");
}

#[test]
fn a_change_that_can_never_be_sent_is_marked_failed_with_the_reason_and_not_retried() {
    let peer = Peer::start();
    peer.seed(1);
    let desk = Desk::new(&peer);
    desk.sync_ok();
    // A task that came from a file export, not from this server: its change has nowhere to go.
    let csv = desk.db().with_file_name("export.csv");
    std::fs::write(
        &csv,
        "source_id,received,provider_ods,provider_name,nhs_number,patient_name,subject,body\n\
         EXP-1,2026-11-18 09:00,RXX01,Northtown Hospital,9990000018,Test Patient,\
         Bloods to repeat,Please repeat the bloods.\n",
    )
    .expect("write the export");
    desk.run_ok(&["import", &csv.display().to_string()]);
    let local = local_id(&desk, "EXP-1");
    desk.run_ok(&["reject", &local]);

    let out = desk.sync();
    assert_eq!(out.code, Some(4), "{out:?}");
    assert!(
        out.stderr.contains(&format!(
            "task {local} did not come from the FHIR server, so its change cannot be sent"
        )),
        "{}",
        out.stderr
    );
    let id: i64 = local.parse().expect("an id");
    let entries = desk.store().outbox_entries(id).expect("outbox");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].state, "failed");
    assert!(
        entries[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("stays in this mirror only")),
        "{:?}",
        entries[0].last_error
    );
    // Failed is final: the next sync neither sends it nor reports it again.
    let again = desk.sync();
    assert_eq!(again.code, Some(0), "{again:?}");
    assert_eq!(peer.requests("PUT"), 0);
    assert_eq!(desk.tasks_by_source_id()["EXP-1"]["status"], "rejected");
}

#[test]
fn purge_with_a_fhir_source_keeps_closed_tasks_whose_change_is_not_confirmed_yet() {
    let peer = Peer::start();
    let ids = peer.seed(2);
    let desk = Desk::new(&peer);
    let at = |when: &str, args: &[&str]| -> String {
        let out = desk
            .cmd()
            .args(["--now", when])
            .args(args)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    at("2026-11-20T09:00:00Z", &["sync"]);
    let (sent, unsent) = (local_id(&desk, &ids[0]), local_id(&desk, &ids[1]));
    at("2026-11-20T10:00:00Z", &["reject", &sent]);
    at("2026-11-20T10:01:00Z", &["sync"]);
    assert_eq!(peer.read_task(&ids[0])["status"], "rejected");
    at("2026-11-20T11:00:00Z", &["reject", &unsent]);

    let purge = ["purge", "--closed-before", "2026-11-23"];
    let out = at("2026-11-25T09:00:00Z", &purge);
    assert!(out.contains("Purged 1 closed task(s)"), "{out}");
    assert!(
        out.contains("Kept 1 closed task(s) whose changes have not been confirmed upstream yet"),
        "{out}"
    );
    let patient = |source_id: &str| desk.tasks_by_source_id()[source_id]["patient"]["name"].clone();
    assert_eq!(patient(&ids[0]), "[purged]");
    assert_ne!(
        patient(&ids[1]),
        "[purged]",
        "the unsent rejection is kept whole"
    );
    let id: i64 = unsent.parse().expect("an id");
    assert_eq!(
        desk.store().outbox_entries(id).expect("outbox")[0].state,
        "pending",
        "and its change still waits to go"
    );

    // Once the server has it, the next purge takes it too.
    at("2026-11-25T09:05:00Z", &["sync"]);
    assert_eq!(peer.read_task(&ids[1])["status"], "rejected");
    let out = at("2026-11-25T09:10:00Z", &purge);
    assert!(out.contains("Purged 1 closed task(s)"), "{out}");
    assert_eq!(patient(&ids[1]), "[purged]");
}

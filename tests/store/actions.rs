//! User actions on the mirror: each writes its change, audit event and outbox entry together
//! or not at all; undo reverses a batch as one; two desks on one file cannot both win.

use taskgate::domain::TaskAction;
use taskgate::store::AuditVerification;

use super::*;

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

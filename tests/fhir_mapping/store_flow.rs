//! The mapping between the real store's outbox and a FHIR server: a Task imported into a mirror
//! on disk, staff actions through the store, each outbox payload read back and applied to the
//! stored raw resource, and the result checked by the R4 validators and by reading it back in.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};
use taskgate::domain::Status;
use taskgate::fhir::PushChange;
use taskgate::store::{Actor, NewLetter, Store, Target};
use tempfile::TempDir;

use super::{assert_valid_r4, fixture, map, push};

struct Mirror {
    _dir: TempDir,
    store: Store,
}

fn mirror_with_rich_task() -> Mirror {
    let dir = TempDir::new().expect("temp dir");
    let mut store = Store::open(&dir.path().join("mirror.db")).expect("store opens");
    let task = map(&fixture("task-rich.json")).expect("maps");
    let now = Utc
        .with_ymd_and_hms(2026, 3, 3, 9, 0, 0)
        .single()
        .expect("time");
    let summary = store
        .insert_tasks([task], "fhir", "sync", now)
        .expect("inserted");
    assert_eq!(summary.inserted, 1);
    Mirror { _dir: dir, store }
}

/// The one task's newest outbox payload and the raw resource the store kept for it.
fn last_payload_and_raw(store: &Store) -> (Value, Value) {
    let entries = store.outbox_entries(1).expect("outbox");
    let payload = entries.last().expect("an outbox entry").payload.clone();
    let raw = store
        .source_raw(1)
        .expect("raw")
        .expect("the import kept the resource");
    (payload, serde_json::from_str(&raw).expect("raw is JSON"))
}

#[test]
fn each_store_action_becomes_a_valid_put_body() {
    let Mirror { _dir, mut store } = mirror_with_rich_task();
    let task = store.task(1).expect("read").expect("task 1");
    assert_eq!(task.source_id, "tsk-0001");
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 3, 10, 0, 0)
        .single()
        .expect("time");
    let jo = |minutes| Actor {
        id: "jo",
        now: t0 + Duration::minutes(minutes),
    };
    let target = |store: &Store| {
        let task = store.task(1).expect("read").expect("task");
        [Target {
            id: 1,
            row_version: task.row_version,
        }]
    };

    let mut sent = Vec::new();
    store
        .assign(&jo(0), &target(&store), "aclarke", Some("Over to Alex"))
        .expect("assign");
    let (payload, raw) = last_payload_and_raw(&store);
    let change = PushChange::from_payload(&payload).expect("payload reads");
    assert_eq!(change.action, "assign");
    assert_eq!(change.status, Status::Assigned);
    assert_eq!(change.owner.as_deref(), Some("aclarke"));
    assert_eq!(
        change.note.as_ref().map(|n| n.text.as_str()),
        Some("Over to Alex")
    );
    assert_eq!(change.note.as_ref().map(|n| n.author.as_str()), Some("jo"));
    let assigned = push(&raw, &change);
    assert_eq!(assigned["status"], "accepted");
    assert_eq!(
        assigned["owner"],
        json!({ "reference": "Practitioner/aclarke" })
    );
    assert_eq!(assigned["note"][1]["text"], "Over to Alex");
    sent.push(assigned);

    let letter = NewLetter {
        template: "reject-standard".into(),
        body: "Dear colleague,\nWe cannot accept this request.".into(),
    };
    store
        .reject_with_letter(&jo(5), &[(target(&store)[0], letter)])
        .expect("reject");
    let (payload, _) = last_payload_and_raw(&store);
    let change = PushChange::from_payload(&payload).expect("payload reads");
    assert_eq!(change.at, t0 + Duration::minutes(5));
    let letter = change.letter.as_ref().expect("the letter travels");
    assert_eq!(letter.template, "reject-standard");
    // Applied to what the server returned for the assignment, as sync would.
    let rejected = push(&sent[0], &change);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(
        rejected["owner"],
        json!({ "reference": "Practitioner/aclarke" })
    );
    assert_eq!(
        rejected["output"][0]["valueString"],
        "Dear colleague,\nWe cannot accept this request."
    );
    assert_eq!(rejected["executionPeriod"]["start"], "2026-03-03T10:00:00Z");
    assert_eq!(rejected["executionPeriod"]["end"], "2026-03-03T10:05:00Z");
    let back = map(&rejected).expect("maps back");
    assert_eq!(
        (back.status, back.owner.as_deref()),
        (Status::Rejected, Some("aclarke"))
    );
    sent.push(rejected);

    store
        .add_note(&jo(9), &target(&store), "Letter posted")
        .expect("note");
    let (payload, _) = last_payload_and_raw(&store);
    let change = PushChange::from_payload(&payload).expect("payload reads");
    let noted = push(&sent[1], &change);
    assert_eq!(noted["status"], "rejected");
    assert_eq!(noted["note"].as_array().map(Vec::len), Some(3));
    sent.push(noted);

    assert_valid_r4(&sent);
}

/// A change to a good payload that breaks one key.
type PayloadEdit = fn(&mut Value);

#[test]
fn a_bad_payload_names_the_key() {
    let good = json!({
        "action": "reject", "by": "jo", "at": "2026-03-03T10:00:00Z", "status": "rejected",
        "owner": null, "note": null, "letter": { "template": "t", "body": "b" },
    });
    assert!(PushChange::from_payload(&good).is_ok());
    let cases: [(&str, PayloadEdit); 9] = [
        ("action", |p| {
            drop(p.as_object_mut().map(|m| m.remove("action")));
        }),
        ("action", |p| p["action"] = "shred".into()),
        ("by", |p| p["by"] = "".into()),
        ("at", |p| p["at"] = "tomorrow".into()),
        ("status", |p| p["status"] = "pending".into()),
        ("owner", |p| p["owner"] = json!(42)),
        ("note", |p| p["note"] = json!({ "text": "x" })),
        ("letter.body", |p| {
            drop(p["letter"].as_object_mut().map(|m| m.remove("body")));
        }),
        ("letter", |p| p["letter"] = "Dear colleague".into()),
    ];
    for (key, edit) in cases {
        let mut payload = good.clone();
        edit(&mut payload);
        let err = PushChange::from_payload(&payload).expect_err(key);
        assert_eq!(err.field, key, "{err}");
    }
    let err = PushChange::from_payload(&json!(null)).expect_err("null");
    assert_eq!(err.to_string(), "resource: expected a JSON object");
}

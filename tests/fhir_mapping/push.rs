//! Mirror -> FHIR: each local status and owner written back, the rejection's reason, business
//! status and letter, notes appended, the execution period and lastModified, and every field
//! taskgate does not own coming back equal. Everything we would send passes the R4 validators.

use serde_json::{Value, json};
use taskgate::domain::Status;
use taskgate::fhir::{
    BUSINESS_STATUS_SYSTEM, MapContext, ODS_SYSTEM, STATUS_REASON_SYSTEM, resource_for_push,
};

use super::{
    PRACTICE, assert_valid_r4, change, edited, fixture, map, push, utc, with_letter, with_note,
};

/// The fields `resource_for_push` may change; every other one must come back equal.
const OWNED: [&str; 8] = [
    "status",
    "owner",
    "statusReason",
    "businessStatus",
    "note",
    "output",
    "executionPeriod",
    "lastModified",
];

fn assigned_to_clarke() -> Value {
    edited(&fixture("task-rich.json"), |t| {
        t.insert("status".into(), "in-progress".into());
        t.insert(
            "owner".into(),
            json!({ "reference": "Practitioner/aclarke", "display": "Alex Clarke" }),
        );
    })
}

fn addressed_to_dr_smith() -> Value {
    edited(&fixture("task-rich.json"), |t| {
        t.insert(
            "owner".into(),
            json!({ "reference": "Practitioner/drsmith", "display": "Dr Smith" }),
        );
    })
}

#[test]
fn every_local_status_and_owner_is_written_back() {
    let new = fixture("task-rich.json");
    let practice = json!({
        "reference": format!("Organization/{PRACTICE}"),
        "identifier": { "system": ODS_SYSTEM, "value": PRACTICE },
    });
    let rows = [
        (
            new.clone(),
            change("assign", Status::Assigned, Some("aclarke")),
            "accepted",
            json!({ "reference": "Practitioner/aclarke" }),
        ),
        (
            new.clone(),
            change("assign", Status::Assigned, Some("reception")),
            "accepted",
            json!({ "reference": "CareTeam/reception" }),
        ),
        (
            assigned_to_clarke(),
            change("unassign", Status::New, None),
            "received",
            practice.clone(),
        ),
        (
            new.clone(),
            change("complete", Status::Completed, None),
            "completed",
            new["owner"].clone(),
        ),
        (
            new.clone(),
            change("reject", Status::Rejected, None),
            "rejected",
            new["owner"].clone(),
        ),
        (
            new.clone(),
            change("cancel", Status::Cancelled, None),
            "cancelled",
            new["owner"].clone(),
        ),
        // Reassigning keeps the status wording the server had only if status did not move.
        (
            assigned_to_clarke(),
            change("assign", Status::Assigned, Some("bpatel")),
            "in-progress",
            json!({ "reference": "Practitioner/bpatel" }),
        ),
        // An owner reference already naming the holder is kept as the sender wrote it.
        (
            assigned_to_clarke(),
            change("complete", Status::Completed, Some("aclarke")),
            "completed",
            assigned_to_clarke()["owner"].clone(),
        ),
    ];
    let mut sent = Vec::new();
    for (raw, c, status, owner) in rows {
        let out = push(&raw, &c);
        let row = format!("{} {:?} {:?}", c.action, c.status, c.owner);
        assert_eq!(out["status"], status, "{row}");
        assert_eq!(out["owner"], owner, "{row}");
        // What we send reads back as the change we made.
        let back = map(&out).expect("pushed resource maps back");
        assert_eq!(
            (back.status, back.owner),
            (c.status, c.owner.clone()),
            "{row}"
        );
        sent.push(out);
    }
    assert_valid_r4(&sent);
}

#[test]
fn a_rejection_records_why_and_the_letter() {
    let raw = fixture("task-rich.json");
    let c = with_letter(
        change("reject", Status::Rejected, None),
        "Dear colleague, ...",
    );
    let out = push(&raw, &c);
    assert_eq!(out["status"], "rejected");
    assert_eq!(
        out["statusReason"]["text"],
        "Rejected under the LMC tasking guidance: letter sent"
    );
    assert_eq!(
        out["statusReason"]["coding"][0]["system"],
        STATUS_REASON_SYSTEM
    );
    assert_eq!(
        out["businessStatus"]["coding"][0]["code"],
        "rejection-letter-sent"
    );
    assert_eq!(
        out["businessStatus"]["coding"][0]["system"],
        BUSINESS_STATUS_SYSTEM
    );
    let outputs = out["output"].as_array().expect("output");
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0]["valueString"], "Dear colleague, ...");
    assert_eq!(outputs[0]["type"]["text"], "letter");
    assert_eq!(outputs[0]["type"]["coding"][0]["code"], "reject-standard");
    assert_eq!(out["executionPeriod"]["start"], "2026-03-03T10:00:00Z");
    assert_eq!(out["executionPeriod"]["end"], "2026-03-03T10:00:00Z");
    assert_eq!(out["lastModified"], "2026-03-03T10:00:00Z");

    // Undo back to new, applied to the rejected resource as the server returned it.
    let mut back = change("undo", Status::New, None);
    back.at = utc("2026-03-03T10:05:00Z");
    let reopened = push(&out, &back);
    assert_eq!(reopened["status"], "received");
    assert!(reopened.get("statusReason").is_none());
    assert!(reopened.get("businessStatus").is_none());
    assert_eq!(
        reopened["output"], out["output"],
        "the letter stays on record"
    );
    assert_eq!(
        reopened["executionPeriod"],
        json!({ "start": "2026-03-03T10:00:00Z" })
    );
    assert_eq!(reopened["lastModified"], "2026-03-03T10:05:00Z");
    assert_valid_r4(&[out, reopened]);
}

#[test]
fn someone_elses_reasons_survive_an_undo() {
    let raw = edited(&fixture("task-rich.json"), |t| {
        t.insert("status".into(), "accepted".into());
        t.insert(
            "owner".into(),
            json!({ "reference": "Practitioner/aclarke" }),
        );
        t.insert(
            "businessStatus".into(),
            json!({ "text": "awaiting bloods" }),
        );
    });
    let out = push(&raw, &change("unassign", Status::New, None));
    assert_eq!(out["businessStatus"], json!({ "text": "awaiting bloods" }));
}

#[test]
fn a_note_is_appended_and_changes_nothing_else_of_the_senders() {
    let raw = addressed_to_dr_smith();
    let c = with_note(change("note", Status::New, None), "Phoned the DN team");
    let out = push(&raw, &c);
    assert_eq!(
        out["status"], "requested",
        "a note does not move the status"
    );
    assert_eq!(out["owner"], raw["owner"], "nor who the sender addressed");
    let notes = out["note"].as_array().expect("notes");
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[0], raw["note"][0], "existing notes are never touched");
    assert_eq!(
        notes[1],
        json!({ "authorString": "jo", "time": "2026-03-03T10:00:00Z", "text": "Phoned the DN team" })
    );
    // Sending the same change again (a retry) does not record the note twice.
    let again = push(&out, &c);
    assert_eq!(again["note"].as_array().map(Vec::len), Some(2));
    assert_valid_r4(&[out]);
}

#[test]
fn rejecting_an_addressed_task_returns_it_to_the_practice() {
    let out = push(
        &addressed_to_dr_smith(),
        &with_letter(change("reject", Status::Rejected, None), "Dear colleague"),
    );
    assert_eq!(
        out["owner"]["reference"],
        format!("Organization/{PRACTICE}")
    );
    let back = map(&out).expect("maps back");
    assert_eq!((back.status, back.owner), (Status::Rejected, None));
}

#[test]
fn last_modified_never_precedes_authored_on() {
    let mut c = change("assign", Status::Assigned, Some("aclarke"));
    c.at = utc("2026-03-01T08:00:00Z"); // a desk clock a day slow
    let out = push(&fixture("task-rich.json"), &c);
    assert_eq!(out["lastModified"], "2026-03-02T09:30:00Z");
    assert_eq!(out["executionPeriod"]["start"], "2026-03-02T09:30:00Z");
}

#[test]
fn an_existing_execution_start_is_kept() {
    let raw = edited(&assigned_to_clarke(), |t| {
        t.insert(
            "executionPeriod".into(),
            json!({ "start": "2026-03-02T11:00:00+00:00" }),
        );
    });
    let out = push(
        &raw,
        &change("complete", Status::Completed, Some("aclarke")),
    );
    assert_eq!(
        out["executionPeriod"],
        json!({ "start": "2026-03-02T11:00:00+00:00", "end": "2026-03-03T10:00:00Z" })
    );
}

#[test]
fn every_field_taskgate_does_not_own_comes_back_equal() {
    let original = fixture("task-rich.json");
    // Through the mirror: what write-back starts from is the raw text the import stored.
    let stored = map(&original).expect("maps").raw.expect("raw");
    let raw: Value = serde_json::from_str(&stored).expect("stored raw is JSON");
    let changes = [
        change("assign", Status::Assigned, Some("aclarke")),
        with_letter(change("reject", Status::Rejected, None), "Dear colleague"),
        with_note(change("note", Status::New, None), "note"),
    ];
    for c in changes {
        let out = push(&raw, &c);
        let (before, after) = (
            original.as_object().expect("object"),
            out.as_object().expect("object"),
        );
        for (key, value) in before {
            if !OWNED.contains(&key.as_str()) {
                assert_eq!(after.get(key), Some(value), "{key} after {}", c.action);
            }
        }
        for key in after.keys() {
            assert!(
                before.contains_key(key) || OWNED.contains(&key.as_str()),
                "{key} appeared"
            );
        }
        // Spot-check the unknown and nested parts a careless serde type would drop.
        for key in [
            "_priority",
            "contained",
            "extension",
            "identifier",
            "meta",
            "input",
        ] {
            assert_eq!(out[key], original[key], "{key}");
        }
    }
}

#[test]
fn a_raw_that_is_not_a_task_is_refused_naming_the_field() {
    let ctx = MapContext::new(PRACTICE);
    let c = change("assign", Status::Assigned, Some("aclarke"));
    let err = resource_for_push(&json!([1, 2]), &c, &ctx).expect_err("not a task");
    assert_eq!(err.field, "resource");
    let patient = json!({ "resourceType": "Patient", "id": "p" });
    let err = resource_for_push(&patient, &c, &ctx).expect_err("not a task");
    assert_eq!(err.field, "resourceType");
    let bad_notes = edited(&fixture("task-rich.json"), |t| {
        t.insert("note".into(), json!({ "text": "one" }));
    });
    let err = resource_for_push(&bad_notes, &with_note(c, "x"), &ctx).expect_err("bad note");
    assert_eq!(err.to_string(), "note: expected a JSON array");
}

#[test]
#[should_panic(expected = "R4 validators refused")]
fn the_validator_check_refuses_what_r4_does_not_allow() {
    // Guards the guard: the checks above mean something only if this one fails.
    let out = edited(&fixture("task-minimal.json"), |t| {
        t.insert("status".into(), "done".into());
        t.insert("lastModified".into(), "yesterday".into());
    });
    assert_valid_r4(&[out]);
}

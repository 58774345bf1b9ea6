//! The FHIR R4 Task mapping as import and sync use it: every status and owner row both ways,
//! errors that name the field, the patient read from `for` or a contained Patient, write-back
//! that keeps every field taskgate does not own, outbox payloads written by the real store, the
//! R4 validators on what we send, and arbitrary input that must never panic.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use support::peer::Peer;
use taskgate::domain::{IncomingTask, Status};
use taskgate::fhir::{
    LetterOut, MapContext, MappingError, NoteOut, PushChange, incoming_from_resource,
    resource_for_push,
};

mod support;

#[path = "fhir_mapping/incoming.rs"]
mod incoming;
#[path = "fhir_mapping/properties.rs"]
mod properties;
#[path = "fhir_mapping/push.rs"]
mod push;
#[path = "fhir_mapping/store_flow.rs"]
mod store_flow;

/// The practice's ODS code in every fixture (`owner = Organization/Y99999`).
pub const PRACTICE: &str = "Y99999";

pub fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path).expect("fixture file");
    serde_json::from_str(&text).expect("fixture is JSON")
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fhir")
}

/// The practice's groups: `reception` is a CareTeam, every other owner id is staff.
pub fn groups() -> Vec<String> {
    vec!["reception".to_owned()]
}

pub fn map(resource: &Value) -> Result<IncomingTask, MappingError> {
    incoming_from_resource(resource, &MapContext::new(PRACTICE))
}

pub fn push(raw: &Value, change: &PushChange) -> Value {
    let groups = groups();
    let ctx = MapContext::new(PRACTICE).with_groups(&groups);
    resource_for_push(raw, change, &ctx).expect("a stored Task takes the change")
}

/// `resource` with its top-level object edited.
pub fn edited(resource: &Value, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut out = resource.clone();
    edit(out.as_object_mut().expect("a resource is an object"));
    out
}

pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test instant")
        .with_timezone(&Utc)
}

/// A change by `jo` at 2026-03-03 10:00 UTC.
pub fn change(action: &str, status: Status, owner: Option<&str>) -> PushChange {
    PushChange {
        action: action.to_owned(),
        by: "jo".to_owned(),
        at: utc("2026-03-03T10:00:00Z"),
        status,
        owner: owner.map(str::to_owned),
        note: None,
        letter: None,
    }
}

pub fn with_note(mut c: PushChange, text: &str) -> PushChange {
    c.note = Some(NoteOut {
        author: c.by.clone(),
        at: c.at,
        text: text.to_owned(),
    });
    c
}

pub fn with_letter(mut c: PushChange, body: &str) -> PushChange {
    c.letter = Some(LetterOut {
        template: "reject-standard".to_owned(),
        body: body.to_owned(),
    });
    c
}

/// Runs both R4 validators of the FHIR test peer (the npm `fhir` package and Medplum's
/// `validateResource`) over `resources` in one collection Bundle (one node start instead of
/// one per resource), and fails listing every problem they report.
pub fn assert_valid_r4(resources: &[Value]) {
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": resources.iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>(),
    });
    if let Err(problems) = Peer::validate(&bundle) {
        panic!("R4 validators refused what taskgate would send:\n{problems}");
    }
}

//! The FHIR R4 Task mapping as import and sync use it: every status and owner row both ways,
//! errors that name the field, the patient read from `for` or a contained Patient, write-back
//! that keeps every field taskgate does not own, outbox payloads written by the real store, the
//! R4 validators on what we send, and arbitrary input that must never panic.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use taskgate::domain::{IncomingTask, Status};
use taskgate::fhir::{
    LetterOut, MapContext, MappingError, NoteOut, PushChange, incoming_from_resource,
    resource_for_push,
};

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
/// `validateResource`) over `resources` in one collection Bundle, and fails listing every
/// problem they report.
pub fn assert_valid_r4(resources: &[Value]) {
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fhir-peer");
    install_peer_packages(&peer);
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": resources.iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>(),
    });
    let mut child = Command::new("node")
        .arg("validate.mjs")
        .current_dir(&peer)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs (the FHIR validators need Node 20)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bundle.to_string().as_bytes())
        .expect("validator reads the bundle");
    let out = child.wait_with_output().expect("validator finishes");
    assert!(
        out.status.success(),
        "R4 validators refused what taskgate would send:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The peer's packages come from the npm registry, pinned by its lockfile.
fn install_peer_packages(peer: &Path) {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if peer.join("node_modules/fhir").exists() && peer.join("node_modules/@medplum/core").exists() {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(peer)
        .status()
        .expect("npm runs");
    assert!(status.success(), "npm ci in tests/fhir-peer failed");
}

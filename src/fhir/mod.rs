//! HL7 FHIR R4 `Task`, as taskgate reads and writes it. Hand-written serde types for the subset
//! we use (domain.md, "HL7 FHIR R4 Task"); the mapping both ways between a FHIR Task and the
//! mirror's task. Write-back patches the resource as the server gave it, so every field taskgate
//! does not own comes back intact.
//!
//! CONTRACT (fixed so import and sync can be written against it; the bodies are being written):
//! - `incoming_from_resource` maps one Task resource to an `IncomingTask`, with `raw` set to the
//!   resource's JSON. Errors name the FHIR field (`for.identifier`, `authoredOn`, ...).
//! - `PushChange::from_payload` reads an outbox entry's payload (see store/actions.rs).
//! - `resource_for_push` applies a change to the stored raw resource and returns the body of the
//!   `PUT Task/<id>`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::{IncomingTask, Status};

/// The identifier system of ODS organisation codes.
pub const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// The identifier system of NHS numbers.
pub const NHS_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// What a mapping needs to know about the practice.
#[derive(Debug, Clone, Copy)]
pub struct MapContext<'a> {
    /// The practice's ODS code: `owner = Organization/<ods>` (or absent) means unassigned.
    pub practice_ods: &'a str,
}

/// A resource that cannot be mapped: which field, and why. Never carries a patient identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct MappingError {
    pub field: String,
    pub reason: String,
}

/// A note to append (`Task.note`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteOut {
    pub author: String,
    pub at: DateTime<Utc>,
    pub text: String,
}

/// A letter to record (`Task.output`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterOut {
    pub template: String,
    pub body: String,
}

/// One local change to send upstream, as the outbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushChange {
    /// The local action: `assign`, `unassign`, `reject`, `complete`, `note`, `undo`.
    pub action: String,
    pub by: String,
    pub at: DateTime<Utc>,
    pub status: Status,
    /// Staff or group id, `None` when unassigned.
    pub owner: Option<String>,
    pub note: Option<NoteOut>,
    pub letter: Option<LetterOut>,
}

impl PushChange {
    /// Reads an outbox payload (`{"action","by","at","status","owner","note","letter"}`).
    pub fn from_payload(payload: &Value) -> Result<PushChange, MappingError> {
        let _ = payload;
        todo!("being written")
    }
}

/// Maps one FHIR Task resource into the mirror's shape.
pub fn incoming_from_resource(
    resource: &Value,
    ctx: &MapContext<'_>,
) -> Result<IncomingTask, MappingError> {
    let _ = (resource, ctx);
    todo!("being written")
}

/// Applies `change` to the resource as last seen from the server and returns the `PUT` body.
pub fn resource_for_push(
    raw: &Value,
    change: &PushChange,
    ctx: &MapContext<'_>,
) -> Result<Value, MappingError> {
    let _ = (raw, change, ctx);
    todo!("being written")
}

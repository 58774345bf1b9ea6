//! HL7 FHIR R4 `Task`, as taskgate reads and writes it: the mapping both ways between a FHIR
//! Task and the mirror's task. Reading walks the resource's JSON field by field so every error
//! names the FHIR path (`for.identifier`, `authoredOn`, `input[2].valueString`) and never quotes
//! a value that could identify a patient. Write-back patches the resource as the server gave it,
//! so every field taskgate does not own (extensions, identifiers, `meta`, `contained`, anything
//! we have never heard of) goes back byte-for-byte equal.
//!
//! CONTRACT (import and sync are written against it):
//! - `incoming_from_resource` maps one Task resource to an `IncomingTask`, with `raw` set to the
//!   resource's JSON. Errors name the FHIR field.
//! - `PushChange::from_payload` reads an outbox entry's payload (see store/actions.rs); errors
//!   name the payload key.
//! - `resource_for_push` applies a change to the stored raw resource and returns the body of the
//!   `PUT Task/<id>`. `MapContext::group_ids` says which local owner ids are groups (`CareTeam`);
//!   every other owner id is a member of staff (`Practitioner`).
//!
//! In (FHIR -> mirror):
//!
//! | FHIR                                   | mirror                                             |
//! |----------------------------------------|----------------------------------------------------|
//! | `resourceType`                         | must be `Task`                                     |
//! | `id`                                   | `source_id` (required; a FHIR id, as it goes in the PUT URL) |
//! | `meta.versionId`                       | `source_version`                                   |
//! | `status` + `owner`                     | `status`, `owner`, `addressed_to` (table below)    |
//! | `priority`                             | `priority`; absent = routine; unknown = error      |
//! | `authoredOn`, else `meta.lastUpdated`  | `received_at`; both absent = error                 |
//! | `restriction.period.end`               | `due_by` (a bare date = the end of that day, UK time) |
//! | `requester.identifier` (ODS system), else `requester.reference` `Organization/<ODS>` | `provider_ods`; neither = error |
//! | `requester.display`                    | `provider_name` (else the ODS code)                |
//! | `for.identifier` (NHS system), else a contained Patient's | `patient.nhs_number`; fails Modulus 11 = kept as absent, logged without the number |
//! | `for.display`, else the contained Patient's name | `patient.name`                          |
//! | contained Patient `birthDate`          | `patient.birth_date`                               |
//! | `code.text`, else `code.coding[0].display`, else the description's first line (80 chars) | `subject` |
//! | `description` and each `input[].valueString`, blank-line separated | `body`                 |
//! | extension `SENDER_TEAM_EXTENSION` `valueString` | `sender_team` (FHIR has no element for the team) |
//! | the whole resource                     | `raw`                                              |
//!
//! Owner: absent or the practice (`Organization/<practice_ods>` by reference or by ODS
//! identifier) = unassigned; a Practitioner, PractitionerRole, CareTeam or HealthcareService =
//! the local id that is the reference's id part (`Practitioner/aclarke` -> `aclarke`); another
//! organisation or any other resource type = error.
//!
//! | FHIR status                               | mirror status                                |
//! |-------------------------------------------|----------------------------------------------|
//! | draft, requested, received, ready         | new; a person owner becomes `addressed_to`   |
//! | accepted, in-progress, on-hold            | assigned (new when the practice holds it)    |
//! | rejected / completed                      | rejected / completed                         |
//! | cancelled, entered-in-error, failed       | cancelled                                    |
//!
//! Out (`resource_for_push`), changing only: `status` (new -> received, assigned -> accepted,
//! rejected, completed, cancelled) and `owner` (unassigned -> the practice Organization with its
//! ODS identifier; a group -> `CareTeam/<id>`; staff -> `Practitioner/<id>`), both only when the
//! change moves status or owner and an owner reference already naming the holder is kept;
//! `statusReason` and `businessStatus` (`rejection-letter-sent`) on reject, removed when a
//! rejection is undone; `note` (an Annotation appended); `output` (the letter appended);
//! `executionPeriod.start` (first action) and `.end` (closed; removed on reopening);
//! `lastModified` (the change's time, never before `authoredOn`). `meta` is sent as received:
//! servers own `versionId` and `lastUpdated` and ignore them on update (Medplum's repository
//! deletes both from the body and assigns its own), while `meta.tag` and `meta.profile` must
//! survive.

mod datetime;
mod incoming;
mod node;
mod owner;
mod patient;
mod payload;
mod push;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use payload::PUSH_ACTIONS;

use crate::domain::{IncomingTask, Status};

/// The identifier system of ODS organisation codes.
pub const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// The identifier system of NHS numbers.
pub const NHS_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
/// taskgate's extension carrying the team inside the sending organisation (`valueString`).
pub const SENDER_TEAM_EXTENSION: &str =
    "https://taskgate.example/fhir/StructureDefinition/sender-team";
/// taskgate's code system for `Task.statusReason` on a rejection.
pub const STATUS_REASON_SYSTEM: &str = "https://taskgate.example/fhir/CodeSystem/status-reason";
/// taskgate's code system for `Task.businessStatus` (`rejection-letter-sent`).
pub const BUSINESS_STATUS_SYSTEM: &str = "https://taskgate.example/fhir/CodeSystem/business-status";
/// taskgate's code system naming the letter template in `Task.output[].type`.
pub const LETTER_TEMPLATE_SYSTEM: &str = "https://taskgate.example/fhir/CodeSystem/letter-template";

/// What a mapping needs to know about the practice.
#[derive(Debug, Clone, Copy, Default)]
pub struct MapContext<'a> {
    /// The practice's ODS code: `owner = Organization/<ods>` (or absent) means unassigned.
    pub practice_ods: &'a str,
    /// Local ids that are groups, written as `CareTeam/<id>`; any other owner id is staff,
    /// written as `Practitioner/<id>`. Reading needs none of this: the reference says.
    pub group_ids: &'a [String],
}

impl<'a> MapContext<'a> {
    /// A context with no groups: enough for reading, and for pushing to staff or the inbox.
    pub fn new(practice_ods: &'a str) -> Self {
        MapContext {
            practice_ods,
            group_ids: &[],
        }
    }

    /// The same context, with the ids of the practice's groups.
    #[must_use]
    pub fn with_groups(self, group_ids: &'a [String]) -> Self {
        MapContext { group_ids, ..self }
    }
}

/// A resource that cannot be mapped: which field, and why. Never carries a patient identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct MappingError {
    pub field: String,
    pub reason: String,
}

impl MappingError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        MappingError {
            field: field.into(),
            reason: reason.into(),
        }
    }
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
    /// Reads an outbox payload (`{"action","by","at","status","owner","note","letter"}`); the
    /// note's author and time are the payload's `by` and `at`.
    pub fn from_payload(payload: &Value) -> Result<PushChange, MappingError> {
        payload::from_payload(payload)
    }
}

/// Maps one FHIR Task resource into the mirror's shape.
pub fn incoming_from_resource(
    resource: &Value,
    ctx: &MapContext<'_>,
) -> Result<IncomingTask, MappingError> {
    incoming::incoming_from_resource(resource, ctx)
}

/// Applies `change` to the resource as last seen from the server and returns the `PUT` body.
pub fn resource_for_push(
    raw: &Value,
    change: &PushChange,
    ctx: &MapContext<'_>,
) -> Result<Value, MappingError> {
    push::resource_for_push(raw, change, ctx)
}

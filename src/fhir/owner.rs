//! `Task.owner` and `Task.status` against the mirror's owner and status, both ways. Who holds
//! a task is read from the reference: the practice Organization (or no owner) is the unassigned
//! inbox; a Practitioner, PractitionerRole, CareTeam or HealthcareService holds it under the
//! local id that is the reference's id part (staff are Practitioner, groups are CareTeam).

use serde_json::{Value, json};

use super::node::{Node, quoted_code};
use super::{MapContext, MappingError, ODS_SYSTEM};
use crate::domain::Status;

/// Resource types that can hold a task inside the practice.
const HOLDER_TYPES: [&str; 4] = [
    "Practitioner",
    "PractitionerRole",
    "CareTeam",
    "HealthcareService",
];

/// Who `Task.owner` says holds the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Holder {
    /// The practice's unassigned inbox (no owner, or the practice Organization).
    Practice,
    /// A person or team, by local id, with the display the sender gave.
    Local { id: String, display: Option<String> },
}

/// Splits a literal reference into type and id: `Practitioner/aclarke`, an absolute
/// `https://host/fhir/R4/Practitioner/aclarke`, either with a `/_history/n` tail.
pub(super) fn reference_parts(reference: &str) -> Option<(&str, &str)> {
    let reference = reference
        .split_once("/_history/")
        .map_or(reference, |(head, _)| head);
    let mut parts = reference.rsplit('/');
    let id = parts.next()?;
    let kind = parts.next()?;
    let is_type = kind.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && kind.chars().all(|c| c.is_ascii_alphabetic());
    (is_type && !id.is_empty()).then_some((kind, id))
}

/// The ODS code in a Reference's `identifier`, if it carries one.
pub(super) fn ods_identifier<'v>(reference: &Node<'v>) -> Result<Option<&'v str>, MappingError> {
    let Some(identifier) = reference.get("identifier")? else {
        return Ok(None);
    };
    if identifier.text_at(&["system"])? != Some(ODS_SYSTEM) {
        return Ok(None);
    }
    identifier.text_at(&["value"])
}

/// Reads `Task.owner`.
pub(super) fn read_holder(task: &Node<'_>, ctx: &MapContext<'_>) -> Result<Holder, MappingError> {
    let Some(owner) = task.get("owner")? else {
        return Ok(Holder::Practice);
    };
    let is_practice = |ods: &str| ods.eq_ignore_ascii_case(ctx.practice_ods);
    if let Some(ods) = ods_identifier(&owner)? {
        return if is_practice(ods) {
            Ok(Holder::Practice)
        } else {
            Err(owner.error("an organisation other than this practice holds the task"))
        };
    }
    let Some(reference) = owner.get("reference")? else {
        return Err(MappingError::new(
            "owner.reference",
            "missing (an owner needs a reference or the practice's ODS identifier)",
        ));
    };
    let text = reference.str()?;
    let Some((kind, id)) = reference_parts(text) else {
        return Err(reference.error("expected a reference of the form Type/id"));
    };
    if kind == "Organization" {
        return if is_practice(id) {
            Ok(Holder::Practice)
        } else {
            Err(owner.error("an organisation other than this practice holds the task"))
        };
    }
    if !HOLDER_TYPES.contains(&kind) {
        return Err(reference.error(format!(
            "a {} cannot hold a task (expected Practitioner, PractitionerRole, CareTeam, \
             HealthcareService or the practice Organization)",
            quoted_code(kind)
        )));
    }
    Ok(Holder::Local {
        id: id.to_owned(),
        display: owner.text_at(&["display"])?.map(str::to_owned),
    })
}

/// The mirror's view of a FHIR status and holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LocalState {
    pub status: Status,
    pub owner: Option<String>,
    /// The named person a sender addressed on a task not yet accepted.
    pub addressed_to: Option<String>,
}

/// FHIR `Task.status` with the holder, as the mirror shows them.
pub(super) fn local_state(status: &Node<'_>, holder: Holder) -> Result<LocalState, MappingError> {
    let code = status.str()?;
    let (id, display) = match holder {
        Holder::Practice => (None, None),
        Holder::Local { id, display } => (Some(id), display),
    };
    let state = match code {
        // Not yet accepted: a person owner is the sender addressing a named clinician, which
        // the practice must still triage from its unassigned inbox.
        "draft" | "requested" | "received" | "ready" => LocalState {
            status: Status::New,
            addressed_to: display.or_else(|| id.clone()),
            owner: None,
        },
        "accepted" | "in-progress" | "on-hold" => LocalState {
            status: if id.is_some() {
                Status::Assigned
            } else {
                Status::New
            },
            owner: id,
            addressed_to: None,
        },
        "rejected" => closed(Status::Rejected, id),
        "completed" => closed(Status::Completed, id),
        "cancelled" | "entered-in-error" | "failed" => closed(Status::Cancelled, id),
        other => {
            return Err(status.error(format!(
                "unknown FHIR Task status {} (expected one of draft, requested, received, \
                 accepted, rejected, ready, cancelled, in-progress, on-hold, failed, completed, \
                 entered-in-error)",
                quoted_code(other)
            )));
        }
    };
    Ok(state)
}

fn closed(status: Status, owner: Option<String>) -> LocalState {
    LocalState {
        status,
        owner,
        addressed_to: None,
    }
}

/// The FHIR status taskgate writes for a local status.
pub(super) fn fhir_status(status: Status) -> &'static str {
    match status {
        Status::New => "received",
        Status::Assigned => "accepted",
        Status::Rejected => "rejected",
        Status::Completed => "completed",
        Status::Cancelled => "cancelled",
    }
}

/// The `Task.owner` taskgate writes for a local owner.
pub(super) fn owner_reference(owner: Option<&str>, ctx: &MapContext<'_>) -> Value {
    match owner {
        None => json!({
            "reference": format!("Organization/{}", ctx.practice_ods),
            "identifier": { "system": ODS_SYSTEM, "value": ctx.practice_ods },
        }),
        Some(id) => {
            let kind = if ctx.group_ids.iter().any(|g| g == id) {
                "CareTeam"
            } else {
                "Practitioner"
            };
            json!({ "reference": format!("{kind}/{id}") })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_type_and_id() {
        assert_eq!(
            reference_parts("Practitioner/aclarke"),
            Some(("Practitioner", "aclarke"))
        );
        assert_eq!(
            reference_parts("https://fhir.example/R4/CareTeam/admin/_history/3"),
            Some(("CareTeam", "admin"))
        );
        assert_eq!(reference_parts("#p1"), None);
        assert_eq!(reference_parts("Practitioner/"), None);
        assert_eq!(reference_parts("urn:uuid:1234"), None);
    }
}

//! `Task.for`: the patient, from the reference's NHS number identifier and display, or from a
//! Patient contained in the Task (`for.reference = "#id"`). An NHS number that fails its check
//! is dropped rather than the task: the mirror shows the gap, and staff still see the request.

use chrono::NaiveDate;

use super::node::Node;
use super::{MappingError, NHS_SYSTEM};
use crate::domain::{NhsNumber, Patient};

/// What `Task.for` yields, and whether an NHS number was given but failed its check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PatientRead {
    pub patient: Patient,
    /// The path of an NHS number that was present but invalid (for a warning, not an error).
    pub invalid_nhs_number_at: Option<String>,
}

pub(super) fn read_patient(task: &Node<'_>) -> Result<PatientRead, MappingError> {
    let mut read = PatientRead {
        patient: Patient {
            nhs_number: None,
            name: String::new(),
            birth_date: None,
        },
        invalid_nhs_number_at: None,
    };
    let Some(subject) = task.get("for")? else {
        return Ok(read);
    };
    let contained = contained_patient(task, &subject)?;

    let mut nhs_text = None;
    if let Some(identifier) = subject.get("identifier")? {
        nhs_text = nhs_identifier_value(&identifier)?;
    }
    if nhs_text.is_none()
        && let Some(patient) = &contained
    {
        for identifier in patient.items("identifier")? {
            if let Some(found) = nhs_identifier_value(&identifier)? {
                nhs_text = Some(found);
                break;
            }
        }
    }
    if let Some((text, path)) = nhs_text {
        match NhsNumber::parse(text) {
            Ok(number) => read.patient.nhs_number = Some(number),
            Err(_) => read.invalid_nhs_number_at = Some(path),
        }
    }

    let contained_name = match &contained {
        Some(patient) => human_name(patient)?,
        None => None,
    };
    read.patient.name = subject
        .text_at(&["display"])?
        .map(str::to_owned)
        .or(contained_name)
        .unwrap_or_default();
    if let Some(patient) = &contained
        && let Some(birth) = patient.get("birthDate")?
    {
        let text = birth.str()?;
        let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| birth.error("expected a full date (YYYY-MM-DD)"))?;
        read.patient.birth_date = Some(date);
    }
    Ok(read)
}

/// The value of an Identifier whose system is the NHS number system, with its path.
fn nhs_identifier_value<'v>(
    identifier: &Node<'v>,
) -> Result<Option<(&'v str, String)>, MappingError> {
    if identifier.text_at(&["system"])? != Some(NHS_SYSTEM) {
        return Ok(None);
    }
    let Some(value) = identifier.get("value")? else {
        return Ok(None);
    };
    Ok(Some((value.str()?, value.path)))
}

/// The Patient in `Task.contained` that `for.reference = "#id"` points at.
fn contained_patient<'v>(
    task: &Node<'v>,
    subject: &Node<'v>,
) -> Result<Option<Node<'v>>, MappingError> {
    let Some(reference) = subject.get("reference")? else {
        return Ok(None);
    };
    let Some(local_id) = reference.str()?.strip_prefix('#') else {
        return Ok(None);
    };
    for resource in task.items("contained")? {
        let is_patient = resource.text_at(&["resourceType"])? == Some("Patient");
        if is_patient && resource.text_at(&["id"])? == Some(local_id) {
            return Ok(Some(resource));
        }
    }
    Err(reference.error("points at a contained Patient that the Task does not contain"))
}

/// A HumanName as staff read it: the official (else usual, else first) name's `text`, or its
/// given names and family name.
fn human_name(patient: &Node<'_>) -> Result<Option<String>, MappingError> {
    let names = patient.items("name")?;
    let mut chosen = None;
    for wanted in ["official", "usual"] {
        for name in &names {
            if chosen.is_none() && name.text_at(&["use"])? == Some(wanted) {
                chosen = Some(name);
            }
        }
    }
    let Some(name) = chosen.or(names.first()) else {
        return Ok(None);
    };
    if let Some(text) = name.text_at(&["text"])? {
        return Ok(Some(text.to_owned()));
    }
    let mut parts: Vec<&str> = Vec::new();
    for given in name.items("given")? {
        let text = given.str()?.trim();
        if !text.is_empty() {
            parts.push(text);
        }
    }
    if let Some(family) = name.text_at(&["family"])? {
        parts.push(family);
    }
    Ok((!parts.is_empty()).then(|| parts.join(" ")))
}

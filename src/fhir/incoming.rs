//! One FHIR Task resource into the mirror's `IncomingTask` (the mapping table is in the module
//! doc of `fhir`). Anything the mirror cannot show honestly is an error naming the field; an
//! invalid NHS number is the one gap that is kept, since dropping the task would hide it.

use serde_json::Value;

use super::datetime::{DateEdge, read_date_time};
use super::node::{Node, quoted_code};
use super::owner::{local_state, ods_identifier, read_holder, reference_parts};
use super::patient::read_patient;
use super::{MapContext, MappingError, SENDER_TEAM_EXTENSION};
use crate::domain::{IncomingTask, Priority};

/// Longest subject taken from the first line of a description.
const SUBJECT_FROM_DESCRIPTION_CHARS: usize = 80;

pub(super) fn incoming_from_resource(
    resource: &Value,
    ctx: &MapContext<'_>,
) -> Result<IncomingTask, MappingError> {
    let task = Node::root(resource);
    check_is_task(&task)?;
    let source_id = read_id(&task)?;
    let source_version = task.text_at(&["meta", "versionId"])?.map(str::to_owned);
    let holder = read_holder(&task, ctx)?;
    let state = local_state(&task.require("status")?, holder)?;
    let priority = read_priority(&task)?;
    let received_at = match task.get("authoredOn")? {
        Some(node) => read_date_time(&node, DateEdge::Start)?,
        None => match task.at(&["meta", "lastUpdated"])? {
            Some(node) => read_date_time(&node, DateEdge::Start)?,
            None => {
                return Err(MappingError::new(
                    "authoredOn",
                    "missing (and no meta.lastUpdated to fall back on)",
                ));
            }
        },
    };
    let due_by = task
        .at(&["restriction", "period", "end"])?
        .map(|node| read_date_time(&node, DateEdge::End))
        .transpose()?;
    let (provider_ods, provider_name) = read_requester(&task)?;
    let patient = read_patient(&task)?;
    if let Some(path) = &patient.invalid_nhs_number_at {
        // The task id is the source's, not the patient's: safe to log; the number is not.
        tracing::warn!(
            task = %source_id,
            field = %path,
            "NHS number fails its check; task kept without it"
        );
    }
    let body = read_body(&task)?;
    let subject = read_subject(&task, &body)?;
    Ok(IncomingTask {
        source_id,
        source_version,
        status: state.status,
        priority,
        provider_ods,
        provider_name,
        sender_team: read_sender_team(&task)?,
        addressed_to: state.addressed_to,
        owner: state.owner,
        patient: patient.patient,
        subject,
        body,
        received_at,
        due_by,
        raw: Some(resource.to_string()),
    })
}

pub(super) fn check_is_task(task: &Node<'_>) -> Result<(), MappingError> {
    task.object()?;
    let kind = task.require("resourceType")?;
    match kind.str()? {
        "Task" => Ok(()),
        other => Err(kind.error(format!("expected Task, found {}", quoted_code(other)))),
    }
}

/// `Task.id`, which becomes part of the `PUT Task/<id>` URL, so it must be a FHIR id.
fn read_id(task: &Node<'_>) -> Result<String, MappingError> {
    let node = task.require("id")?;
    let id = node.str()?;
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if valid {
        Ok(id.to_owned())
    } else {
        Err(node.error("not a FHIR id (1 to 64 letters, digits, '-' or '.')"))
    }
}

fn read_priority(task: &Node<'_>) -> Result<Priority, MappingError> {
    let Some(node) = task.get("priority")? else {
        return Ok(Priority::Routine);
    };
    let code = node.str()?;
    // FHIR codes are case-sensitive: `Urgent` is not a priority.
    Priority::ALL
        .into_iter()
        .find(|p| p.as_str() == code)
        .ok_or_else(|| {
            node.error(format!(
                "unknown priority {} (expected routine, urgent, asap or stat)",
                quoted_code(code)
            ))
        })
}

/// `Task.requester`: the sending organisation's ODS code and name.
fn read_requester(task: &Node<'_>) -> Result<(String, String), MappingError> {
    let requester = task.require("requester")?;
    let mut ods = ods_identifier(&requester)?.map(str::to_owned);
    if ods.is_none()
        && let Some(reference) = requester.get("reference")?
        && let Some(("Organization", id)) = reference_parts(reference.str()?)
    {
        ods = Some(id.to_owned());
    }
    let Some(ods) = ods else {
        return Err(MappingError::new(
            "requester.identifier",
            "no ODS organisation code",
        ));
    };
    let name = requester
        .text_at(&["display"])?
        .map_or_else(|| ods.clone(), str::to_owned);
    Ok((ods, name))
}

/// `description` and every `input[].valueString`, in order, separated by blank lines.
fn read_body(task: &Node<'_>) -> Result<String, MappingError> {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(description) = task.text_at(&["description"])? {
        parts.push(description);
    }
    for input in task.items("input")? {
        if let Some(text) = input.text_at(&["valueString"])? {
            parts.push(text);
        }
    }
    Ok(parts.join("\n\n"))
}

/// `code.text`, else `code.coding[0].display`, else the description's first line, shortened.
fn read_subject(task: &Node<'_>, body: &str) -> Result<String, MappingError> {
    if let Some(code) = task.get("code")? {
        if let Some(text) = code.text_at(&["text"])? {
            return Ok(text.to_owned());
        }
        if let Some(first) = code.items("coding")?.first()
            && let Some(display) = first.text_at(&["display"])?
        {
            return Ok(display.to_owned());
        }
    }
    let description = task.text_at(&["description"])?.unwrap_or(body);
    let first_line = description.lines().next().unwrap_or_default().trim();
    Ok(shorten(first_line, SUBJECT_FROM_DESCRIPTION_CHARS))
}

/// At most `max` characters, the last one an ellipsis when text was cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max - 1).collect();
    format!("{}…", kept.trim_end())
}

/// The team inside the sender, from taskgate's own extension (FHIR has no element for it).
fn read_sender_team(task: &Node<'_>) -> Result<Option<String>, MappingError> {
    for extension in task.items("extension")? {
        if extension.text_at(&["url"])? == Some(SENDER_TEAM_EXTENSION) {
            return Ok(extension.text_at(&["valueString"])?.map(str::to_owned));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_first_lines_are_cut_on_a_character_boundary() {
        let long = "é".repeat(100);
        let cut = shorten(&long, 80);
        assert_eq!(cut.chars().count(), 80);
        assert!(cut.ends_with('…'));
        assert_eq!(shorten("short", 80), "short");
    }
}

//! One FHIR resource from an import file into a task, through the same mapping as sync
//! (`fhir::incoming_from_resource`), so a file export and a server pull of the same Task give
//! the same row in the mirror.

use serde_json::Value;

use super::{FieldProblem, ImportContext};
use crate::domain::IncomingTask;
use crate::fhir::{self, MapContext};

/// Maps a resource that should be a Task; `field_prefix` locates it in its file (a Bundle
/// entry's `entry[3].resource.`), empty for a resource that is a whole line.
pub(super) fn task_from_resource(
    resource: &Value,
    field_prefix: &str,
    ctx: &ImportContext<'_>,
) -> Result<IncomingTask, FieldProblem> {
    match resource_type(resource) {
        Some("Task") => {}
        Some(other) => {
            return Err(FieldProblem::new(
                format!("{field_prefix}resourceType"),
                format!("expected Task, found {other}"),
            ));
        }
        None => {
            return Err(FieldProblem::new(
                format!("{field_prefix}resourceType"),
                "missing, or not a resource type name: expected Task",
            ));
        }
    }
    let map = MapContext {
        practice_ods: ctx.practice_ods,
        group_ids: ctx.group_ids,
    };
    fhir::incoming_from_resource(resource, &map)
        .map_err(|e| FieldProblem::new(format!("{field_prefix}{}", e.field), e.reason))
}

/// The resource's type when it looks like one (a FHIR type name is a short word), so that a
/// message can name it without repeating arbitrary text from the file.
pub(super) fn resource_type(resource: &Value) -> Option<&str> {
    resource
        .get("resourceType")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty() && t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// serde's message without its "at line 1 column 7" tail, which counts within one line or
/// entry and would contradict the file line we report; the column is kept when it helps.
pub(super) fn json_reason(e: &serde_json::Error, with_column: bool) -> String {
    let text = e.to_string();
    let message = text
        .rfind(" at line ")
        .map_or(text.as_str(), |at| &text[..at]);
    if with_column && e.column() > 0 {
        format!("{message} (column {})", e.column())
    } else {
        message.to_owned()
    }
}

//! A local change applied to the Task as last seen from the server: the body of `PUT Task/<id>`.
//! Only the elements taskgate owns are touched (status, owner, statusReason, businessStatus,
//! note, output, executionPeriod, lastModified); everything else, known to us or not, is the
//! server's JSON unchanged. Status and owner are rewritten only when the change moves them, so a
//! note on a task leaves the sender's wording of both alone.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::datetime::{DateEdge, read_date_time, write_instant};
use super::incoming::check_is_task;
use super::node::Node;
use super::owner::{Holder, LocalState, fhir_status, local_state, owner_reference, read_holder};
use super::{
    BUSINESS_STATUS_SYSTEM, LETTER_TEMPLATE_SYSTEM, MapContext, MappingError, PushChange,
    STATUS_REASON_SYSTEM,
};
use crate::domain::Status;

pub(super) fn resource_for_push(
    raw: &Value,
    change: &PushChange,
    ctx: &MapContext<'_>,
) -> Result<Value, MappingError> {
    let task = Node::root(raw);
    check_is_task(&task)?;
    let authored_on = match task.get("authoredOn")? {
        Some(node) => Some(read_date_time(&node, DateEdge::Start)?),
        None => None,
    };
    // The resource as the mirror read it; a status or owner we cannot read is rewritten.
    let holder = read_holder(&task, ctx).ok();
    let before: Option<LocalState> = match (&holder, task.get("status")?) {
        (Some(holder), Some(status)) => local_state(&status, holder.clone()).ok(),
        _ => None,
    };
    let status_moves = before.as_ref().is_none_or(|b| b.status != change.status);
    let owner_moves = before.as_ref().is_none_or(|b| b.owner != change.owner);

    let mut out = raw.clone();
    let Some(fields) = out.as_object_mut() else {
        return Err(task.error("expected a JSON object"));
    };
    if status_moves {
        fields.insert("status".into(), fhir_status(change.status).into());
        set_status_reasons(fields, change);
    }
    if (status_moves || owner_moves) && !holder_is(holder.as_ref(), change.owner.as_deref()) {
        fields.insert(
            "owner".into(),
            owner_reference(change.owner.as_deref(), ctx),
        );
    }
    if let Some(note) = &change.note {
        let annotation = json!({
            "authorString": note.author,
            "time": write_instant(note.at),
            "text": note.text,
        });
        append_once(fields, "note", annotation, &task)?;
    }
    if let Some(letter) = &change.letter {
        let output = json!({
            "type": {
                "coding": [{ "system": LETTER_TEMPLATE_SYSTEM, "code": letter.template }],
                "text": "letter",
            },
            "valueString": letter.body,
        });
        append_once(fields, "output", output, &task)?;
    }
    // lastModified must not precede authoredOn (a desk clock running slow must not make an
    // invalid resource); the same floor keeps executionPeriod inside the task's life.
    let at = authored_on.map_or(change.at, |authored| change.at.max(authored));
    set_execution_period(fields, change.status, status_moves, at, &task)?;
    fields.insert("lastModified".into(), write_instant(at).into());
    Ok(out)
}

/// Whether the resource's owner already names the holder the change wants, in which case the
/// sender's reference (its type, display, identifier) is kept as it is.
fn holder_is(holder: Option<&Holder>, wanted: Option<&str>) -> bool {
    match (holder, wanted) {
        (Some(Holder::Practice), None) => true,
        (Some(Holder::Local { id, .. }), Some(wanted)) => id == wanted,
        _ => false,
    }
}

/// On a move to rejected, why (statusReason) and that the letter went (businessStatus); on any
/// other move, taskgate's own reasons go, since they would describe a rejection that was undone.
fn set_status_reasons(fields: &mut Map<String, Value>, change: &PushChange) {
    if change.status == Status::Rejected {
        let text = if change.letter.is_some() {
            "Rejected under the LMC tasking guidance: letter sent"
        } else {
            "Rejected under the LMC tasking guidance"
        };
        fields.insert(
            "statusReason".into(),
            json!({
                "coding": [{
                    "system": STATUS_REASON_SYSTEM,
                    "code": "lmc-tasking-guidance",
                    "display": "Rejected under the LMC tasking guidance",
                }],
                "text": text,
            }),
        );
        if change.letter.is_some() {
            fields.insert(
                "businessStatus".into(),
                json!({
                    "coding": [{
                        "system": BUSINESS_STATUS_SYSTEM,
                        "code": "rejection-letter-sent",
                        "display": "Rejection letter sent",
                    }],
                    "text": "Rejection letter sent",
                }),
            );
        }
    } else {
        for (key, system) in [
            ("statusReason", STATUS_REASON_SYSTEM),
            ("businessStatus", BUSINESS_STATUS_SYSTEM),
        ] {
            if fields
                .get(key)
                .is_some_and(|v| has_coding_system(v, system))
            {
                fields.remove(key);
            }
        }
    }
}

fn has_coding_system(concept: &Value, system: &str) -> bool {
    concept
        .get("coding")
        .and_then(Value::as_array)
        .is_some_and(|codings| {
            codings
                .iter()
                .any(|c| c.get("system").and_then(Value::as_str) == Some(system))
        })
}

/// Appends `item` to the array `key` unless an equal item is there already (a retried push
/// applied to a resource that already has the note must not record it twice). Existing items
/// are never removed or changed.
fn append_once(
    fields: &mut Map<String, Value>,
    key: &str,
    item: Value,
    task: &Node<'_>,
) -> Result<(), MappingError> {
    let slot = fields
        .entry(key.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if slot.is_null() {
        *slot = Value::Array(Vec::new());
    }
    let Some(items) = slot.as_array_mut() else {
        return Err(MappingError::new(
            task.child_path(key),
            "expected a JSON array",
        ));
    };
    if !items.contains(&item) {
        items.push(item);
    }
    Ok(())
}

/// `executionPeriod.start` at the first action; `.end` when the task closes, gone when it
/// reopens (an undo), never before the start.
fn set_execution_period(
    fields: &mut Map<String, Value>,
    status: Status,
    status_moves: bool,
    at: DateTime<Utc>,
    task: &Node<'_>,
) -> Result<(), MappingError> {
    let existing_start = match task.at(&["executionPeriod", "start"])? {
        Some(node) => Some(read_date_time(&node, DateEdge::Start)?),
        None => None,
    };
    let slot = fields
        .entry("executionPeriod".to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    let Some(period) = slot.as_object_mut() else {
        return Err(MappingError::new(
            "executionPeriod",
            "expected a JSON object",
        ));
    };
    let start = existing_start.unwrap_or(at);
    if existing_start.is_none() {
        period.insert("start".into(), write_instant(start).into());
    }
    if status_moves {
        if status.is_open() {
            period.remove("end");
        } else {
            period.insert("end".into(), write_instant(at.max(start)).into());
        }
    }
    Ok(())
}

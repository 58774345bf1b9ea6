//! An outbox entry's payload, as `store/actions.rs` writes it, read back into a `PushChange`.
//! Errors name the payload key, so a corrupt outbox row says which part is wrong.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::node::{Node, quoted_code};
use super::{LetterOut, MappingError, NoteOut, PushChange};
use crate::domain::Status;

/// The local actions an outbox entry can carry.
pub const PUSH_ACTIONS: [&str; 6] = ["assign", "unassign", "reject", "complete", "note", "undo"];

pub(super) fn from_payload(payload: &Value) -> Result<PushChange, MappingError> {
    let root = Node::root(payload);
    root.object()?;

    let action_node = root.require("action")?;
    let action = action_node.str()?;
    if !PUSH_ACTIONS.contains(&action) {
        return Err(action_node.error(format!(
            "unknown action {} (expected one of {})",
            quoted_code(action),
            PUSH_ACTIONS.join(", ")
        )));
    }
    let by = required_text(&root, "by")?;
    let at_node = root.require("at")?;
    let at = DateTime::parse_from_rfc3339(at_node.str()?)
        .map_err(|_| at_node.error("expected an RFC 3339 instant"))?
        .with_timezone(&Utc);
    let status_node = root.require("status")?;
    let status_text = status_node.str()?;
    let status: Status = status_text.parse().map_err(|_| {
        status_node.error(format!(
            "unknown status {} (expected new, assigned, rejected, completed or cancelled)",
            quoted_code(status_text)
        ))
    })?;
    let owner = root.text_at(&["owner"])?.map(str::to_owned);
    let note = root.text_at(&["note"])?.map(|text| NoteOut {
        author: by.clone(),
        at,
        text: text.to_owned(),
    });
    let letter = match root.get("letter")? {
        Some(letter) => Some(LetterOut {
            template: required_text(&letter, "template")?,
            body: required_text(&letter, "body")?,
        }),
        None => None,
    };
    Ok(PushChange {
        action: action.to_owned(),
        by,
        at,
        status,
        owner,
        note,
        letter,
    })
}

fn required_text(node: &Node<'_>, key: &str) -> Result<String, MappingError> {
    node.text_at(&[key])?
        .map(str::to_owned)
        .ok_or_else(|| MappingError::new(node.child_path(key), "missing"))
}

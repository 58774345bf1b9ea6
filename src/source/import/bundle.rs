//! A FHIR Bundle of type searchset, collection, transaction or batch (or one lone Task). Each
//! `entry[].resource` that is a Task becomes a row, reported at the line where its entry starts
//! (the entries are read as borrowed raw JSON, so their place in the file comes for free).
//! Entries holding other resource types (the Patients and Organizations a search `_include`s)
//! are skipped and counted in a note, not quarantined: they are expected company, not bad rows.
//! A transaction's DELETE entries are skipped the same way: an import never deletes a task.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::fhir_rows::{json_reason, resource_type, task_from_resource};
use super::{FieldProblem, FileError, ImportContext, Note, ParsedRow, line_at};

const BUNDLE_TYPES: [&str; 4] = ["searchset", "collection", "transaction", "batch"];

/// The top of the document: enough to tell a Bundle from a Task, with the entries unparsed.
#[derive(Deserialize)]
struct Document<'a> {
    #[serde(rename = "resourceType")]
    resource_type: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow, default)]
    entry: Vec<&'a RawValue>,
}

pub fn parse(
    bytes: &[u8],
    ctx: &ImportContext<'_>,
) -> Result<(Vec<ParsedRow>, Vec<Note>), FileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FileError::Json {
        line: line_at(bytes, 0, 1, e.valid_up_to()),
        reason: "not valid UTF-8 text".to_owned(),
    })?;
    // The byte order mark is no newline, so lines counted in the rest are the file's lines.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let document: Document<'_> = serde_json::from_str(text).map_err(|e| FileError::Json {
        line: u64::try_from(e.line()).unwrap_or(u64::MAX),
        reason: json_reason(&e, true),
    })?;
    match document.resource_type.as_deref() {
        Some("Bundle") => {}
        Some("Task") => return Ok((vec![lone_task(text, ctx)], Vec::new())),
        other => {
            return Err(FileError::NotABundle {
                found: other.map_or_else(|| "no resourceType".to_owned(), |t| format!("`{t}`")),
            });
        }
    }
    match document.kind.as_deref() {
        Some(kind) if BUNDLE_TYPES.contains(&kind) => {}
        other => {
            return Err(FileError::BundleType {
                found: other.unwrap_or("(none)").to_owned(),
            });
        }
    }
    let mut rows = Vec::new();
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    let (mut counted_to, mut line) = (0, 1);
    for (i, entry) in document.entry.iter().enumerate() {
        let offset = offset_in(text, entry.get());
        line = line_at(text.as_bytes(), counted_to, line, offset);
        counted_to = offset;
        match entry_row(i, entry.get(), ctx) {
            Entry::Row(result) => rows.push(ParsedRow {
                line,
                raw: entry.get().to_owned(),
                result: *result,
            }),
            Entry::Skipped(why) => *skipped.entry(why).or_default() += 1,
        }
    }
    let notes = if skipped.is_empty() {
        Vec::new()
    } else {
        let total: u64 = skipped.values().sum();
        let kinds: Vec<String> = skipped.iter().map(|(k, n)| format!("{n} {k}")).collect();
        vec![Note {
            line: None,
            text: format!(
                "skipped {total} entr{} that {} not a Task: {}",
                if total == 1 { "y" } else { "ies" },
                if total == 1 { "is" } else { "are" },
                kinds.join(", ")
            ),
        }]
    };
    Ok((rows, notes))
}

enum Entry {
    /// Boxed: a task is large beside a skip, and most bundles are mostly tasks anyway.
    Row(Box<Result<crate::domain::IncomingTask, FieldProblem>>),
    /// Not a task, and not a fault: counted under this name.
    Skipped(String),
}

fn entry_row(i: usize, raw: &str, ctx: &ImportContext<'_>) -> Entry {
    let prefix = format!("entry[{i}].");
    let entry: Value = match serde_json::from_str(raw) {
        Ok(v) => v,
        // The document parsed, so this cannot fail; say so plainly if it ever does.
        Err(e) => {
            return Entry::Row(Box::new(Err(FieldProblem::new(
                format!("entry[{i}]"),
                json_reason(&e, false),
            ))));
        }
    };
    let Some(resource) = entry.get("resource") else {
        let method = entry.pointer("/request/method").and_then(Value::as_str);
        if method.is_some_and(|m| m.eq_ignore_ascii_case("DELETE")) {
            return Entry::Skipped("DELETE request".to_owned());
        }
        return Entry::Row(Box::new(Err(FieldProblem::new(
            format!("{prefix}resource"),
            "missing: each entry must hold a Task resource",
        ))));
    };
    match resource_type(resource) {
        Some("Task") | None => Entry::Row(Box::new(task_from_resource(
            resource,
            &format!("{prefix}resource."),
            ctx,
        ))),
        Some(other) => Entry::Skipped(other.to_owned()),
    }
}

/// A document that is one Task rather than a Bundle: one row, on the line it starts.
fn lone_task(text: &str, ctx: &ImportContext<'_>) -> ParsedRow {
    let start = text.len() - text.trim_start().len();
    let result = serde_json::from_str::<Value>(text)
        .map_err(|e| FieldProblem::new("JSON", json_reason(&e, false)))
        .and_then(|v| task_from_resource(&v, "", ctx));
    ParsedRow {
        line: line_at(text.as_bytes(), 0, 1, start),
        raw: text.trim().to_owned(),
        result,
    }
}

/// Where `part`, a slice borrowed from `whole`, starts in it.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize)
        .saturating_sub(whole.as_ptr() as usize)
        .min(whole.len())
}

//! NDJSON of FHIR Task: one resource a line, as FHIR bulk data exports write them. Each line
//! stands alone, so a line that is not JSON, not UTF-8 or not a Task costs that line only.
//! Blank lines are skipped.

use serde_json::Value;

use super::fhir_rows::{json_reason, task_from_resource};
use super::{FieldProblem, ImportContext, ParsedRow};

pub fn parse(bytes: &[u8], ctx: &ImportContext<'_>) -> Vec<ParsedRow> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rows = Vec::new();
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        rows.push(ParsedRow {
            line: u64::try_from(n).unwrap_or(u64::MAX).saturating_add(1),
            raw: String::from_utf8_lossy(line).into_owned(),
            result: task_from_line(line, ctx),
        });
    }
    rows
}

fn task_from_line(
    line: &[u8],
    ctx: &ImportContext<'_>,
) -> Result<crate::domain::IncomingTask, FieldProblem> {
    let text = std::str::from_utf8(line).map_err(|e| {
        FieldProblem::new(
            "JSON",
            format!(
                "not valid UTF-8 text (bad byte at column {})",
                e.valid_up_to() + 1
            ),
        )
    })?;
    let value: Value =
        serde_json::from_str(text).map_err(|e| FieldProblem::new("JSON", json_reason(&e, true)))?;
    task_from_resource(&value, "", ctx)
}

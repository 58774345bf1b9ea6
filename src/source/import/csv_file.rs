//! An import CSV, row by row. Rows are read as bytes so that one row of invalid UTF-8 (a
//! spreadsheet saved in the wrong encoding, half a file pasted in) costs that row, not the file;
//! the reader is flexible about field counts so that a short or long row is reported with its
//! line instead of stopping the import. An import is a file a person made, so a value that
//! fails a check (above all an NHS number failing Modulus 11) is a typo to fix and the row is
//! quarantined; a FHIR pull, by contrast, keeps such a task and shows the gap.

use csv::{ByteRecord, ReaderBuilder};

use super::csv_columns::{Column, Columns};
use super::csv_values;
use super::{FieldProblem, FileError, ImportContext, Note, ParsedRow};
use crate::domain::{IncomingTask, NhsNumber, Patient, Status};

/// Reads a whole CSV file: its rows (tasks or problems) and a note naming ignored columns.
pub fn parse(
    bytes: &[u8],
    ctx: &ImportContext<'_>,
) -> Result<(Vec<ParsedRow>, Vec<Note>), FileError> {
    let mut reader = ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header = reader.byte_headers().map_err(|e| csv_error(&e))?.clone();
    let header = Columns::from_header(&header)?;
    let mut notes = Vec::new();
    if !header.unknown.is_empty() {
        notes.push(Note {
            line: Some(1),
            text: format!(
                "ignoring column{} taskgate does not read: {}",
                if header.unknown.len() == 1 { "" } else { "s" },
                header.unknown.join(", ")
            ),
        });
    }
    let mut rows = Vec::new();
    let mut record = ByteRecord::new();
    loop {
        let start = reader.position().byte();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&e)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let end = reader.position().byte();
        rows.push(ParsedRow {
            line,
            raw: raw_text(bytes, start, end),
            result: task_from_record(&header.columns, &record, ctx),
        });
    }
    Ok((rows, notes))
}

/// One data row into a task, or the first problem found in it.
pub fn task_from_record(
    columns: &Columns,
    record: &ByteRecord,
    ctx: &ImportContext<'_>,
) -> Result<IncomingTask, FieldProblem> {
    if record.len() != columns.width() {
        return Err(FieldProblem::new(
            "row",
            format!(
                "has {} field{}, the header has {}: check for a missing or extra comma, or an \
                 unclosed quote",
                record.len(),
                if record.len() == 1 { "" } else { "s" },
                columns.width()
            ),
        ));
    }
    let mut fields = Vec::with_capacity(record.len());
    for (i, raw) in record.iter().enumerate() {
        // A column taskgate ignores cannot spoil a row, whatever its encoding.
        let Some(column) = columns.at(i) else {
            fields.push("");
            continue;
        };
        match std::str::from_utf8(raw) {
            Ok(text) => fields.push(text),
            Err(e) => {
                return Err(FieldProblem::new(
                    column.name(),
                    format!(
                        "not valid UTF-8 text (bad byte at position {}): save the file as \
                         UTF-8 CSV",
                        e.valid_up_to() + 1
                    ),
                ));
            }
        }
    }
    task_from_fields(columns, &fields, ctx)
}

/// One row of text fields into a task.
pub fn task_from_fields(
    columns: &Columns,
    fields: &[&str],
    ctx: &ImportContext<'_>,
) -> Result<IncomingTask, FieldProblem> {
    let get = |c: Column| columns.get(c, fields).trim();
    let required = |c: Column| {
        let v = get(c);
        if v.is_empty() {
            Err(FieldProblem::new(
                c.name(),
                "is empty, and every task needs one",
            ))
        } else {
            Ok(v)
        }
    };
    let optional = |c: Column| Some(get(c)).filter(|v| !v.is_empty()).map(str::to_owned);

    let source_id = required(Column::SourceId)?.to_owned();
    let received_at = check(
        Column::Received,
        csv_values::instant(required(Column::Received)?),
    )?;
    let priority = check(
        Column::Priority,
        csv_values::priority(get(Column::Priority)),
    )?;
    let provider_ods = ods_code(required(Column::ProviderOds)?)?;
    let owner = optional(Column::Owner);
    let status = status_with_owner(get(Column::Status), owner.as_deref(), ctx)?;
    let nhs_number = match get(Column::NhsNumber) {
        "" => None,
        text => Some(NhsNumber::parse(text).map_err(|e| {
            FieldProblem::new(
                Column::NhsNumber.name(),
                format!("{e}; correct it in the file and import again"),
            )
        })?),
    };
    let birth_date = match get(Column::DateOfBirth) {
        "" => None,
        text => Some(check(Column::DateOfBirth, csv_values::date(text))?),
    };
    if birth_date.is_some_and(|dob| dob > received_at.date_naive()) {
        return Err(FieldProblem::new(
            Column::DateOfBirth.name(),
            "is after the day the task was received",
        ));
    }
    let patient = Patient {
        nhs_number,
        name: required(Column::PatientName)?.to_owned(),
        birth_date,
    };
    let subject = required(Column::Subject)?.to_owned();
    let due_by = match get(Column::DueBy) {
        "" => None,
        text => Some(check(Column::DueBy, csv_values::instant(text))?),
    };
    if due_by.is_some_and(|due| due < received_at) {
        return Err(FieldProblem::new(
            Column::DueBy.name(),
            "is before the task was received",
        ));
    }
    let provider_name = optional(Column::ProviderName).unwrap_or_else(|| provider_ods.clone());
    Ok(IncomingTask {
        source_id,
        source_version: optional(Column::Version),
        status,
        priority,
        provider_ods,
        provider_name,
        sender_team: optional(Column::SenderTeam),
        addressed_to: optional(Column::AddressedTo),
        owner,
        patient,
        subject,
        // A body keeps its own spacing; Windows line ends inside it become plain newlines so
        // the detail pane shows no stray carriage returns.
        body: columns.get(Column::Body, fields).replace("\r\n", "\n"),
        received_at,
        due_by,
        raw: None,
    })
}

/// The status, checked against the owner: a new task has none, an assigned task needs one, and
/// an owner must be someone (or some group) the config knows, or nobody could pick it up.
fn status_with_owner(
    text: &str,
    owner: Option<&str>,
    ctx: &ImportContext<'_>,
) -> Result<Status, FieldProblem> {
    if let Some(owner) = owner
        && !ctx.owner_ids.iter().any(|id| id == owner)
    {
        return Err(FieldProblem::new(
            Column::Owner.name(),
            "is not a [[staff]] or [[groups]] id in the config",
        ));
    }
    let status = check(Column::Status, csv_values::status(text, owner.is_some()))?;
    match (status, owner) {
        (Status::New, Some(_)) => Err(FieldProblem::new(
            Column::Owner.name(),
            "a new task has no owner: leave owner empty, or set status to assigned",
        )),
        (Status::Assigned, None) => Err(FieldProblem::new(
            Column::Owner.name(),
            "is empty, and an assigned task needs one (a [[staff]] or [[groups]] id)",
        )),
        _ => Ok(status),
    }
}

/// A value check's failure, laid at its column's door.
fn check<T>(column: Column, result: Result<T, String>) -> Result<T, FieldProblem> {
    result.map_err(|reason| FieldProblem::new(column.name(), reason))
}

/// ODS codes are letters and digits; they are compared upper-case so `rxx01` and `RXX01` are
/// one sender.
fn ods_code(text: &str) -> Result<String, FieldProblem> {
    if text.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(text.to_ascii_uppercase())
    } else {
        Err(FieldProblem::new(
            Column::ProviderOds.name(),
            "an ODS code has letters and digits only (e.g. RXX01)",
        ))
    }
}

/// The row's text as it stood in the file, for the quarantine: without its line end.
fn raw_text(bytes: &[u8], start: u64, end: u64) -> String {
    let start = usize::try_from(start)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let end = usize::try_from(end)
        .unwrap_or(usize::MAX)
        .clamp(start, bytes.len());
    let row = &bytes[start..end];
    let row = row.strip_suffix(b"\n").unwrap_or(row);
    let row = row.strip_suffix(b"\r").unwrap_or(row);
    String::from_utf8_lossy(row).into_owned()
}

fn csv_error(e: &csv::Error) -> FileError {
    FileError::Csv {
        line: e.position().map_or(1, csv::Position::line),
        reason: e.to_string(),
    }
}

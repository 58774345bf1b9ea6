//! Import files: a CSV export, NDJSON of FHIR Task (one resource a line) or a FHIR Bundle,
//! turned into `IncomingTask`s and the rows that could not be taken, each with its line, the
//! field at fault and a reason that never quotes patient data. Parsing is pure (bytes in, rows
//! out); `commands::import` hands the result to the store as one transaction per file.

pub mod bundle;
pub mod csv_columns;
pub mod csv_file;
pub mod csv_values;
mod detect;
mod fhir_rows;
pub mod ndjson;

use std::collections::HashMap;
use std::fmt;

use crate::domain::IncomingTask;

pub use detect::detect_format;

/// The formats `taskgate import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
    Bundle,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "CSV",
            Format::Ndjson => "NDJSON",
            Format::Bundle => "FHIR Bundle",
        })
    }
}

/// What the parsers need to know about the practice.
#[derive(Debug, Clone, Copy)]
pub struct ImportContext<'a> {
    /// The practice's ODS code: a FHIR owner of `Organization/<ods>` means unassigned.
    pub practice_ods: &'a str,
    /// Every `[[staff]]` and `[[groups]]` id: a CSV owner must be one of them.
    pub owner_ids: &'a [String],
    /// The `[[groups]]` ids, so a FHIR mapping can tell a group from a person.
    pub group_ids: &'a [String],
}

/// A row (CSV record, NDJSON line, Bundle entry) that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// 1-based physical line where the row starts.
    pub line: u64,
    /// The column or FHIR field at fault (`received`, `for.identifier`, `row`, `JSON`).
    pub field: String,
    /// Why, in plain words; never the patient's name, NHS number or date of birth.
    pub reason: String,
    /// The row as it came in (invalid UTF-8 replaced), kept in the owner-only quarantine.
    pub raw: String,
}

impl fmt::Display for RejectedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.line, self.field, self.reason)
    }
}

/// A problem with one field of a row: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub reason: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// One row's outcome, with the line it starts on and its raw text.
#[derive(Debug, Clone)]
pub struct ParsedRow {
    pub line: u64,
    pub raw: String,
    pub result: Result<IncomingTask, FieldProblem>,
}

/// A whole file, parsed: the tasks to import, the rows to quarantine, and notes for the user.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    pub tasks: Vec<IncomingTask>,
    pub rejected: Vec<RejectedRow>,
    /// Things worth saying that are not errors: ignored columns, skipped entries, an empty file.
    pub notes: Vec<Note>,
}

/// Something to tell the user about a file that is not a fault in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The line it concerns, when it concerns one.
    pub line: Option<u64>,
    pub text: String,
}

impl fmt::Display for Note {
    /// Written to follow the file name: `:1: ...` with a line, `: ...` without.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, ":{line}: {}", self.text),
            None => write!(f, ": {}", self.text),
        }
    }
}

/// Why a whole file was refused: nothing of it is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error(
        "1: missing required column{} {}: the header must name {}",
        if missing.len() == 1 { "" } else { "s" },
        missing.join(", "),
        csv_columns::REQUIRED.join(", ")
    )]
    MissingColumns { missing: Vec<String> },
    #[error("1: column `{name}` appears twice in the header (columns {first} and {second})")]
    DuplicateColumn {
        name: String,
        first: usize,
        second: usize,
    },
    #[error("1: the header is not valid UTF-8 text; save the file as UTF-8 CSV")]
    HeaderNotUtf8,
    #[error("{line}: cannot read the CSV: {reason}")]
    Csv { line: u64, reason: String },
    #[error("{line}: not valid JSON: {reason}")]
    Json { line: u64, reason: String },
    #[error("1: resourceType: expected a Bundle or a Task, found {found}")]
    NotABundle { found: String },
    #[error(
        "1: type: Bundle type `{found}` cannot be imported (expected searchset, collection, \
         transaction or batch)"
    )]
    BundleType { found: String },
}

/// Parses `bytes` as `format`. Rows that fail are returned as rejected, never as an error; an
/// error means the file as a whole cannot be read (no header, not a Bundle).
pub fn parse(
    bytes: &[u8],
    format: Format,
    ctx: &ImportContext<'_>,
) -> Result<ParsedFile, FileError> {
    if is_blank(bytes) {
        return Ok(ParsedFile {
            notes: vec![Note {
                line: None,
                text: "the file is empty: nothing to import".to_owned(),
            }],
            ..ParsedFile::default()
        });
    }
    let (rows, notes) = match format {
        Format::Csv => csv_file::parse(bytes, ctx)?,
        Format::Ndjson => (ndjson::parse(bytes, ctx), Vec::new()),
        Format::Bundle => bundle::parse(bytes, ctx)?,
    };
    Ok(collect(rows, notes))
}

/// Splits rows into tasks and rejects. A source id seen again later in the same file is
/// rejected: taking both would make the file's outcome depend on row order, and a re-import
/// would then "update" the task back and forth instead of changing nothing.
fn collect(rows: Vec<ParsedRow>, notes: Vec<Note>) -> ParsedFile {
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut file = ParsedFile {
        notes,
        ..ParsedFile::default()
    };
    for row in rows {
        let problem = match row.result {
            Ok(task) => {
                if let Some(first) = first_line.get(&task.source_id) {
                    FieldProblem::new(
                        "source_id",
                        format!("the same task as line {first}; each task may appear once a file"),
                    )
                } else {
                    first_line.insert(task.source_id.clone(), row.line);
                    file.tasks.push(task);
                    continue;
                }
            }
            Err(problem) => problem,
        };
        file.rejected.push(RejectedRow {
            line: row.line,
            field: problem.field,
            reason: problem.reason,
            raw: row.raw,
        });
    }
    file
}

/// A file of nothing but whitespace (and perhaps a byte order mark) is empty in every format.
fn is_blank(bytes: &[u8]) -> bool {
    bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .iter()
        .all(u8::is_ascii_whitespace)
}

/// 1-based line number of byte `offset`, counting from `from` (whose line is `line_at_from`),
/// so callers walking forward through a file count each newline once.
// Counting newlines byte by byte is quick enough for files read once; not worth a dependency.
#[allow(clippy::naive_bytecount)]
pub(crate) fn line_at(bytes: &[u8], from: usize, line_at_from: u64, offset: usize) -> u64 {
    let end = offset.min(bytes.len());
    let start = from.min(end);
    let newlines = bytes[start..end].iter().filter(|b| **b == b'\n').count();
    line_at_from + u64::try_from(newlines).unwrap_or(u64::MAX)
}

//! The columns of an import CSV and how a header row names them. Headers are matched by name,
//! in any order, ignoring case, surrounding spaces, and whether words are joined by `_`, `-` or
//! a space (`NHS number` is `nhs_number`), because these files are often made in a spreadsheet.

use csv::ByteRecord;

use super::FileError;

/// One column taskgate reads from an import CSV. The README's "Import" table documents each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    SourceId,
    Version,
    Received,
    Priority,
    Status,
    ProviderOds,
    ProviderName,
    SenderTeam,
    AddressedTo,
    Owner,
    NhsNumber,
    PatientName,
    DateOfBirth,
    Subject,
    Body,
    DueBy,
}

impl Column {
    pub const ALL: [Column; 16] = [
        Column::SourceId,
        Column::Version,
        Column::Received,
        Column::Priority,
        Column::Status,
        Column::ProviderOds,
        Column::ProviderName,
        Column::SenderTeam,
        Column::AddressedTo,
        Column::Owner,
        Column::NhsNumber,
        Column::PatientName,
        Column::DateOfBirth,
        Column::Subject,
        Column::Body,
        Column::DueBy,
    ];

    /// The header name, as documented and as it appears in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Column::SourceId => "source_id",
            Column::Version => "version",
            Column::Received => "received",
            Column::Priority => "priority",
            Column::Status => "status",
            Column::ProviderOds => "provider_ods",
            Column::ProviderName => "provider_name",
            Column::SenderTeam => "sender_team",
            Column::AddressedTo => "addressed_to",
            Column::Owner => "owner",
            Column::NhsNumber => "nhs_number",
            Column::PatientName => "patient_name",
            Column::DateOfBirth => "date_of_birth",
            Column::Subject => "subject",
            Column::Body => "body",
            Column::DueBy => "due_by",
        }
    }

    /// A file without this column cannot say what a task is, so it is refused whole.
    pub fn is_required(self) -> bool {
        REQUIRED.contains(&self.name())
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The columns every import CSV must have (each row must also give them a value).
pub const REQUIRED: [&str; 5] = [
    "source_id",
    "received",
    "provider_ods",
    "patient_name",
    "subject",
];

/// Where each known column sits in this file's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    position: [Option<usize>; Column::ALL.len()],
    width: usize,
}

/// A header, understood: the columns, and the names it has that taskgate does not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub columns: Columns,
    pub unknown: Vec<String>,
}

impl Columns {
    /// Reads a header row. Unknown names are returned (to warn about, not to fail on); a
    /// missing required column or a name given twice refuses the file.
    pub fn from_header(header: &ByteRecord) -> Result<Header, FileError> {
        let mut position = [None; Column::ALL.len()];
        let mut unknown = Vec::new();
        for (i, raw) in header.iter().enumerate() {
            let text = std::str::from_utf8(raw).map_err(|_| FileError::HeaderNotUtf8)?;
            let name = normalise(text);
            let Some(column) = Column::ALL.into_iter().find(|c| c.name() == name) else {
                unknown.push(if text.trim().is_empty() {
                    format!("(column {} has no name)", i + 1)
                } else {
                    text.trim().to_owned()
                });
                continue;
            };
            if let Some(first) = position[column.index()] {
                return Err(FileError::DuplicateColumn {
                    name: column.name().to_owned(),
                    first: first + 1,
                    second: i + 1,
                });
            }
            position[column.index()] = Some(i);
        }
        let missing: Vec<String> = Column::ALL
            .into_iter()
            .filter(|c| c.is_required() && position[c.index()].is_none())
            .map(|c| c.name().to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(FileError::MissingColumns { missing });
        }
        Ok(Header {
            columns: Columns {
                position,
                width: header.len(),
            },
            unknown,
        })
    }

    /// How many fields every row must have: as many as the header.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Which known column sits at position `i` of a row, if any.
    pub fn at(&self, i: usize) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|c| self.position[c.index()] == Some(i))
    }

    /// The column's value in `fields`, or `""` when the file has no such column.
    pub fn get<'r>(&self, column: Column, fields: &[&'r str]) -> &'r str {
        self.position[column.index()]
            .and_then(|i| fields.get(i).copied())
            .unwrap_or("")
    }
}

/// `" NHS Number "`, `nhs-number` and `NHS_NUMBER` all name `nhs_number`; a byte order mark
/// the reader left on the first name is dropped.
fn normalise(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Result<Header, FileError> {
        Columns::from_header(&ByteRecord::from(names.to_vec()))
    }

    #[test]
    fn names_match_whatever_the_case_spacing_and_order() {
        let h = header(&[
            "Subject",
            " NHS Number ",
            "patient-name",
            "PROVIDER_ODS",
            "\u{feff}source_id",
            "Received",
            "colour",
        ])
        .expect("readable header");
        let fields = ["s", "n", "p", "o", "id", "r", "blue"];
        assert_eq!(h.columns.get(Column::SourceId, &fields), "id");
        assert_eq!(h.columns.get(Column::NhsNumber, &fields), "n");
        assert_eq!(h.columns.get(Column::Body, &fields), "");
        assert_eq!(h.unknown, ["colour"]);
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = header(&["source_id", "received", "subject"]).expect_err("refused");
        assert_eq!(
            err,
            FileError::MissingColumns {
                missing: vec!["provider_ods".into(), "patient_name".into()]
            }
        );
    }

    #[test]
    fn a_column_given_twice_is_refused() {
        let err = header(&[
            "source_id",
            "received",
            "provider_ods",
            "patient_name",
            "subject",
            "Subject",
        ])
        .expect_err("refused");
        assert!(matches!(
            err,
            FileError::DuplicateColumn {
                first: 5,
                second: 6,
                ..
            }
        ));
    }
}

//! `taskgate import` on the real binary and real SQLite files: what a practice manager sees when
//! they import an export (summary lines, `FILE:LINE: field: reason` for each bad row, exit
//! codes), what lands in the mirror (`list --format json`), and that a re-import changes
//! nothing. A property test feeds the CSV row parser arbitrary bytes.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::Value;
use taskgate::source::import::csv_columns::Columns;
use taskgate::source::import::csv_file::task_from_record;
use taskgate::source::import::{self, Format, ImportContext};
use taskgate::store::{QuarantinedRow, Store};
use tempfile::TempDir;

const NOW: &str = "2026-11-20T12:00:00Z";
/// The first `[[staff]]` entry of config.example.toml.
const ACTING: &str = "aclarke";

/// A temp folder with the example config and a mirror path of its own; nothing outside it is
/// read or written.
struct Sandbox {
    dir: TempDir,
    db: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"),
            dir.path().join("config.toml"),
        )
        .expect("copy example config");
        let db = dir.path().join("mirror.sqlite");
        Sandbox { dir, db }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("taskgate").expect("binary built");
        c.env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env_remove("TASKGATE_CONFIG")
            .env_remove("TASKGATE_USER")
            .env_remove("TASKGATE_LOG")
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--db")
            .arg(&self.db)
            .args(["--now", NOW, "--user", ACTING]);
        c
    }

    fn import(&self, files: &[&Path]) -> Output {
        self.cmd().arg("import").args(files).output().expect("runs")
    }

    /// Every task in the mirror, as `list --format json` prints them.
    fn tasks(&self) -> Vec<Value> {
        let out = self
            .cmd()
            .args(["list", "--format", "json", "--limit", "0"])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("a JSON array")
    }

    fn task(&self, source_id: &str) -> Value {
        self.tasks()
            .into_iter()
            .find(|t| t["source_id"] == source_id)
            .unwrap_or_else(|| panic!("{source_id} is in the mirror"))
    }

    fn source_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .tasks()
            .iter()
            .map(|t| t["source_id"].as_str().expect("a source id").to_owned())
            .collect();
        ids.sort();
        ids
    }

    /// How many events the audit log holds, from `audit verify`.
    fn audit_events(&self) -> u64 {
        let out = self.cmd().args(["audit", "verify"]).output().expect("runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        stdout
            .split_whitespace()
            .zip(stdout.split_whitespace().skip(1))
            .find(|(_, next)| next.starts_with("events"))
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or_else(|| panic!("an event count in {stdout}"))
    }

    fn quarantine(&self) -> Vec<QuarantinedRow> {
        Store::open(&self.db)
            .expect("mirror opens")
            .quarantined()
            .expect("quarantine reads")
    }

    /// Copies a fixture into the sandbox under another name (to test detection by content).
    fn copy_as(&self, fixture_name: &str, name: &str) -> PathBuf {
        let to = self.dir.path().join(name);
        std::fs::copy(fixture(fixture_name), &to).expect("copy fixture");
        to
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn summary(path: &Path, inserted: u64, updated: u64, unchanged: u64, quarantined: u64) -> String {
    format!(
        "{}: {inserted} inserted, {updated} updated, {unchanged} unchanged, {quarantined} \
         quarantined",
        path.display()
    )
}

/// The lines of stderr that report a bad row of `path`, as `LINE: field` pairs.
fn reported_rows(stderr: &str, path: &Path) -> Vec<String> {
    let prefix = format!("{}:", path.display());
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .map(|rest| {
            let mut parts = rest.splitn(3, ": ");
            format!(
                "{}: {}",
                parts.next().unwrap_or(""),
                parts.next().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn a_good_csv_brings_every_column_into_the_mirror() {
    let s = Sandbox::new();
    let file = fixture("good.csv");
    let out = s.import(&[&file]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), summary(&file, 3, 0, 0, 0));

    let assigned = s.task("GD-2");
    assert_eq!(assigned["status"], "assigned");
    assert_eq!(assigned["owner"], ACTING);
    assert_eq!(assigned["priority"], "urgent");
    // `rxx01` in the file is the same sender as `RXX01`.
    assert_eq!(assigned["provider"]["ods_code"], "RXX01");
    assert_eq!(assigned["provider"]["name"], "Northtown Hospital");
    assert_eq!(assigned["sender_team"], "Ward 7");
    // 14:05 on a July day in London is 13:05 UTC (summer time).
    assert_eq!(assigned["received_at"], "2026-07-15T13:05:00Z");
    assert_eq!(assigned["due_by"], "2026-11-25T17:00:00Z");
    assert_eq!(assigned["patient"]["nhs_number"], "9990000026");
    assert_eq!(assigned["patient"]["birth_date"], "1962-11-30");
    assert_eq!(
        assigned["body"],
        "Please review medication.\nSecond line of the body, with a comma."
    );

    let first = s.task("GD-1");
    assert_eq!(first["status"], "new");
    assert_eq!(first["source_version"], "1");
    // Typed with spaces, stored as ten digits.
    assert_eq!(first["patient"]["nhs_number"], "9990000018");
    assert_eq!(first["received_at"], "2026-11-18T09:15:00Z");

    let named = s.task("GD-3");
    assert_eq!(named["addressed_to"], "Dr Named Person");
    assert_eq!(named["priority"], "routine");
    assert_eq!(named["provider"]["name"], "RYY02");
    assert_eq!(named["patient"]["nhs_number"], Value::Null);
    assert_eq!(named["due_by"], "2026-11-19T16:00:00Z");
}

#[test]
fn bad_csv_rows_are_quarantined_by_line_and_field_and_the_rest_imported() {
    let s = Sandbox::new();
    let file = fixture("bad_rows.csv");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(text(&out.stdout).trim(), summary(&file, 2, 0, 0, 9));
    assert_eq!(
        reported_rows(&stderr, &file),
        [
            "3: received",
            "4: nhs_number",
            "5: row",
            "6: row",
            "7: priority",
            "8: owner",
            "9: subject",
            // Line 10's body runs over two physical lines, so the next row starts on 12.
            "12: date_of_birth",
            "13: source_id",
        ]
    );
    assert!(
        stderr.contains("line 2"),
        "the repeat names its first line: {stderr}"
    );
    assert!(stderr.contains("Modulus 11"), "{stderr}");

    assert_eq!(s.source_ids(), ["BR-1", "BR-9"]);
    // The first of two rows for one task is the one kept.
    assert_eq!(s.task("BR-1")["subject"], "Good row one");
    assert_eq!(
        s.task("BR-9")["body"],
        "A body with a quoted\nline break in it"
    );

    let kept = s.quarantine();
    assert_eq!(kept.len(), 9);
    let short = kept
        .iter()
        .find(|r| r.line == Some(5))
        .expect("line 5 kept");
    assert_eq!(short.field.as_deref(), Some("row"));
    assert_eq!(
        short.raw,
        "BR-4,2026-11-18 09:25,routine,RXX01,Northtown Hospital,Dan Example,9990000034"
    );
    assert!(kept.iter().all(|r| r.origin.ends_with("bad_rows.csv")));
}

#[test]
fn messages_never_carry_patient_names_or_nhs_numbers() {
    let s = Sandbox::new();
    let files = [
        fixture("bad_rows.csv"),
        fixture("invalid_utf8.csv"),
        fixture("bom_crlf.csv"),
        fixture("tasks.ndjson"),
        fixture("searchset.json"),
    ];
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let out = s.import(&paths);
    assert_eq!(out.status.code(), Some(2));
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    for file in &files {
        let content = text(&std::fs::read(file).expect("fixture"));
        for word in content.split(|c: char| !c.is_alphanumeric()) {
            let is_nhs_number = word.len() == 10 && word.starts_with("999");
            let is_name_part = word == "Example" || word == "Latin";
            assert!(
                !(is_nhs_number || is_name_part) || !said.contains(word),
                "`{word}` from {} was printed:\n{said}",
                file.display()
            );
        }
    }
}

#[test]
fn re_importing_the_same_files_changes_nothing() {
    let s = Sandbox::new();
    let files = [
        fixture("good.csv"),
        fixture("bad_rows.csv"),
        fixture("tasks.ndjson"),
        fixture("transaction.json"),
    ];
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    assert_eq!(s.import(&paths).status.code(), Some(2));
    let tasks = s.tasks();
    let events = s.audit_events();
    let kept = s.quarantine();
    assert_eq!(tasks.len(), 3 + 2 + 3 + 2);

    let again = s.import(&paths);
    assert_eq!(again.status.code(), Some(2), "the bad rows are still bad");
    let stdout = text(&again.stdout);
    for (file, unchanged, quarantined) in [
        (&files[0], 3, 0),
        (&files[1], 2, 9),
        (&files[2], 3, 3),
        (&files[3], 2, 0),
    ] {
        assert!(
            stdout.contains(&summary(file, 0, 0, unchanged, quarantined)),
            "{stdout}"
        );
    }
    assert_eq!(s.tasks(), tasks, "list output is unchanged");
    assert_eq!(
        s.audit_events(),
        events,
        "no audit event for a no-op import"
    );
    assert_eq!(s.quarantine(), kept, "bad rows are kept once");
}

#[test]
fn a_file_missing_a_required_column_is_refused_whole_and_the_others_still_import() {
    let s = Sandbox::new();
    let (bad, good) = (fixture("missing_column.csv"), fixture("good.csv"));
    let out = s.import(&[&bad, &good]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:1: missing required column subject",
            bad.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 of 2 files could not be imported"),
        "{stderr}"
    );
    assert_eq!(s.source_ids(), ["GD-1", "GD-2", "GD-3"]);
    assert!(
        s.quarantine().is_empty(),
        "a refused file quarantines nothing"
    );
}

#[test]
fn unknown_columns_are_ignored_with_one_warning() {
    let s = Sandbox::new();
    let file = fixture("extra_column.csv");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        warnings,
        [format!(
            "{}:1: ignoring columns taskgate does not read: Colour, Ward Notes",
            file.display()
        )]
    );
    assert_eq!(s.source_ids(), ["EX-1"]);
}

#[test]
fn a_windows_export_with_bom_and_crlf_reads_like_any_other() {
    let s = Sandbox::new();
    let file = fixture("bom_crlf.csv");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(reported_rows(&stderr, &file), ["4: received"]);
    assert_eq!(s.source_ids(), ["BC-1", "BC-2"]);
    assert_eq!(s.task("BC-1")["body"], "Body line one\nBody line two");
    assert_eq!(s.task("BC-2")["body"], "Plain body");
}

#[test]
fn a_row_of_invalid_utf8_is_quarantined_and_its_neighbours_kept() {
    let s = Sandbox::new();
    let file = fixture("invalid_utf8.csv");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(reported_rows(&stderr, &file), ["3: patient_name"]);
    assert!(stderr.contains("UTF-8"), "{stderr}");
    assert_eq!(s.source_ids(), ["IU-1", "IU-3"]);
}

#[test]
fn an_empty_file_says_so_and_imports_nothing() {
    let s = Sandbox::new();
    let file = fixture("empty.csv");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr.trim(),
        format!("{}: the file is empty: nothing to import", file.display())
    );
    assert_eq!(text(&out.stdout).trim(), summary(&file, 0, 0, 0, 0));
    assert!(s.tasks().is_empty());
}

#[test]
fn a_file_that_cannot_be_read_fails_alone() {
    let s = Sandbox::new();
    let missing = s.dir.path().join("not-there.csv");
    let good = fixture("good.csv");
    let out = s.import(&[&missing, &good]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{}: cannot read the file", missing.display())),
        "{stderr}"
    );
    assert_eq!(s.source_ids(), ["GD-1", "GD-2", "GD-3"]);
}

#[test]
fn ndjson_bad_lines_cost_only_themselves() {
    let s = Sandbox::new();
    let file = fixture("tasks.ndjson");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        reported_rows(&stderr, &file),
        ["4: JSON", "5: requester", "6: resourceType"]
    );
    assert!(
        stderr.contains("EOF while parsing"),
        "serde's own words: {stderr}"
    );
    assert_eq!(s.source_ids(), ["NJ-1", "NJ-2", "NJ-4"]);
    let accepted = s.task("NJ-2");
    assert_eq!(accepted["status"], "assigned");
    assert_eq!(accepted["owner"], ACTING);
    assert_eq!(accepted["priority"], "urgent");
    assert_eq!(s.task("NJ-4")["received_at"], "2026-11-19T10:00:00Z");
}

#[test]
fn a_searchset_bundle_skips_other_resources_and_reports_bad_tasks_at_their_entry() {
    let s = Sandbox::new();
    let file = fixture("searchset.json");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: skipped 2 entries that are not a Task: 1 Organization, 1 Patient",
            file.display()
        )),
        "{stderr}"
    );
    // The third entry opens on line 67 of the pretty-printed file.
    assert_eq!(
        reported_rows(&stderr, &file),
        ["67: entry[2].resource.authoredOn"]
    );
    assert_eq!(text(&out.stdout).trim(), summary(&file, 2, 0, 0, 1));
    assert_eq!(s.source_ids(), ["SS-1", "SS-3"]);
}

#[test]
fn a_transaction_bundle_imports_its_tasks_and_never_deletes() {
    let s = Sandbox::new();
    let file = fixture("transaction.json");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("1 DELETE request"), "{stderr}");
    assert_eq!(s.source_ids(), ["TX-1", "TX-2"]);
    let completed = s.task("TX-2");
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["source_version"], "3");
}

#[test]
fn a_bundle_type_that_is_not_an_inbox_export_is_refused() {
    let s = Sandbox::new();
    let file = fixture("history.json");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:1: type: Bundle type `history`",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn a_broken_json_document_is_refused_at_its_line_not_blamed_line_by_line() {
    let s = Sandbox::new();
    let file = fixture("broken_bundle.json");
    let out = s.import(&[&file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:9: not valid JSON: expected `,` or `}}`",
            file.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        2,
        "one error and the closing line: {stderr}"
    );
}

#[test]
fn the_format_is_found_from_content_when_the_name_does_not_say() {
    let s = Sandbox::new();
    let lines = s.copy_as("tasks.ndjson", "export.json");
    let table = s.copy_as("good.csv", "export.txt");
    let bundle = s.copy_as("transaction.json", "export");
    let out = s.import(&[&lines, &table, &bundle]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(stdout.contains(&summary(&lines, 3, 0, 0, 3)), "{stdout}");
    assert!(stdout.contains(&summary(&table, 3, 0, 0, 0)), "{stdout}");
    assert!(stdout.contains(&summary(&bundle, 2, 0, 0, 0)), "{stdout}");
}

#[test]
fn the_format_flag_overrides_detection() {
    let s = Sandbox::new();
    let table = s.copy_as("good.csv", "export.json");
    let out = s
        .cmd()
        .args(["import", "--format", "csv"])
        .arg(&table)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(s.source_ids(), ["GD-1", "GD-2", "GD-3"]);
}

#[test]
fn the_shipped_sample_imports_cleanly() {
    let s = Sandbox::new();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/import-sample.csv");
    let out = s.import(&[&sample]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    assert!(!s.tasks().is_empty());
}

/// Staff and group ids of the example config, for the parser tests below.
fn owner_ids() -> Vec<String> {
    ["aclarke", "bpatel", "reception"]
        .map(str::to_owned)
        .to_vec()
}

/// One CSV field: arbitrary bytes, or a value some column accepts.
fn field() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..24),
        prop::sample::select(vec![
            "",
            "GD-9",
            "2026-11-18 09:15",
            "2026-11-18T09:15:00Z",
            "2026-03-29 01:30",
            "urgent",
            "assigned",
            "new",
            "RXX01",
            "aclarke",
            "9990000018",
            "999 000 0019",
            "1950-03-01",
            "Alice Example",
            "Subject",
            "body\r\ntext",
        ])
        .prop_map(|v| v.as_bytes().to_vec()),
    ]
}

const HEADER: &str = "source_id,received,priority,status,provider_ods,provider_name,\
    sender_team,addressed_to,owner,nhs_number,patient_name,date_of_birth,subject,body,due_by,version";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes in any field: the row parser answers a task or a named field with a reason,
    /// and never panics. Fields mix arbitrary bytes with values that pass each column's check,
    /// so rows get past the early checks and reach the later ones.
    #[test]
    fn the_csv_row_parser_answers_every_row(
        fields in prop::collection::vec(field(), 14..=18)
    ) {
        let owners = owner_ids();
        let ctx = ImportContext { practice_ods: "ZGP01", owner_ids: &owners, group_ids: &[] };
        let header = Columns::from_header(&csv::ByteRecord::from(HEADER.split(',').collect::<Vec<_>>()))
            .expect("the documented header reads");
        let record = csv::ByteRecord::from(fields);
        match task_from_record(&header.columns, &record, &ctx) {
            Ok(task) => {
                prop_assert!(!task.source_id.is_empty());
                prop_assert!(!task.subject.is_empty());
            }
            Err(problem) => {
                prop_assert!(!problem.field.is_empty());
                prop_assert!(!problem.reason.is_empty());
                for patient_value in ["Alice", "9990000018", "999 000 0019", "1950-03-01"] {
                    prop_assert!(!problem.reason.contains(patient_value), "{}", problem.reason);
                }
            }
        }
    }

    /// Any bytes after a good header, and any bytes as NDJSON or a Bundle: a file is read or
    /// refused, every rejected row names a line inside the file, and nothing panics.
    #[test]
    fn any_file_is_read_or_refused(body in prop::collection::vec(any::<u8>(), 0..400)) {
        let owners = owner_ids();
        let ctx = ImportContext { practice_ods: "ZGP01", owner_ids: &owners, group_ids: &[] };
        let mut csv_file = format!("{HEADER}\n").into_bytes();
        csv_file.extend_from_slice(&body);
        for (bytes, format) in [
            (&csv_file, Format::Csv),
            (&body, Format::Ndjson),
            (&body, Format::Bundle),
        ] {
            let lines = u64::try_from(bytes.split(|b| *b == b'\n').count()).expect("fits");
            if let Ok(parsed) = import::parse(bytes, format, &ctx) {
                for row in &parsed.rejected {
                    prop_assert!((1..=lines).contains(&row.line), "{row} of {lines}");
                    prop_assert!(!row.field.is_empty() && !row.reason.is_empty());
                }
            }
        }
    }
}

/// README, "Import": exit 2 means rows were quarantined, 1 that a file could not be imported
/// at all; with both in one run, "1 wins over 2", and the readable file is still imported with
/// its quarantine.
#[test]
fn a_refused_file_beside_one_with_bad_rows_exits_1_and_the_bad_rows_are_still_kept() {
    let s = Sandbox::new();
    let (refused, partial) = (fixture("missing_column.csv"), fixture("bad_rows.csv"));
    for (run, files) in [[&refused, &partial], [&partial, &refused]]
        .iter()
        .enumerate()
    {
        let out = s.import(&[files[0].as_path(), files[1].as_path()]);
        let stderr = text(&out.stderr);
        if run == 0 {
            assert!(
                text(&out.stdout).contains(&summary(&partial, 2, 0, 0, 9)),
                "the readable file is imported with its quarantine: {}",
                text(&out.stdout)
            );
        }
        assert_eq!(
            out.status.code(),
            Some(1),
            "1 wins over 2, in either order: {stderr}"
        );
        assert!(
            stderr.contains(&format!(
                "{}:1: missing required column subject",
                refused.display()
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains("1 of 2 files could not be imported"),
            "{stderr}"
        );
    }
    // The file with bad rows was imported both times: its good rows once, its bad rows kept
    // once each, however often it is imported.
    assert_eq!(s.source_ids(), ["BR-1", "BR-9"]);
    assert_eq!(s.quarantine().len(), 9);
}

//! Patient numbers from all three nations as an import meets them: a Scottish CHI number and a
//! Northern Irish H&C number are kept and labelled by their range, and a CHI-range number whose
//! first six digits are no date of birth is quarantined like any other bad number.
#![allow(clippy::unwrap_used)]

use taskgate::domain::NhsNumber;
use taskgate::domain::nhs_number::NumberScheme;
use taskgate::source::import::{self, Format, ImportContext};

const HEADER: &str = "source_id,received,priority,status,provider_ods,nhs_number,patient_name,\
                      subject";

fn row(id: &str, number: &str) -> String {
    format!("{id},2026-11-18 09:15,routine,,RXX01,{number},Sam Synthetic,Discharge summary")
}

#[test]
fn import_keeps_chi_and_hc_numbers_and_quarantines_a_chi_number_without_a_date() {
    let file = [
        HEADER.to_owned(),
        row("P-1", "010 190 0015"),
        row("P-2", "320 000 0120"),
        // Passes Modulus 11; 29 February 2001 did not exist.
        row("P-3", "290 201 1237"),
        row("P-4", "999 000 0018"),
    ]
    .join("\n");
    let owners: Vec<String> = Vec::new();
    let ctx = ImportContext {
        practice_ods: "ZGP01",
        owner_ids: &owners,
        group_ids: &[],
    };
    let parsed = import::parse(file.as_bytes(), Format::Csv, &ctx).unwrap();
    let kept: Vec<String> = parsed
        .tasks
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t.source_id,
                t.patient.nhs_number.map(|n| n.labelled()).unwrap()
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            "P-1 CHI 010 190 0015",
            "P-2 H&C 320 000 0120",
            "P-4 NHS 999 000 0018"
        ]
    );
    assert_eq!(parsed.rejected.len(), 1);
    let rejected = &parsed.rejected[0];
    assert_eq!((rejected.line, rejected.field.as_str()), (4, "nhs_number"));
    assert!(rejected.reason.contains("DDMMYY"), "{}", rejected.reason);
    assert!(!rejected.reason.contains("290"), "no digits in the reason");
}

#[test]
fn labels_follow_the_documented_ranges_at_their_edges() {
    let scheme = |text: &str| NhsNumber::parse(text).unwrap().scheme();
    assert_eq!(scheme("010 100 0006"), NumberScheme::Chi);
    assert_eq!(scheme("311 299 9991"), NumberScheme::Chi);
    assert_eq!(scheme("311 300 0009"), NumberScheme::Nhs);
    assert_eq!(scheme("320 000 0120"), NumberScheme::HealthAndCare);
    assert_eq!(scheme("485 777 3457"), NumberScheme::Nhs);
    assert_eq!(scheme("999 000 0018"), NumberScheme::Nhs);
}

/// The real binary: import, then `show` prints each number with its label; a number stored
/// before the date rule existed reads as no valid number instead of breaking the mirror.
#[test]
fn show_labels_each_number_and_a_stored_chi_non_date_reads_as_none() {
    use assert_cmd::Command;
    use std::path::Path;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mirror.sqlite");
    let csv = dir.path().join("tasks.csv");
    let file = [
        HEADER.to_owned(),
        row("P-1", "010 190 0015"),
        row("P-2", "320 000 0120"),
        row("P-3", "290 201 1237"),
    ]
    .join("\n");
    std::fs::write(&csv, file).unwrap();
    let taskgate = || {
        let mut c = Command::cargo_bin("taskgate").unwrap();
        c.env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env_remove("TASKGATE_CONFIG")
            .env_remove("TASKGATE_USER")
            .env_remove("TASKGATE_LOG")
            .arg("--config")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .arg("--db")
            .arg(&db)
            .args(["--now", "2026-11-20T12:00:00Z", "--user", "aclarke"]);
        c
    };
    // One row quarantined: exit 2, the others imported.
    taskgate().arg("import").arg(&csv).assert().code(2);
    let show = |id: &str| {
        let out = taskgate().args(["show", id]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let patient_line = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("Patient:"))
            .unwrap()
            .to_owned()
    };
    let first = show("1");
    let second = show("2");
    let lines = [patient_line(&first), patient_line(&second)];
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Sam Synthetic  CHI 010 190 0015")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Sam Synthetic  H&C 320 000 0120")),
        "{lines:?}"
    );

    // As if stored by an earlier version that did not check CHI dates.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE tasks SET patient_nhs = '2902011237' WHERE id = 1",
        [],
    )
    .unwrap();
    drop(conn);
    assert!(
        patient_line(&show("1")).contains("no valid patient number"),
        "{}",
        show("1")
    );
}

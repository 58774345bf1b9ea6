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

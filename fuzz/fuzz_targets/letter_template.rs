//! Any text as a letter template (a practice's override): a letter, or a refusal naming the
//! template or the variable, never a panic.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use taskgate::domain::letter::{LetterContext, LetterError, render};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let value = Some("Riverside".to_owned());
    let ctx = LetterContext {
        practice_name: value.clone(),
        reject_from: NaiveDate::from_ymd_opt(2026, 1, 5),
        preferred_method: value.clone(),
        urgent_route: value.clone(),
        sender_organisation: value.clone(),
        sender_team: value.clone(),
        task_reference: value.clone(),
        received_date: NaiveDate::from_ymd_opt(2026, 1, 6),
        today: NaiveDate::from_ymd_opt(2026, 1, 7),
        staff_name: value.clone(),
        clause_text: value,
        ..LetterContext::default()
    };
    match render("lmc-rejection", text, &ctx) {
        Ok(letter) => assert!(!letter.trim().is_empty()),
        Err(LetterError::Unfilled { .. }) => {}
        Err(e) => assert!(e.to_string().contains("lmc-rejection"), "{e}"),
    }
});

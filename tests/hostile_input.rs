//! Hostile input, property by property: whatever text a config file or a letter template holds,
//! and whatever a sender puts in a task that a letter quotes, taskgate answers with a letter or
//! a clear refusal naming the file, line and key (or the template and variable), never a panic.
//! The CSV row parser and the FHIR mapping get the same treatment beside their code.

use std::path::Path;

use chrono::NaiveDate;
use proptest::prelude::*;
use taskgate::config::{self, Config};
use taskgate::domain::letter::{
    LetterContext, LetterError, TASK_LETTERS, render, shipped_template,
};

const EXAMPLE: &str = include_str!("../config.example.toml");
const FILE: &str = "/etc/taskgate/practice.toml";

fn parse(text: &str) -> Result<Config, config::ConfigError> {
    Config::from_toml_str(text, Path::new(FILE))
}

/// What every refusal must carry: the file, and a line or a key to look at.
fn assert_clear(err: &config::ConfigError, text: &str) {
    let shown = err.to_string();
    assert!(shown.starts_with(FILE), "{shown}");
    assert!(err.line.is_some() || !err.key.is_empty(), "{shown}");
    if let Some(line) = err.line {
        assert!(line >= 1 && line <= text.lines().count() + 1, "{shown}");
    }
    assert!(
        !shown.contains('\n'),
        "one line, as a receptionist reads it: {shown}"
    );
}

/// The example's lines of the form `key = value` with the whole value on the line.
fn single_line_settings() -> Vec<(usize, String)> {
    EXAMPLE
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let (key, value) = line.split_once('=')?;
            let key = key.trim();
            let whole = !key.is_empty()
                && !key.starts_with('#')
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && toml::from_str::<toml::Table>(&format!("x = {value}")).is_ok();
            whole.then(|| (i, key.to_owned()))
        })
        .collect()
}

fn with_line(line: usize, replacement: &str) -> String {
    EXAMPLE
        .lines()
        .enumerate()
        .map(|(i, l)| if i == line { replacement } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Values of every TOML type, and texts a person might paste.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("true".to_owned()),
        Just("[1, 2]".to_owned()),
        Just("{ a = 1 }".to_owned()),
        Just("-1".to_owned()),
        Just("1e400".to_owned()),
        Just("1979-05-27T07:32:00Z".to_owned()),
        Just("25:99".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        ".{0,40}".prop_map(|s| toml::Value::String(s).to_string()),
    ]
}

/// Text that cannot be a TOML value, and cannot run on to the next line either.
fn broken_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("= =".to_owned()),
        Just("\"unterminated".to_owned()),
        Just("'also unterminated".to_owned()),
        Just("1.2.3".to_owned()),
        Just("tru".to_owned()),
        Just(String::new()),
        "[@#$%^&*!]{1,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_text_is_read_or_refused_clearly(text in ".{0,400}") {
        if let Err(e) = parse(&text) {
            assert_clear(&e, &text);
        }
    }

    #[test]
    fn any_value_for_any_setting_is_read_or_refused_clearly(
        pick in any::<prop::sample::Index>(),
        value in any_value(),
    ) {
        let settings = single_line_settings();
        let (line, key) = &settings[pick.index(settings.len())];
        let text = with_line(*line, &format!("{key} = {value}"));
        if let Err(e) = parse(&text) {
            assert_clear(&e, &text);
        }
    }

    #[test]
    fn a_broken_value_is_refused_at_its_own_line(
        pick in any::<prop::sample::Index>(),
        value in broken_value(),
    ) {
        let settings = single_line_settings();
        let (line, key) = &settings[pick.index(settings.len())];
        let text = with_line(*line, &format!("{key} = {value}"));
        let e = parse(&text).expect_err("not TOML");
        assert_clear(&e, &text);
        prop_assert_eq!(e.line, Some(line + 1), "{}", e);
    }

    #[test]
    fn a_deleted_or_repeated_line_is_read_or_refused_clearly(
        pick in any::<prop::sample::Index>(),
        repeat in any::<bool>(),
    ) {
        let lines: Vec<&str> = EXAMPLE.lines().collect();
        let at = pick.index(lines.len());
        let mut edited = lines.clone();
        if repeat {
            edited.insert(at, lines[at]);
        } else {
            edited.remove(at);
        }
        let text = edited.join("\n");
        if let Err(e) = parse(&text) {
            assert_clear(&e, &text);
        }
    }

    #[test]
    fn a_config_file_of_any_bytes_is_refused_naming_the_file(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        cut in any::<prop::sample::Index>(),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        // A byte that is never UTF-8 somewhere in the file: no such file is a config, so it
        // must be refused (not read as something else), and the refusal names the file.
        let mut bytes = bytes;
        bytes.insert(cut.index(bytes.len() + 1), 0xFF);
        std::fs::write(&path, &bytes).expect("write");
        let e = config::load(Some(&path), None).expect_err("bytes that are not text");
        prop_assert!(e.to_string().contains(&path.display().to_string()), "{}", e);
    }

    #[test]
    fn a_config_file_of_any_text_is_read_as_the_parser_reads_it_or_refused_naming_the_file(
        text in ".{0,300}",
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, &text).expect("write");
        match config::load(Some(&path), None) {
            Err(e) => {
                prop_assert!(e.to_string().contains(&path.display().to_string()), "{}", e);
                prop_assert!(parse(&text).is_err(), "the file was refused, the text is read");
            }
            Ok(_) => prop_assert!(parse(&text).is_ok(), "the file was read, the text refused"),
        }
    }

    #[test]
    fn a_key_written_into_the_config_is_refused_without_repeating_it(secret in "[!-~ ]{6,40}") {
        let text = EXAMPLE.replace(
            "[storage]\n",
            &format!("[storage]\nkey = {}\n", toml::Value::String(secret.clone())),
        );
        let e = parse(&text).expect_err("a key in the file");
        prop_assert_eq!(e.key.as_str(), "storage.key");
        prop_assert!(e.message.contains("storage.key_env"), "{}", e);
        prop_assert!(!e.to_string().contains(secret.trim()), "{}", e);

        // Pasted where the variable's name belongs, it is refused the same way.
        prop_assume!(!secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        let text = EXAMPLE.replace(
            "[storage]\n",
            &format!("[storage]\nkey_env = {}\n", toml::Value::String(secret.clone())),
        );
        let e = parse(&text).expect_err("not a variable's name");
        prop_assert_eq!(e.key.as_str(), "storage.key_env");
        prop_assert!(!e.to_string().contains(secret.trim()), "{}", e);
    }
}

// ----- letter templates -----

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// A context with every task letter's variables set to `text` (or a date).
fn context(text: &str) -> LetterContext {
    let t = Some(text.to_owned());
    LetterContext {
        practice_name: t.clone(),
        reject_from: Some(date(2026, 1, 5)),
        preferred_method: t.clone(),
        urgent_route: t.clone(),
        sender_organisation: t.clone(),
        sender_team: t.clone(),
        task_reference: t.clone(),
        received_date: Some(date(2026, 1, 6)),
        today: Some(date(2026, 1, 7)),
        staff_name: t.clone(),
        sign_off: t.clone(),
        clause_text: t,
        ..LetterContext::default()
    }
}

/// Pieces of template syntax, whole and broken, with known and unknown names.
fn template_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z ,.\n]{0,20}",
        Just("{{ practice_name }}".to_owned()),
        Just("{{ sender_team | upper }}".to_owned()),
        Just("{{ patient_name }}".to_owned()),
        Just("{{ task_reference.nope }}".to_owned()),
        Just("{% if urgent_route_is_email %}".to_owned()),
        Just("{% endif %}".to_owned()),
        Just("{% for t in rejected_tasks %}{{ t.reference }}".to_owned()),
        Just("{% endfor %}".to_owned()),
        Just("{{".to_owned()),
        Just("}}".to_owned()),
        Just("{%".to_owned()),
        Just("{#".to_owned()),
        Just("{{ 1 / 0 }}".to_owned()),
        Just("{{ today ~ received_date }}".to_owned()),
        Just("{% set x = practice_name %}{{ x }}".to_owned()),
        Just("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}".to_owned()),
    ]
}

/// The template text outside `{# … #}` comments, which the renderer skips unread: a comment
/// ends at the first `#}` after it opens.
fn outside_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find("{#") {
        out.push_str(&rest[..open]);
        match rest[open + 2..].find("#}") {
            Some(close) => rest = &rest[open + 2 + close + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn assert_names_the_letter(err: &LetterError, name: &str) {
    let shown = err.to_string();
    let names = match err {
        LetterError::Unfilled { variable, .. } => shown.contains(variable.as_str()),
        _ => shown.contains(name),
    };
    assert!(names, "the refusal says which letter or variable: {shown}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_template_text_renders_or_is_refused_by_name(text in ".{0,300}") {
        match render("lmc-rejection", &text, &context("Riverside")) {
            Ok(letter) => prop_assert!(!letter.trim().is_empty()),
            Err(e) => assert_names_the_letter(&e, "lmc-rejection"),
        }
    }

    #[test]
    fn any_mix_of_template_syntax_renders_or_is_refused_by_name(
        pieces in proptest::collection::vec(template_piece(), 0..12),
    ) {
        let text = pieces.concat();
        match render("immediate-action", &text, &context("Riverside")) {
            Ok(letter) => {
                prop_assert!(!letter.trim().is_empty());
                // A name inside a `{# … #}` comment is never read, so it is not let through.
                prop_assert!(
                    !outside_comments(&text).contains("patient_name"),
                    "an unknown name was let through"
                );
            }
            Err(e) => assert_names_the_letter(&e, "immediate-action"),
        }
    }

    #[test]
    fn whatever_a_sender_writes_is_quoted_verbatim_and_never_run(value in "\\PC{1,60}") {
        prop_assume!(!value.trim().is_empty());
        for name in TASK_LETTERS {
            let template = shipped_template(name).expect("shipped");
            let letter = render(name, template, &context(&value))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            prop_assert!(letter.contains(value.trim()), "{name} lost the value");
        }
    }
}

#[test]
fn template_syntax_in_a_senders_text_is_printed_not_evaluated() {
    let sneaky = "{{ practice_name }} {% for x in range(9) %}x{% endfor %}";
    let letter = render(
        "lmc-rejection",
        shipped_template("lmc-rejection").expect("shipped"),
        &context(sneaky),
    )
    .expect("renders");
    assert!(letter.contains(sneaky), "{letter}");
}

#[test]
fn a_blank_value_is_refused_naming_the_variable_and_its_config_key() {
    let err = render(
        "lmc-rejection",
        shipped_template("lmc-rejection").expect("shipped"),
        &context("   "),
    )
    .expect_err("a letter with gaps");
    let shown = err.to_string();
    assert!(
        shown.contains("practice_name") || shown.contains("preferred_method"),
        "{shown}"
    );
    assert!(shown.contains("in the config"), "{shown}");
}

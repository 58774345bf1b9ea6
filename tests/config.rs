//! The config as a practice manager meets it: the shipped example works, a minimal file gets
//! sensible defaults, every mistake is reported with its key and line, the file is found where
//! the documentation says, and the acting user is worked out in the documented order.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, Weekday};
use taskgate::config::{
    Config, ConfigError, FoundBy, LoadError, SourceKind, UserError, acting_user, load_with,
    resolve_config_path_with,
};
use taskgate::domain::calendar::{Nation, WorkingDuration};
use taskgate::domain::{Agreement, EscalationStage, Priority};

const MINIMAL: &str = r#"
[practice]
name = "Test Surgery"
ods_code = "ZZZ01"

[policy]
reject_from = 2026-01-05
preferred_method = "a letter"
urgent_route = "01632 960000"
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, Path::new("config.toml"))
}

/// The minimal config with `extra` appended; line numbers in `extra` start at 11.
fn with(extra: &str) -> String {
    format!("{MINIMAL}\n{extra}")
}

fn error_of(text: &str) -> ConfigError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// Asserts that `text` is refused at `key` on `line`, and returns the error for more checks.
#[track_caller]
fn refused_at(text: &str, key: &str, line: Option<usize>) -> ConfigError {
    let e = error_of(text);
    assert_eq!((e.key.as_str(), e.line), (key, line), "{e}");
    e
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

#[test]
fn the_embedded_example_parses_and_fills_every_section() {
    let c = Config::example();
    assert_eq!(c.practice.name, "Riverside Medical Practice");
    assert!(!c.practice.ods_code.is_empty());
    assert!(c.practice.phone.is_some());
    assert_eq!(c.policy.reject_from, date(2026, 1, 5));
    assert!(c.policy.urgent_route_is_email() || !c.policy.urgent_route.is_empty());
    let ids: Vec<&str> = c.policy.categories.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "results",
            "referral",
            "prescription-discharge",
            "prescription-clinic",
            "fit-note"
        ]
    );
    for (id, clause) in [
        ("results", "12.1.1"),
        ("results", "12.1.3"),
        ("referral", "8.4"),
        ("prescription-discharge", "11.9"),
        ("prescription-clinic", "11.10"),
        ("fit-note", "11.12"),
    ] {
        let category = c
            .policy
            .categories
            .iter()
            .find(|k| k.id == id)
            .expect("category");
        assert!(
            category.clause.contains(clause),
            "{id} should cite {clause}"
        );
        assert!(!category.keywords.is_empty());
    }
    assert!(!c.letters.sign_off.is_empty());
    assert_eq!(c.working_time.days.len(), 5);
    assert!(!c.working_time.closures.is_empty());
    assert_eq!(
        c.threshold_for(Priority::Stat),
        WorkingDuration::Minutes(30)
    );
    assert!(c.staff.len() >= 3 && c.groups.len() >= 2 && c.providers.len() >= 5);
    assert!(c.providers.iter().any(|p| p.agreement_since.is_some()));
    assert_eq!(c.source.kind, SourceKind::Demo);
    assert_eq!(c.logging.level, "info");
    assert_eq!(c.staff_by_id(&c.staff[0].id), Some(&c.staff[0]));
    assert_eq!(c.group_by_id(&c.groups[0].id), Some(&c.groups[0]));
    assert!(c.staff_by_id("nobody").is_none());
    // The same file on disk is what the binary embeds.
    let on_disk =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .expect("config.example.toml");
    assert_eq!(parse(&on_disk).expect("example parses"), c);
}

#[test]
fn the_example_categories_match_the_demo_subjects() {
    let c = Config::example();
    let matches = |subject: &str| {
        let subject = subject.to_lowercase();
        c.policy
            .categories
            .iter()
            .filter(|k| {
                k.keywords
                    .iter()
                    .any(|w| subject.contains(&w.to_lowercase()))
            })
            .map(|k| k.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        matches("Please inform patient of X-ray result"),
        ["results"]
    );
    assert_eq!(
        matches("Please make onward referral to memory clinic"),
        ["referral"]
    );
    assert_eq!(
        matches("Discharge medication - please prescribe"),
        ["prescription-discharge"]
    );
    assert_eq!(
        matches("Please issue prescription as advised in clinic"),
        ["prescription-clinic"]
    );
    assert_eq!(matches("Please issue sick note extension"), ["fit-note"]);
    assert!(matches("Patient update: wound healing well").is_empty());
}

#[test]
fn a_minimal_config_gets_the_documented_defaults() {
    let c = parse(MINIMAL).expect("minimal config");
    assert_eq!(c.practice.nation, Nation::EnglandAndWales);
    assert_eq!(c.practice.phone, None);
    assert_eq!(c.policy.max_body_chars, 400);
    assert_eq!(c.policy.persistent_after, 3);
    // With no categories listed, the shipped ones apply.
    assert_eq!(c.policy.categories, Config::example().policy.categories);
    assert_eq!(c.letters.sign_off, "Reception team");
    let weekdays = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    assert_eq!(c.working_time.days, weekdays);
    assert_eq!(
        c.working_time.start,
        NaiveTime::from_hms_opt(8, 0, 0).expect("time")
    );
    assert_eq!(
        c.working_time.end,
        NaiveTime::from_hms_opt(18, 30, 0).expect("time")
    );
    assert!(c.working_time.closures.is_empty() && c.working_time.bank_holidays_file.is_none());
    assert_eq!(
        c.threshold_for(Priority::Routine),
        "1 working day".parse().expect("duration")
    );
    assert_eq!(
        c.threshold_for(Priority::Urgent),
        "2 working hours".parse().expect("duration")
    );
    assert_eq!(
        c.threshold_for(Priority::Asap),
        "1 working hour".parse().expect("duration")
    );
    assert_eq!(c.overdue.assigned_stalled, WorkingDuration::Days(5));
    assert!(c.staff.is_empty() && c.groups.is_empty() && c.providers.is_empty());
    assert_eq!(c.source.kind, SourceKind::Demo);
    assert_eq!(c.source.poll_interval, Duration::from_mins(5));
    assert_eq!(c.source.request_timeout, Duration::from_secs(30));
    assert_eq!(c.sync.stale_after, Duration::from_mins(30));
    assert_eq!(c.sync.undo_window, Duration::from_secs(20));
    assert_eq!(c.storage.path, None);
    assert_eq!(c.logging.level, "info");
    assert!(c.keys.is_empty());
}

#[test]
fn reject_from_accepts_a_quoted_date_too() {
    let text = MINIMAL.replace("2026-01-05", "\"2026-01-05\"");
    assert_eq!(
        parse(&text).expect("quoted date").policy.reject_from,
        date(2026, 1, 5)
    );
}

#[test]
fn an_unknown_key_names_the_key_its_line_and_the_keys_allowed() {
    let text = "[practice]\nname = \"X\"\ncolour = \"blue\"\nods_code = \"Z1\"\n";
    let e = error_of(text);
    assert_eq!(e.key, "practice.colour");
    assert_eq!(e.line, Some(3));
    assert_eq!(
        e.to_string(),
        "config.toml line 3: practice.colour: unknown key (expected one of: name, ods_code, \
         nation, phone)"
    );
}

#[test]
fn an_impossible_date_names_its_key_and_line() {
    let quoted = MINIMAL.replace("2026-01-05", "\"2026-13-01\"");
    let e = refused_at(&quoted, "policy.reject_from", Some(7));
    assert_eq!(
        e.to_string(),
        "config.toml line 7: policy.reject_from: \"2026-13-01\" is not a date (expected YYYY-MM-DD)"
    );
    // Unquoted, TOML itself refuses the literal; the key is still named.
    let bare = MINIMAL.replace("2026-01-05", "2026-13-01");
    let e = refused_at(&bare, "policy.reject_from", Some(7));
    assert!(e.message.contains("month"), "{e}");
    let word = MINIMAL.replace("2026-01-05", "\"yesterday\"");
    let e = refused_at(&word, "policy.reject_from", Some(7));
    assert!(e.message.contains("\"yesterday\" is not a date"), "{e}");
}

/// Each case: what is appended to the minimal config (its first line is line 11), the key the
/// error must name, its line, and a phrase the message must contain.
#[rustfmt::skip]
const BAD_VALUES: &[(&str, &str, usize, &str)] = &[
    ("[working_time]\nclosures = [2026-03-11, \"11/03/2026\"]",
        "working_time.closures[1]", 12, "\"11/03/2026\" is not a date"),
    ("[working_time]\nstart = \"8am\"", "working_time.start", 12, "\"8am\" is not a time of day"),
    ("[working_time]\nstart = \"18:00\"\nend = \"08:00\"",
        "working_time.end", 13, "08:00 is not after start 18:00"),
    ("[working_time]\n\ndays = [\"mon\", \"funday\"]", "working_time.days[1]", 13, "\"funday\""),
    ("[overdue]\nroutine = \"1d\"\nurgent = \"soon\"", "overdue.urgent", 13, "\"soon\""),
    ("[sync]\nstale_after = \"half an hour\"", "sync.stale_after", 12, "not a duration"),
    ("[sync]\nundo_window = \"soon\"", "sync.undo_window", 12, "not a duration"),
    ("[sync]\n\nundo_window = \"2h\"", "sync.undo_window", 13, "longer than 1h"),
    ("[source]\nkind = \"email\"", "source.kind", 12, "\"email\" is not one of: demo, file, fhir"),
    ("[source]\nkind = \"file\"", "source.folder", 12, "required when kind = \"file\""),
    ("[source]\nkind = \"fhir\"\ntoken_env = \"FHIR_TOKEN\"",
        "source.base_url", 12, "required when kind = \"fhir\""),
    ("[source]\nkind = \"fhir\"\nbase_url = \"https://fhir.example/R4\"",
        "source.token_env", 12, "NAME of the environment variable"),
    ("[source]\nkind = \"fhir\"\nbase_url = \"https://f.example\"\ntoken_env = \"eyJhb.c.d\"",
        "source.token_env", 14, "never the token itself"),
    ("[[providers]]\nods_code = \"R1\"\nname = \"Trust\"\nagreement = \"sop\"",
        "providers[0].agreement_since", 14, "required when agreement = \"sop\""),
    ("[logging]\nlevel = \"loud\"", "logging.level", 12, "\"loud\" is not a log level"),
    ("[extras]\nfoo = 1", "extras", 11, "unknown key"),
];

#[test]
fn each_bad_value_names_its_key_and_line() {
    for (extra, key, line, phrase) in BAD_VALUES {
        let e = refused_at(&with(extra), key, Some(*line));
        assert!(e.message.contains(phrase), "{e} should say {phrase}");
    }
}

#[test]
fn a_complete_fhir_source_is_accepted() {
    let good =
        "[source]\nkind = \"fhir\"\nbase_url = \"https://f.example\"\ntoken_env = \"FHIR_TOKEN\"\n";
    assert_eq!(
        parse(&with(good)).expect("fhir config").source.kind,
        SourceKind::Fhir
    );
}

#[test]
fn an_unknown_nation_names_its_key_and_line() {
    let text = MINIMAL.replace(
        "ods_code = \"ZZZ01\"",
        "ods_code = \"ZZZ01\"\nnation = \"wales\"",
    );
    let e = refused_at(&text, "practice.nation", Some(5));
    assert!(e.message.contains("england-and-wales"), "{e}");
}

const STAFF: &str = "[[staff]]\nid = \"ann\"\nname = \"Ann\"\nlogin = \"AnnL\"\n\n\
                     [[staff]]\nid = \"bob\"\nname = \"Bob\"\n";

#[test]
fn a_group_member_who_is_not_staff_names_the_member_and_its_line() {
    let groups = "\n[[groups]]\nid = \"rx\"\nname = \"Rx\"\nmembers = [\"ann\"]\n\n\
                  [[groups]]\nid = \"desk\"\nname = \"Desk\"\nmembers = [\"bob\", \"zed\"]\n";
    let e = refused_at(
        &with(&format!("{STAFF}{groups}")),
        "groups[1].members[1]",
        Some(28),
    );
    assert!(
        e.message.contains("\"zed\"") && e.message.contains("ann, bob"),
        "{e}"
    );
}

#[test]
fn a_duplicate_staff_id_names_the_second_one() {
    refused_at(
        &with(&format!(
            "{STAFF}\n[[staff]]\nid = \"ann\"\nname = \"Ann 2\"\n"
        )),
        "staff[2].id",
        Some(21),
    );
}

#[test]
fn a_missing_required_key_names_it_and_its_table() {
    let e = refused_at(
        &with("[[staff]]\nname = \"No Id\"\n"),
        "staff[0].id",
        Some(11),
    );
    assert_eq!(e.message, "required key is missing");
    refused_at(
        "[practice]\nname = \"X\"\nods_code = \"Z\"\n",
        "policy",
        None,
    );
}

#[test]
fn providers_become_domain_providers_at_stage_zero() {
    let c = parse(&with(
        "[[providers]]\nods_code = \"R1\"\nname = \"Trust\"\nagreement = \"sop\"\n\
         agreement_since = 2025-04-01\n",
    ))
    .expect("config");
    let p = &c.providers()[0];
    assert_eq!(
        p.agreement,
        Agreement::Sop {
            since: date(2025, 4, 1)
        }
    );
    assert_eq!(p.escalation, EscalationStage::None);
    assert_eq!(
        c.provider_by_ods("r1").map(|e| e.name.as_str()),
        Some("Trust")
    );
}

#[test]
fn lookup_order_is_flag_then_environment_then_platform_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flag = dir.path().join("flag.toml");
    let env = dir.path().join("env.toml");
    let platform = dir.path().join("config.toml");
    for p in [&flag, &env, &platform] {
        std::fs::write(p, MINIMAL).expect("write");
    }
    let env_value = || Some(OsString::from(&env));

    let found = resolve_config_path_with(Some(&flag), env_value(), Some(&platform));
    assert_eq!(
        found.map(|s| (s.path, s.found_by)),
        Some((flag.clone(), FoundBy::Flag))
    );
    let found = resolve_config_path_with(None, env_value(), Some(&platform));
    assert_eq!(
        found.map(|s| (s.path, s.found_by)),
        Some((env.clone(), FoundBy::Env))
    );
    let found = resolve_config_path_with(None, Some(OsString::new()), Some(&platform));
    assert_eq!(found.map(|s| s.found_by), Some(FoundBy::PlatformDir));

    let loaded = load_with(None, None, Some(&platform)).expect("platform config loads");
    assert_eq!(loaded.source.found_by, FoundBy::PlatformDir);
    assert_eq!(loaded.config.practice.name, "Test Surgery");

    // The platform file counts only when it exists.
    std::fs::remove_file(&platform).expect("remove");
    assert_eq!(resolve_config_path_with(None, None, Some(&platform)), None);
    match load_with(None, None, Some(&platform)) {
        Err(e @ LoadError::NotFound { .. }) => {
            let text = e.to_string();
            assert!(text.contains("config.example.toml"), "{text}");
            assert!(text.contains(&platform.display().to_string()), "{text}");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn a_named_config_that_is_missing_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = dir.path().join("config.toml");
    std::fs::write(&platform, MINIMAL).expect("write");
    let gone = dir.path().join("gone.toml");
    match load_with(None, Some(gone.clone().into_os_string()), Some(&platform)) {
        Err(
            e @ LoadError::Missing {
                found_by: FoundBy::Env,
                ..
            },
        ) => {
            assert!(e.to_string().contains(&gone.display().to_string()), "{e}");
            assert!(e.to_string().contains("TASKGATE_CONFIG"), "{e}");
        }
        other => panic!("expected Missing, got {other:?}"),
    }
}

#[test]
fn a_bad_file_on_disk_is_reported_with_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        MINIMAL.replace("Test Surgery\"", "Test Surgery\"\nmotto = \"x\""),
    )
    .expect("write");
    match load_with(Some(&path), None, None) {
        Err(LoadError::Invalid(e)) => {
            assert_eq!(
                (e.file.as_path(), e.line, e.key.as_str()),
                (path.as_path(), Some(4), "practice.motto")
            );
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn staff_config() -> Config {
    parse(&with(STAFF)).expect("config with staff")
}

#[test]
fn acting_user_prefers_flag_then_environment_then_login() {
    let c = staff_config();
    let who = |flag, env, login| acting_user(&c, flag, env, login).map(|s| s.id);
    assert_eq!(
        who(Some("bob"), Some("ann"), Some("annl")),
        Ok("bob".to_owned())
    );
    assert_eq!(who(None, Some("bob"), Some("annl")), Ok("bob".to_owned()));
    assert_eq!(who(None, Some(""), Some("annl")), Ok("ann".to_owned()));
    assert_eq!(who(None, None, Some("AnnL")), Ok("ann".to_owned()));
}

#[test]
fn acting_user_errors_say_what_to_do() {
    let c = staff_config();
    let e = acting_user(&c, Some("zed"), None, None).expect_err("unknown id");
    assert!(matches!(&e, UserError::UnknownId { id, .. } if id == "zed"));
    let text = e.to_string();
    assert!(
        text.contains("--user") && text.contains("ann, bob"),
        "{text}"
    );

    let e = acting_user(&c, None, Some("zed"), None).expect_err("unknown id");
    assert!(e.to_string().contains("TASKGATE_USER"), "{e}");

    let e = acting_user(&c, None, None, Some("carol")).expect_err("no match");
    let text = e.to_string();
    assert!(
        text.contains("--user") && text.contains("TASKGATE_USER"),
        "{text}"
    );
    assert!(text.contains("login = \"carol\""), "{text}");
}

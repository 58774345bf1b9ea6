//! Letters through the public API: every shipped letter renders with the practice's words and
//! the right sender, the LMC's own sentences survive, the email caveat follows the urgent route,
//! and a letter with a missing or unknown variable, or a broken template, is refused with an
//! error that says what to fix.

use chrono::NaiveDate;
use proptest::prelude::*;
use taskgate::domain::letter::{
    FilledBy, LetterContext, LetterError, RejectedSummary, SHIPPED_TEMPLATES, TASK_LETTERS, render,
    resolve_template, shipped_template, template_variables, variable, variables,
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

const PHONE_ROUTE: &str = "01632 960001 (professional line)";
const EMAIL_ROUTE: &str = "riverside.urgent@nhs.net";
const CAVEAT: &str = "Emails must not be sent to individuals in the practice team, as this has \
                      the same patient safety issues as individual tasks.";

/// Every variable filled, as the TUI would fill it for a provider-work task from a persistent
/// sender.
fn full_context() -> LetterContext {
    LetterContext {
        practice_name: Some(String::from("Riverside Medical Practice")),
        reject_from: Some(date(2026, 1, 5)),
        preferred_method: Some(String::from("NHSmail to riverside.admin@nhs.net")),
        urgent_route: Some(String::from(PHONE_ROUTE)),
        sender_organisation: Some(String::from("Hull Community Health Trust")),
        sender_team: Some(String::from("District Nursing East")),
        task_reference: Some(String::from("TSK-48213")),
        received_date: Some(date(2026, 2, 3)),
        today: Some(date(2026, 2, 4)),
        staff_name: Some(String::from("Priya Shah")),
        sign_off: Some(String::from("Reception team, Riverside Medical Practice")),
        clause_text: Some(String::from(
            "NHS Standard Contract 11.12: the provider issues fit notes covering the full period \
             of absence.\n",
        )),
        rejected_tasks: Some(vec![
            RejectedSummary {
                received: date(2026, 1, 12),
                reference: "TSK-40001".into(),
            },
            RejectedSummary {
                received: date(2026, 1, 20),
                reference: "TSK-40877".into(),
            },
        ]),
        rejected_count: Some(3),
        period_from: Some(date(2026, 1, 5)),
        period_to: Some(date(2026, 2, 4)),
    }
}

fn render_shipped(name: &str, ctx: &LetterContext) -> String {
    let text = shipped_template(name).expect("shipped");
    render(name, text, ctx).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `ctx` with the value behind `name` removed, and the variable the refusal should name (the
/// derived `urgent_route_is_email` can only go missing with `urgent_route`).
fn without(mut ctx: LetterContext, name: &str) -> (LetterContext, &'static str) {
    match name {
        "practice_name" => ctx.practice_name = None,
        "reject_from" => ctx.reject_from = None,
        "preferred_method" => ctx.preferred_method = None,
        "urgent_route" | "urgent_route_is_email" => ctx.urgent_route = None,
        "sender_organisation" => ctx.sender_organisation = None,
        "sender_team" => ctx.sender_team = None,
        "task_reference" => ctx.task_reference = None,
        "received_date" => ctx.received_date = None,
        "today" => ctx.today = None,
        "staff_name" => ctx.staff_name = None,
        "sign_off" => ctx.sign_off = None,
        "clause_text" => ctx.clause_text = None,
        "rejected_tasks" => ctx.rejected_tasks = None,
        "rejected_count" => ctx.rejected_count = None,
        "period_from" => ctx.period_from = None,
        "period_to" => ctx.period_to = None,
        other => panic!("the test does not know how to unset `{other}`: add it here"),
    }
    let expected = if name == "urgent_route_is_email" {
        "urgent_route"
    } else {
        variable(name).expect("a known variable").name
    };
    (ctx, expected)
}

#[test]
fn the_rejection_letter_keeps_the_lmc_suggested_text_with_the_practice_words() {
    let letter = render_shipped("lmc-rejection", &full_context());
    assert!(
        letter.contains(
            "Dear Colleague\n\nYou have communicated with Riverside Medical Practice via a \
             SystemOne Task. Please be aware that from 5 January 2026 we do not accept tasks \
             from external providers as a method of communication with the practice due to \
             patient safety concerns. Please resend the information via NHSmail to \
             riverside.admin@nhs.net. Your Task has not been acted on or actioned."
        ),
        "{letter}"
    );
    assert!(letter.contains(PHONE_ROUTE), "{letter}");
}

#[test]
fn every_shipped_letter_names_its_recipient_and_sender_in_the_header_and_is_signed() {
    let ctx = full_context();
    for (name, _) in SHIPPED_TEMPLATES {
        let letter = render_shipped(name, &ctx);
        let header: String = letter.lines().take(4).collect::<Vec<_>>().join("\n");
        for needed in [
            "Hull Community Health Trust",
            "District Nursing East",
            "4 February 2026",
        ] {
            assert!(
                header.contains(needed),
                "{name} header lacks {needed}:\n{header}"
            );
        }
        assert!(
            letter
                .trim_end()
                .ends_with("Priya Shah\nReception team, Riverside Medical Practice"),
            "{name} sign-off:\n{letter}"
        );
        assert!(
            !letter.contains("{{") && !letter.contains("{%"),
            "{name}:\n{letter}"
        );
    }
}

#[test]
fn task_letters_cite_the_task_and_say_it_was_not_actioned() {
    let ctx = full_context();
    for name in TASK_LETTERS {
        let letter = render_shipped(name, &ctx);
        let header: String = letter.lines().take(4).collect::<Vec<_>>().join("\n");
        assert!(header.contains("TSK-48213"), "{name}:\n{header}");
        assert!(
            header.contains("received 3 February 2026"),
            "{name}:\n{header}"
        );
        for needed in [
            "Your Task has not been acted on or actioned.",
            "Riverside Medical Practice",
            PHONE_ROUTE,
            "NHSmail to riverside.admin@nhs.net",
        ] {
            assert!(letter.contains(needed), "{name} lacks {needed}:\n{letter}");
        }
    }
    let immediate = render_shipped("immediate-action", &ctx);
    assert!(immediate.contains("within two weeks"), "{immediate}");
    let contractual = render_shipped("provider-responsibility", &ctx);
    assert!(
        contractual.contains("NHS Standard Contract 11.12: the provider issues fit notes"),
        "{contractual}"
    );
}

#[test]
fn escalation_letters_give_counts_dates_and_references_of_rejected_tasks() {
    let ctx = full_context();
    let escalations = SHIPPED_TEMPLATES
        .iter()
        .filter(|(n, _)| n.starts_with("escalation-"));
    for (name, _) in escalations {
        let letter = render_shipped(name, &ctx);
        for needed in [
            "Between 5 January 2026 and 4 February 2026",
            "rejected 3 Tasks",
            "received 12 January 2026, Task reference TSK-40001",
            "received 20 January 2026, Task reference TSK-40877",
        ] {
            assert!(letter.contains(needed), "{name} lacks {needed}:\n{letter}");
        }
    }
    let one = LetterContext {
        rejected_count: Some(1),
        ..ctx
    };
    let letter = render_shipped("escalation-reminder", &one);
    assert!(letter.contains("rejected 1 Task from"), "{letter}");
}

#[test]
fn the_email_caveat_follows_an_email_urgent_route_and_not_a_phone_number() {
    let email = LetterContext {
        urgent_route: Some(String::from(EMAIL_ROUTE)),
        ..full_context()
    };
    let phone = full_context();
    let mut letters_with_route = 0;
    for (name, text) in SHIPPED_TEMPLATES {
        let uses_route = template_variables(name, text)
            .expect("shipped templates are valid")
            .iter()
            .any(|v| v.name == "urgent_route");
        let by_email = render_shipped(name, &email);
        if uses_route {
            letters_with_route += 1;
            assert!(by_email.contains(EMAIL_ROUTE), "{name}:\n{by_email}");
            assert!(
                by_email.contains(CAVEAT),
                "{name} lacks the caveat:\n{by_email}"
            );
        }
        let by_phone = render_shipped(name, &phone);
        assert!(
            !by_phone.contains("must not be sent"),
            "{name}:\n{by_phone}"
        );
    }
    assert!(letters_with_route >= TASK_LETTERS.len());
}

#[test]
fn each_missing_variable_is_refused_naming_it_and_where_it_comes_from() {
    for (name, text) in SHIPPED_TEMPLATES {
        let used = template_variables(name, text).expect("shipped templates are valid");
        assert!(used.len() >= 5, "{name} uses only {used:?}");
        for var in used {
            let (ctx, expected) = without(full_context(), var.name);
            let err = render(name, text, &ctx).expect_err("a variable is missing");
            let LetterError::Unfilled {
                ref variable,
                filled_by,
            } = err
            else {
                panic!("{name} without {}: {err}", var.name);
            };
            assert_eq!(variable, expected, "{name}");
            let message = err.to_string();
            assert!(message.contains(&format!("`{expected}`")), "{message}");
            match filled_by {
                FilledBy::Config(key) => assert!(
                    message.contains(&format!("{key} in the config")),
                    "{message}"
                ),
                FilledBy::Caller(source) => assert!(message.contains(source), "{message}"),
            }
        }
    }
}

#[test]
fn a_missing_urgent_route_names_the_config_key_in_plain_words() {
    let ctx = LetterContext {
        urgent_route: Some(String::from("   ")),
        ..full_context()
    };
    let err = render_err("lmc-rejection", &ctx);
    assert_eq!(
        err.to_string(),
        "the letter needs `urgent_route`, which comes from policy.urgent_route in the config: \
         set it and try again"
    );
}

fn render_err(name: &str, ctx: &LetterContext) -> LetterError {
    render(name, shipped_template(name).expect("shipped"), ctx).expect_err("refused")
}

#[test]
fn every_variable_says_where_its_value_comes_from() {
    assert_eq!(
        variable("practice_name").map(|v| v.filled_by),
        Some(FilledBy::Config("practice.name"))
    );
    assert_eq!(
        variable("clause_text").map(|v| v.filled_by),
        Some(FilledBy::Config("policy.categories[].clause"))
    );
    for v in variables() {
        let source = match v.filled_by {
            FilledBy::Config(s) | FilledBy::Caller(s) => s,
        };
        assert!(!source.trim().is_empty() && !v.meaning.is_empty(), "{v:?}");
    }
}

#[test]
fn an_override_wins_and_an_unknown_variable_in_it_is_refused_by_name() {
    let own = "To: {{ sender_team }}\nDear {{ patient_name }}, from {{ practice_name }}\n";
    let text = resolve_template("lmc-rejection", Some(own.to_owned())).expect("known name");
    assert_eq!(text, own);
    let err = render("lmc-rejection", &text, &full_context()).expect_err("unknown variable");
    assert_eq!(
        err,
        LetterError::UnknownVariable {
            variable: "patient_name".into(),
            template: "lmc-rejection".into()
        }
    );
    let message = err.to_string();
    assert!(message.contains("`patient_name`"), "{message}");
    assert!(
        message.contains("practice_name") && message.contains("urgent_route"),
        "{message}"
    );

    let shipped = resolve_template("immediate-action", None).expect("known name");
    assert_eq!(Some(shipped.as_str()), shipped_template("immediate-action"));
}

#[test]
fn an_unknown_letter_name_lists_the_letters_there_are() {
    let err = resolve_template("lmc-rejektion", Some("hello".into())).expect_err("no such letter");
    let message = err.to_string();
    assert!(message.contains("`lmc-rejektion`"), "{message}");
    for (name, _) in SHIPPED_TEMPLATES {
        assert!(message.contains(name), "{message}");
    }
}

#[test]
fn a_syntax_error_names_the_template_and_the_line() {
    let broken = "To: {{ sender_team }}\n\nDear Colleague {{ practice_name \n";
    let err = render("escalation-icb", broken, &full_context()).expect_err("broken template");
    assert!(
        matches!(err, LetterError::Template { ref template, line: Some(3), .. } if template == "escalation-icb"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("`escalation-icb`") && message.contains("line 3"),
        "{message}"
    );
}

/// True when `text` holds ten digits grouped like an NHS number (`943 476 5919`, `943-476-5919`
/// or `9434765919`) with no further digit either side.
fn has_nhs_like_number(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let digits_at = |i: usize, n: usize| {
        chars
            .get(i..i + n)
            .is_some_and(|s| s.iter().all(char::is_ascii_digit))
    };
    (0..chars.len()).any(|start| {
        if start > 0 && chars[start - 1].is_ascii_digit() {
            return false;
        }
        let mut i = start;
        for (n, sep_after) in [(3, true), (3, true), (4, false)] {
            if !digits_at(i, n) {
                return false;
            }
            i += n;
            if sep_after && matches!(chars.get(i), Some(' ' | '-')) {
                i += 1;
            }
        }
        !chars.get(i).is_some_and(char::is_ascii_digit)
    })
}

#[test]
fn the_nhs_number_detector_recognises_the_shapes_it_guards_against() {
    assert!(has_nhs_like_number("patient 943 476 5919."));
    assert!(has_nhs_like_number("9434765919"));
    assert!(!has_nhs_like_number("call 01632 960001"));
    assert!(!has_nhs_like_number("Task TSK-48213"));
}

#[test]
fn no_letter_carries_patient_identifiers() {
    for v in variables() {
        for word in ["nhs", "patient", "birth", "dob"] {
            assert!(
                !v.name.contains(word),
                "letters must not offer `{}`",
                v.name
            );
        }
    }
    let ctx = full_context();
    for (name, text) in SHIPPED_TEMPLATES {
        let letter = render_shipped(name, &ctx);
        assert!(!has_nhs_like_number(&letter), "{name}:\n{letter}");
        let lower = text.to_lowercase();
        for phrase in ["nhs number", "date of birth", "patient name"] {
            assert!(!lower.contains(phrase), "{name} mentions {phrase}");
        }
    }
}

/// Fragments that make up plausible and broken templates alike, so generated text reaches the
/// parser's error paths as well as successful renders.
fn template_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{{ ".to_owned()),
        Just(" }}".to_owned()),
        Just("{% if urgent_route_is_email %}".to_owned()),
        Just("{% endif %}".to_owned()),
        Just("{% for t in rejected_tasks %}{{ t.reference }}".to_owned()),
        Just("{% endfor %}".to_owned()),
        Just("{#".to_owned()),
        Just("#}".to_owned()),
        Just("{%".to_owned()),
        Just("practice_name".to_owned()),
        Just("patient".to_owned()),
        Just("|upper".to_owned()),
        Just("range(3)".to_owned()),
        Just("\n".to_owned()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

proptest! {
    #[test]
    fn any_template_text_renders_or_is_refused_clearly(
        pieces in prop::collection::vec(template_piece(), 0..24),
        drop_route in any::<bool>(),
    ) {
        let text: String = pieces.concat();
        let mut ctx = full_context();
        if drop_route {
            ctx.urgent_route = None;
        }
        match render("lmc-rejection", &text, &ctx) {
            Ok(letter) => prop_assert!(!letter.trim().is_empty()),
            Err(err) => {
                let message = err.to_string();
                prop_assert!(message.starts_with("the letter"), "{}", message);
                if let LetterError::Template { template, .. } = err {
                    prop_assert_eq!(template, "lmc-rejection");
                }
            }
        }
    }

    #[test]
    fn text_without_template_syntax_is_the_letter_word_for_word(text in "[^{]*[^{\\s][^{]*") {
        let letter = render("lmc-rejection", &text, &LetterContext::default());
        prop_assert_eq!(letter.ok(), Some(text));
    }
}

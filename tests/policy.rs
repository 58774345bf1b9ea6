//! The LMC policy flags as reception meets them: which tasks the shipped example practice would
//! see flagged, at the edges of each rule (the cut-off day, the two-week window across a bank
//! holiday, the body limit in characters, the persistent-sender count), and which letter the
//! letter pane would preselect.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use taskgate::config::Config;
use taskgate::domain::calendar::{BankHolidays, Nation, PRACTICE_TIME_ZONE, WorkingCalendar};
use taskgate::domain::policy::{
    Flag, PolicyRules, ProviderFacts, RaisedFlag, Suggestion, WorkCategory, flags_for,
    primary_suggestion,
};
use taskgate::domain::{Agreement, Patient, Priority, Status, Task};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// A wall-clock time in the practice, as the instant it names.
fn london(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    PRACTICE_TIME_ZONE
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("unambiguous local time")
        .with_timezone(&Utc)
}

/// The shipped example practice's policy, mapped as the app maps `[policy]`.
fn rules() -> PolicyRules {
    let policy = Config::example().policy;
    PolicyRules {
        reject_from: policy.reject_from,
        max_body_chars: policy.max_body_chars,
        persistent_after: policy.persistent_after,
        categories: policy
            .categories
            .into_iter()
            .map(|c| WorkCategory {
                id: c.id,
                name: c.name,
                keywords: c.keywords,
                clause: c.clause,
            })
            .collect(),
        safeguarding_words: policy.safeguarding_words,
    }
}

/// The example practice's working hours (08:00–18:30) on the shipped England and Wales bank
/// holidays and its own closure days.
fn calendar() -> WorkingCalendar {
    let config = Config::example();
    let wt = &config.working_time;
    let holidays = BankHolidays::shipped()
        .and_then(|b| b.for_nation(config.practice.nation))
        .expect("shipped bank holidays");
    WorkingCalendar::new(
        &wt.days,
        wt.start,
        wt.end,
        holidays,
        wt.closures.iter().copied(),
    )
    .expect("calendar")
}

/// A well-behaved routine task from Humberview Outpatients: it breaks no rule by itself.
fn task(received_at: DateTime<Utc>) -> Task {
    Task {
        id: 1,
        row_version: 1,
        source_id: "T-1".into(),
        source_version: None,
        status: Status::New,
        priority: Priority::Routine,
        provider_ods: "ZOP03".into(),
        provider_name: "Humberview Outpatients".into(),
        sender_team: None,
        addressed_to: None,
        owner: None,
        patient: Patient {
            nhs_number: None,
            name: "Ada Lovelace".into(),
            birth_date: None,
        },
        subject: "Patient update".into(),
        body: "Please see my recent journal entry which contains actions (12/01/2026 10:15)."
            .into(),
        received_at,
        due_by: None,
        updated_at: received_at,
    }
}

fn provider(agreement: Agreement) -> ProviderFacts {
    ProviderFacts {
        agreement,
        known: true,
        rejections_last_30_days: 0,
    }
}

/// An SOP in force since 1 Nov 2025, as the example config gives Riverside Community Health.
fn with_sop() -> ProviderFacts {
    provider(Agreement::Sop {
        since: date(2025, 11, 1),
    })
}

fn unknown() -> ProviderFacts {
    ProviderFacts {
        known: false,
        ..provider(Agreement::None)
    }
}

fn tags(flags: &[RaisedFlag]) -> Vec<&'static str> {
    flags.iter().map(|f| f.flag.tag()).collect()
}

fn raised(t: &Task, p: &ProviderFacts) -> Vec<RaisedFlag> {
    flags_for(t, p, &rules(), &calendar())
}

fn has(flags: &[RaisedFlag], flag: Flag) -> bool {
    flags.iter().any(|f| f.flag == flag)
}

fn reject(template: &'static str) -> Suggestion {
    Suggestion::Reject { template }
}

/// The well-behaved task, received Fri 21 Aug 2026 10:00: well after the cut-off.
fn in_august() -> Task {
    task(london(2026, 8, 21, 10, 0))
}

/// Asserts that the explanation staff read says `part`.
fn says(flag: &RaisedFlag, part: &str) {
    let text = &flag.explanation;
    assert!(
        text.contains(part),
        "{} should say {part:?}: {text}",
        flag.flag
    );
}

fn find(flags: &[RaisedFlag], flag: Flag) -> &RaisedFlag {
    flags
        .iter()
        .find(|f| f.flag == flag)
        .unwrap_or_else(|| panic!("{flag} not raised: {flags:?}"))
}

#[test]
fn the_cut_off_applies_from_its_own_day_to_providers_without_an_sop_in_force() {
    let none = provider(Agreement::None);
    let later_sop = provider(Agreement::Sop {
        since: date(2026, 2, 1),
    });
    // (what, received, provider, flags expected). The example's cut-off is Mon 5 Jan 2026.
    #[rustfmt::skip]
    let cases: [(&str, DateTime<Utc>, ProviderFacts, &[&str]); 8] = [
        ("cut-off day, first minute", london(2026, 1, 5, 0, 0), none, &["after-cutoff"]),
        ("day before, last minute", london(2026, 1, 4, 23, 59), none, &["no-agreement"]),
        ("after, SOP in force", london(2026, 1, 12, 9, 0), with_sop(), &[]),
        ("before, SOP in force", london(2026, 1, 2, 9, 0), with_sop(), &[]),
        ("after, SOP starts later", london(2026, 1, 12, 9, 0), later_sop, &["after-cutoff"]),
        ("after, SOP started that day", london(2026, 2, 1, 9, 0), later_sop, &[]),
        ("after, unknown sender", london(2026, 1, 12, 9, 0), unknown(), &["after-cutoff"]),
        ("before, unknown sender", london(2026, 1, 2, 9, 0), unknown(), &["no-agreement"]),
    ];
    for (what, received, facts, expected) in cases {
        assert_eq!(tags(&raised(&task(received), &facts)), expected, "{what}");
    }
}

#[test]
fn after_cutoff_explains_the_date_the_config_key_and_the_missing_agreement() {
    let flags = raised(&task(london(2026, 1, 12, 9, 0)), &provider(Agreement::None));
    let flag = find(&flags, Flag::AfterCutoff);
    assert_eq!(
        flag.explanation,
        "Received Mon 12 Jan 2026, on or after the practice's cut-off of 5 January 2026 \
         (policy.reject_from), and Humberview Outpatients has no SOP agreement."
    );
    assert_eq!(flag.suggestion, reject("lmc-rejection"));

    let later = provider(Agreement::Sop {
        since: date(2026, 2, 1),
    });
    let flags = raised(&task(london(2026, 1, 12, 9, 0)), &later);
    says(
        find(&flags, Flag::AfterCutoff),
        "only starts on 1 February 2026",
    );

    let flags = raised(&task(london(2026, 1, 2, 9, 0)), &unknown());
    let flag = find(&flags, Flag::NoAgreement);
    says(flag, "not in the practice's provider list");
    says(flag, "before the practice's cut-off of 5 January 2026");
}

#[test]
fn the_cut_off_is_read_on_the_london_calendar_not_utc() {
    // 23:30 UTC on 30 June is 00:30 BST on 1 July: the practice received it on the cut-off day.
    let rules = PolicyRules {
        reject_from: date(2026, 7, 1),
        ..rules()
    };
    let received = Utc
        .with_ymd_and_hms(2026, 6, 30, 23, 30, 0)
        .single()
        .expect("instant");
    let none = provider(Agreement::None);
    let flags = flags_for(&task(received), &none, &rules, &calendar());
    assert_eq!(tags(&flags), ["after-cutoff"]);
    assert!(flags[0].explanation.starts_with("Received Wed 1 Jul 2026,"));
}

#[test]
fn immediate_means_due_within_ten_working_days_counting_round_the_bank_holiday() {
    // Received Fri 21 Aug 2026 10:00. Ten working days skip the weekends and the Summer bank
    // holiday (Mon 31 Aug), so they run to Mon 7 Sep 10:00, not Fri 4 Sep.
    let received = london(2026, 8, 21, 10, 0);
    #[rustfmt::skip]
    let cases = [
        ("exactly ten working days", Some(london(2026, 9, 7, 10, 0)), true),
        ("one minute later", Some(london(2026, 9, 7, 10, 1)), false),
        ("Fri 4 Sep, inside thanks to the holiday", Some(london(2026, 9, 4, 17, 0)), true),
        ("the next day", Some(london(2026, 8, 22, 9, 0)), true),
        ("three weeks away", Some(london(2026, 9, 11, 9, 0)), false),
        ("no due date", None, false),
    ];
    for (what, due_by, expected) in cases {
        let t = Task {
            due_by,
            ..task(received)
        };
        let flags = raised(&t, &with_sop());
        assert_eq!(has(&flags, Flag::Immediate), expected, "{what}: {flags:?}");
    }

    let t = Task {
        due_by: Some(london(2026, 9, 4, 17, 0)),
        ..task(received)
    };
    let flags = raised(&t, &with_sop());
    let flag = find(&flags, Flag::Immediate);
    says(flag, "action by Fri 4 Sep 2026 17:00");
    says(flag, "end Mon 7 Sep 2026 10:00");
    says(flag, "skipping Mon 31 Aug (Summer bank holiday)");
    assert_eq!(flag.suggestion, reject("immediate-action"));
}

#[test]
fn urgent_asap_and_stat_are_immediate_without_a_due_date() {
    let received = london(2026, 8, 21, 10, 0);
    for priority in [Priority::Urgent, Priority::Asap, Priority::Stat] {
        let t = Task {
            priority,
            ..task(received)
        };
        let flags = raised(&t, &with_sop());
        assert_eq!(tags(&flags), ["immediate"], "{priority}");
        let text = &flags[0].explanation;
        assert!(text.contains(&format!("marked it {priority}")), "{text}");
    }
}

#[test]
fn every_shipped_category_matches_a_realistic_subject_and_quotes_its_clause() {
    let rules = rules();
    #[rustfmt::skip]
    let cases = [
        ("Blood results for review - please inform patient", "results"),
        ("Please REFER to dermatology", "referral"),
        ("Referral to physiotherapy needed", "referral"),
        ("Discharge medication: please prescribe 28 days", "prescription-discharge"),
        ("TTO not supplied on discharge", "prescription-discharge"),
        ("Sertraline advised in clinic, please start", "prescription-clinic"),
        ("Following outpatient review, please prescribe", "prescription-clinic"),
        ("Fit note needed for a further 4 weeks", "fit-note"),
        ("Med3 extension please", "fit-note"),
    ];
    for (subject, category) in cases {
        let t = Task {
            subject: subject.into(),
            ..in_august()
        };
        let flags = flags_for(&t, &with_sop(), &rules, &calendar());
        assert_eq!(tags(&flags), ["provider-work"], "{subject}");
        let flag = &flags[0];
        assert_eq!(flag.category.as_deref(), Some(category), "{subject}");
        let clause = &rules
            .categories
            .iter()
            .find(|c| c.id == category)
            .expect("shipped category")
            .clause;
        assert!(flag.explanation.contains(clause.trim()), "{subject}");
        assert_eq!(flag.suggestion, reject("provider-responsibility"));
    }
}

#[test]
fn every_shipped_keyword_raises_its_own_category() {
    let rules = rules();
    for category in &rules.categories {
        for keyword in &category.keywords {
            let t = Task {
                subject: format!("Request re {keyword} for this patient"),
                ..in_august()
            };
            let flags = flags_for(&t, &with_sop(), &rules, &calendar());
            assert_eq!(
                find(&flags, Flag::ProviderWork).category.as_deref(),
                Some(category.id.as_str()),
                "keyword {keyword:?}"
            );
        }
    }
}

#[test]
fn near_misses_raise_no_provider_work() {
    for subject in [
        "Preferred method of contact updated",
        "Patient prefers morning appointments",
        "Our reference RX-2231, change of address",
        "Fit and well; note the new phone number",
        "Resultant change of carer details",
        "Clinical review booked for March",
    ] {
        let t = Task {
            subject: subject.into(),
            ..in_august()
        };
        assert_eq!(tags(&raised(&t, &with_sop())), [] as [&str; 0], "{subject}");
    }
}

#[test]
fn a_keyword_in_the_body_is_found_and_said_to_be_in_the_body() {
    let t = Task {
        body: "Her chest X-rays from Tuesday need acting on.".into(),
        ..in_august()
    };
    let flags = raised(&t, &with_sop());
    let flag = find(&flags, Flag::ProviderWork);
    assert_eq!(flag.category.as_deref(), Some("results"));
    assert!(
        flag.explanation.starts_with("The body mentions \"x-ray\""),
        "{}",
        flag.explanation
    );
}

#[test]
fn a_task_addressed_to_a_person_is_flagged_with_their_name() {
    let received = london(2026, 8, 21, 10, 0);
    let named = Task {
        addressed_to: Some("Dr A Patel".into()),
        ..task(received)
    };
    let flags = raised(&named, &with_sop());
    assert_eq!(tags(&flags), ["named-recipient"]);
    assert!(flags[0].explanation.contains("Dr A Patel"));
    assert_eq!(flags[0].suggestion, Suggestion::ReassignOrReject);

    let blank = Task {
        addressed_to: Some("  ".into()),
        ..task(received)
    };
    assert!(raised(&blank, &with_sop()).is_empty());
}

#[test]
fn the_body_limit_counts_characters_not_bytes() {
    let limit = rules().max_body_chars;
    // "é" and "ü" are two bytes each in UTF-8: a byte count would flag both bodies.
    let body = |n: usize| "éü".chars().cycle().take(n).collect::<String>();
    for (chars, expected) in [(limit, false), (limit + 1, true)] {
        let t = Task {
            body: body(chars),
            ..in_august()
        };
        let flags = raised(&t, &with_sop());
        assert_eq!(
            has(&flags, Flag::DetailInTask),
            expected,
            "{chars} characters"
        );
        if expected {
            let flag = &flags[0];
            says(
                flag,
                &format!("{chars} characters, over the practice's limit of {limit}"),
            );
            assert_eq!(flag.suggestion, Suggestion::NoteForEscalation);
        }
    }
}

#[test]
fn a_persistent_sender_is_flagged_from_the_configured_count() {
    let after = rules().persistent_after;
    for (rejections, expected) in [(after - 1, false), (after, true), (after + 4, true)] {
        let facts = ProviderFacts {
            rejections_last_30_days: rejections,
            ..with_sop()
        };
        let flags = raised(&in_august(), &facts);
        assert_eq!(
            tags(&flags) == ["persistent-sender"],
            expected,
            "{rejections} rejections: {flags:?}"
        );
        if expected {
            assert_eq!(flags[0].suggestion, Suggestion::EscalateProvider);
            says(
                &flags[0],
                &format!("Humberview Outpatients has had {rejections} tasks"),
            );
        }
    }
}

#[test]
fn a_well_behaved_task_raises_nothing_and_preselects_no_letter() {
    let flags = raised(&in_august(), &with_sop());
    assert!(flags.is_empty(), "{flags:?}");
    assert_eq!(primary_suggestion(&flags), None);
}

#[test]
fn flags_come_in_table_order_and_the_letter_pane_preselects_the_most_specific_letter() {
    let received = london(2026, 1, 12, 9, 0);
    let everything = Task {
        priority: Priority::Urgent,
        subject: "Please refer to cardiology".into(),
        addressed_to: Some("Dr A Patel".into()),
        body: "x".repeat(1000),
        due_by: Some(received + Duration::days(1)),
        ..task(received)
    };
    let facts = ProviderFacts {
        rejections_last_30_days: 5,
        ..provider(Agreement::None)
    };
    let flags = raised(&everything, &facts);
    assert_eq!(
        tags(&flags),
        [
            "after-cutoff",
            "immediate",
            "provider-work",
            "named-recipient",
            "detail-in-task",
            "persistent-sender"
        ]
    );
    assert_eq!(primary_suggestion(&flags), Some("immediate-action"));

    let routine = Task {
        priority: Priority::Routine,
        due_by: None,
        ..everything
    };
    let flags = raised(&routine, &facts);
    assert_eq!(primary_suggestion(&flags), Some("provider-responsibility"));

    let flags = raised(&task(received), &facts);
    assert_eq!(tags(&flags), ["after-cutoff", "persistent-sender"]);
    assert_eq!(primary_suggestion(&flags), Some("lmc-rejection"));

    let named = Task {
        addressed_to: Some("Dr A Patel".into()),
        ..in_august()
    };
    assert_eq!(primary_suggestion(&raised(&named, &with_sop())), None);
}

#[test]
fn flag_filters_read_tags_and_column_codes() {
    let mut shorts = Vec::new();
    for flag in Flag::ALL {
        assert_eq!(flag.tag().parse::<Flag>(), Ok(flag));
        assert_eq!(flag.short().to_lowercase().parse::<Flag>(), Ok(flag));
        assert_eq!(flag.to_string(), flag.tag());
        assert_eq!(flag.short().chars().count(), 3, "{flag}");
        shorts.push(flag.short());
    }
    shorts.sort_unstable();
    shorts.dedup();
    assert_eq!(shorts.len(), Flag::ALL.len(), "column codes must differ");
    let err = "overdue"
        .parse::<Flag>()
        .expect_err("not a flag")
        .to_string();
    assert!(err.contains("after-cutoff"), "{err}");
}

#[test]
fn suggestions_name_the_letter_they_would_send() {
    for flag in Flag::ALL {
        let text = flag.suggestion().describe();
        if let Suggestion::Reject { template } = flag.suggestion() {
            assert!(text.starts_with("reject with"), "{text}");
            assert!(text.contains(template), "{text}");
        } else {
            assert!(!text.contains("reject with"), "{text}");
        }
    }
}

#[test]
fn the_immediate_window_uses_the_calendar_working_hours() {
    // On 09:00-17:00 hours, a task received after hours on Fri 21 Aug counts from the next
    // working morning, Mon 24 Aug 09:00, so ten working days end Mon 7 Sep 17:00.
    let holidays = BankHolidays::shipped()
        .and_then(|b| b.for_nation(Nation::EnglandAndWales))
        .expect("holidays");
    let hour = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("time");
    let days = Config::example().working_time.days;
    let cal = WorkingCalendar::new(&days, hour(9), hour(17), holidays, []).expect("calendar");
    let after_hours = london(2026, 8, 21, 19, 0);
    let last_minute = london(2026, 9, 7, 17, 0);
    for (due, expected) in [
        (last_minute, true),
        (last_minute + Duration::minutes(1), false),
    ] {
        let t = Task {
            due_by: Some(due),
            ..task(after_hours)
        };
        let flags = flags_for(&t, &with_sop(), &rules(), &cal);
        assert_eq!(has(&flags, Flag::Immediate), expected, "{due}");
    }
}

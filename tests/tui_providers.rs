//! The providers screen: built from a real mirror by the same figures `stats` uses, drawn as a
//! table with a twelve-month chart, and the keys that move the escalation ladder and open the
//! letter. The move itself (store and audit) is covered end to end in e2e.rs.

mod support;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use taskgate::app::AppError;
use taskgate::app::providers::EscalationLetter;
use taskgate::config::Config;
use taskgate::domain::calendar::WorkingCalendar;
use taskgate::domain::{
    Agreement, EscalationStage, IncomingTask, Patient, Priority, Provider, Status,
};
use taskgate::report::overdue::OverdueRules;
use taskgate::report::providers::{ProvidersOverview, build};
use taskgate::store::{Actor, EscalationError, EscalationMove, ReceivedWindow, Store, Target};
use taskgate::tui::keymap::Action;
use taskgate::tui::keymap::Keymap;
use taskgate::tui::msg::{Effect, Msg, Reply, Request};
use taskgate::tui::state::{AppState, Modal};
use taskgate::tui::ui::{ViewContext, draw};
use taskgate::tui::update::{Env, update};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .expect("instant")
}

fn calendar() -> WorkingCalendar {
    support::calendar::weekdays_8_to_17()
}

fn keymap() -> Keymap {
    Keymap::load(&BTreeMap::new()).expect("default keys")
}

fn task(reference: &str, ods: &str, subject: &str, received_at: &str) -> IncomingTask {
    IncomingTask {
        source_id: reference.into(),
        source_version: None,
        status: Status::New,
        priority: Priority::Routine,
        provider_ods: ods.into(),
        provider_name: format!("{ods} Trust"),
        sender_team: None,
        addressed_to: None,
        owner: None,
        patient: Patient {
            nhs_number: None,
            name: "Amelia Synthetic".into(),
            birth_date: None,
        },
        subject: subject.into(),
        body: String::new(),
        received_at: received_at.parse().expect("instant"),
        due_by: None,
        raw: None,
    }
}

/// A mirror with two senders over several months, one task completed through the store (so
/// the audit log has its first action), and a registry provider that has sent nothing.
fn overview() -> ProvidersOverview {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("m.sqlite")).expect("store");
    store
        .insert_tasks(
            [
                // Outside the window: eleven months back is December 2025.
                task("old", "RV9", "Bloods", "2025-11-30T10:00:00Z"),
                task(
                    "dec",
                    "RV9",
                    "Please arrange blood test",
                    "2025-12-01T10:00:00Z",
                ),
                task("jun-1", "RV9", "Please prescribe", "2026-06-10T10:00:00Z"),
                task(
                    "jun-2",
                    "RV9",
                    "Please arrange blood test",
                    "2026-06-11T10:00:00Z",
                ),
                task("nov-1", "RV9", "Fit note please", "2026-11-16T09:00:00Z"),
                task("nov-2", "RWA", "Results", "2026-11-17T09:00:00Z"),
            ],
            "test",
            "test",
            now(),
        )
        .expect("insert");
    store
        .upsert_provider(&Provider {
            ods_code: "ZZZ99".into(),
            name: "Quiet Clinic".into(),
            agreement: Agreement::Sop {
                since: NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"),
            },
            escalation: EscalationStage::None,
            escalation_changed: None,
        })
        .expect("registry provider");
    // Completed two working hours after receipt (Monday 09:00 -> 11:00).
    let nov1 = store
        .tasks_received_in(ReceivedWindow::default(), None, 100)
        .expect("read")
        .into_iter()
        .find(|t| t.source_id == "nov-1")
        .expect("task");
    let by = Actor {
        id: "aclarke",
        now: "2026-11-16T11:00:00Z".parse().expect("instant"),
    };
    store
        .complete(
            &by,
            &[Target {
                id: nov1.id,
                row_version: nov1.row_version,
            }],
        )
        .expect("complete");
    store
        .move_escalation(&by, "RV9", EscalationMove::Up)
        .expect("escalate");
    let config = Config::example();
    build(&store, &calendar(), &config.policy_rules(), now()).expect("overview")
}

#[test]
fn each_sender_shows_its_year_by_month_and_category_with_its_stage() {
    let o = overview();
    assert_eq!(o.from, NaiveDate::from_ymd_opt(2025, 12, 1).expect("date"));
    let codes: Vec<&str> = o
        .providers
        .iter()
        .map(|p| p.provider.ods_code.as_str())
        .collect();
    // Nobody has been rejected yet, so the order is by ODS code; the quiet registry provider
    // is listed too, with nothing received.
    assert_eq!(codes, ["RV9", "RWA", "ZZZ99"]);
    let rv9 = &o.providers[0];
    assert_eq!(
        rv9.counts.received, 4,
        "the November 2025 task is outside the year"
    );
    assert_eq!(rv9.counts.completed, 1);
    assert_eq!(rv9.counts.median_first_action_minutes, Some(120));
    let by_month: Vec<u64> = rv9.months.iter().map(|m| m.received).collect();
    assert_eq!(by_month, [1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]);
    assert_eq!(
        rv9.months[11].month,
        NaiveDate::from_ymd_opt(2026, 11, 1).expect("date")
    );
    assert_eq!(
        rv9.provider.escalation,
        EscalationStage::from_number(1).expect("stage")
    );
    let categories: u64 = rv9.categories.iter().map(|(_, n)| n).sum();
    assert_eq!(categories, 4, "every task falls in exactly one category");
    let quiet = &o.providers[2];
    assert_eq!(quiet.counts.received, 0);
    assert!(quiet.categories.is_empty());
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn env(keys: &Keymap) -> Env<'_> {
    Env {
        keymap: keys,
        staff: &[],
        groups: &[],
        policy: None,
    }
}

fn open_providers(state: &mut AppState, keys: &Keymap, overview: ProvidersOverview) {
    let effects = update(state, key('4'), &env(keys));
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Request(Request::Providers { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("the providers screen asks for its figures");
    update(
        state,
        Msg::Reply(Reply::Providers {
            id,
            overview: Box::new(overview),
        }),
        &env(keys),
    );
}

fn fresh_state() -> AppState {
    AppState::new(
        "Riverside Medical Practice".into(),
        "Alex Clarke".into(),
        "demo mirror".into(),
        now(),
    )
}

fn render(state: &AppState, keys: &Keymap) -> Terminal<TestBackend> {
    let cal = calendar();
    let config = Config::example();
    let rules = config.policy_rules();
    let view = ViewContext {
        calendar: &cal,
        thresholds: OverdueRules::from_config(&config, &cal).thresholds,
        keymap: keys,
        rules: &rules,
    };
    let mut terminal = Terminal::new(TestBackend::new(110, 32)).expect("terminal");
    terminal.draw(|f| draw(f, state, &view)).expect("draw");
    terminal
}

#[test]
fn the_providers_screen_draws_the_table_chart_and_ladder() {
    let keys = keymap();
    let mut state = fresh_state();
    open_providers(&mut state, &keys, overview());
    insta::assert_snapshot!(render(&state, &keys).backend());
}

#[test]
fn ladder_keys_move_the_selected_provider_and_l_opens_its_letter_to_copy() {
    let keys = keymap();
    let mut state = fresh_state();
    open_providers(&mut state, &keys, overview());
    update(&mut state, key('j'), &env(&keys));

    let effects = update(&mut state, key('>'), &env(&keys));
    assert!(
        matches!(effects.as_slice(), [Effect::Request(Request::Escalate { ods, to: EscalationMove::Up, .. })] if ods == "RWA"),
        "{effects:?}"
    );
    // One move at a time: a second key before the answer does nothing.
    assert!(update(&mut state, key('<'), &env(&keys)).is_empty());
    let effects = update(
        &mut state,
        Msg::Reply(Reply::Escalated(Ok(rwa(EscalationStage::RemindedTeam)))),
        &env(&keys),
    );
    assert!(
        state
            .toast
            .as_ref()
            .is_some_and(|t| !t.is_error && t.text.contains("stage 1"))
    );
    // The hint names the key the keymap binds to the letter, not a key written in the code.
    assert!(
        state.toast.as_ref().is_some_and(|t| t
            .text
            .contains(&format!("{} opens its letter", keys.hint(Action::Letter)))),
        "{:?}",
        state.toast
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Request(Request::Providers { .. }))),
        "the figures are re-read after a move: {effects:?}"
    );

    let effects = update(&mut state, key('<'), &env(&keys));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Request(Request::Escalate {
            to: EscalationMove::Down,
            ..
        })]
    ));
    update(
        &mut state,
        Msg::Reply(Reply::Escalated(Err(AppError::Escalation(
            EscalationError::AtBottom {
                ods: "RWA".into(),
                stage: EscalationStage::None,
            },
        )))),
        &env(&keys),
    );
    assert!(state.toast.as_ref().is_some_and(|t| t.is_error));

    let effects = update(&mut state, key('l'), &env(&keys));
    assert!(matches!(
        effects.as_slice(),
        [Effect::Request(Request::EscalationLetter { ods, .. })] if ods == "RWA"
    ));
    update(
        &mut state,
        Msg::Reply(Reply::EscalationLetter(Ok(EscalationLetter {
            provider: rwa(EscalationStage::RemindedTeam),
            stage: EscalationStage::RemindedTeam,
            template: "escalation-reminder",
            text: "Dear Colleague".into(),
        }))),
        &env(&keys),
    );
    assert!(matches!(state.modal, Some(Modal::Document(_))));
    let effects = update(&mut state, key('y'), &env(&keys));
    assert!(matches!(effects.as_slice(), [Effect::Copy(text)] if text == "Dear Colleague"));
    update(
        &mut state,
        Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
        &env(&keys),
    );
    assert!(state.modal.is_none());

    // Task actions belong to the task screens.
    assert!(update(&mut state, key('r'), &env(&keys)).is_empty());
}

/// The provider RWA as a move left it.
fn rwa(stage: EscalationStage) -> Provider {
    Provider {
        ods_code: "RWA".into(),
        name: "RWA Trust".into(),
        agreement: Agreement::None,
        escalation: stage,
        escalation_changed: None,
    }
}

//! The handover screen in the TUI: opened with 3, built by the same report as `taskgate
//! handover`, signed off with S; a stale mirror is shown in the error colour.

mod support;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use taskgate::config::Config;
use taskgate::config::SourceKind;
use taskgate::domain::calendar::WorkingCalendar;
use taskgate::domain::{IncomingTask, NhsNumber, Patient, Priority, Status};
use taskgate::report::handover::{HandoverReport, build_for_config};
use taskgate::report::overdue::OverdueRules;
use taskgate::store::Store;
use taskgate::tui::keymap::Keymap;
use taskgate::tui::msg::{Effect, Msg, Reply, Request};
use taskgate::tui::state::AppState;
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

/// A real report from a real mirror with one overdue task; `stale` makes the source a file
/// export that has never synced.
fn report(stale: bool) -> HandoverReport {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("m.sqlite")).expect("store");
    let received_at = now() - Duration::days(3);
    let task = IncomingTask {
        source_id: "t-1".into(),
        source_version: Some("1".into()),
        status: Status::New,
        priority: Priority::Routine,
        provider_ods: "ZDN01".into(),
        provider_name: "Riverside Community Health".into(),
        sender_team: None,
        addressed_to: None,
        owner: None,
        patient: Patient {
            nhs_number: NhsNumber::parse("999 000 0018").ok(),
            name: "Amelia Synthetic".into(),
            birth_date: None,
        },
        subject: "Discharge medication - please prescribe".into(),
        body: "Please see my recent journal entry.".into(),
        received_at,
        due_by: None,
        raw: None,
    };
    store
        .insert_tasks([task], "test", "test", received_at)
        .expect("insert");
    let mut config = Config::example();
    if stale {
        config.source.kind = SourceKind::File;
    }
    build_for_config(&store, &config, &calendar(), now(), None).expect("report")
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn open_handover(state: &mut AppState, keys: &Keymap, report: HandoverReport) {
    let staff = Config::example().staff;
    let env = Env {
        keymap: keys,
        staff: &staff,
        groups: &[],
        policy: None,
    };
    let effects = update(state, key('3'), &env);
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Request(Request::Handover { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("the handover screen asks for its report");
    update(
        state,
        Msg::Reply(Reply::Handover {
            id,
            report: Box::new(report),
        }),
        &env,
    );
}

fn render(state: &AppState, keys: &Keymap) -> Terminal<TestBackend> {
    let cal = calendar();
    let config = Config::example();
    let rules = config.policy_rules();
    let thresholds = OverdueRules::from_config(&config, &cal).thresholds;
    let view = ViewContext {
        calendar: &cal,
        thresholds,
        keymap: keys,
        rules: &rules,
    };
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    terminal.draw(|f| draw(f, state, &view)).expect("draw");
    terminal
}

fn fresh_state() -> AppState {
    AppState::new(
        "Riverside Medical Practice".into(),
        "Alex Clarke".into(),
        "demo mirror".into(),
        now(),
    )
}

#[test]
fn the_handover_screen_shows_the_report_and_signs_off_to_a_colleague() {
    let keys = keymap();
    let mut state = fresh_state();
    open_handover(&mut state, &keys, report(false));
    let terminal = render(&state, &keys);
    insta::assert_snapshot!(terminal.backend());

    let staff = Config::example().staff;
    let env = Env {
        keymap: &keys,
        staff: &staff,
        groups: &[],
        policy: None,
    };
    update(&mut state, key('S'), &env);
    for c in "cjones".chars() {
        update(&mut state, key(c), &env);
    }
    let effects = update(
        &mut state,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        &env,
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Request(Request::SignOff { incoming, .. }) if incoming == "cjones")),
        "{effects:?}"
    );
    // Task actions are for the task views, not the handover text.
    let effects = update(&mut state, key('r'), &env);
    assert!(effects.is_empty());
    assert!(
        state
            .toast
            .as_ref()
            .is_some_and(|t| t.text.contains("inbox (1)"))
    );
}

#[test]
fn a_stale_mirror_is_said_first_and_in_the_error_colour() {
    let keys = keymap();
    let mut state = fresh_state();
    let report = report(true);
    assert!(report.stale_warning.is_some());
    open_handover(&mut state, &keys, report);
    let terminal = render(&state, &keys);
    let buf = terminal.backend().buffer();
    let stale_row = (0..buf.area.height)
        .find(|&y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .contains("STALE")
        })
        .expect("the stale warning is on screen");
    assert_eq!(buf[(2, stale_row)].bg, Color::Red);
    let text: String = buf
        .content()
        .iter()
        .map(ratatui::buffer::Cell::symbol)
        .collect();
    assert!(!text.contains("nothing overdue"));
}

/// The inbox's sign-off is the command line's (`app::handover::sign_off`): on a stale mirror it
/// is recorded and comes back with the stale-mirror warning, which the toast shows in the error
/// colour.
#[test]
fn the_inboxs_sign_off_on_a_stale_mirror_carries_the_warning() {
    use taskgate::app::handover::sign_off;
    use taskgate::app::{Acting, Practice};
    use taskgate::letters::LetterSources;

    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("m.sqlite")).expect("store");
    let mut config = Config::example();
    // A file export that has never synced: the mirror is stale.
    config.source.kind = SourceKind::File;
    let practice = Practice::from_config(config, LetterSources::default()).expect("practice");
    let alex = practice.staff("aclarke").expect("staff").clone();
    let acting = Acting {
        staff: &alex,
        now: now(),
    };
    let signed = sign_off(&mut store, &practice, acting, "aclarke", "cjones");
    let warning = signed
        .as_ref()
        .ok()
        .and_then(|s| s.stale_warning.clone())
        .expect("the warning comes back with the sign-off");
    assert!(warning.contains("stale"), "{warning}");

    let keys = keymap();
    let mut state = fresh_state();
    let env = Env {
        keymap: &keys,
        staff: &practice.config.staff,
        groups: &[],
        policy: None,
    };
    update(&mut state, Msg::Reply(Reply::SignedOff(signed)), &env);
    let toast = state.toast.as_ref().expect("a toast");
    assert!(toast.is_error, "a warning is not a success colour");
    assert!(
        toast.text.contains("signed off to") && toast.text.contains(&warning),
        "{}",
        toast.text
    );
}

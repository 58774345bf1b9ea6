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
use taskgate::domain::{IncomingTask, NhsNumber, Patient, Priority, Status, Task};
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

/// A real report from a real mirror with one overdue task and one due soon, and the report's
/// tasks read whole in screen order, as the worker answers; `stale` makes the source a file
/// export that has never synced.
fn report(stale: bool) -> (HandoverReport, Vec<Task>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("m.sqlite")).expect("store");
    let incoming = |n: u32, received_at: DateTime<Utc>, subject: &str| IncomingTask {
        source_id: format!("t-{n}"),
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
        subject: subject.into(),
        body: "Please see my recent journal entry.".into(),
        received_at,
        due_by: None,
        raw: None,
    };
    let old = now() - Duration::days(3);
    let mut config = Config::example();
    let cal = calendar();
    // A routine task is due one working day (08:00-17:00) after receipt: this one at 12:30
    // today, within the due-soon margin of noon.
    let soon = now() - Duration::days(1) + Duration::minutes(30);
    store
        .insert_tasks(
            [
                incoming(1, old, "Discharge medication - please prescribe"),
                incoming(2, soon, "Blood test request for next week"),
            ],
            "test",
            "test",
            old,
        )
        .expect("insert");
    if stale {
        config.source.kind = SourceKind::File;
    }
    let report = build_for_config(&store, &config, &cal, now(), None).expect("report");
    let tasks = taskgate::tui::ui::handover::task_order(&report)
        .into_iter()
        .map(|id| store.task(id).expect("read").expect("task"))
        .collect();
    (report, tasks)
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn enter() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))
}

fn open_handover(
    state: &mut AppState,
    keys: &Keymap,
    (report, tasks): (HandoverReport, Vec<Task>),
) {
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
            tasks,
        }),
        &env,
    );
}

fn render(state: &AppState, keys: &Keymap) -> Terminal<TestBackend> {
    render_at(state, keys, 100, 30)
}

fn render_at(state: &AppState, keys: &Keymap, width: u16, height: u16) -> Terminal<TestBackend> {
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
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|f| draw(f, state, &view)).expect("draw");
    terminal
}

fn screen_text(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buf = terminal.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
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
fn the_handover_screen_shows_the_reports_sections_with_counts_and_a_cursor() {
    let keys = keymap();
    let mut state = fresh_state();
    open_handover(&mut state, &keys, report(false));
    let terminal = render(&state, &keys);
    insta::assert_snapshot!(terminal.backend());
    let lines = screen_text(&terminal);
    let text = lines.join("\n");
    for title in [
        "Overdue (1)",
        "Due soon (1)",
        "Unactioned (2)",
        "Held by staff who are away (0)",
        "Sync conflicts (0)",
        "Actions since the last sign-off",
        "Away today (0)",
    ] {
        assert!(text.contains(title), "{title} missing:\n{text}");
    }
    assert!(
        !text.contains("**") && !text.contains("|---"),
        "no Markdown:\n{text}"
    );
    // The cursor is on the first overdue task, in reverse video, with its marker.
    let buf = terminal.backend().buffer();
    let row = lines
        .iter()
        .position(|l| l.contains("Discharge medication"))
        .expect("the overdue task is listed");
    let row = u16::try_from(row).expect("row");
    assert!(
        lines[usize::from(row)].contains(" ! "),
        "{}",
        lines[usize::from(row)]
    );
    assert!(
        buf[(5, row)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
    let soon = lines
        .iter()
        .position(|l| l.contains("Blood test request"))
        .expect("the due-soon task is listed");
    assert!(lines[soon].contains(" ~ "), "{}", lines[soon]);
}

#[test]
fn sign_off_chooses_the_colleague_from_the_staff_picker() {
    let keys = keymap();
    let mut state = fresh_state();
    open_handover(&mut state, &keys, report(false));
    let staff = Config::example().staff;
    let env = Env {
        keymap: &keys,
        staff: &staff,
        groups: &[],
        policy: None,
    };
    update(&mut state, key('S'), &env);
    let text = screen_text(&render(&state, &keys)).join("\n");
    assert!(
        text.contains("Hand over to the colleague taking over"),
        "{text}"
    );
    assert!(text.contains("Chris Jones"), "{text}");
    // The outgoing person is not offered as their own successor.
    assert!(!text.contains("Alex Clarke  "), "{text}");
    for c in "chris".chars() {
        update(&mut state, key(c), &env);
    }
    let effects = update(&mut state, enter(), &env);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Request(Request::SignOff { incoming, .. }) if incoming == "cjones")),
        "{effects:?}"
    );
}

#[test]
fn actions_and_enter_work_on_the_task_under_the_cursor() {
    let keys = keymap();
    let mut state = fresh_state();
    let (report, tasks) = report(false);
    let second = tasks[1].id;
    open_handover(&mut state, &keys, (report, tasks));
    let staff = Config::example().staff;
    let env = Env {
        keymap: &keys,
        staff: &staff,
        groups: &[],
        policy: None,
    };
    update(&mut state, key('j'), &env);
    let effects = update(&mut state, enter(), &env);
    assert!(state.handover_detail, "Enter opens the detail pane");
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Request(Request::Detail { task_id, .. }) if *task_id == second)
        ) || state.detail_request.is_some(),
        "{effects:?}"
    );
    let effects = update(&mut state, key('c'), &env);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Request(Request::Act { targets, .. }) if targets.len() == 1 && targets[0].id == second)),
        "complete applies to the task under the cursor: {effects:?}"
    );
}

#[test]
fn scrolling_stops_at_the_last_line() {
    let keys = keymap();
    let mut state = fresh_state();
    // A report without tasks: the keys scroll the text.
    let (mut report, _) = report(false);
    report.overdue.tasks.clear();
    report.due_soon.tasks.clear();
    report.unactioned.oldest = None;
    open_handover(&mut state, &keys, (report, Vec::new()));
    let staff = Config::example().staff;
    let env = Env {
        keymap: &keys,
        staff: &staff,
        groups: &[],
        policy: None,
    };
    update(&mut state, Msg::Resize(80, 24), &env);
    for _ in 0..100 {
        update(&mut state, key('j'), &env);
    }
    let at_end = screen_text(&render_at(&state, &keys, 80, 24));
    assert!(at_end.join("\n").contains("Away today"), "{at_end:#?}");
    // One line up from the end shows a different screen: the end was not overshot.
    update(&mut state, key('k'), &env);
    let one_up = screen_text(&render_at(&state, &keys, 80, 24));
    assert_ne!(at_end, one_up);
}

#[test]
fn a_stale_mirror_is_said_first_and_in_the_error_colour() {
    let keys = keymap();
    let mut state = fresh_state();
    let report = report(true);
    assert!(report.0.stale_warning.is_some());
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

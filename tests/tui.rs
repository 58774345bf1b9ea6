//! The TUI without a terminal: pure `update` flows with a fixed clock, and the screen rendered
//! to a `TestBackend` (snapshots plus per-cell colour checks for overdue and due-soon rows).

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use taskgate::app::AppError;
use taskgate::domain::calendar::WorkingCalendar;
use taskgate::domain::overdue::Thresholds;
use taskgate::domain::{NhsNumber, Patient, Priority, Status, Task};
use taskgate::tui::keymap::Keymap;
use taskgate::tui::msg::{Effect, Msg, PageAt, Reply, Request};
use taskgate::tui::state::{AppState, Counts};
use taskgate::tui::ui::{ViewContext, draw};
use taskgate::tui::update::{Env, start};

fn keymap() -> &'static Keymap {
    static MAP: std::sync::OnceLock<Keymap> = std::sync::OnceLock::new();
    MAP.get_or_init(|| Keymap::load(&std::collections::BTreeMap::new()).expect("default keys"))
}

fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    let env = Env {
        keymap: keymap(),
        staff: &[],
        groups: &[],
        policy: None,
    };
    taskgate::tui::update::update(state, msg, &env)
}

fn now() -> DateTime<Utc> {
    // Friday 20 November 2026, 12:00 GMT.
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .expect("instant")
}

fn calendar() -> WorkingCalendar {
    support::calendar::weekdays_8_to_17()
}

fn thresholds() -> Thresholds {
    Thresholds {
        routine: Duration::hours(9),
        urgent: Duration::hours(2),
        asap: Duration::hours(1),
        stat: Duration::minutes(30),
        due_soon: Duration::hours(2),
    }
}

fn task(id: i64, hours_ago: i64, priority: Priority, subject: &str) -> Task {
    let received_at = now() - Duration::hours(hours_ago);
    Task {
        id,
        row_version: 1,
        source_id: format!("t-{id}"),
        source_version: Some("1".into()),
        status: Status::New,
        priority,
        provider_ods: "ZDN01".into(),
        provider_name: "Riverside Community Health".into(),
        sender_team: Some("District Nursing".into()),
        addressed_to: None,
        owner: None,
        patient: Patient {
            nhs_number: NhsNumber::parse("999 000 0018").ok(),
            name: "Amelia Synthetic".into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1950, 3, 1),
        },
        subject: subject.into(),
        body: "Please see my recent journal entry which contains actions (20/11/2026 09:00)."
            .into(),
        received_at,
        due_by: None,
        updated_at: received_at,
    }
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn page_id(effects: &[Effect]) -> (u64, PageAt) {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Request(Request::Page { id, at, .. }) => Some((*id, *at)),
            _ => None,
        })
        .expect("a page request")
}

fn page_id_opt(effects: &[Effect]) -> Option<(u64, PageAt)> {
    effects.iter().find_map(|e| match e {
        Effect::Request(Request::Page { id, at, .. }) => Some((*id, *at)),
        _ => None,
    })
}

/// A state showing `tasks` as the first page of `total`.
fn loaded(tasks: Vec<Task>, total: u64) -> AppState {
    let mut state = AppState::new(
        "Riverside Surgery".into(),
        "Jo Bloggs".into(),
        "demo mirror".into(),
        now(),
    );
    update(&mut state, Msg::Resize(100, 30));
    let env = Env {
        keymap: keymap(),
        staff: &[],
        groups: &[],
        policy: None,
    };
    let effects = start(&mut state, &env);
    let (id, at) = page_id(&effects);
    assert_eq!(at, PageAt::First);
    update(
        &mut state,
        Msg::Reply(Reply::Page {
            id,
            at,
            rows: tasks,
            total,
        }),
    );
    state
}

#[test]
fn moving_down_near_the_end_of_the_window_fetches_the_next_page_once() {
    let tasks: Vec<Task> = (1..=200)
        .map(|i| task(i, 1, Priority::Routine, "Routine"))
        .collect();
    let mut state = loaded(tasks, 1_000);
    let mut page_requests = 0;
    for _ in 0..150 {
        let effects = update(&mut state, key('j'));
        page_requests += effects
            .iter()
            .filter(|e| matches!(e, Effect::Request(Request::Page { .. })))
            .count();
    }
    assert_eq!(state.window.selected, 150);
    let rows = u64::from(state.table_rows);
    assert_eq!(
        state.window.top,
        150 + 1 - rows,
        "the table scrolls just enough to show the cursor"
    );
    assert_eq!(
        page_requests, 1,
        "one prefetch while the first is in flight"
    );
    assert_eq!(state.window.selected_task().map(|t| t.id), Some(151));
}

#[test]
fn a_stale_page_reply_is_dropped() {
    let tasks: Vec<Task> = (1..=200)
        .map(|i| task(i, 1, Priority::Routine, "r"))
        .collect();
    let mut state = loaded(tasks, 1_000);
    let effects = update(&mut state, key('G'));
    let (latest, _) = page_id(&effects);
    // An answer to an earlier question (say, a prefetch overtaken by G) arrives late.
    let late_rows = vec![task(9_999, 1, Priority::Routine, "stale")];
    update(
        &mut state,
        Msg::Reply(Reply::Page {
            id: latest - 1,
            at: PageAt::First,
            rows: late_rows,
            total: 1,
        }),
    );
    assert_eq!(state.window.rows.len(), 200, "the late page was ignored");
    assert_eq!(state.window.total, 1_000);
    assert_eq!(
        state.page_request,
        Some(latest),
        "still waiting for the page G asked for"
    );
}

#[test]
fn jumping_to_the_end_asks_for_the_last_page_and_lands_on_the_last_task() {
    let tasks: Vec<Task> = (1..=200)
        .map(|i| task(i, 1, Priority::Routine, "r"))
        .collect();
    let mut state = loaded(tasks, 5_000);
    let effects = update(&mut state, key('G'));
    let (id, at) = page_id(&effects);
    assert_eq!(at, PageAt::Last);
    let last: Vec<Task> = (4_801..=5_000)
        .map(|i| task(i, 1, Priority::Routine, "r"))
        .collect();
    update(
        &mut state,
        Msg::Reply(Reply::Page {
            id,
            at,
            rows: last,
            total: 5_000,
        }),
    );
    assert_eq!(state.window.selected, 4_999);
    assert_eq!(state.window.selected_task().map(|t| t.id), Some(5_000));
}

#[test]
fn page_down_at_the_edge_of_what_is_loaded_lands_when_the_page_arrives() {
    let tasks: Vec<Task> = (1..=200)
        .map(|i| task(i, 1, Priority::Routine, "r"))
        .collect();
    let mut state = loaded(tasks, 1_000);
    let page = u64::from(state.table_rows);
    // Hold down page down: the prefetch is asked for once and the cursor stops at the last
    // loaded task while it is on its way...
    let mut asked = None;
    while state.window.selected < 199 {
        let effects = update(
            &mut state,
            Msg::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)),
        );
        asked = asked.or_else(|| page_id_opt(&effects));
    }
    let before = state.window.selected;
    update(
        &mut state,
        Msg::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)),
    );
    assert_eq!(
        state.window.selected, 199,
        "nothing past the loaded rows yet"
    );
    // ...and the press is not lost: when the page comes, the cursor moves on by a page.
    let (id, at) = asked.expect("a prefetch");
    let next: Vec<Task> = (201..=400)
        .map(|i| task(i, 1, Priority::Routine, "r"))
        .collect();
    update(
        &mut state,
        Msg::Reply(Reply::Page {
            id,
            at,
            rows: next,
            total: 1_000,
        }),
    );
    assert_eq!(state.window.selected, (before + page).min(999));
    assert!(state.window.selected > 199);
}

#[test]
fn a_jump_says_loading_until_its_rows_arrive_rather_than_claim_a_place() {
    let tasks: Vec<Task> = (1..=200)
        .map(|i| task(i, 1, Priority::Routine, "r"))
        .collect();
    let mut state = loaded(tasks, 5_000);
    update(&mut state, key('G'));
    let title = render(&state, 100, 30).backend().to_string();
    assert!(title.contains("loading…"), "{title}");
    assert!(!title.contains("5000 of 5000"), "{title}");
}

#[test]
fn q_quits() {
    let mut state = loaded(vec![task(1, 1, Priority::Routine, "a")], 1);
    let effects = update(&mut state, key('q'));
    assert!(effects.iter().any(|e| matches!(e, Effect::Quit)));
    assert!(state.quit);
}

fn render(state: &AppState, w: u16, h: u16) -> Terminal<TestBackend> {
    let cal = calendar();
    let rules = taskgate::config::Config::example().policy_rules();
    let view = ViewContext {
        calendar: &cal,
        thresholds: thresholds(),
        keymap: keymap(),
        rules: &rules,
    };
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| draw(f, state, &view)).expect("draw");
    terminal
}

fn triage_state() -> AppState {
    // Oldest first: routine from Thursday 14:00 (7 working hours of its 9 gone → due soon,
    // at 14:00), urgent from 09:00 today (3 working hours, threshold 2 → overdue), routine
    // from 11:00 today (→ on time).
    let mut state = loaded(
        vec![
            task(2, 22, Priority::Routine, "Fit note required for 6 weeks"),
            task(
                1,
                3,
                Priority::Urgent,
                "Discharge medication - please prescribe",
            ),
            task(
                3,
                1,
                Priority::Routine,
                "Patient update: wound healing well",
            ),
        ],
        3,
    );
    let counts = Counts {
        unactioned: 3,
        overdue: 1,
        due_soon: 1,
    };
    update(&mut state, Msg::Reply(Reply::Counts(counts)));
    state
}

#[test]
fn triage_screen_snapshot() {
    let terminal = render(&triage_state(), 100, 30);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn overdue_rows_are_red_and_due_soon_rows_amber() {
    let terminal = render(&triage_state(), 100, 30);
    let buf = terminal.backend().buffer();
    let row_of = |needle: &str| {
        (0..buf.area.height)
            .find(|&y| {
                let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
                line.contains(needle)
            })
            .expect("row on screen")
    };
    // Column 2 is inside the AGE cell of each row (column 0 is the border).
    let overdue = row_of("Discharge medication");
    let soon = row_of("Fit note required");
    let on_time = row_of("Patient update");
    // The selected row is drawn reversed, so check the colour of the rows below the cursor too.
    assert_eq!(buf[(2, soon)].fg, Color::Yellow);
    assert_eq!(buf[(2, on_time)].fg, Color::Reset);
    assert_eq!(buf[(2, overdue)].fg, Color::Red);
}

#[test]
fn a_small_window_asks_to_be_enlarged_and_no_size_panics() {
    let state = triage_state();
    let terminal = render(&state, 60, 20);
    insta::assert_snapshot!(terminal.backend());
    for (w, h) in [
        (1, 1),
        (2, 5),
        (79, 24),
        (80, 23),
        (80, 24),
        (200, 60),
        (400, 120),
    ] {
        render(&state, w, h);
    }
}

fn staff() -> Vec<taskgate::domain::Staff> {
    taskgate::config::Config::example().staff
}

fn update_with_staff(
    state: &mut AppState,
    msg: Msg,
    staff: &[taskgate::domain::Staff],
) -> Vec<Effect> {
    let env = Env {
        keymap: keymap(),
        staff,
        groups: &[],
        policy: None,
    };
    taskgate::tui::update::update(state, msg, &env)
}

fn special(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn acts(effects: &[Effect]) -> Vec<(&Change, &Vec<Target>)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Request(Request::Act {
                change, targets, ..
            }) => Some((change, targets)),
            _ => None,
        })
        .collect()
}

use taskgate::store::Target;
use taskgate::tui::msg::{Acted, Change};

#[test]
fn marking_two_tasks_and_pressing_r_rejects_both_in_one_action() {
    let mut state = loaded(
        (1..=5)
            .map(|i| task(i, 1, Priority::Routine, "r"))
            .collect(),
        5,
    );
    update(&mut state, key(' '));
    update(&mut state, key(' '));
    assert_eq!(state.marked.len(), 2, "Space marks and moves on");
    let effects = update(&mut state, key('r'));
    let acts = acts(&effects);
    assert_eq!(acts.len(), 1);
    let (change, targets) = acts[0];
    assert_eq!(
        *change,
        Change::Reject {
            template: None,
            edited: None,
            despite_risk: false,
        },
        "each task gets the letter it needs, decided by the worker"
    );
    assert_eq!(targets.iter().map(|t| t.id).collect::<Vec<_>>(), vec![1, 2]);

    // The answer: a toast naming the undo key, the letters to the clipboard, marks cleared.
    let done = Acted {
        change: change.clone(),
        tasks: 2,
        letters: vec!["Dear Colleague".into(); 2],
        templates: vec!["provider-responsibility".into(), "lmc-rejection".into()],
    };
    let effects = update(&mut state, Msg::Reply(Reply::Acted(Ok(done))));
    let toast = state.toast.as_ref().expect("a toast");
    assert!(
        toast.text.contains("Rejected 2 tasks") && toast.text.contains("u to undo"),
        "{}",
        toast.text
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Copy(t) if t.contains("Dear Colleague")))
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Request(Request::Page { .. })))
    );
    assert!(state.marked.is_empty());
    assert!(
        toast
            .text
            .contains("with lmc-rejection (1), provider-responsibility (1)")
            || toast
                .text
                .contains("with provider-responsibility (1), lmc-rejection (1)"),
        "the toast names each letter that went: {}",
        toast.text
    );
}

/// The reject keys a test presses and what came of each: the changes sent to the worker.
fn rejects(effects: &[Effect]) -> Vec<Change> {
    acts(effects).into_iter().map(|(c, _)| c.clone()).collect()
}

#[test]
fn r_on_a_task_that_could_harm_a_patient_pauses_once_says_why_and_the_second_press_confirms() {
    let mut state = loaded(
        (1..=3)
            .map(|i| task(i, 1, Priority::Routine, "Safeguarding information shared"))
            .collect(),
        3,
    );
    let first = rejects(&update(&mut state, key('r')));
    assert_eq!(
        first,
        vec![Change::Reject {
            template: None,
            edited: None,
            despite_risk: false,
        }],
        "the first press asks without confirming"
    );
    // The worker refuses: nothing changed, and the reason comes back.
    let refusal = AppError::PatientAtRisk(vec![(
        1,
        "it mentions \"safeguarding\" (policy.safeguarding_words)".to_owned(),
    )]);
    update(&mut state, Msg::Reply(Reply::Acted(Err(refusal))));
    let toast = state.toast.clone().expect("a toast saying why");
    assert!(toast.is_error);
    assert!(
        toast.text.starts_with("Not rejected:")
            && toast.text.contains("safeguarding")
            && toast.text.contains("Press r again to reject anyway"),
        "{}",
        toast.text
    );
    let effects = update(&mut state, key('r'));
    match acts(&effects).as_slice() {
        [(Change::Reject { despite_risk, .. }, targets)] => {
            assert!(*despite_risk, "the second press confirms");
            assert_eq!(targets[0].id, 1, "for the same task");
        }
        other => panic!("expected a confirmed reject, got {other:?}"),
    }
}

#[test]
fn any_other_key_between_the_pause_and_r_asks_again() {
    let mut state = loaded(
        (1..=3)
            .map(|i| task(i, 1, Priority::Routine, "Overdose follow-up"))
            .collect(),
        3,
    );
    update(&mut state, key('r'));
    let refusal = AppError::PatientAtRisk(vec![(1, "it mentions \"overdose\"".to_owned())]);
    update(&mut state, Msg::Reply(Reply::Acted(Err(refusal))));
    // Moving away and back: the confirmation was for what was on screen then.
    update(&mut state, key('j'));
    update(&mut state, key('k'));
    let again = rejects(&update(&mut state, key('r')));
    assert_eq!(
        again,
        vec![Change::Reject {
            template: None,
            edited: None,
            despite_risk: false,
        }],
        "a press after another key is a first press again"
    );
}

#[test]
fn a_refused_action_says_why_and_keeps_the_marks() {
    let mut state = loaded(
        (1..=3)
            .map(|i| task(i, 1, Priority::Routine, "r"))
            .collect(),
        3,
    );
    update(&mut state, key(' '));
    update(&mut state, key('r'));
    let why = AppError::Report(
        "cannot write the letter `lmc-rejection` for task 1: the letter needs `urgent_route`, \
         which comes from policy.urgent_route"
            .to_owned(),
    );
    let words = why.words();
    update(&mut state, Msg::Reply(Reply::Acted(Err(why))));
    let toast = state.toast.as_ref().expect("a toast");
    assert!(toast.is_error);
    assert_eq!(toast.text, words);
    assert_eq!(state.marked.len(), 1);
}

#[test]
fn undo_and_status_filters_and_search_come_from_keys() {
    let mut state = loaded(
        (1..=3)
            .map(|i| task(i, 1, Priority::Routine, "r"))
            .collect(),
        3,
    );
    let effects = update(&mut state, key('u'));
    assert!(matches!(acts(&effects).as_slice(), [(Change::Undo, _)]));
    let effects = update(
        &mut state,
        Msg::Reply(Reply::Acted(Ok(Acted {
            change: Change::Undo,
            tasks: 1,
            letters: vec![],
            templates: vec![],
        }))),
    );
    // The person sees what was undone (and no offer to undo the undo), and the rows are read
    // again so the task is back as it was.
    let toast = state.toast.as_ref().expect("a toast after the undo");
    assert!(!toast.is_error, "{}", toast.text);
    assert_eq!(toast.text, "Undid the last action on 1 task");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Request(Request::Page { .. }))),
        "the rows are re-read: {effects:?}"
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Copy(_))),
        "an undo copies no letter: {effects:?}"
    );

    let effects = update(&mut state, key('s'));
    assert_eq!(state.filter.statuses, vec![Status::Assigned]);
    assert!(matches!(page_id(&effects), (_, PageAt::First)));

    let effects = update(&mut state, key('f'));
    assert_eq!(
        state.flag_filter,
        Some(taskgate::domain::policy::Flag::AfterCutoff)
    );
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Request(Request::Page {
            flag: Some(taskgate::domain::policy::Flag::AfterCutoff),
            at: PageAt::First,
            ..
        })
    )));

    update(&mut state, key('/'));
    for c in "fit note".chars() {
        update(&mut state, key(c));
    }
    let effects = update(&mut state, special(KeyCode::Enter));
    assert_eq!(state.filter.search.as_deref(), Some("fit note"));
    assert!(matches!(page_id(&effects), (_, PageAt::First)));
    assert!(state.modal.is_none());
}

#[test]
fn reassigning_goes_through_the_picker_to_one_assign_action() {
    let staff = staff();
    let mut state = loaded(
        (1..=3)
            .map(|i| task(i, 1, Priority::Routine, "r"))
            .collect(),
        3,
    );
    update_with_staff(&mut state, key('a'), &staff);
    assert!(state.modal.is_some(), "the picker opens");
    for c in "chris".chars() {
        update_with_staff(&mut state, key(c), &staff);
    }
    let effects = update_with_staff(&mut state, special(KeyCode::Enter), &staff);
    match acts(&effects).as_slice() {
        [(Change::Assign { owner, note: None }, targets)] => {
            assert_eq!(owner, "cjones");
            assert_eq!(targets.iter().map(|t| t.id).collect::<Vec<_>>(), vec![1]);
        }
        other => panic!("expected one assign, got {other:?}"),
    }
}

#[test]
fn help_lists_every_action_with_its_keys() {
    let mut state = triage_state();
    update(&mut state, key('?'));
    let terminal = render(&state, 100, 32);
    insta::assert_snapshot!(terminal.backend());
}

/// Opens the overdue view (key 2) and answers its request with `tasks`.
fn overdue_view(state: &mut AppState, tasks: Vec<Task>) {
    let effects = update(state, key('2'));
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Request(Request::Overdue { id, .. }) => Some(*id),
            _ => None,
        })
        .expect("the overdue view asks for its rows");
    let why = tasks
        .iter()
        .map(|t| {
            (
                t.id,
                format!(
                    "received {}; threshold 2 working hours",
                    t.received_at.format("%a %H:%M")
                ),
            )
        })
        .collect();
    let summary = taskgate::tui::state::OverdueSummary {
        overdue: 1,
        due_soon: 1,
        stalled: 0,
    };
    let total = tasks.len() as u64;
    update(
        state,
        Msg::Reply(Reply::Overdue {
            id,
            at: PageAt::First,
            tasks,
            why,
            total,
            summary,
        }),
    );
}

#[test]
fn the_overdue_view_lists_its_tasks_and_acts_on_them_like_the_inbox() {
    let mut state = triage_state();
    update(&mut state, key('j'));
    overdue_view(
        &mut state,
        vec![
            task(
                1,
                3,
                Priority::Urgent,
                "Discharge medication - please prescribe",
            ),
            task(2, 22, Priority::Routine, "Fit note required for 6 weeks"),
        ],
    );
    assert_eq!(state.window.total, 2);
    assert_eq!(
        state.window.selected_task().map(|t| t.id),
        Some(1),
        "opens on the most overdue"
    );
    let effects = update(&mut state, key('r'));
    match acts(&effects).as_slice() {
        [(Change::Reject { .. }, targets)] => assert_eq!(targets[0].id, 1),
        other => panic!("expected a reject, got {other:?}"),
    }

    // Back to the inbox (1): its place was kept.
    let effects = update(&mut state, key('1'));
    assert_eq!(state.window.selected, 1, "the inbox cursor is where it was");
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Request(Request::Page { .. })))
    );
}

#[test]
fn overdue_view_snapshot_with_red_and_amber_rows() {
    let mut state = triage_state();
    overdue_view(
        &mut state,
        vec![
            task(
                1,
                3,
                Priority::Urgent,
                "Discharge medication - please prescribe",
            ),
            task(2, 22, Priority::Routine, "Fit note required for 6 weeks"),
        ],
    );
    update(&mut state, key('j'));
    let terminal = render(&state, 100, 30);
    let buf = terminal.backend().buffer();
    let row_of = |needle: &str| {
        (0..buf.area.height)
            .find(|&y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .contains(needle)
            })
            .expect("row on screen")
    };
    assert_eq!(buf[(3, row_of("Discharge medication"))].fg, Color::Red);
    assert_eq!(buf[(3, row_of("Fit note required"))].fg, Color::Yellow);
    insta::assert_snapshot!(terminal.backend());
}

/// A failed read gives up only the request it answers: the header's counts failing (no id)
/// must not cancel the page `G` asked for, whose reply is still on its way.
#[test]
fn a_failed_count_leaves_the_page_request_in_flight() {
    let tasks: Vec<Task> = (1..=200)
        .map(|i| task(i, 1, Priority::Routine, "r"))
        .collect();
    let mut state = loaded(tasks, 5_000);
    let (latest, _) = page_id(&update(&mut state, key('G')));
    update(
        &mut state,
        Msg::Reply(Reply::Failed {
            id: None,
            what: "the counts",
            error: AppError::Report("database is locked".into()),
        }),
    );
    assert_eq!(
        state.page_request,
        Some(latest),
        "still waiting for G's page"
    );
    assert!(state.toast.as_ref().is_some_and(|t| t.is_error));

    // The page's own failure does give it up.
    update(
        &mut state,
        Msg::Reply(Reply::Failed {
            id: Some(latest),
            what: "tasks",
            error: AppError::Report("database is locked".into()),
        }),
    );
    assert_eq!(state.page_request, None);
}

/// The inbox's conflict message names the keys the keymap binds, not letters written into
/// the store's error.
#[test]
fn a_task_in_conflict_is_explained_with_the_keys_in_force() {
    use taskgate::store::StoreError;
    let mut state = loaded(vec![task(1, 1, Priority::Routine, "r")], 1);
    update(&mut state, key('c'));
    update(
        &mut state,
        Msg::Reply(Reply::Acted(Err(AppError::Store(
            StoreError::InSyncConflict { task_id: 1 },
        )))),
    );
    let toast = state.toast.as_ref().expect("a toast");
    assert!(toast.is_error);
    let theirs = keymap().hint(taskgate::tui::keymap::Action::KeepTheirs);
    let ours = keymap().hint(taskgate::tui::keymap::Action::ReapplyOurs);
    assert!(
        toast.text.contains(&format!("keep theirs: {theirs}"))
            && toast.text.contains(&format!("re-apply ours: {ours}")),
        "{}",
        toast.text
    );
}

/// Not by colour alone: the overdue row carries `!` and the due-soon row `~` beside their
/// colours; with no colour (NO_COLOR) the cursor row is in reverse video, overdue text bold,
/// and no cell carries a colour; with high contrast the alarms are bright and bold.
#[test]
fn states_show_without_colour_by_marker_bold_and_reverse_video() {
    use ratatui::style::Modifier;
    use taskgate::tui::theme::{Palette, set_palette};
    let mut state = triage_state();
    overdue_view(
        &mut state,
        vec![
            task(
                1,
                3,
                Priority::Urgent,
                "Discharge medication - please prescribe",
            ),
            task(2, 22, Priority::Routine, "Fit note required for 6 weeks"),
        ],
    );
    let row_of = |terminal: &Terminal<TestBackend>, needle: &str| {
        let buf = terminal.backend().buffer();
        (0..buf.area.height)
            .find(|&y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .contains(needle)
            })
            .expect("row on screen")
    };
    let terminal = render(&state, 100, 30);
    let buf = terminal.backend().buffer();
    let overdue = row_of(&terminal, "Discharge medication");
    let soon = row_of(&terminal, "Fit note required");
    // The first column after the border: mark, then the state's marker.
    assert_eq!(buf[(2, overdue)].symbol(), "!");
    assert_eq!(buf[(2, soon)].symbol(), "~");

    set_palette(Palette::NoColor);
    let terminal = render(&state, 100, 30);
    set_palette(Palette::Default);
    let buf = terminal.backend().buffer();
    assert!(
        buf.content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "no colour at all"
    );
    // The cursor is on the first row: reverse video says so.
    assert!(buf[(5, overdue)].modifier.contains(Modifier::REVERSED));
    assert!(!buf[(5, soon)].modifier.contains(Modifier::REVERSED));
    assert!(buf[(5, soon)].modifier.contains(Modifier::BOLD));
    assert_eq!(buf[(2, soon)].symbol(), "~");
    // The header's coloured band stays distinct as reverse video.
    assert!(buf[(1, 0)].modifier.contains(Modifier::REVERSED));

    set_palette(Palette::HighContrast);
    let terminal = render(&state, 100, 30);
    set_palette(Palette::Default);
    let buf = terminal.backend().buffer();
    assert_eq!(buf[(5, soon)].fg, Color::LightYellow);
    assert!(buf[(5, soon)].modifier.contains(Modifier::BOLD));
}

#[test]
fn no_color_in_the_environment_wins_over_the_theme() {
    use taskgate::config::Theme;
    use taskgate::tui::theme::Palette;
    assert_eq!(
        Palette::choose(Theme::HighContrast, Some("1")),
        Palette::NoColor
    );
    assert_eq!(
        Palette::choose(Theme::HighContrast, Some("")),
        Palette::HighContrast,
        "an empty NO_COLOR does not count (no-color.org)"
    );
    assert_eq!(Palette::choose(Theme::Default, None), Palette::Default);
}

/// At 80 columns the header shortens its words, never its counts; at 160 it says them whole.
#[test]
fn the_header_shortens_words_before_cutting_counts() {
    let mut state = triage_state();
    state.practice = "Riverside Medical Practice, Eastwold".into();
    state.counts = Some(taskgate::tui::state::Counts {
        unactioned: 135,
        overdue: 66,
        due_soon: 6,
    });
    let header = |w: u16| {
        let terminal = render(&state, w, 24);
        let buf = terminal.backend().buffer();
        (0..buf.area.width)
            .map(|x| buf[(x, 0)].symbol())
            .collect::<String>()
    };
    let narrow = header(80);
    assert!(
        narrow.contains("135 new") && narrow.contains("66 overdue") && narrow.contains("6 soon"),
        "{narrow}"
    );
    let wide = header(160);
    assert!(
        wide.contains("135 unactioned") && wide.contains("6 due soon"),
        "{wide}"
    );
}

//! The terminal never panics and is always given back. Every screen, filled with hostile text
//! (wide and combining characters, emoji, right-to-left text, endless words, control and escape
//! characters), is drawn at every width from 1 to 400 and every height from 1 to 120, at the
//! sizes where layouts switch, and through a storm of random resizes. In a real pseudo-terminal the binary survives a resize storm on each screen,
//! a task's text cannot send escape sequences to the terminal, and a forced panic still leaves
//! the terminal in cooked mode on the main screen with the cursor shown, the message printed
//! once.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use portable_pty::CommandBuilder;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::pty::Screen;
use support::sandbox::Sandbox;
use taskgate::app::AppError;
use taskgate::app::providers::EscalationLetter;
use taskgate::config::Config;
use taskgate::domain::calendar::WorkingCalendar;
use taskgate::domain::policy::PolicyRules;
use taskgate::domain::{
    Absence, Agreement, EscalationStage, IncomingTask, NhsNumber, Patient, Priority, Provider,
    Status, Task,
};
use taskgate::report::handover::{HandoverReport, build_for_config};
use taskgate::report::overdue::OverdueRules;
use taskgate::store::{AuditEvent, Note, Store, StoredLetter};
use taskgate::tui::keymap::Keymap;
use taskgate::tui::msg::{Acted, Effect, Msg, Reply, Request};
use taskgate::tui::state::{AppState, Counts, Detail, OverdueSummary};
use taskgate::tui::ui::{ViewContext, draw};
use taskgate::tui::update::{Env, start, update};

const WAIT: Duration = Duration::from_secs(30);
/// Silence long enough to say the program has drawn everything it was asked to.
const QUIET: Duration = Duration::from_millis(1500);

/// Text a sender could put in a task, chosen to break width sums and wrapping.
const HOSTILE: [&str; 9] = [
    "紹介状の確認をお願いします患者様の検査結果について至急",
    "🩺👩🏽‍⚕️🧑‍🤝‍🧑 emoji and zero\u{200d}width joiners \u{200b}\u{feff}",
    "Cafe\u{301} combining e\u{301}\u{301}\u{301} marks and a\u{20dd}",
    "مرحبا بالعالم right-to-left \u{202e}reversed\u{202c} text",
    "tab\there\rcarriage\nnewline\u{7}bell\u{1b}[31mred\u{1b}]0;title\u{7}",
    "Supercalifragilisticexpialidocious-without-any-break-at-all-anywhere-so-wrapping-must-cut-it",
    "",
    " ",
    "ﾊﾝｶｸ half-width and ＦＵＬＬ full-width forms",
];

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .expect("instant")
}

fn hostile(i: usize) -> String {
    let long = HOSTILE
        .iter()
        .cycle()
        .skip(i)
        .take(4)
        .copied()
        .collect::<Vec<_>>();
    long.join(" ").repeat(1 + i % 3)
}

fn task(id: i64) -> Task {
    let i = usize::try_from(id).expect("small id");
    let received_at = now() - Span::hours(id * 7);
    Task {
        id,
        row_version: 1,
        source_id: hostile(i + 1),
        source_version: Some("1".into()),
        status: Status::New,
        priority: [
            Priority::Routine,
            Priority::Urgent,
            Priority::Asap,
            Priority::Stat,
        ][i % 4],
        provider_ods: HOSTILE[i % HOSTILE.len()].chars().take(8).collect(),
        provider_name: hostile(i + 2),
        sender_team: Some(hostile(i + 3)).filter(|_| i % 2 == 0),
        addressed_to: Some(hostile(i + 4)).filter(|_| i % 3 == 0),
        owner: None,
        patient: Patient {
            nhs_number: NhsNumber::parse("999 000 0018").ok().filter(|_| i % 2 == 1),
            name: hostile(i + 5),
            birth_date: chrono::NaiveDate::from_ymd_opt(1950, 3, 1),
        },
        subject: hostile(i),
        body: hostile(i + 6).repeat(5),
        received_at,
        due_by: Some(received_at + Span::days(3)).filter(|_| i % 2 == 0),
        updated_at: received_at,
    }
}

fn tasks() -> Vec<Task> {
    (1..=40).map(task).collect()
}

fn event(id: i64, task_id: i64) -> AuditEvent {
    AuditEvent {
        id,
        at: now(),
        actor: hostile(7),
        task_id: Some(task_id),
        target: None,
        action: "assign".into(),
        from: Some(hostile(8)),
        to: Some(hostile(1)),
        detail: Some(hostile(4)),
        prev_hash: "0".repeat(64),
        hash: "f".repeat(64),
    }
}

fn detail(task_id: i64) -> Detail {
    Detail {
        task_id,
        notes: vec![Note {
            id: 1,
            task_id,
            at: now(),
            author: hostile(3),
            text: hostile(4),
            action_id: Some(1),
            withdrawn_by_action: Some(2),
        }],
        letters: vec![StoredLetter {
            id: 1,
            task_id,
            template: "lmc-rejection".into(),
            body: hostile(5).repeat(10),
            created_at: now(),
            created_by: hostile(6),
            action_id: None,
            withdrawn_by_action: None,
        }],
        history: (1..=12).map(|i| event(i, task_id)).collect(),
        // Every task carries a sync conflict, so its side-by-side lines are drawn too.
        conflict: Some(taskgate::store::Conflict {
            task_id,
            detected_at: now(),
            http_status: 412,
            base_version: Some(hostile(1)),
            theirs_version: Some(hostile(2)),
            theirs: serde_json::json!({ "lastModified": hostile(3), "note": [hostile(4)] }),
            theirs_task: None,
            ours: Vec::new(),
        }),
    }
}

/// A real handover report and providers' figures, from a real mirror holding hostile tasks.
fn handover_report(
    config: &Config,
    calendar: &WorkingCalendar,
) -> (
    HandoverReport,
    taskgate::report::providers::ProvidersOverview,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("m.sqlite")).expect("store");
    let incoming = tasks().into_iter().map(|t| IncomingTask {
        source_id: format!("t-{}", t.id),
        source_version: t.source_version,
        status: t.status,
        priority: t.priority,
        provider_ods: format!("ODS{}", t.id % 5),
        provider_name: t.provider_name,
        sender_team: t.sender_team,
        addressed_to: t.addressed_to,
        owner: Some("bpatel".to_owned()).filter(|_| t.id % 4 == 0),
        patient: t.patient,
        subject: t.subject,
        body: t.body,
        received_at: t.received_at,
        due_by: t.due_by,
        raw: None,
    });
    store
        .insert_tasks(incoming, "test", "test", now() - Span::days(30))
        .expect("insert");
    let providers =
        taskgate::report::providers::build(&store, calendar, &config.policy_rules(), now())
            .expect("providers");
    (
        build_for_config(&store, config, calendar, now(), None).expect("report"),
        providers,
    )
}

/// Answers the TUI's requests the way the database worker would, from fixed hostile data.
struct FakeWorker {
    report: HandoverReport,
    providers: taskgate::report::providers::ProvidersOverview,
}

impl FakeWorker {
    fn answer(&self, request: Request) -> Reply {
        match request {
            Request::Page { id, at, .. } => Reply::Page {
                id,
                at,
                rows: tasks(),
                total: 40,
            },
            Request::Detail { id, task_id } => Reply::Detail {
                id,
                detail: Box::new(detail(task_id)),
            },
            Request::Counts { .. } => {
                let counts = Counts {
                    unactioned: 40,
                    overdue: 12,
                    due_soon: 3,
                };
                Reply::Counts(counts)
            }
            Request::Absences => Reply::Absences(vec![Absence {
                staff_id: "bpatel".into(),
                from: now().date_naive(),
                until: now().date_naive() + Span::days(3),
                reason: hostile(2),
            }]),
            Request::Handover { id, .. } => Reply::Handover {
                id,
                report: Box::new(self.report.clone()),
                tasks: tasks(),
            },
            Request::SignOff { .. } => Reply::SignedOff(Err(AppError::Report(hostile(3)))),
            Request::Overdue { id, at, .. } => Reply::Overdue {
                id,
                at,
                total: tasks().len() as u64,
                tasks: tasks(),
                why: tasks().iter().map(|t| (t.id, hostile(3))).collect(),
                summary: OverdueSummary::default(),
            },
            Request::ProviderFacts { .. } => Reply::ProviderFacts(HashMap::new()),
            Request::Providers { id, .. } => Reply::Providers {
                id,
                overview: Box::new(self.providers.clone()),
            },
            Request::Escalate { .. } => Reply::Escalated(Err(AppError::Report(hostile(2)))),
            Request::EscalationLetter { .. } => Reply::EscalationLetter(Ok(EscalationLetter {
                provider: Provider {
                    ods_code: hostile(1),
                    name: hostile(1),
                    agreement: Agreement::None,
                    escalation: EscalationStage::RemindedTeam,
                    escalation_changed: None,
                },
                stage: EscalationStage::RemindedTeam,
                template: "escalation-reminder",
                text: hostile(4).repeat(30),
            })),
            Request::Act {
                change, targets, ..
            } => Reply::Acted(Ok(Acted {
                change,
                tasks: targets.len(),
                letters: vec![hostile(1)],
                templates: vec![hostile(3)],
            })),
            Request::RenderLetter {
                task_id, template, ..
            } => Reply::Rendered {
                task_id,
                template,
                result: Ok(hostile(2).repeat(20)),
            },
        }
    }
}

struct Rig {
    config: Config,
    calendar: WorkingCalendar,
    keymap: Keymap,
    worker: FakeWorker,
}

impl Rig {
    fn new() -> Rig {
        let config = Config::example();
        let calendar = support::calendar::weekdays_8_to_17();
        let (report, providers) = handover_report(&config, &calendar);
        let worker = FakeWorker { report, providers };
        Rig {
            config,
            calendar,
            keymap: Keymap::load(&std::collections::BTreeMap::new()).expect("default keys"),
            worker,
        }
    }

    fn env<'a>(&'a self, rules: &'a PolicyRules) -> Env<'a> {
        Env {
            keymap: &self.keymap,
            staff: &self.config.staff,
            groups: &self.config.groups,
            policy: Some((rules, &self.calendar)),
        }
    }

    /// Feeds `msg` to `update`, then carries out the requests it makes until none is left.
    fn feed(&self, state: &mut AppState, msg: Msg) {
        let rules = self.config.policy_rules();
        let env = self.env(&rules);
        let mut pending = update(state, msg, &env);
        for _ in 0..20 {
            let replies: Vec<Reply> = pending
                .drain(..)
                .filter_map(|e| match e {
                    Effect::Request(r) => Some(self.worker.answer(r)),
                    Effect::Copy(_) | Effect::SyncSoon | Effect::Quit => None,
                })
                .collect();
            if replies.is_empty() {
                return;
            }
            for reply in replies {
                pending.extend(update(state, Msg::Reply(reply), &env));
            }
        }
    }

    /// The inbox as it opens, then `keys` pressed.
    fn screen(&self, keys: &[KeyCode]) -> AppState {
        let mut state = AppState::new(hostile(1), hostile(2), hostile(3), now());
        self.feed(&mut state, Msg::Resize(100, 30));
        let rules = self.config.policy_rules();
        let effects = start(&mut state, &self.env(&rules));
        for effect in effects {
            if let Effect::Request(r) = effect {
                self.feed(&mut state, Msg::Reply(self.worker.answer(r)));
            }
        }
        for code in keys {
            self.feed(
                &mut state,
                Msg::Key(KeyEvent::new(*code, KeyModifiers::NONE)),
            );
        }
        state
    }

    fn draw_at(&self, terminal: &mut Terminal<TestBackend>, state: &mut AppState, w: u16, h: u16) {
        self.feed(state, Msg::Resize(w, h));
        terminal.backend_mut().resize(w, h);
        let rules = self.config.policy_rules();
        let view = ViewContext {
            calendar: &self.calendar,
            thresholds: OverdueRules::from_config(&self.config, &self.calendar).thresholds,
            keymap: &self.keymap,
            rules: &rules,
        };
        terminal
            .draw(|f| draw(f, state, &view))
            .unwrap_or_else(|e| panic!("drawing at {w}×{h}: {e}"));
    }
}

fn chars(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

/// Every screen and modal, reached by the keys a person would press.
fn screens() -> Vec<(&'static str, Vec<KeyCode>)> {
    vec![
        ("inbox with the detail pane", vec![]),
        ("marked, rejected, toast", chars("  r")),
        ("help", chars("?")),
        ("reassign picker", chars("a")),
        ("letter preview", chars("l")),
        ("letter editor", chars("le")),
        ("search line", [chars("/"), chars(HOSTILE[0])].concat()),
        ("note line", [chars("n"), chars(HOSTILE[3])].concat()),
        ("overdue view", chars("2")),
        ("handover view", chars("3")),
        ("sign-off line", chars("3S")),
        ("providers view", chars("4")),
        ("provider moved, refused", chars("4j>")),
        ("escalation letter", chars("4l")),
    ]
}

/// The sizes where layouts switch or run out of room, drawn on every screen.
const EDGES: [(u16, u16); 12] = [
    (1, 1),
    (2, 1),
    (1, 2),
    (400, 120),
    (400, 1),
    (1, 120),
    (79, 23),
    (79, 24),
    (80, 23),
    (80, 24),
    (81, 25),
    (100, 30),
];

#[test]
#[ignore = "over a minute: .ci/run runs it with --ignored"]
fn every_screen_draws_at_every_width_and_height_from_1x1_to_400x120() {
    let rig = Rig::new();
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    for (name, keys) in screens() {
        let mut state = rig.screen(&keys);
        let mut terminal = Terminal::new(TestBackend::new(1, 1)).expect("terminal");
        // Every width with some height, every height with some width: each value from 1 to
        // 400 (and 1 to 120) is drawn on every screen, without the cost of all 48 000 pairs.
        for w in 1..=400 {
            rig.draw_at(&mut terminal, &mut state, w, rng.random_range(1..=120));
        }
        for h in 1..=120 {
            rig.draw_at(&mut terminal, &mut state, rng.random_range(1..=400), h);
        }
        for (w, h) in EDGES {
            rig.draw_at(&mut terminal, &mut state, w, h);
        }
        assert!(!state.quit, "{name}");
    }
}

#[test]
#[ignore = "about twenty seconds: .ci/run runs it with --ignored"]
fn every_screen_survives_a_storm_of_random_resizes_and_keys() {
    let rig = Rig::new();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for (_, keys) in screens() {
        let mut state = rig.screen(&keys);
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        for _ in 0..150 {
            let (w, h) = (rng.random_range(1..=400), rng.random_range(1..=120));
            rig.draw_at(&mut terminal, &mut state, w, h);
            // Scrolling while tiny must not underflow anything either.
            if rng.random_bool(0.2) {
                let code = [KeyCode::Down, KeyCode::Up, KeyCode::PageDown, KeyCode::End]
                    [rng.random_range(0..4)];
                rig.feed(
                    &mut state,
                    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)),
                );
            }
        }
    }
}

// ----- the real binary in a pseudo-terminal -----

fn start_inbox(s: &Sandbox, cols: u16, rows: u16) -> Screen {
    Screen::start_command(s.pty_command(&[]), cols, rows)
}

#[test]
#[ignore = "about twenty seconds: .ci/run runs it with --ignored"]
fn the_inbox_survives_a_resize_storm_on_every_screen() {
    let s = Sandbox::new();
    s.demo(300);
    let mut screen = start_inbox(&s, 100, 30);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    // The key that opens each screen, what shows it is open, and whether Esc closes it.
    let steps = [
        ("", "Inbox: unactioned", false),
        ("?", "Help: keys in force", true),
        ("a", "Reassign", true),
        ("l", " Letter ", true),
        ("/", "Search:", true),
        ("2", "most overdue first", false),
        ("3", "Handover: what the next shift inherits", false),
        ("1", "Inbox: unactioned", false),
    ];
    for (key, shown, modal) in steps {
        screen.send(key);
        screen.wait_for(shown, WAIT);
        for _ in 0..60 {
            screen.resize(rng.random_range(1..=400), rng.random_range(1..=120));
            screen.drain();
        }
        screen.resize(1, 1);
        screen.drain();
        screen.resize(100, 30);
        // Alive, and back on the same screen at a usable size once the storm is worked off.
        screen.settle(QUIET);
        assert!(screen.running(), "taskgate died on {shown:?}");
        screen.wait_for(shown, WAIT);
        if modal {
            screen.send("\u{1b}");
            screen.wait_until("Esc closes the modal", WAIT, |s| !s.contains(shown));
            // Nothing more is typed until Esc has been read on its own, not as Alt+key.
            screen.settle(QUIET);
        }
    }
    screen.send("q");
    assert!(screen.wait_exit(WAIT), "quits cleanly after the storm");
    assert!(screen.terminal_restored());
}

#[test]
fn a_tasks_text_cannot_send_escape_sequences_to_the_terminal() {
    let s = Sandbox::new();
    let mut store = Store::open(&s.db()).expect("mirror");
    let t = task(1);
    store
        .insert_tasks(
            [IncomingTask {
                source_id: "evil-1".into(),
                source_version: None,
                status: Status::New,
                priority: Priority::Routine,
                provider_ods: "ZDN01".into(),
                provider_name: "Sender\u{1b}]0;owned\u{7}".into(),
                sender_team: None,
                addressed_to: None,
                owner: None,
                patient: t.patient,
                subject: "Subject \u{1b}[2J\u{1b}]52;c;cGF5bG9hZA==\u{7} end".into(),
                body: "Body \u{1b}]0;owned\u{7}\u{1b}[?1049l\u{9b}31m".into(),
                received_at: now() - Span::hours(1),
                due_by: None,
                raw: None,
            }],
            "test",
            "test",
            now(),
        )
        .expect("insert");
    drop(store);
    let mut screen = start_inbox(&s, 120, 40);
    screen.wait_for("Subject", WAIT);
    screen.wait_for("Body", WAIT);
    screen.send("q");
    assert!(screen.wait_exit(WAIT));
    let out = String::from_utf8_lossy(&screen.raw);
    for injected in ["\u{1b}]0;owned", "\u{1b}]52;c;", "\u{1b}[2J", "\u{9b}"] {
        assert!(
            !out.contains(injected),
            "the task's text reached the terminal as a control sequence: {injected:?}"
        );
    }
    // The only time the screen is left is when taskgate quits.
    assert_eq!(out.matches("\u{1b}[?1049l").count(), 1, "{out:?}");
}

#[test]
fn a_panic_gives_the_terminal_back_in_cooked_mode_and_says_so_once() {
    let s = Sandbox::new();
    s.demo(50);
    // A shell runs taskgate, then reports its exit code and the terminal's modes, as the
    // user's own shell would find them.
    let taskgate = s.pty_command(&[]);
    let mut cmd = CommandBuilder::new("sh");
    cmd.args(["-c", "\"$@\"; echo \"exit code $?\"; stty -a", "sh"]);
    cmd.args(taskgate.get_argv());
    for (k, v) in s.env() {
        cmd.env(k, v);
    }
    cmd.env("TASKGATE_TEST_PANIC", "after-first-frame");
    cmd.env("RUST_BACKTRACE", "0");
    let mut screen = Screen::start_command(cmd, 200, 60);
    screen.wait_for("exit code", WAIT);
    screen.wait_for("icanon", WAIT);
    assert!(
        screen.wait_exit(WAIT),
        "the shell carried on after the panic"
    );
    let out = String::from_utf8_lossy(&screen.raw).into_owned();
    // Both must be there: `None < Some(_)`, so comparing the two `Option`s would pass with no
    // frame drawn at all.
    let drawn = out
        .find("\u{1b}[?1049h")
        .expect("the alternate screen was entered");
    let panicked = out
        .find("forced test panic")
        .expect("the panic was reported");
    assert!(
        drawn < panicked,
        "the first frame was drawn before the panic"
    );
    assert!(screen.terminal_restored(), "{}", screen.contents());
    let shown = screen.contents();
    assert_eq!(
        shown.matches("forced test panic").count(),
        1,
        "the panic is reported once:\n{shown}"
    );
    assert!(shown.contains("exit code 101"), "{shown}");
    let modes: Vec<&str> = shown.split_whitespace().collect();
    for mode in ["icanon", "echo", "icrnl", "opost"] {
        assert!(
            modes.contains(&mode) && !modes.contains(&format!("-{mode}").as_str()),
            "the terminal is not back in cooked mode ({mode}):\n{shown}"
        );
    }
}

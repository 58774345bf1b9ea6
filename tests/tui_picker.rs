//! The Reassign picker without a terminal: keys in, outcome and visible state out, and the modal
//! rendered to a `TestBackend` (a snapshot with someone away, amber cells, no panic when tiny).

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use taskgate::domain::staff::Presence;
use taskgate::tui::picker::{PickerEntry, PickerOutcome, PickerState};
use taskgate::tui::ui::picker::draw;

fn person(id: &str, name: &str, role: &str) -> PickerEntry {
    PickerEntry {
        id: id.into(),
        name: name.into(),
        detail: role.into(),
        is_group: false,
        presence: Presence::Present,
    }
}

fn away(mut entry: PickerEntry, until_day: u32, reason: &str) -> PickerEntry {
    let until = NaiveDate::from_ymd_opt(2026, 11, until_day).expect("date");
    entry.presence = Presence::Away {
        until,
        reason: reason.into(),
    };
    entry
}

fn group(id: &str, name: &str, members: usize) -> PickerEntry {
    PickerEntry {
        id: id.into(),
        name: name.into(),
        detail: format!("group: {members} members"),
        is_group: true,
        presence: Presence::Present,
    }
}

/// Config order: "Marjorie" also contains "jo", and comes before Jo Bloggs, so ranking must beat
/// config order for "jo" to find Jo first.
fn entries() -> Vec<PickerEntry> {
    vec![
        person("mholt", "Marjorie Holt", "Practice manager"),
        away(
            person("spatel", "Sam Patel", "Practice nurse"),
            27,
            "annual leave",
        ),
        person("jbloggs", "Jo Bloggs", "Receptionist"),
        person("akhan", "Dr Amira Khan", "GP partner"),
        group("rx", "Prescriptions team", 3),
        group("admin", "Admin team", 4),
    ]
}

fn press(picker: &mut PickerState, code: KeyCode) -> PickerOutcome {
    picker.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(picker: &mut PickerState, c: char) -> PickerOutcome {
    picker.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(picker: &mut PickerState, text: &str) {
    for c in text.chars() {
        assert_eq!(press(picker, KeyCode::Char(c)), PickerOutcome::Stay);
    }
}

fn names(picker: &PickerState) -> Vec<&str> {
    picker.matches().map(|e| e.name.as_str()).collect()
}

fn selected_name(picker: &PickerState) -> &str {
    picker
        .selected()
        .map(|e| e.name.as_str())
        .expect("a selection")
}

#[test]
fn an_empty_query_lists_everyone_and_every_group_in_config_order() {
    let picker = PickerState::new(entries(), 1);
    assert_eq!(
        names(&picker),
        [
            "Marjorie Holt",
            "Sam Patel",
            "Jo Bloggs",
            "Dr Amira Khan",
            "Prescriptions team",
            "Admin team"
        ]
    );
    assert_eq!(selected_name(&picker), "Marjorie Holt");
    assert_eq!(picker.title(), "Reassign 1 task");
    assert_eq!(PickerState::new(entries(), 3).title(), "Reassign 3 tasks");
}

#[test]
fn typing_narrows_the_list_by_fuzzy_match_best_first() {
    let mut picker = PickerState::new(entries(), 1);
    type_text(&mut picker, "jo");
    let found = names(&picker);
    assert_eq!(
        found.first(),
        Some(&"Jo Bloggs"),
        "a word-start match ranks first: {found:?}"
    );
    assert!(
        found.contains(&"Marjorie Holt"),
        "a match inside a word still counts: {found:?}"
    );
    assert!(!found.contains(&"Sam Patel"));
    assert_eq!(selected_name(&picker), "Jo Bloggs");

    // Letters need not be adjacent: "prsc" is still the prescriptions team.
    let mut picker = PickerState::new(entries(), 1);
    type_text(&mut picker, "prsc");
    assert_eq!(names(&picker), ["Prescriptions team"]);

    // Backspace widens the list again.
    let mut picker = PickerState::new(entries(), 1);
    type_text(&mut picker, "jox");
    assert!(names(&picker).is_empty());
    press(&mut picker, KeyCode::Backspace);
    assert_eq!(names(&picker).first(), Some(&"Jo Bloggs"));
}

#[test]
fn a_group_matches_by_name() {
    let mut picker = PickerState::new(entries(), 1);
    type_text(&mut picker, "admin");
    assert_eq!(names(&picker), ["Admin team"]);
    assert!(picker.selected().expect("admin team").is_group);
}

#[test]
fn enter_on_someone_present_chooses_them_with_the_note_typed_after_tab() {
    let mut picker = PickerState::new(entries(), 2);
    type_text(&mut picker, "jo");
    press(&mut picker, KeyCode::Tab);
    type_text(&mut picker, "  please call the ward back ");
    assert_eq!(
        picker.query(),
        "jo",
        "after Tab, typing goes to the note, not the query"
    );
    assert_eq!(
        press(&mut picker, KeyCode::Enter),
        PickerOutcome::Chosen {
            id: "jbloggs".into(),
            note: Some("please call the ward back".into())
        }
    );
}

#[test]
fn an_empty_note_is_no_note_and_tab_returns_to_the_query() {
    let mut picker = PickerState::new(entries(), 1);
    press(&mut picker, KeyCode::Tab);
    type_text(&mut picker, "   ");
    press(&mut picker, KeyCode::Tab);
    type_text(&mut picker, "khan");
    assert_eq!(
        press(&mut picker, KeyCode::Enter),
        PickerOutcome::Chosen {
            id: "akhan".into(),
            note: None
        }
    );
}

#[test]
fn enter_on_someone_away_asks_first_and_a_second_enter_assigns_anyway() {
    let mut picker = PickerState::new(entries(), 1);
    type_text(&mut picker, "sam");
    assert_eq!(press(&mut picker, KeyCode::Enter), PickerOutcome::Stay);
    assert_eq!(
        picker.confirmation(),
        Some(
            "Sam Patel is away until Fri 27 Nov (annual leave). Press Enter again to assign \
             anyway, or pick someone else."
        )
    );
    assert_eq!(
        press(&mut picker, KeyCode::Enter),
        PickerOutcome::Chosen {
            id: "spatel".into(),
            note: None
        }
    );
}

#[test]
fn a_note_typed_after_the_warning_keeps_it_and_goes_with_the_assignment() {
    let mut picker = PickerState::new(entries(), 1);
    type_text(&mut picker, "sam");
    press(&mut picker, KeyCode::Enter);
    press(&mut picker, KeyCode::Tab);
    type_text(&mut picker, "for when back");
    assert!(
        picker.confirmation().is_some(),
        "the selection has not changed"
    );
    assert_eq!(
        press(&mut picker, KeyCode::Enter),
        PickerOutcome::Chosen {
            id: "spatel".into(),
            note: Some("for when back".into())
        }
    );
}

#[test]
fn moving_after_the_warning_clears_it_and_enter_then_needs_asking_again() {
    let mut picker = PickerState::new(entries(), 1);
    press(&mut picker, KeyCode::Down);
    assert_eq!(selected_name(&picker), "Sam Patel");
    assert_eq!(press(&mut picker, KeyCode::Enter), PickerOutcome::Stay);
    assert!(picker.confirmation().is_some());

    press(&mut picker, KeyCode::Down);
    assert_eq!(picker.confirmation(), None);
    assert_eq!(selected_name(&picker), "Jo Bloggs");
    ctrl(&mut picker, 'p');
    assert_eq!(selected_name(&picker), "Sam Patel");
    assert_eq!(picker.confirmation(), None);
    assert_eq!(
        press(&mut picker, KeyCode::Enter),
        PickerOutcome::Stay,
        "asks again"
    );
    assert!(picker.confirmation().is_some());
}

#[test]
fn typing_in_the_query_after_the_warning_clears_it() {
    let mut picker = PickerState::new(entries(), 1);
    type_text(&mut picker, "sa");
    press(&mut picker, KeyCode::Enter);
    assert!(picker.confirmation().is_some());
    type_text(&mut picker, "m");
    assert_eq!(picker.confirmation(), None);
    assert_eq!(selected_name(&picker), "Sam Patel");
    assert_eq!(press(&mut picker, KeyCode::Enter), PickerOutcome::Stay);
}

#[test]
fn ctrl_n_and_ctrl_p_move_and_the_cursor_stops_at_both_ends() {
    let mut picker = PickerState::new(entries(), 1);
    ctrl(&mut picker, 'p');
    assert_eq!(selected_name(&picker), "Marjorie Holt");
    for _ in 0..10 {
        ctrl(&mut picker, 'n');
    }
    assert_eq!(selected_name(&picker), "Admin team");
    press(&mut picker, KeyCode::Up);
    assert_eq!(selected_name(&picker), "Prescriptions team");
    assert_eq!(
        picker.query(),
        "",
        "control keys are not typed into the query"
    );
}

#[test]
fn esc_cancels_and_enter_with_no_match_does_nothing() {
    let mut picker = PickerState::new(entries(), 1);
    type_text(&mut picker, "zzz");
    assert_eq!(press(&mut picker, KeyCode::Enter), PickerOutcome::Stay);
    assert_eq!(press(&mut picker, KeyCode::Esc), PickerOutcome::Cancel);
}

fn render(picker: &PickerState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| draw(f, f.area(), picker)).expect("draw");
    terminal
}

/// The picker over a screen full of dots, so the snapshot shows the modal clearing what it
/// covers.
fn render_over_dots(picker: &PickerState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal
        .draw(|f| {
            let area = f.area();
            let dots = ".".repeat(usize::from(w));
            let lines: Vec<_> = (0..h)
                .map(|_| ratatui::text::Line::raw(dots.clone()))
                .collect();
            f.render_widget(ratatui::widgets::Paragraph::new(lines), area);
            draw(f, area, picker);
        })
        .expect("draw");
    terminal
}

fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count();
            return (u16::try_from(x).expect("column"), y);
        }
    }
    panic!("{needle:?} not on screen");
}

#[test]
fn the_modal_shows_who_is_away_and_the_pending_warning() {
    let mut picker = PickerState::new(entries(), 2);
    press(&mut picker, KeyCode::Down);
    press(&mut picker, KeyCode::Enter);
    let terminal = render_over_dots(&picker, 100, 30);
    insta::assert_snapshot!(terminal.backend());

    let buf = terminal.backend().buffer();
    let (x, y) = find(buf, "away until Fri 27 Nov");
    // Sam is the selected row, drawn reversed; the amber is still there, swapped to the
    // background by the terminal.
    assert_eq!(buf[(x, y)].fg, Color::Yellow);
    assert!(
        buf[(x, y)].modifier.contains(Modifier::REVERSED),
        "Sam's row is highlighted"
    );
    let (x, y) = find(buf, "Sam Patel is away");
    assert_eq!(
        buf[(x, y)].fg,
        Color::Yellow,
        "the warning is in the warning colour"
    );
    let (x, y) = find(buf, "Jo Bloggs");
    assert!(!buf[(x, y)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn the_modal_with_a_query_and_a_note_being_typed() {
    let mut picker = PickerState::new(entries(), 1);
    type_text(&mut picker, "team");
    press(&mut picker, KeyCode::Tab);
    type_text(&mut picker, "repeat prescription query");
    let terminal = render(&picker, 80, 24);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn no_size_panics_even_tiny_ones() {
    let mut picker = PickerState::new(entries(), 1);
    press(&mut picker, KeyCode::Down);
    press(&mut picker, KeyCode::Enter);
    for (w, h) in [
        (1, 1),
        (10, 5),
        (30, 8),
        (0, 0),
        (60, 18),
        (59, 3),
        (200, 60),
    ] {
        render(&picker, w, h);
    }
    let terminal = render(&PickerState::new(Vec::new(), 1), 30, 8);
    assert!(find(terminal.backend().buffer(), "No one").1 < 8);
}

#[test]
fn a_long_warning_is_shown_whole() {
    let long = away(
        person(
            "hw",
            "Henrietta Featherstonehaugh-Wolstenholme",
            "Advanced nurse practitioner",
        ),
        30,
        "sickness",
    );
    let mut picker = PickerState::new(
        vec![long, person("jbloggs", "Jo Bloggs", "Receptionist")],
        1,
    );
    press(&mut picker, KeyCode::Enter);
    let terminal = render(&picker, 80, 24);
    let buf = terminal.backend().buffer();
    let (_, warning) = find(buf, "Henrietta Featherstonehaugh-Wolstenholme is");
    let (_, end) = find(buf, "someone else.");
    let (_, hint) = find(buf, "Enter assign");
    assert!(
        warning < end && end < hint,
        "the warning's last words sit above the hint"
    );
    find(buf, "away until Mon 30 Nov");
}

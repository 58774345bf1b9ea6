//! The Letter pane without a terminal: keys in, outcomes and visible state out, and the modal
//! rendered to a `TestBackend` (a realistic LMC letter, a refused template, no panic when tiny).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use taskgate::domain::letter::TASK_LETTERS;
use taskgate::tui::letter_pane::{LetterBody, LetterMode, LetterOutcome, LetterPaneState};
use taskgate::tui::ui::letter::draw;

const RECIPIENT: &str = "Ward 7 discharge team, Hull Royal Infirmary";

/// The shipped `lmc-rejection` letter as it renders for a demo task.
const LMC_LETTER: &str = "To: Ward 7 discharge team, Hull Royal Infirmary
From: Riverside Medical Practice
Date: 24/11/2026
Your Task: T-20261124-0042, received 24/11/2026

Dear Colleague

You have communicated with Riverside Medical Practice via a SystemOne Task. Please be aware that from 01/10/2026 we do not accept tasks from external providers as a method of communication with the practice due to patient safety concerns. Please resend the information via NHSmail to riverside.practice@nhs.net. Your Task has not been acted on or actioned.

For urgent patient safety concerns, please contact the practice on riverside.urgent@nhs.net.

This is a generic practice inbox. Emails must not be sent to individuals in the practice team, as this has the same patient safety issues as individual tasks.

Yours sincerely

Jo Bloggs
Riverside Medical Practice
";

const UNFILLED: &str = "the letter needs `urgent_route`, which comes from policy.urgent_route in \
                        the config: set it and try again";

fn templates() -> Vec<String> {
    TASK_LETTERS.iter().map(|s| (*s).to_owned()).collect()
}

fn pane_with(rendered: Result<String, String>) -> LetterPaneState {
    LetterPaneState::new(templates(), 0, rendered, 1, RECIPIENT.to_owned())
}

fn lmc_pane() -> LetterPaneState {
    pane_with(Ok(LMC_LETTER.to_owned()))
}

fn press(pane: &mut LetterPaneState, code: KeyCode) -> LetterOutcome {
    pane.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn key(pane: &mut LetterPaneState, c: char) -> LetterOutcome {
    press(pane, KeyCode::Char(c))
}

fn ctrl(pane: &mut LetterPaneState, c: char) -> LetterOutcome {
    pane.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(pane: &mut LetterPaneState, text: &str) {
    for c in text.chars() {
        assert_eq!(key(pane, c), LetterOutcome::Stay, "typing {c:?}");
    }
}

fn render(pane: &LetterPaneState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| draw(frame, frame.area(), pane))
        .expect("draw");
    terminal
}

fn screen_text(buffer: &Buffer) -> String {
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

/// Where `needle` starts on screen, by row and column.
fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    screen_text(buffer)
        .lines()
        .enumerate()
        .find_map(|(y, line)| {
            let byte = line.find(needle)?;
            let x = line[..byte].chars().count();
            Some((u16::try_from(x).ok()?, u16::try_from(y).ok()?))
        })
}

fn reject(template: &str, body: &str) -> LetterOutcome {
    LetterOutcome::Reject {
        template: template.to_owned(),
        body: body.to_owned(),
    }
}

#[test]
fn cycling_templates_asks_for_the_next_and_previous_letter_wrapping_at_both_ends() {
    let mut pane = lmc_pane();
    let render = |name: &str| LetterOutcome::RenderTemplate(name.to_owned());

    assert_eq!(press(&mut pane, KeyCode::Right), render("immediate-action"));
    assert_eq!(key(&mut pane, 'l'), render("provider-responsibility"));
    assert_eq!(key(&mut pane, ']'), render("agreed-route-reminder"));
    assert_eq!(key(&mut pane, 'l'), render("patient-safety-redirect"));
    assert_eq!(
        key(&mut pane, ']'),
        render("lmc-rejection"),
        "wraps past the last"
    );
    assert_eq!(
        press(&mut pane, KeyCode::Left),
        render("patient-safety-redirect"),
        "wraps past the first"
    );
    assert_eq!(key(&mut pane, 'h'), render("agreed-route-reminder"));
    assert_eq!(key(&mut pane, '['), render("provider-responsibility"));
    assert_eq!(pane.selected_template(), Some("provider-responsibility"));
}

#[test]
fn the_old_letter_is_not_shown_or_sent_under_the_new_templates_name() {
    let mut pane = lmc_pane();
    press(&mut pane, KeyCode::Right);
    assert_eq!(pane.body(), LetterBody::Rendering);
    assert_eq!(key(&mut pane, 'r'), LetterOutcome::Stay);
    assert_eq!(key(&mut pane, 'y'), LetterOutcome::Stay);
    assert!(
        pane.notice()
            .is_some_and(|n| n.contains("still being rendered"))
    );

    pane.set_rendered(
        "immediate-action",
        Ok("Dear Colleague, within two weeks…".into()),
    );
    assert_eq!(
        key(&mut pane, 'r'),
        reject("immediate-action", "Dear Colleague, within two weeks…")
    );
}

#[test]
fn a_rendering_for_a_template_no_longer_selected_is_ignored() {
    let mut pane = lmc_pane();
    press(&mut pane, KeyCode::Right);
    press(&mut pane, KeyCode::Right);
    // The user moved on before immediate-action's rendering came back.
    pane.set_rendered("immediate-action", Ok("Immediate action letter".into()));
    assert_eq!(pane.selected_template(), Some("provider-responsibility"));
    assert_eq!(pane.body(), LetterBody::Rendering);

    pane.set_rendered("provider-responsibility", Ok("Contractual letter".into()));
    assert_eq!(pane.body(), LetterBody::Text("Contractual letter"));
    pane.set_rendered("lmc-rejection", Ok(LMC_LETTER.into()));
    assert_eq!(pane.body(), LetterBody::Text("Contractual letter"));
}

#[test]
fn y_copies_the_letter_as_rendered_and_after_editing_the_edited_text() {
    let mut pane = lmc_pane();
    assert_eq!(
        key(&mut pane, 'y'),
        LetterOutcome::Copy(LMC_LETTER.to_owned())
    );

    assert_eq!(key(&mut pane, 'e'), LetterOutcome::Stay);
    assert_eq!(pane.mode(), LetterMode::Edit);
    // `y` while editing is text, not copy.
    type_text(&mut pane, "Hi y");
    ctrl(&mut pane, 's');
    assert_eq!(pane.mode(), LetterMode::Preview);
    let LetterOutcome::Copy(copied) = key(&mut pane, 'y') else {
        panic!("y in the preview copies");
    };
    assert!(copied.starts_with("Hi yTo: Ward 7"), "{copied}");
    assert!(copied.ends_with("Riverside Medical Practice\n"), "{copied}");
}

#[test]
fn r_rejects_with_the_template_and_the_edited_body() {
    let mut pane = lmc_pane();
    assert_eq!(key(&mut pane, 'r'), reject("lmc-rejection", LMC_LETTER));

    key(&mut pane, 'e');
    press(&mut pane, KeyCode::Down);
    press(&mut pane, KeyCode::End);
    type_text(&mut pane, " (Dr Khan)");
    press(&mut pane, KeyCode::Esc);
    let expected = LMC_LETTER.replacen(
        "Riverside Medical Practice\n",
        "Riverside Medical Practice (Dr Khan)\n",
        1,
    );
    assert_eq!(key(&mut pane, 'r'), reject("lmc-rejection", &expected));
}

#[test]
fn an_editor_opened_and_left_alone_sends_the_rendering_unchanged() {
    let mut pane = lmc_pane();
    key(&mut pane, 'e');
    press(&mut pane, KeyCode::Down);
    press(&mut pane, KeyCode::Esc);
    assert!(!pane.is_edited());
    assert_eq!(key(&mut pane, 'r'), reject("lmc-rejection", LMC_LETTER));
}

#[test]
fn switching_template_discards_the_edit() {
    let mut pane = lmc_pane();
    key(&mut pane, 'e');
    type_text(&mut pane, "PS ");
    press(&mut pane, KeyCode::Esc);
    assert!(pane.is_edited());
    press(&mut pane, KeyCode::Right);
    press(&mut pane, KeyCode::Left);
    pane.set_rendered("lmc-rejection", Ok(LMC_LETTER.into()));
    assert!(!pane.is_edited());
    assert_eq!(pane.body(), LetterBody::Text(LMC_LETTER));
}

#[test]
fn r_on_a_refused_template_sends_nothing_and_says_why() {
    let mut pane = pane_with(Err(UNFILLED.to_owned()));
    assert_eq!(key(&mut pane, 'r'), LetterOutcome::Stay);
    let notice = pane.notice().expect("a refusal on the pane");
    assert!(notice.contains("cannot be produced"), "{notice}");
    assert_eq!(
        key(&mut pane, 'y'),
        LetterOutcome::Stay,
        "nothing to copy either"
    );
    assert_eq!(key(&mut pane, 'e'), LetterOutcome::Stay);
    assert_eq!(pane.mode(), LetterMode::Preview, "nothing to edit");

    let screen = screen_text(render(&pane, 100, 30).backend().buffer());
    assert!(screen.contains("policy.urgent_route"), "{screen}");
    assert!(screen.contains("cannot be produced"), "{screen}");
}

#[test]
fn r_refuses_a_letter_edited_down_to_nothing() {
    let mut pane = pane_with(Ok("Dear Colleague".into()));
    key(&mut pane, 'e');
    press(&mut pane, KeyCode::End);
    for _ in 0.."Dear Colleague".len() {
        press(&mut pane, KeyCode::Backspace);
    }
    press(&mut pane, KeyCode::Esc);
    assert_eq!(pane.body(), LetterBody::Text(""));
    assert_eq!(key(&mut pane, 'r'), LetterOutcome::Stay);
    assert!(pane.notice().is_some_and(|n| n.contains("blank")));
    // The refusal lasts until the next key.
    press(&mut pane, KeyCode::Down);
    assert_eq!(pane.notice(), None);
}

#[test]
fn esc_in_the_editor_returns_to_the_preview_keeping_the_edit_and_esc_again_closes() {
    let mut pane = lmc_pane();
    key(&mut pane, 'e');
    type_text(&mut pane, "DRAFT ");
    // q is text while editing, not close.
    type_text(&mut pane, "q");
    assert_eq!(press(&mut pane, KeyCode::Esc), LetterOutcome::Stay);
    assert_eq!(pane.mode(), LetterMode::Preview);
    assert!(pane.is_edited());
    let screen = screen_text(render(&pane, 100, 30).backend().buffer());
    assert!(screen.contains("DRAFT qTo: Ward 7"), "{screen}");
    assert!(screen.contains("edited"), "{screen}");

    // Back into the editor: the edit is still there.
    key(&mut pane, 'e');
    assert_eq!(
        pane.editor().expect("editor").lines()[0],
        "DRAFT qTo: Ward 7 discharge team, Hull Royal Infirmary"
    );
    press(&mut pane, KeyCode::Esc);
    assert_eq!(press(&mut pane, KeyCode::Esc), LetterOutcome::Close);
    assert_eq!(key(&mut lmc_pane(), 'q'), LetterOutcome::Close);
}

#[test]
fn j_and_k_scroll_the_preview_and_stop_at_the_end_of_the_letter() {
    let mut pane = lmc_pane();
    // The letter's own first line repeats the header's recipient; scrolled, only the header's
    // is left.
    let at_top = |pane: &LetterPaneState| {
        let screen = screen_text(render(pane, 100, 20).backend().buffer());
        screen.matches("Ward 7 discharge team").count() == 2
    };
    assert!(at_top(&pane));
    key(&mut pane, 'j');
    assert!(
        !at_top(&pane),
        "one line down scrolls the letter's first line away"
    );
    for _ in 0..50 {
        key(&mut pane, 'j');
    }
    let screen = screen_text(render(&pane, 100, 20).backend().buffer());
    assert!(
        screen.contains("Jo Bloggs"),
        "the signature is on screen at the end: {screen}"
    );
    // Held at the end, so one k moves at once.
    let at_end = pane.scroll();
    key(&mut pane, 'k');
    assert_eq!(pane.scroll(), at_end - 1);
    press(&mut pane, KeyCode::PageUp);
    press(&mut pane, KeyCode::PageUp);
    assert_eq!(pane.scroll(), 0);
    assert!(at_top(&pane));
}

#[test]
fn the_selected_template_is_highlighted_and_an_error_is_drawn_in_the_error_style() {
    let pane = pane_with(Err(UNFILLED.to_owned()));
    let terminal = render(&pane, 100, 30);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "lmc-rejection").expect("tab on screen");
    assert!(
        buffer[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
    let (x, y) = find(buffer, "immediate-action").expect("tab on screen");
    assert!(
        !buffer[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
    let (x, y) = find(buffer, "policy.urgent_route").expect("message on screen");
    assert_eq!(buffer[(x, y)].bg, Color::Red);
}

#[test]
fn preview_snapshot() {
    let pane = lmc_pane();
    insta::assert_snapshot!(render(&pane, 100, 30).backend());
}

#[test]
fn error_rendering_snapshot() {
    let mut pane = pane_with(Err(UNFILLED.to_owned()));
    key(&mut pane, 'r');
    insta::assert_snapshot!(render(&pane, 100, 30).backend());
}

#[test]
fn tiny_areas_do_not_panic_in_any_mode() {
    let mut pane = lmc_pane();
    for (w, h) in [(1, 1), (20, 6), (0, 0), (3, 2), (12, 4)] {
        render(&pane, w, h);
    }
    key(&mut pane, 'e');
    for (w, h) in [(1, 1), (20, 6), (0, 0), (3, 2), (12, 4)] {
        render(&pane, w, h);
    }
    let mut pane = pane_with(Err(UNFILLED.to_owned()));
    key(&mut pane, 'r');
    for (w, h) in [(1, 1), (20, 6), (0, 0), (3, 2), (12, 4)] {
        render(&pane, w, h);
    }
}

#[test]
fn edit_mode_snapshot() {
    let mut pane = lmc_pane();
    key(&mut pane, 'e');
    press(&mut pane, KeyCode::Down);
    type_text(&mut pane, "Sent ");
    insta::assert_snapshot!(render(&pane, 100, 30).backend());
}

//! The handover screen: the same report `taskgate handover` prints, as text the incoming shift
//! can scroll, with the warnings that matter (a stale mirror, overdue tasks) in colour.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::report::handover::to_markdown;
use crate::tui::keymap::{Action, Keymap};
use crate::tui::state::AppState;
use crate::tui::theme;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, keymap: &Keymap) {
    let title = format!(
        " Handover: what the next shift inherits · {} sign off · {}/{} scroll ",
        keymap.hint(Action::SignOff),
        keymap.hint(Action::Down),
        keymap.hint(Action::Up)
    );
    let block = Block::new().borders(Borders::ALL).title(title);
    let Some(report) = &state.handover else {
        frame.render_widget(Paragraph::new("Loading…").block(block), area);
        return;
    };
    let mirror_is_stale = report.stale_warning.is_some();
    let lines: Vec<Line> = to_markdown(report)
        .lines()
        .map(|l| {
            let style = if l.starts_with('#') {
                theme::label().add_modifier(Modifier::BOLD)
            } else if mirror_is_stale && (l.contains("STALE") || l.contains("stale")) {
                theme::error()
            } else if l.contains("overdue") && !l.starts_with("**0 ") {
                Style::new().fg(theme::OVERDUE)
            } else {
                Style::new()
            };
            Line::styled(l.to_owned(), style)
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((state.handover_scroll, 0)),
        area,
    );
}

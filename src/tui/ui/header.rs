//! The header line: practice, acting user, the counts that matter (overdue in red, due soon in
//! amber) and where the tasks come from.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::ViewContext;
use crate::domain::Status;
use crate::tui::state::AppState;
use crate::tui::theme;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, _view: &ViewContext) {
    let c = &state.counts;
    let unactioned = c.by_status.get(&Status::New).copied().unwrap_or(0);
    let base = theme::header();
    let mut spans = vec![
        Span::styled(format!(" {} ", state.practice), base),
        Span::styled(format!("│ {} │ ", state.acting_user), base),
        Span::styled(format!("{unactioned} unactioned "), base),
    ];
    let overdue_style = if c.overdue > 0 {
        Style::new()
            .fg(theme::OVERDUE)
            .bg(ratatui::style::Color::Black)
    } else {
        base
    };
    spans.push(Span::styled(
        format!(" {} overdue ", c.overdue),
        overdue_style,
    ));
    let soon_style = if c.due_soon > 0 {
        Style::new()
            .fg(theme::DUE_SOON)
            .bg(ratatui::style::Color::Black)
    } else {
        base
    };
    spans.push(Span::styled(
        format!(" {} due soon ", c.due_soon),
        soon_style,
    ));
    if !state.marked.is_empty() {
        spans.push(Span::styled(
            format!(" │ {} marked", state.marked.len()),
            theme::marked().bg(ratatui::style::Color::Cyan),
        ));
    }
    spans.push(Span::styled(format!(" │ {}", state.source_label), base));
    frame.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

//! The task table: only the rows that fit on screen, drawn from the loaded window, coloured by
//! where each unactioned task stands against its threshold.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

use super::ViewContext;
use crate::domain::calendar::format_working_age;
use crate::domain::overdue::{DueState, assess};
use crate::domain::{Status, Task};
use crate::tui::state::AppState;
use crate::tui::theme;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, view: &ViewContext) {
    let w = &state.window;
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    // Page-aligned scrolling: the table moves a screenful at a time, which keeps rows still
    // under the reader's eye while the cursor moves.
    let selected = usize::try_from(w.selected.saturating_sub(w.offset)).unwrap_or(0);
    let top = (selected / visible) * visible;
    let rows: Vec<Row> = w
        .rows
        .iter()
        .skip(top)
        .take(visible)
        .map(|t| task_row(t, state, view))
        .collect();
    let title = if w.total == 0 {
        " Inbox: no unactioned tasks ".to_owned()
    } else {
        format!(" Inbox: unactioned, oldest first · {} of {} ", w.selected + 1, w.total)
    };
    let header = Row::new(["AGE", "PRI", "PROVIDER", "PT", "SUBJECT", "STATUS"])
        .style(theme::column_title());
    let table = Table::new(
        rows,
        [
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(24),
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(9),
        ],
    )
    .header(header)
    .block(Block::new().borders(Borders::ALL).title(title))
    .row_highlight_style(theme::selected());
    let mut table_state = TableState::default().with_selected(Some(selected - top));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn task_row<'a>(t: &'a Task, state: &AppState, view: &ViewContext) -> Row<'a> {
    let age = view.calendar.working_time_between(t.received_at, state.now).value;
    let style = if t.status == Status::New {
        match assess(view.calendar, &view.thresholds, t.priority, t.received_at, state.now).state {
            DueState::Overdue => Style::new().fg(theme::OVERDUE),
            DueState::DueSoon => Style::new().fg(theme::DUE_SOON),
            DueState::OnTime => Style::new(),
        }
    } else {
        Style::new()
    };
    Row::new([
        Cell::from(format_working_age(age, view.calendar.day_length())),
        Cell::from(t.priority.as_str()),
        Cell::from(t.provider_name.as_str()),
        Cell::from(t.patient.initials()),
        Cell::from(t.subject.as_str()),
        Cell::from(t.status.as_str()),
    ])
    .style(style)
}

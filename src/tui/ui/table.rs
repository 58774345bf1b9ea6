//! The task table: only the rows that fit on screen, drawn from the loaded window, coloured by
//! where each unactioned task stands against its threshold.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Cell, Row, Table, TableState};

use super::ViewContext;
use crate::domain::calendar::format_working_age;
use crate::domain::overdue::{DueCutoffs, DueState};
use crate::domain::{Status, Task};
use crate::terminal_text::line;
use crate::tui::state::{AppState, View};
use crate::tui::theme; // bidi and other controls shown, not obeyed

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, view: &ViewContext) {
    let w = &state.window;
    let visible = usize::from(area.height.saturating_sub(3)).max(1);
    let selected = usize::try_from(w.selected.saturating_sub(w.offset)).unwrap_or(0);
    // `top` comes from the state; if the screen is shorter than the state assumed (a resize
    // not yet seen), fall back to whatever keeps the cursor on screen.
    let mut top = usize::try_from(w.top.saturating_sub(w.offset))
        .unwrap_or(0)
        .min(selected);
    if selected >= top + visible {
        top = selected + 1 - visible;
    }
    let cutoffs = DueCutoffs::at(view.calendar, &view.thresholds, state.now);
    let rows: Vec<Row> = w
        .rows
        .iter()
        .skip(top)
        .take(visible)
        .map(|t| task_row(t, state, view, &cutoffs))
        .collect();
    let title = title(state);
    let header = Row::new([
        "", "AGE", "PRI", "PROVIDER", "PT", "SUBJECT", "FLAGS", "STATUS",
    ])
    .style(theme::column_title());
    let table = Table::new(
        rows,
        [
            Constraint::Length(2),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(24),
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(15),
            Constraint::Length(9),
        ],
    )
    .header(header)
    .block(Block::new().borders(Borders::ALL).title(title))
    .row_highlight_style(theme::selected());
    let mut table_state = TableState::default().with_selected(Some(selected - top));
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// The table's title says what is shown: which statuses, which filters, and where the cursor is.
fn title(state: &AppState) -> String {
    let w = &state.window;
    if state.view == View::Overdue {
        let s = &state.overdue_summary;
        let place = if w.total == 0 {
            String::new()
        } else {
            format!(" · {} of {}", w.selected + 1, w.total)
        };
        return format!(
            " Overdue: {} overdue (most overdue first), {} due soon, {} stalled{place} ",
            s.overdue, s.due_soon, s.stalled
        );
    }
    let f = &state.filter;
    let mut what = format!("Inbox: {}", state.status_view.label());
    if let Some(p) = &f.provider {
        let _ = write!(what, " · from {p}");
    }
    if let Some(flag) = state.flag_filter {
        let _ = write!(what, " · flagged {}", flag.tag());
    }
    if let Some(o) = &f.owner {
        let _ = write!(what, " · held by {o}");
    }
    if let Some(q) = &f.search {
        let _ = write!(what, " · matching \"{q}\"");
    }
    if w.loading {
        format!(" {what} · loading… ")
    } else if w.total == 0 {
        format!(" {what}: none ")
    } else {
        format!(" {what}, oldest first · {} of {} ", w.selected + 1, w.total)
    }
}

fn task_row<'a>(
    t: &'a Task,
    state: &AppState,
    view: &ViewContext,
    cutoffs: &DueCutoffs,
) -> Row<'a> {
    let age = view
        .calendar
        .working_time_between(t.received_at, state.now)
        .value;
    // The header's cut-offs: a red row is one the header counts as overdue. The marker says
    // the same without colour (`!` overdue, `~` due soon), for NO_COLOR and for anyone who
    // cannot tell red from amber.
    let (marker, style) = if t.status == Status::New {
        match cutoffs.state(t.priority, t.received_at) {
            DueState::Overdue => ("!", Style::new().fg(theme::OVERDUE)),
            DueState::DueSoon => ("~", Style::new().fg(theme::DUE_SOON)),
            DueState::OnTime => (" ", Style::new()),
        }
    } else {
        (" ", Style::new())
    };
    let flags: Vec<&str> = view
        .flags(state, t)
        .iter()
        .map(|f| f.flag.short())
        .collect();
    let flags = flags.join(" ");
    let mark = if state.marked.contains_key(&t.id) {
        Cell::from(format!("*{marker}")).style(theme::marked())
    } else {
        Cell::from(format!(" {marker}"))
    };
    Row::new([
        mark,
        Cell::from(format_working_age(age, view.calendar.day_length())),
        Cell::from(t.priority.as_str()),
        Cell::from(line(&t.provider_name)),
        Cell::from(t.patient.initials()),
        Cell::from(line(&t.subject)),
        Cell::from(flags),
        Cell::from(t.status.as_str()),
    ])
    .style(style)
}

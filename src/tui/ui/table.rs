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
use crate::report::text::fit;
use crate::terminal_text::line;
use crate::tui::state::{AppState, View};
use crate::tui::theme;
use unicode_width::UnicodeWidthStr; // bidi and other controls shown, not obeyed

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
    let shown: Vec<&Task> = w.rows.iter().skip(top).take(visible).collect();
    let flags: Vec<String> = shown
        .iter()
        .map(|t| {
            let tags: Vec<&str> = view
                .flags(state, t)
                .iter()
                .map(|f| f.flag.short())
                .collect();
            tags.join(" ")
        })
        .collect();
    let widths = widths(
        &w.rows,
        &shown,
        &flags,
        usize::from(area.width.saturating_sub(2)),
    );
    let rows: Vec<Row> = shown
        .iter()
        .zip(flags)
        .map(|(t, f)| task_row(t, f, state, view, &cutoffs, &widths))
        .collect();
    let title = title(state);
    let mut titles = vec!["", "AGE", "PRI", "PROVIDER", "PT", "SUBJECT", "FLAGS"];
    let mut constraints = vec![
        Constraint::Length(2),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(widths.provider),
        Constraint::Length(3),
        Constraint::Fill(1),
        Constraint::Length(widths.flags),
    ];
    if widths.status {
        titles.push("STATUS");
        constraints.push(Constraint::Length(9));
    }
    let header = Row::new(titles).style(theme::column_title());
    let table = Table::new(rows, constraints)
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

/// The subject's room at 80 columns and up, before the provider is cut below 12 columns.
const SUBJECT_MIN: usize = 30;

/// How the row's width is shared out.
struct Widths {
    provider: u16,
    flags: u16,
    /// Whether the STATUS column is shown: not when every loaded row has the same status
    /// (the unactioned inbox says "new" on every row; the title already says which).
    status: bool,
}

/// The subject decides triage, so it keeps the most room: fixed columns take what they need,
/// FLAGS only as wide as the widest on screen, and the provider what the subject leaves, cut
/// first (down to 12 columns) when both do not fit.
fn widths(loaded: &[Task], shown: &[&Task], flags: &[String], inner: usize) -> Widths {
    let status = loaded
        .first()
        .is_some_and(|first| loaded.iter().any(|t| t.status != first.status));
    let flags_w = flags.iter().map(|f| f.width()).max().unwrap_or(0).max(5);
    // mark, age, priority, patient, flags, status, and one space between each pair of columns.
    let columns = if status { 8 } else { 7 };
    let fixed = 2 + 7 + 7 + 3 + flags_w + if status { 9 } else { 0 } + (columns - 1);
    let room = inner.saturating_sub(fixed);
    let subject = shown
        .iter()
        .map(|t| line(&t.subject).width())
        .max()
        .unwrap_or(0);
    let provider = shown
        .iter()
        .map(|t| line(&t.provider_name).width())
        .max()
        .unwrap_or(0)
        .max("PROVIDER".len());
    let provider = if subject + provider <= room {
        provider
    } else {
        // Cut to 12 columns, or further (to 6) if the subject would have fewer than 30.
        let floor = provider
            .min(12)
            .min(room.saturating_sub(SUBJECT_MIN))
            .max(provider.min(6));
        room.saturating_sub(subject).max(floor).min(room)
    };
    Widths {
        provider: u16::try_from(provider).unwrap_or(u16::MAX),
        flags: u16::try_from(flags_w).unwrap_or(u16::MAX),
        status,
    }
}

fn task_row<'a>(
    t: &'a Task,
    flags: String,
    state: &AppState,
    view: &ViewContext,
    cutoffs: &DueCutoffs,
    widths: &Widths,
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
    let mark = if state.marked.contains_key(&t.id) {
        Cell::from(format!("*{marker}")).style(theme::marked())
    } else {
        Cell::from(format!(" {marker}"))
    };
    let mut cells = vec![
        mark,
        Cell::from(format_working_age(age, view.calendar.day_length())),
        Cell::from(t.priority.as_str()),
        Cell::from(fit(&t.provider_name, usize::from(widths.provider))),
        Cell::from(t.patient.initials()),
        Cell::from(line(&t.subject)),
        Cell::from(flags),
    ];
    if widths.status {
        cells.push(Cell::from(t.status.as_str()));
    }
    Row::new(cells).style(style)
}

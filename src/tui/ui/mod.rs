//! Drawing, immediate-mode from `AppState`: one file per pane, nothing here changes state.

mod detail;
mod header;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::state::AppState;
use super::theme;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::overdue::Thresholds;

/// The smallest terminal the screens are laid out for (product.md).
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// What drawing needs besides the state: the practice's calendar and thresholds, which never
/// change while the TUI runs.
pub struct ViewContext<'a> {
    pub calendar: &'a WorkingCalendar,
    pub thresholds: Thresholds,
}

pub fn draw(frame: &mut Frame, state: &AppState, view: &ViewContext) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }
    let [header_area, table_area, detail_area, footer_area] = layout(area);
    header::draw(frame, header_area, state, view);
    table::draw(frame, table_area, state, view);
    detail::draw(frame, detail_area, state, view);
    draw_footer(frame, footer_area, state);
}

fn layout(area: Rect) -> [Rect; 4] {
    let table_height = table_height_for(area.height);
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(table_height),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The table gets a little under half the screen: enough rows to scan, leaving the detail pane
/// room for a whole task body.
fn table_height_for(height: u16) -> u16 {
    height.saturating_sub(2) * 9 / 20
}

/// Data rows visible in the table at this terminal height (less borders and column titles).
pub fn table_rows_for_height(height: u16) -> u16 {
    table_height_for(height).saturating_sub(3).max(1)
}

fn draw_footer(frame: &mut Frame, area: Rect, state: &AppState) {
    let line = match &state.message {
        Some(m) => Line::from(Span::styled(m.clone(), theme::error())),
        None => Line::from(vec![
            Span::styled(" j/k ", theme::label()),
            Span::raw("move  "),
            Span::styled("PgUp/PgDn ", theme::label()),
            Span::raw("page  "),
            Span::styled("g/G ", theme::label()),
            Span::raw("first/last  "),
            Span::styled("R ", theme::label()),
            Span::raw("reload  "),
            Span::styled("q ", theme::label()),
            Span::raw("quit"),
        ]),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "Please enlarge the window: taskgate needs {MIN_WIDTH}×{MIN_HEIGHT}, this is {}×{}.",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

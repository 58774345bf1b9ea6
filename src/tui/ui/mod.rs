//! Drawing, immediate-mode from `AppState`: one file per pane, nothing here changes state.

mod conflict;
mod detail;
mod document;
pub mod handover;
mod header;
mod help;
pub mod letter;
pub mod picker;
mod providers;
mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::keymap::{Action, Keymap};
use super::state::{AppState, InputPurpose, Modal, View};
use super::theme;
use crate::app::flags::flags_with_facts;
use crate::domain::Task;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::overdue::Thresholds;
use crate::domain::policy::{PolicyRules, RaisedFlag};

/// The smallest terminal the screens are laid out for (product.md).
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// What drawing needs besides the state: the practice's calendar and thresholds, which never
/// change while the TUI runs.
pub struct ViewContext<'a> {
    pub calendar: &'a WorkingCalendar,
    pub thresholds: Thresholds,
    pub keymap: &'a Keymap,
    pub rules: &'a PolicyRules,
}

impl ViewContext<'_> {
    /// The policy flags of a task as of the state's clock. A provider the mirror has not
    /// described yet counts as unknown with no agreement, which is what the rules assume.
    pub fn flags(&self, state: &AppState, task: &Task) -> Vec<RaisedFlag> {
        flags_with_facts(task, &state.provider_facts, self.rules, self.calendar)
    }
}

pub fn draw(frame: &mut Frame, state: &AppState, view: &ViewContext) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        draw_too_small(frame, area);
        return;
    }
    let [header_area, table_area, detail_area, footer_area] = layout(area);
    header::draw(frame, header_area, state, view);
    match state.view {
        View::Handover if state.handover_detail => {
            handover::draw(frame, table_area, state, view.keymap);
            detail::draw(frame, detail_area, state, view);
        }
        View::Handover => handover::draw(frame, table_area.union(detail_area), state, view.keymap),
        View::Providers => providers::draw(frame, table_area, detail_area, state, view),
        View::Triage | View::Overdue => {
            table::draw(frame, table_area, state, view);
            detail::draw(frame, detail_area, state, view);
        }
    }
    draw_footer(frame, footer_area, state, view);
    // Modals last, over what they cover.
    match &state.modal {
        Some(Modal::Help { scroll }) => help::draw(frame, area, view.keymap, *scroll),
        Some(Modal::Picker { picker, .. }) => picker::draw(frame, area, picker),
        Some(Modal::Letter(letter)) => letter::draw(frame, area, &letter.pane),
        Some(Modal::Document(doc)) => document::draw(frame, area, doc),
        Some(Modal::Input(_)) | None => {}
    }
    theme::finish(frame.buffer_mut());
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

/// Lines the handover screen shows at this terminal height, the detail pane closed.
pub fn handover_rows_for_height(height: u16) -> u16 {
    height.saturating_sub(4).max(1)
}

/// Data rows visible in the table at this terminal height (less borders and column titles).
pub fn table_rows_for_height(height: u16) -> u16 {
    table_height_for(height).saturating_sub(3).max(1)
}

/// The bottom line: the input being typed, else the latest toast, else key hints generated
/// from the keymap in force.
fn draw_footer(frame: &mut Frame, area: Rect, state: &AppState, view: &ViewContext) {
    let line = if let Some(Modal::Input(input)) = &state.modal {
        let prompt = match &input.purpose {
            InputPurpose::Search => "Search: ".to_owned(),
            InputPurpose::Note { targets } => format!("Note for {} task(s): ", targets.len()),
        };
        Line::from(vec![
            Span::styled(prompt, theme::label()),
            Span::raw(input.text.clone()),
            Span::styled("█", theme::dim()),
            Span::styled("   Enter save · Esc cancel", theme::dim()),
        ])
    } else if let Some(toast) = &state.toast {
        let style = if toast.is_error {
            theme::error()
        } else {
            theme::toast()
        };
        Line::from(Span::styled(format!(" {} ", toast.text), style))
    } else {
        let hints: &[(Action, &str)] = if state.view == View::Handover {
            &[
                (Action::Down, "move"),
                (Action::SignOff, "sign off"),
                (Action::Reject, "reject"),
                (Action::Assign, "assign"),
                (Action::Complete, "complete"),
                (Action::Undo, "undo"),
                (Action::Help, "help"),
                (Action::Quit, "quit"),
            ]
        } else if state.view == View::Providers {
            &[
                (Action::Down, "move"),
                (Action::EscalateUp, "escalate"),
                (Action::EscalateDown, "step back"),
                (Action::Letter, "escalation letter"),
                (Action::NextView, "next screen"),
                (Action::Help, "help"),
                (Action::Quit, "quit"),
            ]
        } else {
            &[
                (Action::Down, "move"),
                (Action::Mark, "mark"),
                (Action::Reject, "reject"),
                (Action::Assign, "assign"),
                (Action::Letter, "letter"),
                (Action::Undo, "undo"),
                (Action::Search, "search"),
                (Action::Help, "help"),
                (Action::Quit, "quit"),
            ]
        };
        let mut spans = Vec::new();
        for &(action, word) in hints {
            spans.push(Span::styled(
                format!(" {} ", view.keymap.hint(action)),
                theme::label(),
            ));
            spans.push(Span::raw(format!("{word} ")));
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// A centred rectangle of at most `width`×`height` inside `area`, for modals.
pub fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn draw_too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "Please enlarge the window: taskgate needs {MIN_WIDTH}×{MIN_HEIGHT}, this is {}×{}.",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

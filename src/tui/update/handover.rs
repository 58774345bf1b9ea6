//! The handover screen's keys and answers: its rows are the report's tasks (held in the
//! window, so marks and actions work on them as in the inbox), Enter opens the task under the
//! cursor in the detail pane, and the sign-off chooses the colleague taking over from the staff
//! picker rather than asking for a typed id.

use crossterm::event::{KeyCode, KeyEvent};

use super::super::keymap::Action;
use super::super::msg::{Effect, PageAt, Request};
use super::super::picker::{PickerEntry, PickerState};
use super::super::state::{AppState, Modal, Toast, View};
use super::{Env, navigate};
use crate::domain::Task;
use crate::domain::staff::presence_on;
use crate::report::handover::HandoverReport;

/// Enter on the handover screen: opens (or closes) the detail pane on the task under the
/// cursor. `None` when the key is not the screen's own.
pub(super) fn key(state: &mut AppState, key: &KeyEvent) -> Option<Vec<Effect>> {
    if state.view != View::Handover || key.code != KeyCode::Enter {
        return None;
    }
    if state.window.rows.is_empty() {
        return Some(Vec::new());
    }
    state.handover_detail = !state.handover_detail;
    Some(navigate::detail_request(state).into_iter().collect())
}

/// Moves the cursor over the screen's task rows; with none, scrolls the text, stopping at the
/// last line.
pub(super) fn move_cursor(state: &mut AppState, action: Action) -> Vec<Effect> {
    if !state.window.rows.is_empty() {
        return match action {
            Action::Down
            | Action::Up
            | Action::PageDown
            | Action::PageUp
            | Action::Top
            | Action::Bottom => {
                let w = &state.window;
                let page = u64::from(state.handover_rows.max(1));
                let to = match action {
                    Action::Down => w.selected.saturating_add(1),
                    Action::Up => w.selected.saturating_sub(1),
                    Action::PageDown => w.selected.saturating_add(page),
                    Action::PageUp => w.selected.saturating_sub(page),
                    Action::Top => 0,
                    _ => w.total.saturating_sub(1),
                };
                navigate::move_to(state, to)
            }
            _ => navigate::reload(state),
        };
    }
    let lines = state
        .handover
        .as_deref()
        .map_or(0, super::super::ui::handover::line_count);
    let last_top =
        u16::try_from(lines.saturating_sub(usize::from(state.handover_rows))).unwrap_or(u16::MAX);
    let page = state.handover_rows.max(1);
    let s = &mut state.handover_scroll;
    *s = match action {
        Action::Down => s.saturating_add(1),
        Action::Up => s.saturating_sub(1),
        Action::PageDown => s.saturating_add(page),
        Action::PageUp => s.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => last_top,
        _ => return navigate::reload(state),
    }
    .min(last_top);
    Vec::new()
}

/// The report arrived: its tasks become the rows under the cursor, which stays where it was
/// (an action's task leaves and the next slides under it, as in the inbox).
pub(super) fn on_report(
    state: &mut AppState,
    id: u64,
    report: Box<HandoverReport>,
    tasks: Vec<Task>,
) -> Vec<Effect> {
    if state.page_request != Some(id) || state.view != View::Handover {
        return Vec::new();
    }
    state.page_request = None;
    state.handover = Some(report);
    let total = tasks.len() as u64;
    navigate::place_page(state, PageAt::First, tasks, total);
    if state.window.rows.is_empty() {
        state.handover_detail = false;
    }
    navigate::detail_request(state).into_iter().collect()
}

/// `S`: on the handover screen, the staff picker for the colleague taking over. Who is away
/// is shown, and handing over to them needs a second Enter, as reassigning does.
pub(super) fn sign_off(state: &mut AppState, env: &Env) -> Vec<Effect> {
    if state.view != View::Handover {
        state.toast = Some(Toast {
            text: format!(
                "Sign-off is on the handover screen ({})",
                env.keymap.hint(Action::ViewHandover)
            ),
            is_error: false,
        });
        return Vec::new();
    }
    let today = state
        .now
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    // The acting person hands over; they are not offered as their own successor.
    let entries = env
        .staff
        .iter()
        .filter(|s| s.name != state.acting_user && s.id != state.acting_user)
        .map(|s| PickerEntry {
            id: s.id.clone(),
            name: s.name.clone(),
            detail: s.role.clone().unwrap_or_default(),
            is_group: false,
            presence: presence_on(&s.id, today, &state.absences),
        })
        .collect();
    state.modal = Some(Modal::Picker {
        picker: PickerState::for_hand_over(entries),
        targets: Vec::new(),
    });
    Vec::new()
}

/// The colleague was chosen: record the sign-off.
pub(super) fn signed_to(state: &AppState, incoming: String) -> Vec<Effect> {
    vec![Effect::Request(Request::SignOff {
        incoming,
        now: state.now,
    })]
}

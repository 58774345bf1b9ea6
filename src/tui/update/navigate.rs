//! Moving through the list and narrowing it: the cursor, the window of loaded rows around it,
//! search and filters. The mirror may hold millions of tasks; only a window is ever loaded.

use super::super::keymap::{Action, Keymap};
use super::super::msg::{Effect, PageAt, Request};
use super::super::state::{
    AppState, InputLine, InputPurpose, Modal, PAGE_ROWS, PREFETCH_MARGIN, TaskWindow, Toast, View,
    WINDOW_MAX,
};
use crate::domain::Task;
use crate::domain::policy::Flag;
use crate::store::PageKey;

pub(super) fn act(state: &mut AppState, action: Action) -> Vec<Effect> {
    if state.view == View::Providers {
        return super::providers::move_cursor(state, action);
    }
    if state.view == View::Handover {
        return super::handover::move_cursor(state, action);
    }
    let page = u64::from(state.table_rows.max(1));
    let w = &state.window;
    match action {
        Action::Down => move_to(state, w.selected.saturating_add(1)),
        Action::Up => move_to(state, w.selected.saturating_sub(1)),
        Action::PageDown => move_to(state, w.selected.saturating_add(page)),
        Action::PageUp => move_to(state, w.selected.saturating_sub(page)),
        Action::Top => {
            if w.offset == 0 {
                move_to(state, 0)
            } else {
                state.window.selected = 0;
                state.window.loading = true;
                vec![page_request(state, PageAt::First)]
            }
        }
        Action::Bottom => {
            let last = w.total.saturating_sub(1);
            if w.end() >= w.total {
                move_to(state, last)
            } else {
                state.window.selected = last;
                state.window.loading = true;
                vec![page_request(state, PageAt::Last)]
            }
        }
        _ => reload(state),
    }
}

/// Moves between the screens. Each keeps its own place: the window of the view being left is
/// parked and brought back on return.
pub(super) fn switch_view(state: &mut AppState, action: Action) -> Vec<Effect> {
    let to = match (action, state.view) {
        (Action::ViewTriage, _) | (Action::NextView, View::Providers) => View::Triage,
        (Action::ViewOverdue, _) | (Action::NextView, View::Triage) => View::Overdue,
        (Action::ViewHandover, _) | (Action::NextView, View::Overdue) => View::Handover,
        _ => View::Providers,
    };
    if to == state.view {
        return Vec::new();
    }
    let back = state.parked.remove(&to).unwrap_or_default();
    let left = std::mem::replace(&mut state.window, back);
    state.parked.insert(state.view, left);
    state.view = to;
    state.detail = None;
    state.marked.clear();
    state.handover_scroll = 0;
    state.handover_detail = false;
    let mut effects = vec![match to {
        View::Triage => refresh_page(state),
        _ => view_request(state),
    }];
    effects.extend(detail_request(state));
    effects
}

/// Asks for the rows of the overdue view, the handover report or the providers' figures, as
/// of now.
pub(super) fn view_request(state: &mut AppState) -> Effect {
    let id = state.take_request_id();
    state.page_request = Some(id);
    let now = state.now;
    Effect::Request(match state.view {
        View::Handover => Request::Handover { id, now },
        View::Providers => Request::Providers { id, now },
        _ => Request::Overdue {
            id,
            at: PageAt::First,
            limit: PAGE_ROWS,
            now,
        },
    })
}

/// Reloads from the top with the current filter, and the header's counts with it (`R`, a
/// view switch, a sync).
pub(super) fn reload(state: &mut AppState) -> Vec<Effect> {
    let mut effects = reload_rows(state);
    effects.push(Effect::Request(Request::Counts { now: state.now }));
    effects
}

/// Reloads the list from the top after a search or filter change. The header's counts do not
/// depend on the filter, so they are not asked for again: the worker answers in order, and a
/// needless count would hold up the detail of the first match.
fn reload_rows(state: &mut AppState) -> Vec<Effect> {
    if state.view != View::Triage {
        return vec![view_request(state)];
    }
    state.window.selected = 0;
    state.window.top = 0;
    state.window.loading = true;
    vec![page_request(state, PageAt::First)]
}

/// Reloads the rows on screen in place after an action, keeping the cursor's position: the
/// task just acted on usually leaves the view, and the next one slides under the cursor.
pub(super) fn refresh_in_place(state: &mut AppState) -> Vec<Effect> {
    if state.view != View::Triage {
        return vec![
            view_request(state),
            Effect::Request(Request::Counts { now: state.now }),
        ];
    }
    vec![
        refresh_page(state),
        Effect::Request(Request::Counts { now: state.now }),
    ]
}

/// The inbox page under the cursor, reloaded.
fn refresh_page(state: &mut AppState) -> Effect {
    // At the head of the list, reload from the very start: an undone task reappears above the
    // first row shown, where the reader expects it.
    let from = (state.window.offset > 0)
        .then(|| state.window.rows.first())
        .flatten()
        .map(|t| PageKey {
            received_at: t.received_at,
            id: t.id - 1,
        });
    let at = from.map_or(PageAt::First, PageAt::From);
    page_request(state, at)
}

pub(super) fn filter(state: &mut AppState, action: Action, keymap: &Keymap) -> Vec<Effect> {
    if state.view != View::Triage {
        state.toast = Some(Toast {
            text: format!(
                "Search and filters work on the inbox ({}); this view lists everything it covers",
                keymap.hint(Action::ViewTriage)
            ),
            is_error: false,
        });
        return Vec::new();
    }
    let selected = state.window.selected_task().cloned();
    match action {
        Action::Search => {
            let text = state.filter.search.clone().unwrap_or_default();
            state.modal = Some(Modal::Input(InputLine {
                purpose: InputPurpose::Search,
                text,
            }));
            return Vec::new();
        }
        Action::FilterStatus => {
            state.status_view = state.status_view.next();
            state.filter.statuses = state.status_view.statuses();
        }
        Action::FilterFlag => {
            // None → each flag in table order → None.
            let all = Flag::ALL;
            state.flag_filter = match state.flag_filter {
                None => Some(all[0]),
                Some(f) => all
                    .iter()
                    .position(|x| *x == f)
                    .and_then(|i| all.get(i + 1))
                    .copied(),
            };
        }
        Action::FilterProvider => {
            state.filter.provider = match (&state.filter.provider, selected) {
                (Some(_), _) => None,
                (None, Some(t)) => Some(t.provider_ods),
                (None, None) => return Vec::new(),
            };
        }
        Action::FilterOwner => {
            state.filter.owner = match (&state.filter.owner, selected) {
                (Some(_), _) => None,
                (None, Some(t)) if t.owner.is_some() => t.owner,
                (None, _) => {
                    state.toast = Some(Toast {
                        text:
                            "This task has no owner: pick an assigned task to filter by its owner"
                                .into(),
                        is_error: false,
                    });
                    return Vec::new();
                }
            };
        }
        _ => {
            state.filter.search = None;
            state.flag_filter = None;
            state.filter.provider = None;
            state.filter.owner = None;
        }
    }
    reload_rows(state)
}

/// Applies the search typed in the input line.
pub(super) fn search(state: &mut AppState, text: &str) -> Vec<Effect> {
    let text = text.trim();
    state.filter.search = (!text.is_empty()).then(|| text.to_owned());
    reload_rows(state)
}

/// Moves the cursor inside what is loaded (never past it while a page is on its way), and asks
/// for the next page before the cursor reaches the window's edge.
pub(super) fn move_to(state: &mut AppState, target: u64) -> Vec<Effect> {
    let w = &mut state.window;
    if w.rows.is_empty() {
        return Vec::new();
    }
    let last_loaded = w.end() - 1;
    let within = target.min(w.total.saturating_sub(1));
    w.wanted = (within > last_loaded || within < w.offset).then_some(within);
    let target = within.clamp(w.offset, last_loaded);
    let before = w.selected;
    w.selected = target;
    w.keep_cursor_visible(u64::from(state.table_rows));
    let mut effects = Vec::new();
    if state.page_request.is_none()
        && let Some(at) = prefetch_at(&state.window)
    {
        effects.push(page_request(state, at));
    }
    if state.window.selected != before || state.detail.is_none() {
        effects.extend(detail_request(state));
    }
    effects
}

/// The page to fetch when the cursor is within `PREFETCH_MARGIN` of a loaded edge that is not
/// the end of the list.
fn prefetch_at(w: &TaskWindow) -> Option<PageAt> {
    let margin = PREFETCH_MARGIN as u64;
    if w.end() < w.total && w.end() - w.selected <= margin {
        w.rows.last().map(|t| PageAt::After(PageKey::of(t)))
    } else if w.offset > 0 && w.selected - w.offset <= margin {
        w.rows.first().map(|t| PageAt::Before(PageKey::of(t)))
    } else {
        None
    }
}

pub(super) fn page_request(state: &mut AppState, at: PageAt) -> Effect {
    let id = state.take_request_id();
    state.page_request = Some(id);
    if state.view == View::Overdue {
        return Effect::Request(Request::Overdue {
            id,
            at,
            limit: PAGE_ROWS,
            now: state.now,
        });
    }
    Effect::Request(Request::Page {
        id,
        filter: state.filter.clone(),
        flag: state.flag_filter,
        at,
        limit: PAGE_ROWS,
        now: state.now,
    })
}

pub(super) fn detail_request(state: &mut AppState) -> Option<Effect> {
    let task_id = state.window.selected_task()?.id;
    if state.detail.as_ref().is_some_and(|d| d.task_id == task_id) {
        return None;
    }
    let id = state.take_request_id();
    state.detail_request = Some(id);
    Some(Effect::Request(Request::Detail { id, task_id }))
}

/// Puts a fetched page into the window and trims the far side so memory stays flat.
pub(super) fn place_page(state: &mut AppState, at: PageAt, rows: Vec<Task>, total: u64) {
    let w = &mut state.window;
    w.total = total;
    w.loading = false;
    match at {
        PageAt::First => {
            w.rows = rows;
            w.offset = 0;
        }
        PageAt::Last => {
            w.offset = total.saturating_sub(rows.len() as u64);
            w.rows = rows;
        }
        PageAt::From(_) => {
            w.rows = rows;
            // Rows before the window may have left the view too; never claim more rows
            // before the window than the list now holds.
            w.offset = w.offset.min(total.saturating_sub(w.rows.len() as u64));
        }
        PageAt::After(_) => {
            w.rows.extend(rows);
            if w.rows.len() > WINDOW_MAX {
                let drop = w.rows.len() - WINDOW_MAX;
                w.rows.drain(..drop);
                w.offset += drop as u64;
            }
        }
        PageAt::Before(_) => {
            let added = rows.len() as u64;
            w.rows.splice(0..0, rows);
            w.offset = w.offset.saturating_sub(added);
            w.rows.truncate(WINDOW_MAX);
        }
    }
    let last = w.end().saturating_sub(1);
    // Only a page fetched next to the window can complete a move; a reload starts afresh.
    if let (Some(wanted), PageAt::After(_) | PageAt::Before(_)) = (w.wanted.take(), at) {
        w.selected = wanted;
    }
    w.selected = w.selected.clamp(w.offset, last.max(w.offset));
    w.keep_cursor_visible(u64::from(state.table_rows));
    if w.rows.is_empty() {
        w.selected = 0;
        w.top = 0;
        state.detail = None;
    } else if state
        .detail
        .as_ref()
        .is_some_and(|d| Some(d.task_id) != w.selected_task().map(|t| t.id))
    {
        state.detail = None;
    }
}

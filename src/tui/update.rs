//! The pure heart of the TUI: `update(state, msg)` changes the state and returns the effects the
//! loop must carry out. It never touches the database, the terminal or the clock, so every flow
//! is testable with plain values.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::msg::{Effect, Msg, PageAt, Reply, Request};
use super::state::{AppState, PAGE_ROWS, PREFETCH_MARGIN, WINDOW_MAX};
use crate::store::PageKey;

/// What a key asks for. The keymap (a later change makes it data from `assets/`) maps keys here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Reload,
    Quit,
}

pub fn action_for(key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') => Some(Action::Quit),
            KeyCode::Char('d') => Some(Action::PageDown),
            KeyCode::Char('u') => Some(Action::PageUp),
            _ => None,
        };
    }
    match key.code {
        KeyCode::Char('j') | KeyCode::Down => Some(Action::Down),
        KeyCode::Char('k') | KeyCode::Up => Some(Action::Up),
        KeyCode::PageDown | KeyCode::Char(' ') => Some(Action::PageDown),
        KeyCode::PageUp => Some(Action::PageUp),
        KeyCode::Char('g') | KeyCode::Home => Some(Action::Top),
        KeyCode::Char('G') | KeyCode::End => Some(Action::Bottom),
        KeyCode::Char('R') => Some(Action::Reload),
        KeyCode::Char('q') | KeyCode::Esc => Some(Action::Quit),
        _ => None,
    }
}

/// The effects to run when the TUI opens: the first page and the header counts.
pub fn start(state: &mut AppState) -> Vec<Effect> {
    vec![page_request(state, PageAt::First), Effect::Request(Request::Counts { now: state.now })]
}

pub fn update(state: &mut AppState, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => match action_for(&key) {
            Some(action) => act(state, action),
            None => Vec::new(),
        },
        Msg::Resize(_, rows) => {
            // Header, footer, borders and the detail pane take the rest; see ui::layout.
            state.table_rows = super::ui::table_rows_for_height(rows);
            Vec::new()
        }
        Msg::Tick(now) => {
            state.now = now;
            vec![Effect::Request(Request::Counts { now })]
        }
        Msg::Reply(reply) => on_reply(state, reply),
    }
}

fn act(state: &mut AppState, action: Action) -> Vec<Effect> {
    let page = u64::from(state.table_rows.max(1));
    let w = &state.window;
    match action {
        Action::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Action::Down => move_to(state, w.selected.saturating_add(1)),
        Action::Up => move_to(state, w.selected.saturating_sub(1)),
        Action::PageDown => move_to(state, w.selected.saturating_add(page)),
        Action::PageUp => move_to(state, w.selected.saturating_sub(page)),
        Action::Top => {
            if w.offset == 0 {
                move_to(state, 0)
            } else {
                state.window.selected = 0;
                vec![page_request(state, PageAt::First)]
            }
        }
        Action::Bottom => {
            let last = w.total.saturating_sub(1);
            if w.end() >= w.total {
                move_to(state, last)
            } else {
                state.window.selected = last;
                vec![page_request(state, PageAt::Last)]
            }
        }
        Action::Reload => {
            state.window.selected = 0;
            vec![page_request(state, PageAt::First), Effect::Request(Request::Counts { now: state.now })]
        }
    }
}

/// Moves the cursor inside what is loaded (never past it while a page is on its way), and asks
/// for the next page before the cursor reaches the window's edge.
fn move_to(state: &mut AppState, target: u64) -> Vec<Effect> {
    let w = &mut state.window;
    if w.rows.is_empty() {
        return Vec::new();
    }
    let last_loaded = w.end() - 1;
    let target = target.clamp(w.offset, last_loaded).min(w.total.saturating_sub(1));
    let before = w.selected;
    w.selected = target;
    let mut effects = Vec::new();
    if state.page_request.is_none() {
        let w = &state.window;
        if w.end() < w.total && w.end() - w.selected <= PREFETCH_MARGIN as u64 {
            if let Some(last) = w.rows.last() {
                effects.push(page_request(state, PageAt::After(PageKey::of(last))));
            }
        } else if w.offset > 0 && w.selected - w.offset <= PREFETCH_MARGIN as u64 {
            if let Some(first) = w.rows.first() {
                effects.push(page_request(state, PageAt::Before(PageKey::of(first))));
            }
        }
    }
    if state.window.selected != before || state.detail.is_none() {
        effects.extend(detail_request(state));
    }
    effects
}

fn page_request(state: &mut AppState, at: PageAt) -> Effect {
    let id = state.take_request_id();
    state.page_request = Some(id);
    Effect::Request(Request::Page { id, filter: state.filter.clone(), at, limit: PAGE_ROWS })
}

fn detail_request(state: &mut AppState) -> Option<Effect> {
    let task_id = state.window.selected_task()?.id;
    if state.detail.as_ref().is_some_and(|d| d.task_id == task_id) {
        return None;
    }
    let id = state.take_request_id();
    state.detail_request = Some(id);
    Some(Effect::Request(Request::Detail { id, task_id }))
}

fn on_reply(state: &mut AppState, reply: Reply) -> Vec<Effect> {
    match reply {
        Reply::Page { id, at, rows, total } => {
            if state.page_request != Some(id) {
                return Vec::new();
            }
            state.page_request = None;
            place_page(state, at, rows, total);
            let mut effects = Vec::new();
            effects.extend(detail_request(state));
            effects
        }
        Reply::Detail { id, detail } => {
            if state.detail_request == Some(id) {
                state.detail_request = None;
                state.detail = Some(detail);
            }
            Vec::new()
        }
        Reply::Counts(counts) => {
            state.counts = counts;
            Vec::new()
        }
        Reply::Failed { what, message } => {
            state.page_request = None;
            state.message = Some(format!("Could not load {what}: {message}"));
            Vec::new()
        }
    }
}

/// Puts a fetched page into the window and trims the far side so memory stays flat.
fn place_page(state: &mut AppState, at: PageAt, rows: Vec<crate::domain::Task>, total: u64) {
    let w = &mut state.window;
    w.total = total;
    match at {
        PageAt::First => {
            w.rows = rows;
            w.offset = 0;
        }
        PageAt::Last => {
            w.offset = total.saturating_sub(rows.len() as u64);
            w.rows = rows;
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
    w.selected = w.selected.clamp(w.offset, last.max(w.offset));
    if w.rows.is_empty() {
        w.selected = 0;
        state.detail = None;
    }
}

//! The pure heart of the TUI: `update(state, msg, env)` changes the state and returns the
//! effects the loop must carry out. It never touches the database, the terminal or the clock, so
//! every flow is testable with plain values. Keys go to the top modal first, then to the keymap.

mod actions;
mod handover;
mod modals;
mod navigate;
mod providers;
mod sync;

use super::keymap::{Action, Keymap};
use super::msg::{Effect, Msg, PageAt, Reply, Request};
use super::state::{AppState, Modal, Toast, View};
use crate::app::AppError;
use crate::app::handover::SignedOff;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::policy::PolicyRules;
use crate::domain::{Group, Staff};

/// What `update` reads but never changes: the practice's keys and people.
pub struct Env<'a> {
    pub keymap: &'a Keymap,
    pub staff: &'a [Staff],
    pub groups: &'a [Group],
    /// The policy and calendar, to preselect the letter the task's flags suggest; without
    /// them the letter pane opens on the LMC rejection letter.
    pub policy: Option<(&'a PolicyRules, &'a WorkingCalendar)>,
}

/// The effects to run when the TUI opens: the first page, the header counts, who is away.
pub fn start(state: &mut AppState, env: &Env) -> Vec<Effect> {
    if !env.keymap.notices.is_empty() {
        state.toast = Some(Toast {
            text: format!("Keys: {}", env.keymap.notices.join("; ")),
            is_error: true,
        });
    }
    vec![
        navigate::page_request(state, PageAt::First),
        Effect::Request(Request::Counts { now: state.now }),
        Effect::Request(Request::Absences),
        Effect::Request(Request::ProviderFacts { now: state.now }),
    ]
}

pub fn update(state: &mut AppState, msg: Msg, env: &Env) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => {
            if state.modal.is_some() {
                return modals::key(state, key);
            }
            // A toast is read by the time the next key is pressed.
            state.toast = None;
            let action = env.keymap.action(&key);
            // A paused rejection is confirmed by the reject key at once, or not at all.
            if action != Some(Action::Reject) {
                state.pending_reject = None;
            }
            if let Some(effects) = handover::key(state, &key) {
                return effects;
            }
            match action {
                Some(action) => act(state, action, env),
                None => Vec::new(),
            }
        }
        Msg::Resize(_, rows) => {
            state.table_rows = super::ui::table_rows_for_height(rows);
            state.handover_rows = super::ui::handover_rows_for_height(rows);
            state
                .window
                .keep_cursor_visible(u64::from(state.table_rows));
            Vec::new()
        }
        Msg::Tick(now) => {
            state.now = now;
            let mut effects = vec![
                Effect::Request(Request::Counts { now }),
                Effect::Request(Request::ProviderFacts { now }),
            ];
            // The overdue list and the handover move with the clock; the inbox list does not,
            // and a year of providers' figures is not worth re-reading every half minute.
            if matches!(state.view, View::Overdue | View::Handover) && state.page_request.is_none()
            {
                effects.push(navigate::view_request(state));
            }
            effects
        }
        Msg::Reply(reply) => on_reply(state, reply, env),
    }
}

fn act(state: &mut AppState, action: Action, env: &Env) -> Vec<Effect> {
    match action {
        Action::Quit => {
            state.quit = true;
            vec![Effect::Quit]
        }
        Action::Help => {
            state.modal = Some(Modal::Help { scroll: 0 });
            Vec::new()
        }
        Action::Down
        | Action::Up
        | Action::PageDown
        | Action::PageUp
        | Action::Top
        | Action::Bottom
        | Action::Reload => navigate::act(state, action),
        Action::NextView
        | Action::ViewTriage
        | Action::ViewOverdue
        | Action::ViewHandover
        | Action::ViewProviders => navigate::switch_view(state, action),
        Action::EscalateUp | Action::EscalateDown => providers::escalate(state, action, env.keymap),
        Action::SignOff => handover::sign_off(state, env),
        Action::Search
        | Action::FilterStatus
        | Action::FilterFlag
        | Action::FilterProvider
        | Action::FilterOwner
        | Action::ClearFilters => navigate::filter(state, action, env.keymap),
        Action::Mark | Action::ClearMarks => actions::mark(state, action),
        Action::Reject
        | Action::Letter
        | Action::Assign
        | Action::Unassign
        | Action::Complete
        | Action::Note
        | Action::Undo
        | Action::KeepTheirs
        | Action::ReapplyOurs => actions::act(state, action, env),
    }
}

fn on_reply(state: &mut AppState, reply: Reply, env: &Env) -> Vec<Effect> {
    match reply {
        Reply::Page {
            id,
            at,
            rows,
            total,
        } => {
            if state.page_request != Some(id) {
                return Vec::new();
            }
            state.page_request = None;
            navigate::place_page(state, at, rows, total);
            navigate::detail_request(state).into_iter().collect()
        }
        Reply::Detail { id, detail } => {
            if state.detail_request == Some(id) {
                state.detail_request = None;
                state.detail = Some(*detail);
            }
            Vec::new()
        }
        Reply::Counts(counts) => {
            state.counts = Some(counts);
            Vec::new()
        }
        Reply::Overdue {
            id,
            at,
            tasks,
            why,
            total,
            summary,
        } => {
            if state.page_request != Some(id) || state.view != View::Overdue {
                return Vec::new();
            }
            state.page_request = None;
            state.overdue_summary = summary;
            navigate::place_page(state, at, tasks, total);
            // Keep the explanations of the rows still held, and add the new page's.
            let held: std::collections::HashSet<_> =
                state.window.rows.iter().map(|t| t.id).collect();
            state.overdue_why.retain(|id, _| held.contains(id));
            state.overdue_why.extend(why);
            navigate::detail_request(state).into_iter().collect()
        }
        Reply::Handover { id, report, tasks } => handover::on_report(state, id, report, tasks),
        reply @ (Reply::Providers { .. } | Reply::Escalated(_) | Reply::EscalationLetter(_)) => {
            providers::on_reply(state, reply, env.keymap)
        }
        Reply::SignedOff(result) => {
            state.toast = Some(signed_off(result, env.keymap));
            navigate::reload(state)
        }
        Reply::ProviderFacts(facts) => {
            state.provider_facts = facts;
            Vec::new()
        }
        Reply::Absences(absences) => {
            state.absences = absences;
            Vec::new()
        }
        Reply::Acted(result) => actions::acted(state, result, env),
        Reply::Rendered {
            task_id,
            template,
            result,
        } => {
            modals::rendered(
                state,
                task_id,
                &template,
                result.map_err(|e| words(&e, env.keymap)),
            );
            Vec::new()
        }
        Reply::Sync(event) => sync::on_event(state, event),
        Reply::Failed { id, what, error } => {
            // Only the request this failure answers is given up: a failed count (no id) must
            // not clear a page request whose reply is still on its way.
            if id.is_some() && state.page_request == id {
                state.page_request = None;
                state.window.loading = false;
            }
            if id.is_some() && state.detail_request == id {
                state.detail_request = None;
            }
            state.toast = Some(Toast {
                text: format!("Could not load {what}: {}", words(&error, env.keymap)),
                is_error: true,
            });
            Vec::new()
        }
    }
}

/// An application error in the inbox's words: its message, and where a key gets past it, the
/// key the keymap in force binds to that action (never a key written into the message).
pub(super) fn words(error: &AppError, keymap: &Keymap) -> String {
    let text = error.words();
    if error.in_sync_conflict().is_some() {
        return format!(
            "{text} (keep theirs: {}, re-apply ours: {})",
            keymap.hint(Action::KeepTheirs),
            keymap.hint(Action::ReapplyOurs)
        );
    }
    match error {
        AppError::PatientAtRisk(_) => format!(
            "Not rejected: {text}. Press {} again to reject anyway",
            keymap.hint(Action::Reject)
        ),
        AppError::NoLetterAtStage { .. } => format!(
            "{text}: escalate it first ({})",
            keymap.hint(Action::EscalateUp)
        ),
        _ => text,
    }
}

/// The sign-off's toast. The stale-mirror warning goes wherever a handover is signed: the
/// incoming shift may be inheriting less than the report shows.
fn signed_off(result: Result<SignedOff, AppError>, keymap: &Keymap) -> Toast {
    match result {
        Ok(signed) => match signed.stale_warning {
            Some(warning) => Toast {
                text: format!(
                    "Handover signed off to {} (recorded in the audit log). Warning: {warning}",
                    signed.incoming.name
                ),
                is_error: true,
            },
            None => Toast {
                text: format!(
                    "Handover signed off to {} (recorded in the audit log)",
                    signed.incoming.name
                ),
                is_error: false,
            },
        },
        Err(e) => error_toast(&e, keymap),
    }
}

/// An application error as a red toast.
pub(super) fn error_toast(error: &AppError, keymap: &Keymap) -> Toast {
    Toast {
        text: words(error, keymap),
        is_error: true,
    }
}

//! The providers screen: its cursor, the ladder keys and the answers to them. A move goes to
//! the worker as one request (the store writes the stage and its audit event together); the
//! figures are re-read after it so the screen shows who moved it and when.

use super::super::keymap::{Action, Keymap};
use super::super::msg::{Effect, Reply, Request};
use super::super::state::{AppState, Document, Modal, Toast, View};
use super::{error_toast, navigate};
use crate::domain::letter::escalation_letter as letter_for_stage;
use crate::store::EscalationMove;

/// The providers screen's cursor: one provider a row, all of them loaded (a practice hears
/// from tens of senders, not thousands).
pub(super) fn move_cursor(state: &mut AppState, action: Action) -> Vec<Effect> {
    let count = state.providers.as_ref().map_or(0, |p| p.providers.len());
    let last = count.saturating_sub(1);
    let page = usize::from(state.table_rows.max(1));
    let s = &mut state.provider_selected;
    *s = match action {
        Action::Down => s.saturating_add(1),
        Action::Up => s.saturating_sub(1),
        Action::PageDown => s.saturating_add(page),
        Action::PageUp => s.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return navigate::reload(state),
    }
    .min(last);
    Vec::new()
}

/// The provider under the cursor on the providers screen.
fn selected_provider(state: &AppState) -> Option<String> {
    let overview = state.providers.as_ref()?;
    let row = overview.providers.get(state.provider_selected)?;
    Some(row.provider.ods_code.clone())
}

/// On the providers screen, one stage up or down the ladder for the selected provider. No
/// confirmation: the move is one key to undo (the other direction) and the audit log keeps both.
pub(super) fn escalate(state: &mut AppState, action: Action, keymap: &Keymap) -> Vec<Effect> {
    if state.view != View::Providers {
        state.toast = Some(Toast {
            text: format!(
                "The escalation ladder is on the providers screen ({})",
                keymap.hint(Action::ViewProviders)
            ),
            is_error: false,
        });
        return Vec::new();
    }
    if state.acting {
        return Vec::new();
    }
    let Some(ods) = selected_provider(state) else {
        return Vec::new();
    };
    let to = if action == Action::EscalateUp {
        EscalationMove::Up
    } else {
        EscalationMove::Down
    };
    state.acting = true;
    vec![Effect::Request(Request::Escalate {
        ods,
        to,
        now: state.now,
    })]
}

/// The escalation letter for the selected provider's stage, to read and copy.
pub(super) fn escalation_letter(state: &mut AppState) -> Vec<Effect> {
    let Some(ods) = selected_provider(state) else {
        return Vec::new();
    };
    vec![Effect::Request(Request::EscalationLetter {
        ods,
        now: state.now,
    })]
}

/// The worker's answers for this screen.
pub(super) fn on_reply(state: &mut AppState, reply: Reply, keymap: &Keymap) -> Vec<Effect> {
    match reply {
        Reply::Providers { id, overview } => {
            if state.page_request == Some(id) {
                state.page_request = None;
                state.provider_selected = state
                    .provider_selected
                    .min(overview.providers.len().saturating_sub(1));
                state.providers = Some(overview);
            }
            Vec::new()
        }
        Reply::Escalated(result) => {
            state.acting = false;
            match result {
                Ok(provider) => {
                    let letter = match letter_for_stage(provider.escalation) {
                        Some(_) => format!(": {} opens its letter", keymap.hint(Action::Letter)),
                        None => String::new(),
                    };
                    state.toast = Some(Toast {
                        text: format!(
                            "{} is now at stage {} (recorded in the audit log){letter}",
                            provider.name, provider.escalation
                        ),
                        is_error: false,
                    });
                    navigate::reload(state)
                }
                Err(e) => {
                    state.toast = Some(error_toast(&e, keymap));
                    Vec::new()
                }
            }
        }
        Reply::EscalationLetter(result) => {
            match result {
                Ok(letter) => {
                    state.modal = Some(Modal::Document(Document {
                        title: format!(
                            "{} for {} ({})",
                            letter.template, letter.provider.name, letter.provider.ods_code
                        ),
                        text: letter.text,
                        scroll: 0,
                    }));
                }
                Err(e) => state.toast = Some(error_toast(&e, keymap)),
            }
            Vec::new()
        }
        // Other replies are answered in `update`; none reaches here.
        _ => Vec::new(),
    }
}

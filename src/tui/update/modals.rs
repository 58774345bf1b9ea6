//! Keys while a modal is open: help, the reassign picker, the letter pane and the one-line
//! input (search, note). A modal takes every key; closing it returns to the table.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::letter_pane::LetterOutcome;
use super::super::msg::{Change, Effect, Request};
use super::super::picker::PickerOutcome;
use super::super::state::{AppState, InputLine, InputPurpose, LetterModal, Modal, Toast};
use super::{actions, navigate};
use crate::domain::TaskId;

pub(super) fn key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    let Some(modal) = state.modal.take() else {
        return Vec::new();
    };
    match modal {
        Modal::Help { scroll } => {
            let scroll = match key.code {
                KeyCode::Char('j') | KeyCode::Down => scroll.saturating_add(1),
                KeyCode::Char('k') | KeyCode::Up => scroll.saturating_sub(1),
                // Any other key closes help, as in most terminal programs.
                _ => return Vec::new(),
            };
            state.modal = Some(Modal::Help { scroll });
            Vec::new()
        }
        Modal::Input(input) => input_key(state, input, key),
        Modal::Picker {
            mut picker,
            targets,
        } => match picker.handle_key(key) {
            PickerOutcome::Stay => {
                state.modal = Some(Modal::Picker { picker, targets });
                Vec::new()
            }
            PickerOutcome::Cancel => Vec::new(),
            PickerOutcome::Chosen { id, .. } if picker.is_hand_over() => {
                super::handover::signed_to(state, id)
            }
            PickerOutcome::Chosen { id, note } => {
                actions::send(state, Change::Assign { owner: id, note }, targets)
            }
        },
        Modal::Letter(letter) => letter_key(state, letter, key),
        Modal::Document(mut doc) => {
            match key.code {
                KeyCode::Char('j') | KeyCode::Down => doc.scroll = doc.scroll.saturating_add(1),
                KeyCode::Char('k') | KeyCode::Up => doc.scroll = doc.scroll.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => {
                    doc.scroll = doc.scroll.saturating_add(10);
                }
                KeyCode::PageUp => doc.scroll = doc.scroll.saturating_sub(10),
                KeyCode::Char('y' | 'c') => {
                    state.toast = Some(Toast {
                        text: format!("Copied: {}", doc.title),
                        is_error: false,
                    });
                    return vec![Effect::Copy(doc.text)];
                }
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => return Vec::new(),
                _ => {}
            }
            state.modal = Some(Modal::Document(doc));
            Vec::new()
        }
    }
}

/// The one-line input: Enter applies it, Esc drops it, other keys edit it.
fn input_key(state: &mut AppState, mut input: InputLine, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Enter => {
            return match input.purpose {
                InputPurpose::Search => navigate::search(state, &input.text),
                InputPurpose::Note { targets } => {
                    let text = input.text.trim().to_owned();
                    if text.is_empty() {
                        state.toast = Some(Toast {
                            text: "Empty note: nothing saved".into(),
                            is_error: false,
                        });
                        Vec::new()
                    } else {
                        actions::send(state, Change::Note { text }, targets)
                    }
                }
            };
        }
        KeyCode::Backspace => {
            input.text.pop();
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => input.text.push(c),
        _ => {}
    }
    state.modal = Some(Modal::Input(input));
    Vec::new()
}

fn letter_key(state: &mut AppState, mut letter: LetterModal, key: KeyEvent) -> Vec<Effect> {
    match letter.pane.handle_key(key) {
        LetterOutcome::Stay => {
            state.modal = Some(Modal::Letter(letter));
            Vec::new()
        }
        LetterOutcome::Close => Vec::new(),
        LetterOutcome::RenderTemplate(template) => {
            let request = Request::RenderLetter {
                task_id: letter.task_id,
                template,
                now: state.now,
            };
            state.modal = Some(Modal::Letter(letter));
            vec![Effect::Request(request)]
        }
        LetterOutcome::Copy(text) => {
            state.toast = Some(Toast {
                text: "Letter copied to the clipboard".into(),
                is_error: false,
            });
            state.modal = Some(Modal::Letter(letter));
            vec![Effect::Copy(text)]
        }
        LetterOutcome::Reject { template, body } => {
            let unedited = letter
                .rendered
                .as_ref()
                .is_some_and(|(t, text)| *t == template && *text == body);
            if !unedited && letter.targets.len() > 1 {
                state.toast = Some(Toast {
                    text: "An edited letter names one task: unmark the others, or reject them \
                           with the template's own text"
                        .into(),
                    is_error: true,
                });
                state.modal = Some(Modal::Letter(letter));
                return Vec::new();
            }
            let edited = (!unedited).then_some(body);
            let change = Change::Reject {
                template: Some(template),
                edited,
                despite_risk: false,
            };
            actions::send(state, change, letter.targets)
        }
    }
}

/// A rendering arrived for the letter pane; it may be for a template no longer shown.
pub(super) fn rendered(
    state: &mut AppState,
    task_id: TaskId,
    template: &str,
    result: Result<String, String>,
) {
    if let Some(Modal::Letter(letter)) = state.modal.as_mut()
        && letter.task_id == task_id
    {
        if let Ok(text) = &result {
            letter.rendered = Some((template.to_owned(), text.clone()));
        }
        letter.pane.set_rendered(template, result);
    }
}

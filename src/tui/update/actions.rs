//! What staff do to tasks from the keyboard: mark, reject in one key, reassign, unassign,
//! complete, note, undo. Each becomes one request to the worker, which makes it one store
//! operation; the answer comes back as a toast naming the undo key.

use std::fmt::Write as _;

use super::super::keymap::Action;
use super::super::letter_pane::LetterPaneState;
use super::super::msg::{Acted, Change, Effect, Request};
use super::super::picker::{PickerEntry, PickerState};
use super::super::state::{AppState, InputLine, InputPurpose, LetterModal, Modal, Toast, View};
use super::{Env, navigate, providers};
use crate::app::AppError;
use crate::app::tasks::rejection_with_facts;
use crate::domain::letter::TASK_LETTERS;
use crate::domain::staff::{group_presence_on, presence_on};
use crate::store::Target;

pub(super) fn mark(state: &mut AppState, action: Action) -> Vec<Effect> {
    if action == Action::ClearMarks {
        state.marked.clear();
        return Vec::new();
    }
    let Some(task) = state.window.selected_task() else {
        return Vec::new();
    };
    if state.marked.remove(&task.id).is_none() {
        state.marked.insert(task.id, task.row_version);
    }
    // Like a mail client: marking moves on, so Space Space Space marks a run of tasks.
    navigate::move_to(state, state.window.selected + 1)
}

pub(super) fn act(state: &mut AppState, action: Action, env: &Env) -> Vec<Effect> {
    if state.acting {
        state.toast = Some(Toast {
            text: "Still saving the last action…".into(),
            is_error: false,
        });
        return Vec::new();
    }
    if action == Action::Undo {
        return send(state, Change::Undo, Vec::new());
    }
    if state.view == View::Providers && action == Action::Letter {
        return providers::escalation_letter(state);
    }
    if state.view == View::Providers {
        state.toast = Some(Toast {
            text: format!(
                "Open the inbox ({}) or the overdue view ({}) to act on tasks",
                env.keymap.hint(Action::ViewTriage),
                env.keymap.hint(Action::ViewOverdue)
            ),
            is_error: false,
        });
        return Vec::new();
    }
    let targets = state.targets();
    if targets.is_empty() {
        state.toast = Some(Toast {
            text: "No task selected".into(),
            is_error: false,
        });
        return Vec::new();
    }
    match action {
        Action::Reject => reject(state, targets),
        Action::Unassign => send(state, Change::Unassign, targets),
        Action::Complete => send(state, Change::Complete, targets),
        Action::Note => {
            state.modal = Some(Modal::Input(InputLine {
                purpose: InputPurpose::Note { targets },
                text: String::new(),
            }));
            Vec::new()
        }
        Action::Assign => {
            let picker = PickerState::new(picker_entries(state, env), targets.len());
            state.modal = Some(Modal::Picker { picker, targets });
            Vec::new()
        }
        Action::Letter => open_letter(state, targets, env),
        Action::KeepTheirs | Action::ReapplyOurs => resolve(state, action),
        _ => Vec::new(),
    }
}

/// The reject key: each task with the letter it needs, chosen by the worker through
/// `app::tasks::reject`. A task that could harm a patient comes back refused with the reason;
/// pressing the key again on the same tasks confirms.
fn reject(state: &mut AppState, targets: Vec<Target>) -> Vec<Effect> {
    let change = match state.pending_reject.take() {
        Some((paused, change)) if paused == targets => change,
        _ => Change::Reject {
            template: None,
            edited: None,
            despite_risk: false,
        },
    };
    send(state, change, targets)
}

/// Settles the selected task's sync conflict, which the detail pane shows side by side.
fn resolve(state: &mut AppState, action: Action) -> Vec<Effect> {
    let conflicted = state
        .detail
        .as_ref()
        .filter(|d| Some(d.task_id) == state.window.selected_task().map(|t| t.id))
        .and_then(|d| d.conflict.as_ref())
        .map(|c| c.task_id);
    let Some(task_id) = conflicted else {
        state.toast = Some(Toast {
            text: "This task has no sync conflict to resolve".into(),
            is_error: false,
        });
        return Vec::new();
    };
    let row_version = state.window.selected_task().map_or(0, |t| t.row_version);
    send(
        state,
        Change::Resolve {
            keep_ours: action == Action::ReapplyOurs,
        },
        vec![Target {
            id: task_id,
            row_version,
        }],
    )
}

/// Staff then groups, each with whether they are in today, for the reassign picker.
fn picker_entries(state: &AppState, env: &Env) -> Vec<PickerEntry> {
    let today = state
        .now
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let people = env.staff.iter().map(|s| PickerEntry {
        id: s.id.clone(),
        name: s.name.clone(),
        detail: s.role.clone().unwrap_or_default(),
        is_group: false,
        presence: presence_on(&s.id, today, &state.absences),
    });
    let groups = env.groups.iter().map(|g| PickerEntry {
        id: g.id.clone(),
        name: g.name.clone(),
        detail: format!("group: {} members", g.members.len()),
        is_group: true,
        presence: group_presence_on(g, today, &state.absences),
    });
    people.chain(groups).collect()
}

fn open_letter(state: &mut AppState, targets: Vec<Target>, env: &Env) -> Vec<Effect> {
    let Some(task) = state.window.selected_task() else {
        return Vec::new();
    };
    let task_id = task.id;
    let recipient = match &task.sender_team {
        Some(team) => format!("{} — {team}", task.provider_name),
        None => task.provider_name.clone(),
    };
    let templates: Vec<String> = TASK_LETTERS.iter().map(|s| (*s).to_owned()).collect();
    // Open on the letter the reject key would send: the one the task's flags suggest, the
    // agreed-route reminder for a provider with an agreement, else the LMC rejection letter.
    let suggested = env.policy.map(|(rules, calendar)| {
        rejection_with_facts(task, &state.provider_facts, rules, calendar).template
    });
    let selected = suggested
        .and_then(|s| TASK_LETTERS.iter().position(|t| *t == s))
        .unwrap_or(0);
    let first = templates[selected].clone();
    let pane = LetterPaneState::waiting_for_render(templates, selected, targets.len(), recipient);
    state.modal = Some(Modal::Letter(LetterModal {
        pane,
        targets,
        task_id,
        rendered: None,
    }));
    vec![Effect::Request(Request::RenderLetter {
        task_id,
        template: first,
        now: state.now,
    })]
}

/// Sends a change to the worker; the answer arrives as `Reply::Acted`.
pub(super) fn send(state: &mut AppState, change: Change, targets: Vec<Target>) -> Vec<Effect> {
    state.acting = true;
    state.in_flight = Some((targets.clone(), change.clone()));
    vec![Effect::Request(Request::Act {
        change,
        targets,
        now: state.now,
    })]
}

pub(super) fn acted(
    state: &mut AppState,
    result: Result<Acted, AppError>,
    env: &Env,
) -> Vec<Effect> {
    state.acting = false;
    state.detail = None;
    let sent = state.in_flight.take();
    let mut effects = Vec::new();
    match result {
        Ok(acted) => {
            let undo = env.keymap.hint(Action::Undo);
            let noun = if acted.tasks == 1 { "task" } else { "tasks" };
            let mut text = format!("{} {} {noun}", acted.change.done(), acted.tasks);
            match &acted.change {
                Change::Reject { .. } => {
                    let _ = write!(
                        text,
                        " with {}: {} stored, copied and queued",
                        letters_named(&acted.templates),
                        if acted.letters.len() == 1 {
                            "letter"
                        } else {
                            "letters"
                        }
                    );
                    effects.push(Effect::Copy(acted.letters.join("\n\n----------\n\n")));
                }
                Change::Assign { owner, .. } => {
                    let _ = write!(text, " to {owner}");
                }
                _ => {}
            }
            if !matches!(acted.change, Change::Undo | Change::Resolve { .. }) {
                let _ = write!(text, " · {undo} to undo");
                state.marked.clear();
            }
            state.toast = Some(Toast {
                text,
                is_error: false,
            });
            if state.sync.is_some() {
                effects.push(Effect::SyncSoon);
            }
        }
        Err(error) => {
            // A rejection paused for a patient's safety waits for the reject key again.
            if let (
                AppError::PatientAtRisk(_),
                Some((
                    targets,
                    Change::Reject {
                        template, edited, ..
                    },
                )),
            ) = (&error, sent)
            {
                let confirmed = Change::Reject {
                    template,
                    edited,
                    despite_risk: true,
                };
                state.pending_reject = Some((targets, confirmed));
            }
            state.toast = Some(super::error_toast(&error, env.keymap));
        }
    }
    effects.extend(navigate::refresh_in_place(state));
    effects.push(Effect::Request(Request::ProviderFacts { now: state.now }));
    effects
}

/// The letters of a rejection by template, most used first: "provider-responsibility",
/// "lmc-rejection (2), immediate-action (1)".
fn letters_named(templates: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for template in templates {
        match counts.iter_mut().find(|(t, _)| *t == template.as_str()) {
            Some((_, n)) => *n += 1,
            None => counts.push((template, 1)),
        }
    }
    if counts.len() <= 1 {
        return counts
            .first()
            .map_or_else(|| "no letter".to_owned(), |(t, _)| (*t).to_owned());
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
        .iter()
        .map(|(t, n)| format!("{t} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

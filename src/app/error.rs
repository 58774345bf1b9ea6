//! Why a use case did not happen, as values: each surface words them once (the command line
//! adds its flags and commands, the inbox its keys from the keymap in force).

use chrono::NaiveDate;

use crate::domain::letter::LetterError;
use crate::domain::{EscalationStage, TaskId};
use crate::keymap::KeymapError;
use crate::store::{EscalationError, ResolveError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("there is no task {0} in the mirror")]
    NoSuchTask(TaskId),
    #[error("{id:?} is not a [[staff]] id in the config (known: {})", or_none(.known))]
    NotStaff { id: String, known: Vec<String> },
    #[error(
        "there is no staff member or group \"{id}\" in the config (staff: {}; groups: {})",
        or_none(.staff),
        or_none(.groups)
    )]
    UnknownOwner {
        id: String,
        staff: Vec<String>,
        groups: Vec<String>,
    },
    /// Assigning to someone away today is refused unless the person said they know.
    #[error("{label} is away until {} ({reason})", .until.format("%a %-d %b %Y"))]
    OwnerAway {
        label: String,
        until: NaiveDate,
        reason: String,
    },
    #[error("a handover is between two people: {0} cannot hand over to themselves")]
    HandoverToSelf(String),
    #[error("an edited letter is for one task: {0} tasks were chosen")]
    EditedLetterForMany(usize),
    /// Rejecting these tasks could harm a patient: each with why. Nothing was rejected.
    #[error("{}", at_risk_words(.0))]
    PatientAtRisk(Vec<(TaskId, String)>),
    #[error("a row version names the version of one task: give exactly one task with it")]
    VersionForOneTask,
    #[error("cannot write the letter `{template}` for task {task}")]
    TaskLetter {
        template: String,
        task: TaskId,
        #[source]
        source: LetterError,
    },
    #[error("{name} ({ods}) is at stage {stage}, which has no letter")]
    NoLetterAtStage {
        ods: String,
        name: String,
        stage: EscalationStage,
    },
    /// An escalation letter cites rejected tasks as its evidence; with none it is not written.
    #[error("{0}")]
    NoEvidence(String),
    #[error("cannot write the stage {stage} letter for {ods}")]
    EscalationLetter {
        ods: String,
        stage: EscalationStage,
        #[source]
        source: LetterError,
    },
    #[error("in {origin}: {message}")]
    Calendar { origin: String, message: String },
    #[error(transparent)]
    Keys(#[from] KeymapError),
    #[error(transparent)]
    Escalation(#[from] EscalationError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A report could not be read from the mirror (its own words, causes included).
    #[error("{0}")]
    Report(String),
}

impl AppError {
    /// The message with its causes, on one line, as a toast shows it.
    pub fn words(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        text
    }

    /// The store's conflict error, wherever it was wrapped: the surfaces add how to settle it.
    pub fn in_sync_conflict(&self) -> Option<TaskId> {
        match self {
            AppError::Store(StoreError::InSyncConflict { task_id })
            | AppError::Escalation(EscalationError::Store(StoreError::InSyncConflict {
                task_id,
            }))
            | AppError::Resolve(ResolveError::Store(StoreError::InSyncConflict { task_id })) => {
                Some(*task_id)
            }
            _ => None,
        }
    }

    pub(crate) fn report(e: &color_eyre::Report) -> AppError {
        AppError::Report(format!("{e:#}"))
    }
}

fn at_risk_words(tasks: &[(TaskId, String)]) -> String {
    let each: Vec<String> = tasks
        .iter()
        .map(|(id, why)| format!("task {id}: {why}"))
        .collect();
    format!(
        "a patient could be harmed if {} went back unread ({})",
        if tasks.len() == 1 { "it" } else { "they" },
        each.join("; "),
    )
}

fn or_none(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

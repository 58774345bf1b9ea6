//! The vocabulary between the loop and `update`: messages in, effects out, and the requests the
//! database worker answers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::state::{Counts, Detail, OverdueSummary};
use crate::app::AppError;
use crate::app::handover::SignedOff;
use crate::app::providers::EscalationLetter;
use crate::domain::policy::{Flag, ProviderFacts};
use crate::domain::{Absence, Provider, Task, TaskId};
use crate::report::handover::HandoverReport;
use crate::report::providers::ProvidersOverview;
use crate::store::{EscalationMove, PageKey, Target, TaskFilter};

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// The slow tick: time moved on, so ages and overdue counts may have changed.
    Tick(DateTime<Utc>),
    Reply(Reply),
}

/// Which slice of the filtered list a page request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAt {
    First,
    Last,
    After(PageKey),
    Before(PageKey),
    /// The rows from this key on, replacing the window in place (after an action, so the
    /// cursor stays where the reader was).
    From(PageKey),
}

/// A change to tasks, as the person asked for it. The worker turns it into one store operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Reject with a letter. `template: None` gives each task the letter it needs
    /// (`app::tasks::rejection_with_facts`); a template chosen in the letter pane is rendered for
    /// each task, unless the user edited the text for a single task (`edited`). A task that
    /// could harm a patient is refused until the person confirms (`despite_risk`).
    Reject {
        template: Option<String>,
        edited: Option<String>,
        despite_risk: bool,
    },
    Assign {
        owner: String,
        note: Option<String>,
    },
    Unassign,
    Complete,
    Note {
        text: String,
    },
    Undo,
    /// Settle a sync conflict: keep the server's version, or send ours again on top of it.
    Resolve {
        keep_ours: bool,
    },
}

impl Change {
    /// The past tense for the toast ("Rejected 2 tasks").
    pub fn done(&self) -> &'static str {
        match self {
            Change::Reject { .. } => "Rejected",
            Change::Assign { .. } => "Assigned",
            Change::Unassign => "Returned to the inbox:",
            Change::Complete => "Completed",
            Change::Note { .. } => "Added a note to",
            Change::Undo => "Undid the last action on",
            Change::Resolve { keep_ours: false } => "Kept the other desk's version of",
            Change::Resolve { keep_ours: true } => "Our change will be sent again for",
        }
    }
}

#[derive(Debug, Clone)]
pub enum Request {
    Page {
        id: u64,
        filter: TaskFilter,
        /// Only tasks raising this policy flag (computed, so the worker filters the pages).
        flag: Option<Flag>,
        at: PageAt,
        limit: usize,
        now: DateTime<Utc>,
    },
    Detail {
        id: u64,
        task_id: TaskId,
    },
    Counts {
        now: DateTime<Utc>,
    },
    Absences,
    /// The handover screen, as `taskgate handover` reports it.
    Handover {
        id: u64,
        now: DateTime<Utc>,
    },
    /// Record the handover from the acting user to `incoming` in the audit log.
    SignOff {
        incoming: String,
        now: DateTime<Utc>,
    },
    /// A page of the overdue view's rows, as `taskgate overdue` lists them as of `now`.
    Overdue {
        id: u64,
        at: PageAt,
        limit: usize,
        now: DateTime<Utc>,
    },
    /// The providers screen's figures.
    Providers {
        id: u64,
        now: DateTime<Utc>,
    },
    /// Move a provider along the escalation ladder (audited by the store).
    Escalate {
        ods: String,
        to: EscalationMove,
        now: DateTime<Utc>,
    },
    /// The escalation letter for a provider's current stage.
    EscalationLetter {
        ods: String,
        now: DateTime<Utc>,
    },
    /// Agreements and recent rejections per provider, for the policy flags.
    ProviderFacts {
        now: DateTime<Utc>,
    },
    Act {
        change: Change,
        targets: Vec<Target>,
        now: DateTime<Utc>,
    },
    RenderLetter {
        task_id: TaskId,
        template: String,
        now: DateTime<Utc>,
    },
}

/// What an action did, for the toast and the clipboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acted {
    pub change: Change,
    pub tasks: usize,
    /// The letters stored by a rejection, to copy to the clipboard.
    pub letters: Vec<String>,
    /// The template of each letter, in the same order, for the toast.
    pub templates: Vec<String>,
}

#[derive(Debug)]
pub enum Reply {
    Page {
        id: u64,
        at: PageAt,
        rows: Vec<Task>,
        total: u64,
    },
    Detail {
        id: u64,
        detail: Box<Detail>,
    },
    Counts(Counts),
    Absences(Vec<Absence>),
    Handover {
        id: u64,
        report: Box<HandoverReport>,
        /// The report's tasks in the order the screen lists them
        /// (`ui::handover::task_order`), read whole so the detail pane and actions work on them.
        tasks: Vec<Task>,
    },
    SignedOff(Result<SignedOff, AppError>),
    Providers {
        id: u64,
        overview: Box<ProvidersOverview>,
    },
    /// The provider as the move left it, or why it was refused, for the toast.
    Escalated(Result<Provider, AppError>),
    /// The letter, or why there is none.
    EscalationLetter(Result<EscalationLetter, AppError>),
    Overdue {
        id: u64,
        at: PageAt,
        tasks: Vec<Task>,
        /// Why each task of the page is in the view.
        why: HashMap<TaskId, String>,
        /// Rows in the whole view.
        total: u64,
        summary: OverdueSummary,
    },
    ProviderFacts(HashMap<String, ProviderFacts>),
    Acted(Result<Acted, AppError>),
    Rendered {
        task_id: TaskId,
        template: String,
        result: Result<String, AppError>,
    },
    /// A read that failed: `id` is the request's (none for the header's counts and other
    /// unnumbered reads), so that a failure clears only the request it answers.
    Failed {
        id: Option<u64>,
        what: &'static str,
        error: AppError,
    },
    /// From the background sync thread, not the worker.
    Sync(SyncEvent),
}

/// What the background sync thread reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    Started,
    Finished {
        at: DateTime<Utc>,
        outcome: Result<SyncDone, SyncTrouble>,
    },
}

/// A cycle that reached the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncDone {
    /// Tasks came in or changed, or a push changed what the mirror holds: the screen reloads.
    pub changed: bool,
    /// Tasks now waiting for a person to resolve a conflict.
    pub conflicts: u64,
    /// Some changes are still waiting to go (the server refused them for now).
    pub retrying: bool,
}

/// A cycle that did not reach the server, or was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTrouble {
    pub message: String,
    /// The network or server is down (retried on the next cycle), as opposed to a setting the
    /// practice must fix (a missing token, a rejected request).
    pub offline: bool,
    /// Part of the cycle still brought changes in before the trouble.
    pub changed: bool,
}

/// What `update` asks the loop to do; the loop owns the terminal, the database and the clock.
#[derive(Debug)]
pub enum Effect {
    Request(Request),
    /// Put text on the clipboard with OSC 52, which works over SSH and remote desktops.
    Copy(String),
    /// An action was saved: sync it soon (after the undo grace), not at the next poll.
    SyncSoon,
    Quit,
}

//! A task as the practice sees it: one external request in the mirror, its status, priority and
//! the small rules about which actions a status allows. Pure data; the store persists it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::nhs_number::NhsNumber;

/// The mirror's own id for a task: a small integer that staff can type (`taskgate show 42`).
pub type TaskId = i64;

/// Local lifecycle status (product.md, "Lifecycle of a task").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Unassigned and unactioned: nobody has triaged it yet.
    New,
    Assigned,
    Rejected,
    Completed,
    /// Withdrawn by the sender (arrives through sync).
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Assigned,
        Status::Rejected,
        Status::Completed,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assigned => "assigned",
            Status::Rejected => "rejected",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Open tasks still need someone in the practice; closed ones are history.
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::Assigned)
    }

    /// Whether `action` may be taken on a task in this status. Notes can be added to any task,
    /// since a note is how staff record why something happened after the fact.
    pub fn allows(self, action: TaskAction) -> bool {
        match action {
            TaskAction::Assign | TaskAction::Reject | TaskAction::Complete => self.is_open(),
            TaskAction::Unassign => self == Status::Assigned,
            TaskAction::Note => true,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}` (expected one of: {expected})")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl FromStr for Status {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownName {
                kind: "status",
                value: s.to_owned(),
                expected: "new, assigned, rejected, completed, cancelled",
            })
    }
}

/// FHIR `Task.priority`; a missing priority means routine.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    #[default]
    Routine,
    Urgent,
    Asap,
    Stat,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Routine,
        Priority::Urgent,
        Priority::Asap,
        Priority::Stat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Routine => "routine",
            Priority::Urgent => "urgent",
            Priority::Asap => "asap",
            Priority::Stat => "stat",
        }
    }

    /// Anything above routine asks for action the LMC calls "immediate".
    pub fn is_immediate(self) -> bool {
        self != Priority::Routine
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownName {
                kind: "priority",
                value: s.to_owned(),
                expected: "routine, urgent, asap, stat",
            })
    }
}

/// What a member of staff can do to a task. Each is one store operation and one audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskAction {
    Assign,
    Unassign,
    Reject,
    Complete,
    Note,
}

impl TaskAction {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskAction::Assign => "assign",
            TaskAction::Unassign => "unassign",
            TaskAction::Reject => "reject",
            TaskAction::Complete => "complete",
            TaskAction::Note => "note",
        }
    }
}

impl fmt::Display for TaskAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The patient a task is about. The NHS number may be missing or unverifiable in the source;
/// the mirror keeps the task and shows the gap rather than dropping it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Patient {
    pub nhs_number: Option<NhsNumber>,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
}

impl Patient {
    /// Initials for the task table: enough to tell rows apart, little to leak over a shoulder.
    pub fn initials(&self) -> String {
        initials_of(&self.name)
    }
}

/// A name's initials: the first letter of each part, upper case ("Ada Lovelace-King" → "AL").
pub fn initials_of(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c == ',')
        .filter_map(|part| part.chars().find(|c| c.is_alphabetic()))
        .flat_map(char::to_uppercase)
        .collect()
}

/// A task as received: what a source (demo, file, FHIR) hands to the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingTask {
    /// The source's id (FHIR `Task.id`, or the import's own key); unique in the mirror.
    pub source_id: String,
    /// The source's version (FHIR `meta.versionId`), if it has versions.
    pub source_version: Option<String>,
    pub status: Status,
    pub priority: Priority,
    pub provider_ods: String,
    pub provider_name: String,
    /// The team inside the sending organisation, for the letter's salutation.
    pub sender_team: Option<String>,
    /// The named person the sender addressed, when they bypassed the unassigned inbox.
    pub addressed_to: Option<String>,
    /// Staff or group id holding the task inside the practice.
    pub owner: Option<String>,
    pub patient: Patient,
    pub subject: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
    /// The due date the sender asks for (`restriction.period.end`).
    pub due_by: Option<DateTime<Utc>>,
    /// The source's own record (a FHIR Task as JSON), kept beside the mapped fields so that a
    /// write-back changes only what taskgate owns and returns every other field intact.
    pub raw: Option<String>,
}

/// A task in the mirror, with the bookkeeping the store adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    /// Bumped by every local change; an action names the version it saw and fails if it moved.
    pub row_version: i64,
    pub source_id: String,
    pub source_version: Option<String>,
    pub status: Status,
    pub priority: Priority,
    pub provider_ods: String,
    pub provider_name: String,
    pub sender_team: Option<String>,
    pub addressed_to: Option<String>,
    pub owner: Option<String>,
    pub patient: Patient,
    pub subject: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub due_by: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Task {
    /// Unactioned means nobody has triaged it yet: the signal overdue is measured on.
    pub fn is_unactioned(&self) -> bool {
        self.status == Status::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_priorities_round_trip_through_their_names() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        for p in Priority::ALL {
            assert_eq!(p.as_str().parse::<Priority>(), Ok(p));
        }
        assert!("pending".parse::<Status>().is_err());
    }

    #[test]
    fn closed_tasks_allow_only_notes() {
        for s in [Status::Rejected, Status::Completed, Status::Cancelled] {
            assert!(!s.allows(TaskAction::Assign));
            assert!(!s.allows(TaskAction::Reject));
            assert!(!s.allows(TaskAction::Complete));
            assert!(!s.allows(TaskAction::Unassign));
            assert!(s.allows(TaskAction::Note));
        }
        assert!(Status::New.allows(TaskAction::Reject));
        assert!(!Status::New.allows(TaskAction::Unassign));
        assert!(Status::Assigned.allows(TaskAction::Unassign));
    }

    #[test]
    fn initials_come_from_each_name_part() {
        let p = Patient {
            nhs_number: None,
            name: "Ada  Lovelace-King".into(),
            birth_date: None,
        };
        assert_eq!(p.initials(), "AL");
        let p = Patient {
            nhs_number: None,
            name: "SMITH, john".into(),
            birth_date: None,
        };
        assert_eq!(p.initials(), "SJ");
    }
}

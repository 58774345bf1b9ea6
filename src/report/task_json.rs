//! The stable JSON shape of a task (`list --format json`, `show --format json`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::domain::Task;
use crate::domain::policy::{Flag, RaisedFlag, Suggestion};

#[derive(Debug, Serialize)]
pub struct TaskJson<'a> {
    pub id: i64,
    pub source_id: &'a str,
    pub source_version: Option<&'a str>,
    pub row_version: i64,
    pub status: &'static str,
    pub priority: &'static str,
    pub provider: ProviderJson<'a>,
    pub sender_team: Option<&'a str>,
    pub addressed_to: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub patient: PatientJson<'a>,
    pub subject: &'a str,
    pub body: &'a str,
    pub received_at: DateTime<Utc>,
    pub due_by: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Working time since receipt, in whole minutes, as of `--now`.
    pub working_age_minutes: i64,
    /// The LMC flags the task raises as of `--now`, in the policy table's order.
    pub flags: Vec<FlagJson<'a>>,
}

/// One raised flag: which, the rule and config value behind it, and what it suggests.
#[derive(Debug, Serialize)]
pub struct FlagJson<'a> {
    pub flag: Flag,
    /// The rule and the config value behind it, in plain words (names the config key).
    pub explanation: &'a str,
    /// What the policy suggests, as data: `kind`, and `template` for a rejection.
    pub suggestion: Suggestion,
    /// The suggestion in words.
    pub suggests: String,
    /// For `provider-work`: the id of the matching `policy.categories` entry.
    pub category: Option<&'a str>,
}

impl<'a> FlagJson<'a> {
    pub fn new(raised: &'a RaisedFlag) -> Self {
        FlagJson {
            flag: raised.flag,
            explanation: &raised.explanation,
            suggestion: raised.suggestion,
            suggests: raised.suggestion.describe(),
            category: raised.category.as_deref(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ProviderJson<'a> {
    pub ods_code: &'a str,
    pub name: &'a str,
}

#[derive(Debug, Serialize)]
pub struct PatientJson<'a> {
    /// Ten digits, no spaces; null when the source gave none or an invalid one.
    pub nhs_number: Option<String>,
    pub name: &'a str,
    pub birth_date: Option<NaiveDate>,
}

impl<'a> TaskJson<'a> {
    pub fn new(task: &'a Task, working_age: chrono::Duration, flags: &'a [RaisedFlag]) -> Self {
        TaskJson {
            id: task.id,
            source_id: &task.source_id,
            source_version: task.source_version.as_deref(),
            row_version: task.row_version,
            status: task.status.as_str(),
            priority: task.priority.as_str(),
            provider: ProviderJson {
                ods_code: &task.provider_ods,
                name: &task.provider_name,
            },
            sender_team: task.sender_team.as_deref(),
            addressed_to: task.addressed_to.as_deref(),
            owner: task.owner.as_deref(),
            patient: PatientJson {
                nhs_number: task.patient.nhs_number.map(|n| n.digits()),
                name: &task.patient.name,
                birth_date: task.patient.birth_date,
            },
            subject: &task.subject,
            body: &task.body,
            received_at: task.received_at,
            due_by: task.due_by,
            updated_at: task.updated_at,
            working_age_minutes: working_age.num_minutes(),
            flags: flags.iter().map(FlagJson::new).collect(),
        }
    }
}

//! The LMC tasking policy as flags on a task (product.md, "The LMC policy, as rules"): which
//! rules a task breaks, each explained in plain words with the config value behind it, and what
//! the practice's policy suggests doing about it. Flags suggest; staff decide. The rules take
//! their thresholds from `PolicyRules`, which the caller fills from the config, and their sense
//! of time from the `WorkingCalendar` and the task's own instants, so nothing here reads the
//! clock or the config.

mod keywords;
mod rejection;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use self::keywords::Words;
pub use self::rejection::{
    AGREED_ROUTE_REMINDER, PATIENT_SAFETY_REDIRECT, Rejection, Risk, rejection_for,
};
use super::calendar::{NonWorkingDay, PRACTICE_TIME_ZONE, WorkingCalendar};
use super::provider::Agreement;
use super::task::{Task, UnknownName};

/// The letter for tasks received after the cut-off from providers without an SOP.
pub const LMC_REJECTION: &str = "lmc-rejection";
/// The letter saying that action needed within two weeks stays with the provider.
pub const IMMEDIATE_ACTION: &str = "immediate-action";
/// The letter citing the contract clause that keeps the work with the requester.
pub const PROVIDER_RESPONSIBILITY: &str = "provider-responsibility";

/// The LMC's "immediate" means action within two weeks; counted in working days so that a bank
/// holiday inside the fortnight does not shorten it.
pub const IMMEDIATE_WORKING_DAYS: i32 = 10;

/// The practice's policy decisions, as the rules need them (mapped from `[policy]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRules {
    /// Tasks received on or after this date are not accepted from providers without an SOP.
    pub reject_from: NaiveDate,
    /// A body longer than this many characters carries clinical detail that belongs in the
    /// journal.
    pub max_body_chars: usize,
    /// This many rejections in 30 days makes a provider a persistent sender.
    pub persistent_after: u32,
    /// Work that stays with the requester, in the order the practice listed it.
    pub categories: Vec<WorkCategory>,
    /// Words that suggest a patient could be harmed if the task went back unread
    /// (safeguarding, overdose…): a rejection of such a task must be confirmed.
    pub safeguarding_words: Vec<String>,
}

/// A category of work that stays with the requesting provider under its contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCategory {
    pub id: String,
    pub name: String,
    pub keywords: Vec<String>,
    /// The contract duty in plain words, quoted in the explanation and the letter.
    pub clause: String,
}

/// What the practice knows about the task's sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderFacts {
    pub agreement: Agreement,
    /// In the practice's provider register, or seen before in the mirror.
    pub known: bool,
    pub rejections_last_30_days: u32,
}

/// One rule of the LMC policy that a task can break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "&'static str")]
pub enum Flag {
    AfterCutoff,
    Immediate,
    ProviderWork,
    NamedRecipient,
    DetailInTask,
    PersistentSender,
    NoAgreement,
}

impl Flag {
    /// Every flag, in the order of the policy table (and of `flags_for`'s answer).
    pub const ALL: [Flag; 7] = [
        Flag::AfterCutoff,
        Flag::Immediate,
        Flag::ProviderWork,
        Flag::NamedRecipient,
        Flag::DetailInTask,
        Flag::PersistentSender,
        Flag::NoAgreement,
    ];

    /// The name used in the detail pane, `--flag` filters and JSON output.
    pub fn tag(self) -> &'static str {
        match self {
            Flag::AfterCutoff => "after-cutoff",
            Flag::Immediate => "immediate",
            Flag::ProviderWork => "provider-work",
            Flag::NamedRecipient => "named-recipient",
            Flag::DetailInTask => "detail-in-task",
            Flag::PersistentSender => "persistent-sender",
            Flag::NoAgreement => "no-agreement",
        }
    }

    /// Three capitals for the task table's narrow flags column.
    pub fn short(self) -> &'static str {
        match self {
            Flag::AfterCutoff => "CUT",
            Flag::Immediate => "IMM",
            Flag::ProviderWork => "WRK",
            Flag::NamedRecipient => "NAM",
            Flag::DetailInTask => "DET",
            Flag::PersistentSender => "PER",
            Flag::NoAgreement => "NOA",
        }
    }

    /// What the policy suggests when this flag is raised.
    pub fn suggestion(self) -> Suggestion {
        match self {
            Flag::AfterCutoff => Suggestion::Reject {
                template: LMC_REJECTION,
            },
            Flag::Immediate => Suggestion::Reject {
                template: IMMEDIATE_ACTION,
            },
            Flag::ProviderWork => Suggestion::Reject {
                template: PROVIDER_RESPONSIBILITY,
            },
            Flag::NamedRecipient => Suggestion::ReassignOrReject,
            Flag::DetailInTask => Suggestion::NoteForEscalation,
            Flag::PersistentSender => Suggestion::EscalateProvider,
            Flag::NoAgreement => Suggestion::Informational,
        }
    }
}

impl From<Flag> for &'static str {
    fn from(flag: Flag) -> Self {
        flag.tag()
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl FromStr for Flag {
    type Err = UnknownName;

    /// Reads the tag in any case; the short column code is accepted too, since it is what staff
    /// see in the table.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Flag::ALL
            .into_iter()
            .find(|f| {
                wanted.eq_ignore_ascii_case(f.tag()) || wanted.eq_ignore_ascii_case(f.short())
            })
            .ok_or_else(|| UnknownName {
                kind: "flag",
                value: s.to_owned(),
                expected: "after-cutoff, immediate, provider-work, named-recipient, \
                           detail-in-task, persistent-sender, no-agreement",
            })
    }
}

/// What the policy suggests doing about a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Suggestion {
    /// Reject the task with this letter template.
    Reject {
        template: &'static str,
    },
    /// Reassign to the right person or group, or reject; note it for escalation either way.
    ReassignOrReject,
    NoteForEscalation,
    /// Move the provider one stage up the escalation ladder.
    EscalateProvider,
    Informational,
}

impl Suggestion {
    /// The suggestion as the detail pane words it.
    pub fn describe(self) -> String {
        match self {
            Suggestion::Reject { template } => {
                let letter = match template {
                    LMC_REJECTION => "the LMC rejection letter",
                    IMMEDIATE_ACTION => "the \"immediate action\" letter",
                    PROVIDER_RESPONSIBILITY => "the \"contractual responsibility\" letter",
                    _ => "the letter",
                };
                format!("reject with {letter} ({template})")
            }
            Suggestion::ReassignOrReject => {
                "reassign it to the right person or reject it; note it for escalation".to_owned()
            }
            Suggestion::NoteForEscalation => "note it for escalation".to_owned(),
            Suggestion::EscalateProvider => "escalate the provider one stage".to_owned(),
            Suggestion::Informational => "for information; nothing to do".to_owned(),
        }
    }
}

/// A flag raised on one task, with why and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RaisedFlag {
    pub flag: Flag,
    /// The rule and the config value behind it, in plain words.
    pub explanation: String,
    pub suggestion: Suggestion,
    /// For `provider-work`: the id of the matching category.
    pub category: Option<String>,
}

impl RaisedFlag {
    fn new(flag: Flag, explanation: String) -> Self {
        Self {
            flag,
            explanation,
            suggestion: flag.suggestion(),
            category: None,
        }
    }
}

/// Every rule `task` breaks, in the order of `Flag::ALL`; empty when it breaks none.
pub fn flags_for(
    task: &Task,
    provider: &ProviderFacts,
    rules: &PolicyRules,
    calendar: &WorkingCalendar,
) -> Vec<RaisedFlag> {
    let received_on = local_date(task.received_at);
    let sender = sender_name(task);
    let cutoff = format!(
        "the practice's cut-off of {} (policy.reject_from)",
        rules.reject_from.format("%-d %B %Y")
    );
    let sop_in_force = provider.agreement.sop_in_force_on(received_on);
    let received = format!("Received {}", received_on.format("%a %-d %b %Y"));
    let mut raised = Vec::new();

    if received_on >= rules.reject_from && !sop_in_force {
        let gap = agreement_gap(provider, &sender);
        raised.push(RaisedFlag::new(
            Flag::AfterCutoff,
            format!("{received}, on or after {cutoff}, and {gap}."),
        ));
    }
    if let Some(why) = immediate(task, calendar) {
        raised.push(RaisedFlag::new(Flag::Immediate, why));
    }
    if let Some(flag) = provider_work(task, &rules.categories) {
        raised.push(flag);
    }
    if let Some(name) = task.addressed_to.as_deref().map(str::trim) {
        // A blank name from an export is no name: the task still reached the inbox.
        if !name.is_empty() {
            raised.push(RaisedFlag::new(
                Flag::NamedRecipient,
                format!(
                    "Addressed to {name} instead of the practice's unassigned inbox; a named \
                     person may be away, leaving the task unread."
                ),
            ));
        }
    }
    // Trimmed so that the blank lines some exports append do not count against the sender.
    let body_chars = task.body.trim().chars().count();
    if body_chars > rules.max_body_chars {
        raised.push(RaisedFlag::new(
            Flag::DetailInTask,
            format!(
                "The body is {body_chars} characters, over the practice's limit of {} \
                 (policy.max_body_chars): clinical detail belongs in the sender's journal entry, \
                 not in the task.",
                rules.max_body_chars
            ),
        ));
    }
    let rejections = provider.rejections_last_30_days;
    if rules.persistent_after > 0 && rejections >= rules.persistent_after {
        let tasks = if rejections == 1 { "task" } else { "tasks" };
        raised.push(RaisedFlag::new(
            Flag::PersistentSender,
            format!(
                "{sender} has had {rejections} {tasks} rejected in the last 30 days, at or over \
                 the practice's limit of {} (policy.persistent_after).",
                rules.persistent_after
            ),
        ));
    }
    if received_on < rules.reject_from && (!provider.known || !sop_in_force) {
        let gap = agreement_gap(provider, &sender);
        raised.push(RaisedFlag::new(
            Flag::NoAgreement,
            format!(
                "{received}, before {cutoff}, and {gap}: from the cut-off its tasks will be \
                 flagged for rejection."
            ),
        ));
    }
    raised
}

/// The letter template to preselect in the letter pane: the most specific reason to reject.
pub fn primary_suggestion(flags: &[RaisedFlag]) -> Option<&'static str> {
    [Flag::Immediate, Flag::ProviderWork, Flag::AfterCutoff]
        .into_iter()
        .filter(|wanted| flags.iter().any(|raised| raised.flag == *wanted))
        .find_map(|flag| match flag.suggestion() {
            Suggestion::Reject { template } => Some(template),
            _ => None,
        })
}

fn sender_name(task: &Task) -> String {
    let name = task.provider_name.trim();
    let ods = task.provider_ods.trim();
    match (name.is_empty(), ods.is_empty()) {
        (false, _) => name.to_owned(),
        (true, false) => format!("the provider with ODS code {ods}"),
        (true, true) => "the sender".to_owned(),
    }
}

/// Why the sender has no agreement in force, for the end of a sentence.
fn agreement_gap(provider: &ProviderFacts, sender: &str) -> String {
    match provider.agreement {
        _ if !provider.known => {
            format!("{sender} is not in the practice's provider list, so has no SOP agreement")
        }
        Agreement::None => format!("{sender} has no SOP agreement"),
        Agreement::Sop { since } => format!(
            "the SOP agreement with {sender} only starts on {}",
            since.format("%-d %B %Y")
        ),
    }
}

/// Why the task asks for immediate action, if it does: a due date inside the two-week window,
/// a priority above routine, or both.
fn immediate(task: &Task, calendar: &WorkingCalendar) -> Option<String> {
    let mut reasons = Vec::new();
    if let Some(due) = task.due_by {
        let window = calendar.day_length() * IMMEDIATE_WORKING_DAYS;
        let limit = calendar.add_working_time(task.received_at, window);
        if due <= limit.value {
            let skipped: Vec<String> = calendar
                .days_lost_between(local_date(task.received_at), local_date(limit.value))
                .filter_map(|day| match day {
                    NonWorkingDay::BankHoliday { date, title } => {
                        Some(format!("{} ({title})", date.format("%a %-d %b")))
                    }
                    NonWorkingDay::Closure { date } => {
                        Some(format!("{} (practice closure)", date.format("%a %-d %b")))
                    }
                    NonWorkingDay::Weekend { .. } => None,
                })
                .collect();
            // Holidays inside the window are named because they are what makes a deadline look
            // further away than "two weeks" on the wall calendar.
            let skipping = if skipped.is_empty() {
                String::new()
            } else {
                format!(", skipping {}", skipped.join(" and "))
            };
            let warning = limit.warning.map(|w| format!(" ({w})")).unwrap_or_default();
            let reason = format!(
                "the sender asks for action by {}, within two weeks of receipt \
                 ({IMMEDIATE_WORKING_DAYS} working days from {} end {}{skipping}){warning}",
                wall_clock(due),
                wall_clock(task.received_at),
                wall_clock(limit.value)
            );
            reasons.push(reason);
        }
    }
    if task.priority.is_immediate() {
        reasons.push(format!("the sender marked it {}", task.priority));
    }
    if reasons.is_empty() {
        return None;
    }
    let mut why = reasons.join(", and ");
    if let Some(first) = why.get(..1) {
        why.replace_range(..1, &first.to_uppercase());
    }
    why.push_str(
        ". The LMC treats action needed within two weeks as immediate, which stays with the \
         provider.",
    );
    Some(why)
}

/// Whether the task's subject or body uses `keyword` as the `provider-work` flag reads it: whole
/// words in any case, common endings on the last word ("referred" uses "refer"). The letter
/// that quotes a category's clause asks this too, so a flag never suggests a letter that then
/// cannot find its clause.
pub fn task_uses_keyword(task: &Task, keyword: &str) -> bool {
    Words::of(&task.subject).contain(keyword) || Words::of(&task.body).contain(keyword)
}

/// The first configured category (in config order) whose keywords the subject or body uses.
fn provider_work(task: &Task, categories: &[WorkCategory]) -> Option<RaisedFlag> {
    let subject = Words::of(&task.subject);
    let body = Words::of(&task.body);
    categories.iter().find_map(|category| {
        let (keyword, place) = category.keywords.iter().find_map(|keyword| {
            if subject.contain(keyword) {
                Some((keyword, "subject"))
            } else if body.contain(keyword) {
                Some((keyword, "body"))
            } else {
                None
            }
        })?;
        let mut flag = RaisedFlag::new(
            Flag::ProviderWork,
            format!(
                "The {place} mentions \"{}\", which is {} (policy.categories \"{}\"), work that \
                 stays with the requester: {}",
                keyword.trim(),
                category.name,
                category.id,
                category.clause.trim()
            ),
        );
        flag.category = Some(category.id.clone());
        Some(flag)
    })
}

/// The day the practice's wall calendar showed at `t`: cut-offs and agreements are by that day.
fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&PRACTICE_TIME_ZONE).date_naive()
}

fn wall_clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&PRACTICE_TIME_ZONE)
        .format("%a %-d %b %Y %H:%M")
        .to_string()
}

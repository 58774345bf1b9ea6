//! What a one-key rejection does with a task: which letter goes with it, and whether a patient
//! could be harmed by sending it back. The inbox's reject key, the letter pane's first letter and
//! `taskgate reject` without `--template` all choose here, so the two surfaces never disagree.
//!
//! The choice, most specific first: the letter the task's own flags suggest ("immediate action"
//! or "contractual responsibility"); for a provider the practice has an agreement with, the
//! reminder of the agreed route (never the blanket "we do not accept tasks" letter, which would
//! be untrue); for a task that may carry urgent patient information, the letter that sends it
//! to the urgent route; otherwise the LMC rejection letter.

use std::fmt;

use super::keywords::Words;
use super::{Flag, LMC_REJECTION, PolicyRules, ProviderFacts, RaisedFlag, primary_suggestion};
use crate::domain::provider::Agreement;
use crate::domain::task::Task;

/// The letter reminding a provider the practice has an agreement with of the route they agreed.
pub const AGREED_ROUTE_REMINDER: &str = "agreed-route-reminder";
/// The letter for a task that may carry urgent patient information: it goes to the urgent route.
pub const PATIENT_SAFETY_REDIRECT: &str = "patient-safety-redirect";

/// Why sending a task back could harm a patient: the reason a rejection asks to be confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Risk {
    /// The task raises `immediate`: action is needed within two weeks.
    Immediate,
    /// The subject or body uses one of the practice's safeguarding words.
    SafeguardingWord(String),
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Risk::Immediate => f.write_str("it asks for action within two weeks (IMM)"),
            Risk::SafeguardingWord(word) => {
                write!(f, "it mentions \"{word}\" (policy.safeguarding_words)")
            }
        }
    }
}

/// What rejecting one task would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The letter that goes with it.
    pub template: &'static str,
    /// Why a patient could be harmed; empty when nothing suggests so. A rejection with risks
    /// is only carried out once the person has confirmed it.
    pub risks: Vec<Risk>,
}

impl Rejection {
    /// The risks in one phrase ("it asks for action within two weeks (IMM) and it mentions
    /// \"overdose\" …"), or `None` when there are none.
    pub fn risk_words(&self) -> Option<String> {
        if self.risks.is_empty() {
            return None;
        }
        let words: Vec<String> = self.risks.iter().map(ToString::to_string).collect();
        Some(words.join(" and "))
    }
}

/// What rejecting `task` would do, given the flags it raises (from `flags_for`), what the
/// practice knows about its sender and the practice's rules.
pub fn rejection_for(
    task: &Task,
    flags: &[RaisedFlag],
    provider: &ProviderFacts,
    rules: &PolicyRules,
) -> Rejection {
    let risks = risks_of(task, flags, rules);
    let specific = primary_suggestion(flags).filter(|t| *t != LMC_REJECTION);
    let template = match specific {
        Some(template) => template,
        // Any agreement, even one starting after the task arrived: the practice has agreed to
        // take tasks from this sender, so "we do not accept tasks" would be untrue.
        None if matches!(provider.agreement, Agreement::Sop { .. }) => AGREED_ROUTE_REMINDER,
        // Never the blanket letter for a task that may carry urgent patient information.
        None if !risks.is_empty() => PATIENT_SAFETY_REDIRECT,
        None => LMC_REJECTION,
    };
    Rejection { template, risks }
}

/// The risks `task` carries: `immediate` raised, then each safeguarding word its subject or
/// body uses, in the order the practice listed them.
fn risks_of(task: &Task, flags: &[RaisedFlag], rules: &PolicyRules) -> Vec<Risk> {
    let mut risks = Vec::new();
    if flags.iter().any(|f| f.flag == Flag::Immediate) {
        risks.push(Risk::Immediate);
    }
    let subject = Words::of(&task.subject);
    let body = Words::of(&task.body);
    for word in &rules.safeguarding_words {
        if subject.contain(word) || body.contain(word) {
            risks.push(Risk::SafeguardingWord(word.trim().to_owned()));
        }
    }
    risks
}

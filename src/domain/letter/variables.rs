//! The variables a letter template may use: what each one means, where its value comes from (a
//! config key, the task, the acting user), and how a [`LetterContext`] turns into the values a
//! template sees. Only filled values reach the template, so an unset one can never print as an
//! empty gap in a letter that goes to another organisation.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use minijinja::Value;

/// Where the value of a variable comes from, so an error can tell the user what to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilledBy {
    /// A key of the config file (`policy.urgent_route`): the user can set it.
    Config(&'static str),
    /// Something taskgate supplies itself: the task, the clock, the escalation record.
    Caller(&'static str),
}

impl fmt::Display for FilledBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilledBy::Config(key) => write!(f, "{key} in the config"),
            FilledBy::Caller(source) => f.write_str(source),
        }
    }
}

/// One variable a letter template may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// The name used in templates: `{{ practice_name }}`.
    pub name: &'static str,
    pub filled_by: FilledBy,
    /// What the value is, in the practice's words (for the help text and the README).
    pub meaning: &'static str,
}

const VARIABLES: &[Variable] = &[
    Variable {
        name: "practice_name",
        filled_by: FilledBy::Config("practice.name"),
        meaning: "the practice's name",
    },
    Variable {
        name: "reject_from",
        filled_by: FilledBy::Config("policy.reject_from"),
        meaning: "the date from which external tasks are not accepted (5 January 2026)",
    },
    Variable {
        name: "preferred_method",
        filled_by: FilledBy::Config("policy.preferred_method"),
        meaning: "how providers should contact the practice instead of a task",
    },
    Variable {
        name: "urgent_route",
        filled_by: FilledBy::Config("policy.urgent_route"),
        meaning: "the route for urgent patient-safety concerns (a phone number or an inbox)",
    },
    Variable {
        name: "urgent_route_is_email",
        filled_by: FilledBy::Config("policy.urgent_route"),
        meaning: "true when the urgent route is an email inbox (it contains '@')",
    },
    Variable {
        name: "sender_organisation",
        filled_by: FilledBy::Caller("the task's sender (provider name)"),
        meaning: "the organisation the letter goes to",
    },
    Variable {
        name: "sender_team",
        filled_by: FilledBy::Caller("the task's sender team"),
        meaning: "the team within that organisation",
    },
    Variable {
        name: "task_reference",
        filled_by: FilledBy::Caller("the task (its reference in the sender's system)"),
        meaning: "the reference of the task the letter answers",
    },
    Variable {
        name: "received_date",
        filled_by: FilledBy::Caller("the task (the date it was received)"),
        meaning: "the date the practice received the task (5 January 2026)",
    },
    Variable {
        name: "today",
        filled_by: FilledBy::Caller("--now, or today's date"),
        meaning: "the date of the letter (5 January 2026)",
    },
    Variable {
        name: "staff_name",
        filled_by: FilledBy::Config("staff[].name of the acting user (--user)"),
        meaning: "the member of staff sending the letter",
    },
    Variable {
        name: "sign_off",
        filled_by: FilledBy::Config("letters.sign_off"),
        meaning: "the team line under the sender's name, where replies should go",
    },
    Variable {
        name: "clause_text",
        filled_by: FilledBy::Config("policy.categories[].clause"),
        meaning: "the NHS Standard Contract duty the request falls under",
    },
    Variable {
        name: "rejected_tasks",
        filled_by: FilledBy::Caller("the provider's rejected tasks in the mirror"),
        meaning: "recent rejected tasks, each with `received` (a date) and `reference`",
    },
    Variable {
        name: "rejected_count",
        filled_by: FilledBy::Caller("the provider's rejected tasks in the mirror"),
        meaning: "how many tasks from the sender were rejected in the period",
    },
    Variable {
        name: "period_from",
        filled_by: FilledBy::Caller("the escalation's evidence period"),
        meaning: "the first day of the period the evidence covers",
    },
    Variable {
        name: "period_to",
        filled_by: FilledBy::Caller("the escalation's evidence period"),
        meaning: "the last day of the period the evidence covers",
    },
];

/// Every variable a letter template may use, in the order the letters use them.
pub fn variables() -> &'static [Variable] {
    VARIABLES
}

/// The variable called `name`, if taskgate knows it.
pub fn variable(name: &str) -> Option<&'static Variable> {
    VARIABLES.iter().find(|v| v.name == name)
}

/// One task rejected earlier, cited as evidence in an escalation letter. It carries the sender's
/// reference and the date only: escalation letters leave the practice and name no patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedSummary {
    pub received: NaiveDate,
    pub reference: String,
}

/// Everything a letter may say. Every field is optional because each letter needs only some of
/// them; [`super::render`] refuses a letter whose template uses one that is not filled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterContext {
    pub practice_name: Option<String>,
    pub reject_from: Option<NaiveDate>,
    pub preferred_method: Option<String>,
    pub urgent_route: Option<String>,
    pub sender_organisation: Option<String>,
    pub sender_team: Option<String>,
    pub task_reference: Option<String>,
    pub received_date: Option<NaiveDate>,
    pub today: Option<NaiveDate>,
    pub staff_name: Option<String>,
    pub sign_off: Option<String>,
    pub clause_text: Option<String>,
    pub rejected_tasks: Option<Vec<RejectedSummary>>,
    pub rejected_count: Option<usize>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
}

impl LetterContext {
    /// The values a template sees, keyed by variable name. Blank text and an empty evidence list
    /// count as unset: a letter saying "please resend the information via ." is worse than none.
    pub(crate) fn values(&self) -> BTreeMap<&'static str, Value> {
        let mut values = BTreeMap::new();
        let mut text = |name: &'static str, value: &Option<String>| {
            if let Some(v) = filled(value.as_deref()) {
                values.insert(name, Value::from(v));
            }
        };
        text("practice_name", &self.practice_name);
        text("preferred_method", &self.preferred_method);
        text("urgent_route", &self.urgent_route);
        text("sender_organisation", &self.sender_organisation);
        text("sender_team", &self.sender_team);
        text("task_reference", &self.task_reference);
        text("staff_name", &self.staff_name);
        text("sign_off", &self.sign_off);
        text("clause_text", &self.clause_text);

        let dates = [
            ("reject_from", self.reject_from),
            ("received_date", self.received_date),
            ("today", self.today),
            ("period_from", self.period_from),
            ("period_to", self.period_to),
        ];
        for (name, date) in dates {
            if let Some(d) = date {
                values.insert(name, Value::from(uk_date(d)));
            }
        }

        // Derived here, not in the template, so the email caveat is a plain `{% if %}`.
        if let Some(route) = filled(self.urgent_route.as_deref()) {
            values.insert("urgent_route_is_email", Value::from(route.contains('@')));
        }
        if let Some(tasks) = self.rejected_tasks.as_ref().filter(|t| !t.is_empty()) {
            let tasks: Value = tasks
                .iter()
                .map(|t| {
                    Value::from_pairs([
                        ("received", Value::from(uk_date(t.received))),
                        ("reference", Value::from(t.reference.trim())),
                    ])
                })
                .collect();
            values.insert("rejected_tasks", tasks);
        }
        if let Some(count) = self.rejected_count {
            values.insert(
                "rejected_count",
                Value::from(u64::try_from(count).unwrap_or(u64::MAX)),
            );
        }
        values
    }
}

/// The text with surrounding whitespace removed, or `None` when nothing is left (TOML multi-line
/// strings such as clause texts often end in a newline the letter should not carry).
fn filled(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// A date as UK letters write it: "5 January 2026".
pub fn uk_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn a_full_context_fills_every_documented_variable_and_nothing_else() {
        let text = Some("x".to_owned());
        let ctx = LetterContext {
            practice_name: text.clone(),
            reject_from: Some(date(2026, 1, 5)),
            preferred_method: text.clone(),
            urgent_route: text.clone(),
            sender_organisation: text.clone(),
            sender_team: text.clone(),
            task_reference: text.clone(),
            received_date: Some(date(2026, 1, 6)),
            today: Some(date(2026, 1, 7)),
            staff_name: text.clone(),
            sign_off: text.clone(),
            clause_text: text,
            rejected_tasks: Some(vec![RejectedSummary {
                received: date(2026, 1, 6),
                reference: "T1".into(),
            }]),
            rejected_count: Some(1),
            period_from: Some(date(2025, 12, 8)),
            period_to: Some(date(2026, 1, 7)),
        };
        let filled: Vec<_> = ctx.values().into_keys().collect();
        let mut documented: Vec<_> = variables().iter().map(|v| v.name).collect();
        documented.sort_unstable();
        assert_eq!(filled, documented);
    }

    #[test]
    fn blank_text_and_empty_evidence_count_as_unset() {
        let ctx = LetterContext {
            practice_name: Some("  \n".into()),
            rejected_tasks: Some(Vec::new()),
            ..LetterContext::default()
        };
        assert!(ctx.values().is_empty());
    }

    #[test]
    fn dates_are_written_the_uk_way() {
        assert_eq!(uk_date(date(2026, 1, 5)), "5 January 2026");
        assert_eq!(uk_date(date(2025, 12, 25)), "25 December 2025");
    }
}

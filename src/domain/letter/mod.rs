//! Letters: the LMC rejection letter, its siblings for immediate and contractual work, and the
//! escalation letters, rendered from minijinja templates. The shipped templates are embedded in
//! the binary; a practice may override one with its own text, which the caller reads from the
//! config folder and passes in, so this module stays pure. Rendering is strict: a letter whose
//! template uses a variable that is unset or unknown is refused with an error naming the variable
//! and the config key that fills it, never sent with a gap.

mod error;
mod variables;

use std::collections::{BTreeSet, HashSet};

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

pub use self::error::LetterError;
pub use self::variables::{
    FilledBy, LetterContext, RejectedSummary, Variable, uk_date, variable, variables,
};
use crate::domain::provider::EscalationStage;

/// The letters taskgate ships, by name, in the order the letter picker lists them.
pub const SHIPPED_TEMPLATES: &[(&str, &str)] = &[
    (
        "lmc-rejection",
        include_str!("../../../assets/letters/lmc-rejection.j2"),
    ),
    (
        "immediate-action",
        include_str!("../../../assets/letters/immediate-action.j2"),
    ),
    (
        "provider-responsibility",
        include_str!("../../../assets/letters/provider-responsibility.j2"),
    ),
    (
        "agreed-route-reminder",
        include_str!("../../../assets/letters/agreed-route-reminder.j2"),
    ),
    (
        "patient-safety-redirect",
        include_str!("../../../assets/letters/patient-safety-redirect.j2"),
    ),
    (
        "escalation-reminder",
        include_str!("../../../assets/letters/escalation-reminder.j2"),
    ),
    (
        "escalation-service-lead",
        include_str!("../../../assets/letters/escalation-service-lead.j2"),
    ),
    (
        "escalation-icb",
        include_str!("../../../assets/letters/escalation-icb.j2"),
    ),
    (
        "escalation-lmc",
        include_str!("../../../assets/letters/escalation-lmc.j2"),
    ),
];

/// The letters that answer a single task (the rest go to a provider about many tasks).
pub const TASK_LETTERS: [&str; 5] = [
    "lmc-rejection",
    "immediate-action",
    "provider-responsibility",
    "agreed-route-reminder",
    "patient-safety-redirect",
];

/// The shipped text of the letter called `name`.
pub fn shipped_template(name: &str) -> Option<&'static str> {
    SHIPPED_TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

/// The letter that moves a provider to `stage` of the escalation ladder; stage 0 has none.
pub fn escalation_letter(stage: EscalationStage) -> Option<&'static str> {
    match stage {
        EscalationStage::None => None,
        EscalationStage::RemindedTeam => Some("escalation-reminder"),
        EscalationStage::ServiceLead => Some("escalation-service-lead"),
        EscalationStage::IcbPrimaryCare => Some("escalation-icb"),
        EscalationStage::Lmc => Some("escalation-lmc"),
    }
}

/// The template text for the letter `name`: the practice's override (read by the caller from
/// `letters/<name>.j2` in the config folder) when there is one, else the shipped text. Only the
/// shipped names exist, so a caller can check the name with [`shipped_template`] before it
/// builds a path from it.
pub fn resolve_template(name: &str, override_text: Option<String>) -> Result<String, LetterError> {
    let Some(shipped) = shipped_template(name) else {
        return Err(LetterError::UnknownTemplate {
            name: name.to_owned(),
            known: SHIPPED_TEMPLATES
                .iter()
                .map(|(n, _)| (*n).to_owned())
                .collect(),
        });
    };
    Ok(override_text.unwrap_or_else(|| shipped.to_owned()))
}

/// The variables the template uses, in the order of [`variables`]. Refuses a template that does
/// not parse or that uses a name taskgate does not know, so an override can be checked (for
/// `taskgate config check`) before any letter is needed.
pub fn template_variables(
    name: &str,
    template_text: &str,
) -> Result<Vec<&'static Variable>, LetterError> {
    let env = environment(name, template_text)?;
    used_variables(&env, name)
}

/// Renders the letter `name` from `template_text` with the values in `ctx`.
pub fn render(name: &str, template_text: &str, ctx: &LetterContext) -> Result<String, LetterError> {
    let env = environment(name, template_text)?;
    let used = used_variables(&env, name)?;
    let values = ctx.values();
    // Checked before rendering rather than left to strict undefined, so the error can name the
    // config key, and so a variable used only in a branch not taken is still required: the same
    // template must not work today and fail tomorrow when the branch flips.
    if let Some(missing) = used.iter().find(|v| !values.contains_key(v.name)) {
        return Err(LetterError::Unfilled {
            variable: missing.name.to_owned(),
            filled_by: missing.filled_by,
        });
    }
    let template = env
        .get_template(name)
        .map_err(|e| LetterError::from_minijinja(name, &e))?;
    let letter = template
        .render(Value::from_pairs(values))
        .map_err(|e| LetterError::from_minijinja(name, &e))?;
    if letter.trim().is_empty() {
        return Err(LetterError::Blank {
            template: name.to_owned(),
        });
    }
    Ok(letter)
}

/// An environment holding just this template, set up for plain-text letters.
fn environment<'a>(name: &'a str, template_text: &'a str) -> Result<Environment<'a>, LetterError> {
    let mut env = Environment::new();
    // Strict: even with the pre-check, an attribute slip such as `task.refrence` inside a loop
    // must fail rather than print nothing.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Letters are plain text pasted into another clinical system: no HTML escaping, whatever
    // the template's name looks like.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // `{% if %}` lines vanish instead of leaving blank lines, so templates can be laid out
    // readably.
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| LetterError::from_minijinja(name, &e))?;
    env.set_syntax(syntax);
    env.add_template(name, template_text)
        .map_err(|e| LetterError::from_minijinja(name, &e))?;
    Ok(env)
}

fn used_variables(
    env: &Environment<'_>,
    name: &str,
) -> Result<Vec<&'static Variable>, LetterError> {
    let template = env
        .get_template(name)
        .map_err(|e| LetterError::from_minijinja(name, &e))?;
    let used: HashSet<String> = template.undeclared_variables(false);
    // minijinja reports its own functions (`range`, `namespace`) as undeclared; they are not
    // letter variables but are not mistakes either.
    let globals: HashSet<&str> = env.globals().map(|(n, _)| n).collect();
    let unknown: BTreeSet<&str> = used
        .iter()
        .map(String::as_str)
        .filter(|n| variable(n).is_none() && !globals.contains(n))
        .collect();
    if let Some(first) = unknown.first() {
        return Err(LetterError::UnknownVariable {
            variable: (*first).to_owned(),
            template: name.to_owned(),
        });
    }
    Ok(variables()
        .iter()
        .filter(|v| used.contains(v.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rung_of_the_ladder_above_none_has_a_shipped_letter() {
        for n in 1..=4 {
            let stage = EscalationStage::from_number(n).expect("stage");
            let name = escalation_letter(stage).expect("a letter for the stage");
            assert!(shipped_template(name).is_some(), "{name} is not shipped");
        }
        assert_eq!(escalation_letter(EscalationStage::None), None);
    }

    #[test]
    fn minijinja_functions_are_not_unknown_variables() {
        let used = template_variables(
            "t",
            "{% for i in range(2) %}{{ practice_name }}{% endfor %}",
        )
        .expect("range is a function, practice_name a variable");
        assert_eq!(
            used.iter().map(|v| v.name).collect::<Vec<_>>(),
            ["practice_name"]
        );
    }

    #[test]
    fn a_variable_in_a_branch_not_taken_is_still_required() {
        let ctx = LetterContext {
            practice_name: Some("Riverside".into()),
            ..LetterContext::default()
        };
        let err = render(
            "t",
            "{{ practice_name }}{% if false %}{{ clause_text }}{% endif %}",
            &ctx,
        )
        .expect_err("clause_text is unset");
        assert!(
            matches!(err, LetterError::Unfilled { ref variable, .. } if variable == "clause_text")
        );
    }

    #[test]
    fn a_misspelt_attribute_in_the_evidence_loop_is_refused_not_left_blank() {
        let ctx = LetterContext {
            rejected_tasks: Some(vec![RejectedSummary {
                received: chrono::NaiveDate::from_ymd_opt(2026, 1, 6).expect("date"),
                reference: "T1".into(),
            }]),
            ..LetterContext::default()
        };
        let err = render(
            "t",
            "{% for t in rejected_tasks %}{{ t.refrence }}{% endfor %}",
            &ctx,
        )
        .expect_err("no such attribute");
        assert!(
            matches!(err, LetterError::Template { line: Some(1), .. }),
            "{err}"
        );
    }
}

//! Why a letter could not be produced, in words a receptionist can act on: which variable is
//! missing and which config key fills it, which template line is wrong, which names exist.

use std::fmt;

use super::variables::{FilledBy, variables};

/// A letter that was refused. A letter is never produced with a gap or a stray placeholder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterError {
    /// The template uses a variable that has no value here.
    #[error("the letter needs `{variable}`, which comes from {filled_by}: {}", remedy(*filled_by))]
    Unfilled {
        variable: String,
        filled_by: FilledBy,
    },
    /// The template uses a name that taskgate never fills (often a typing slip in an override).
    #[error(
        "the letter template `{template}` uses `{variable}`, which taskgate does not know; \
         the variables a letter can use are: {}",
        KnownVariables
    )]
    UnknownVariable { variable: String, template: String },
    /// The template does not parse, or fails while rendering.
    #[error("the letter template `{template}` has an error{}: {message}", AtLine(*line))]
    Template {
        template: String,
        line: Option<usize>,
        message: String,
    },
    /// No shipped letter has this name.
    #[error(
        "there is no letter template called `{name}`; the letters are: {}",
        known.join(", ")
    )]
    UnknownTemplate { name: String, known: Vec<String> },
    /// The template rendered to nothing but whitespace; sending that upstream helps nobody.
    #[error("the letter template `{template}` produced a blank letter: check the template")]
    Blank { template: String },
}

fn remedy(filled_by: FilledBy) -> &'static str {
    match filled_by {
        FilledBy::Config(_) => "set it and try again",
        FilledBy::Caller(_) => "it is missing here, so this letter cannot be produced",
    }
}

/// The list of known variables, formatted lazily so the error itself stays small.
struct KnownVariables;

impl fmt::Display for KnownVariables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in variables().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(v.name)?;
        }
        Ok(())
    }
}

struct AtLine(Option<usize>);

impl fmt::Display for AtLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, " at line {line}"),
            None => Ok(()),
        }
    }
}

impl LetterError {
    /// Turns a minijinja error into one that names the template and, where known, the line.
    pub(crate) fn from_minijinja(template: &str, err: &minijinja::Error) -> Self {
        let message = match err.detail() {
            Some(detail) => format!("{}: {detail}", err.kind()),
            None => err.kind().to_string(),
        };
        LetterError::Template {
            template: template.to_owned(),
            line: err.line(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_config_value_names_the_key_to_set() {
        let err = LetterError::Unfilled {
            variable: "urgent_route".into(),
            filled_by: FilledBy::Config("policy.urgent_route"),
        };
        assert_eq!(
            err.to_string(),
            "the letter needs `urgent_route`, which comes from policy.urgent_route in the \
             config: set it and try again"
        );
    }

    #[test]
    fn an_unknown_variable_lists_the_known_ones() {
        let err = LetterError::UnknownVariable {
            variable: "patient_name".into(),
            template: "lmc-rejection".into(),
        };
        let text = err.to_string();
        assert!(text.contains("`patient_name`"), "{text}");
        assert!(text.contains("practice_name, reject_from"), "{text}");
    }
}

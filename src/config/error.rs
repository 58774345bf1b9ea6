//! Turning whatever went wrong while reading the config into one message that names the file,
//! the line and the key path (`policy.reject_from`, `groups[1].members[2]`), in the words of
//! someone editing the file rather than serde's. Lines come from the TOML parser's spans where
//! it gives one and otherwise from looking the key up in the parsed document.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_path_to_error::Segment;
use toml::de::{DeTable, DeValue};

/// A config that cannot be used, and where the fault is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based; `None` when the fault is a missing section or key with nowhere to point.
    pub line: Option<usize>,
    /// The key path, e.g. `policy.reject_from` or `staff[2].id`; empty for a syntax error
    /// outside any key.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = text.floor_char_boundary(offset.min(text.len()));
    text[..end].matches('\n').count() + 1
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `groups[1].members[2]` into its steps.
fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            out.push(Step::Key(name));
        }
        for index in rest.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                out.push(Step::Index(i));
            }
        }
    }
    out
}

/// The span of the value at `path`, or of the deepest part of it that exists, so that a
/// missing key still points at its table's header.
fn span_of(doc: &DeTable<'_>, path: &str) -> Option<Range<usize>> {
    let mut found: Option<Range<usize>> = None;
    let mut here: Option<&DeValue<'_>> = None;
    for step in steps(path) {
        let next = match (step, here) {
            (Step::Key(k), None) => doc.get(k),
            (Step::Key(k), Some(DeValue::Table(t))) => t.get(k),
            (Step::Index(i), Some(DeValue::Array(a))) => a.get(i),
            _ => None,
        };
        let Some(next) = next else { break };
        found = Some(next.span());
        here = Some(next.get_ref());
    }
    found
}

/// Finds lines for key paths in the text being loaded.
pub(super) struct Locator<'t> {
    text: &'t str,
    doc: Option<DeTable<'t>>,
    file: &'t Path,
}

impl<'t> Locator<'t> {
    pub(super) fn new(text: &'t str, file: &'t Path) -> Self {
        let doc = DeTable::parse(text).ok().map(toml::Spanned::into_inner);
        Locator { text, doc, file }
    }

    pub(super) fn line(&self, path: &str) -> Option<usize> {
        let span = span_of(self.doc.as_ref()?, path)?;
        Some(line_of(self.text, span.start))
    }

    /// An error at `key`, with the line of `anchor` (the key itself when it is present, or a
    /// neighbour that explains it, such as `source.kind` for a missing `source.base_url`).
    pub(super) fn error(&self, key: &str, anchor: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_path_buf(),
            line: self.line(anchor),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// A syntax error: the parser knows where, not which key, so the key is read off the line
    /// (`name = …`) and the table header above it.
    pub(super) fn syntax(&self, err: &toml::de::Error) -> ConfigError {
        let line = err.span().map(|s| line_of(self.text, s.start));
        let key = line.map(|l| key_on_line(self.text, l)).unwrap_or_default();
        ConfigError {
            file: self.file.to_path_buf(),
            line,
            key,
            message: plain_syntax_message(err.message()),
        }
    }

    pub(super) fn serde(&self, err: &serde_path_to_error::Error<toml::de::Error>) -> ConfigError {
        let parent = key_path(err.path());
        let inner = err.inner();
        let (message, missing) = plain_message(inner.message());
        let key = match &missing {
            Some(field) if parent.is_empty() => field.clone(),
            Some(field) => format!("{parent}.{field}"),
            None => parent.clone(),
        };
        // A whole missing section has no line of its own; the parser would point at line 1.
        let line = if missing.is_some() && parent.is_empty() {
            None
        } else {
            inner
                .span()
                .map(|s| line_of(self.text, s.start))
                .or_else(|| self.line(&key))
        };
        ConfigError {
            file: self.file.to_path_buf(),
            line,
            key,
            message,
        }
    }
}

/// The path `serde_path_to_error` tracked, without the private keys toml uses to smuggle spans
/// and datetimes through serde.
fn key_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => {
                let _ = write!(out, "[{index}]");
            }
            Segment::Map { key } if key.starts_with("$__") => {}
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// The names between backticks in a serde message (`a`, `b` → [a, b]).
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// Rewrites serde's derive messages; the second value is the field a "missing field" names,
/// which belongs on the key path rather than in the message.
fn plain_message(message: &str) -> (String, Option<String>) {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let expected = backticked(rest).into_iter().skip(1).collect::<Vec<_>>();
        let text = if expected.is_empty() {
            "unknown key (this table takes no keys)".to_owned()
        } else {
            format!("unknown key (expected one of: {})", expected.join(", "))
        };
        return (text, None);
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = backticked(rest).first().map(|f| (*f).to_owned());
        return ("required key is missing".to_owned(), field);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let names = backticked(rest);
        if let Some((given, expected)) = names.split_first() {
            return (
                format!("\"{given}\" is not one of: {}", expected.join(", ")),
                None,
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return (
            format!(
                "expected {}, found {}",
                toml_words(expected),
                toml_words(found)
            ),
            None,
        );
    }
    (message.to_owned(), None)
}

/// serde's data-model words in TOML's: a "map" or a "struct" is a table, a "sequence" a list.
fn toml_words(text: &str) -> String {
    let text = text.trim();
    if text == "map" || text == "a map" || text.starts_with("struct ") {
        "a table".to_owned()
    } else if text == "sequence" || text == "a sequence" {
        "a list".to_owned()
    } else if text == "path string" {
        "a path in quotes".to_owned()
    } else {
        text.to_owned()
    }
}

fn plain_syntax_message(message: &str) -> String {
    if message.starts_with("invalid date") || message.starts_with("invalid time") {
        format!("{message} (dates are YYYY-MM-DD, times HH:MM)")
    } else {
        format!("not valid TOML: {message}")
    }
}

/// `practice.name` for a `name = …` line under `[practice]`; `staff[1].id` under the second
/// `[[staff]]`. Empty when the line holds no key.
fn key_on_line(text: &str, line: usize) -> String {
    let mut table = String::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for raw in text.lines().take(line.saturating_sub(1)) {
        let trimmed = raw.trim();
        if let Some(name) = trimmed.strip_prefix("[[").and_then(|r| r.split_once("]]")) {
            let name = name.0.trim().to_owned();
            let index = seen
                .entry(name.clone())
                .and_modify(|n| *n += 1)
                .or_insert(0);
            table = format!("{name}[{index}]");
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.split_once(']')) {
            name.0.trim().clone_into(&mut table);
        }
    }
    let current = text.lines().nth(line.saturating_sub(1)).unwrap_or_default();
    let key = current
        .split_once('=')
        .map_or("", |(k, _)| k.trim().trim_matches('"'));
    let looks_like_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    match (looks_like_key, table.is_empty()) {
        (false, _) => String::new(),
        (true, true) => key.to_owned(),
        (true, false) => format!("{table}.{key}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_key() {
        let e = ConfigError {
            file: "config.toml".into(),
            line: Some(14),
            key: "policy.reject_from".into(),
            message: "\"2026-13-01\" is not a date (expected YYYY-MM-DD)".into(),
        };
        assert_eq!(
            e.to_string(),
            "config.toml line 14: policy.reject_from: \"2026-13-01\" is not a date (expected YYYY-MM-DD)"
        );
    }

    #[test]
    fn a_syntax_error_is_placed_under_its_table() {
        let text = "[practice]\nname = 'x'\n\n[[staff]]\nid = 'a'\n[[staff]]\nid = ?\n";
        assert_eq!(key_on_line(text, 7), "staff[1].id");
        assert_eq!(key_on_line(text, 2), "practice.name");
    }

    #[test]
    fn serde_messages_are_rewritten() {
        let (m, _) = plain_message("unknown field `colour`, expected one of `name`, `phone`");
        assert_eq!(m, "unknown key (expected one of: name, phone)");
        let (m, missing) = plain_message("missing field `name`");
        assert_eq!(
            (m.as_str(), missing.as_deref()),
            ("required key is missing", Some("name"))
        );
    }
}

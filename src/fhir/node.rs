//! Reading a JSON resource field by field, each value carrying its FHIR path (`for.identifier`,
//! `input[2].valueString`) so every error names where it is. Error reasons describe the shape
//! that was expected and never quote the value: a misplaced field may hold a patient identifier.

use serde_json::{Map, Value};

use super::MappingError;

/// One value inside a resource and the path that leads to it.
#[derive(Debug, Clone)]
pub(super) struct Node<'v> {
    pub value: &'v Value,
    pub path: String,
}

impl<'v> Node<'v> {
    pub fn root(value: &'v Value) -> Self {
        Node {
            value,
            path: String::new(),
        }
    }

    pub fn error(&self, reason: impl Into<String>) -> MappingError {
        MappingError::new(self.shown_path(), reason)
    }

    /// The path as an error shows it; the resource itself is named `resource`.
    fn shown_path(&self) -> &str {
        if self.path.is_empty() {
            "resource"
        } else {
            &self.path
        }
    }

    pub fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn object(&self) -> Result<&'v Map<String, Value>, MappingError> {
        self.value
            .as_object()
            .ok_or_else(|| self.error("expected a JSON object"))
    }

    /// The member `key`, or `None` when absent or `null` (FHIR JSON has no meaningful nulls
    /// outside primitive-extension arrays, so both read as "not given").
    pub fn get(&self, key: &str) -> Result<Option<Node<'v>>, MappingError> {
        Ok(self
            .object()?
            .get(key)
            .filter(|v| !v.is_null())
            .map(|value| Node {
                value,
                path: self.child_path(key),
            }))
    }

    /// The member `key`, which must be present.
    pub fn require(&self, key: &str) -> Result<Node<'v>, MappingError> {
        self.get(key)?
            .ok_or_else(|| MappingError::new(self.child_path(key), "missing"))
    }

    /// Walks `keys` through nested objects; `None` as soon as one is absent.
    pub fn at(&self, keys: &[&str]) -> Result<Option<Node<'v>>, MappingError> {
        let mut node = self.clone();
        for key in keys {
            match node.get(key)? {
                Some(next) => node = next,
                None => return Ok(None),
            }
        }
        Ok(Some(node))
    }

    pub fn str(&self) -> Result<&'v str, MappingError> {
        self.value
            .as_str()
            .ok_or_else(|| self.error("expected a string"))
    }

    /// A string at `keys`, with blank strings read as absent (FHIR forbids empty strings, and
    /// a blank display name is no name).
    pub fn text_at(&self, keys: &[&str]) -> Result<Option<&'v str>, MappingError> {
        match self.at(keys)? {
            Some(node) => {
                let text = node.str()?.trim();
                Ok((!text.is_empty()).then_some(text))
            }
            None => Ok(None),
        }
    }

    /// The elements of an array member, each with its index in the path; absent means empty.
    pub fn items(&self, key: &str) -> Result<Vec<Node<'v>>, MappingError> {
        let Some(node) = self.get(key)? else {
            return Ok(Vec::new());
        };
        let array = node
            .value
            .as_array()
            .ok_or_else(|| node.error("expected a JSON array"))?;
        Ok(array
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                path: format!("{}[{i}]", node.path),
            })
            .collect())
    }
}

/// Quotes a code from the input in an error only when it looks like a code (short, ASCII
/// letters, digits and dashes), so an error never echoes free text that could identify someone.
pub(super) fn quoted_code(text: &str) -> String {
    let looks_like_code = !text.is_empty()
        && text.len() <= 40
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if looks_like_code {
        format!("`{text}`")
    } else {
        "a value".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_name_nested_fields_and_array_items() {
        let v = json!({"a": {"b": [1, {"c": 5}]}});
        let root = Node::root(&v);
        let a = root.require("a").expect("a");
        let items = a.items("b").expect("items");
        assert_eq!(items[1].path, "a.b[1]");
        let err = items[1].text_at(&["c"]).expect_err("number is not text");
        assert_eq!(err.to_string(), "a.b[1].c: expected a string");
        assert_eq!(
            root.require("z").expect_err("missing").to_string(),
            "z: missing"
        );
        assert_eq!(
            items[0].get("x").expect_err("not object").to_string(),
            "a.b[0]: expected a JSON object"
        );
    }

    #[test]
    fn only_code_shaped_values_are_quoted() {
        assert_eq!(quoted_code("in-progress"), "`in-progress`");
        assert_eq!(quoted_code("Ada Lovelace"), "a value");
        assert_eq!(quoted_code(""), "a value");
    }
}

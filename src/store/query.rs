//! Reading the mirror a page at a time, in triage order (oldest received first), with the
//! filters and full-text search the triage screen offers. Paging is by key, not offset, so a
//! page near the end of a million tasks costs the same as the first. Search words are turned
//! into a quoted FTS5 query here and never passed through as query syntax.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::tasks::{TASK_COLUMNS, TASK_FROM, task_from_row};
use super::{Result, Store, from_sql_count, to_sql_count};
use crate::domain::{Status, Task, TaskId};

/// Which tasks a list shows. The default shows every task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Empty means every status.
    pub statuses: Vec<Status>,
    /// Provider ODS code.
    pub provider: Option<String>,
    /// Staff or group id.
    pub owner: Option<String>,
    /// Words typed after `/`: every word must appear (in subject, body, provider name or ODS
    /// code, patient name or NHS number); the last word may be unfinished.
    pub search: Option<String>,
}

/// A position in triage order: a task's receipt time, then its id to break ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageKey {
    pub received_at: DateTime<Utc>,
    pub id: TaskId,
}

impl PageKey {
    pub fn of(task: &Task) -> PageKey {
        PageKey {
            received_at: task.received_at,
            id: task.id,
        }
    }
}

/// Turns what a user typed into a safe FTS5 query: each whitespace-separated word becomes a
/// quoted string (inner quotes doubled), the last one a prefix match, and words with no letter
/// or digit are dropped because the tokenizer would find nothing in them. `None` when nothing
/// searchable is left, which lists everything, as an empty search box does.
pub(super) fn match_query(typed: &str) -> Option<String> {
    let words: Vec<&str> = typed
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let last = words.len().checked_sub(1)?;
    let quoted: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let star = if i == last { "*" } else { "" };
            format!("\"{}\"{star}", w.replace('"', "\"\""))
        })
        .collect();
    Some(quoted.join(" "))
}

/// A WHERE clause with placeholders only, and the values to bind to them.
struct Clause {
    sql: String,
    values: Vec<Value>,
}

impl Clause {
    fn new(f: &TaskFilter) -> Clause {
        let mut parts: Vec<String> = Vec::new();
        let mut values = Vec::new();
        if !f.statuses.is_empty() {
            let marks = vec!["?"; f.statuses.len()].join(", ");
            parts.push(format!("t.status IN ({marks})"));
            values.extend(
                f.statuses
                    .iter()
                    .map(|s| Value::Text(s.as_str().to_owned())),
            );
        }
        if let Some(provider) = &f.provider {
            parts.push("t.provider_ods = ?".to_owned());
            values.push(Value::Text(provider.clone()));
        }
        if let Some(owner) = &f.owner {
            parts.push("t.owner = ?".to_owned());
            values.push(Value::Text(owner.clone()));
        }
        if let Some(query) = f.search.as_deref().and_then(match_query) {
            parts.push("t.id IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?)".to_owned());
            values.push(Value::Text(query));
        }
        if parts.is_empty() {
            parts.push("1".to_owned());
        }
        Clause {
            sql: parts.join(" AND "),
            values,
        }
    }

    fn and_key(&mut self, op: &str, key: PageKey) {
        self.sql.push_str(" AND (t.received_at, t.id) ");
        self.sql.push_str(op);
        self.sql.push_str(" (?, ?)");
        self.values
            .push(Value::Integer(key.received_at.timestamp()));
        self.values.push(Value::Integer(key.id));
    }
}

impl Store {
    /// Up to `limit` tasks just after `after` in triage order (from the start when `None`).
    pub fn tasks_after(
        &self,
        f: &TaskFilter,
        after: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Task>> {
        let mut clause = Clause::new(f);
        if let Some(key) = after {
            clause.and_key(">", key);
        }
        self.page(clause, "ASC", limit)
    }

    /// Up to `limit` tasks just before `before` (before the very end when `None`, for `G`),
    /// returned in triage order.
    pub fn tasks_before(
        &self,
        f: &TaskFilter,
        before: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Task>> {
        let mut clause = Clause::new(f);
        if let Some(key) = before {
            clause.and_key("<", key);
        }
        let mut tasks = self.page(clause, "DESC", limit)?;
        tasks.reverse();
        Ok(tasks)
    }

    fn page(&self, mut clause: Clause, direction: &str, limit: usize) -> Result<Vec<Task>> {
        clause.values.push(Value::Integer(to_sql_count(limit)));
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE {} \
             ORDER BY t.received_at {direction}, t.id {direction} LIMIT ?",
            clause.sql
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(clause.values), task_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// How many tasks the filter matches (the list's "n of m").
    pub fn count_tasks(&self, f: &TaskFilter) -> Result<u64> {
        let clause = Clause::new(f);
        let sql = format!("SELECT count(*) FROM tasks t WHERE {}", clause.sql);
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(clause.values), |r| r.get(0))?;
        Ok(from_sql_count(n))
    }

    /// Tasks per status for the header; every status is present, with 0 when none.
    pub fn status_counts(&self) -> Result<BTreeMap<Status, u64>> {
        let mut counts: BTreeMap<Status, u64> = Status::ALL.into_iter().map(|s| (s, 0)).collect();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT status, count(*) FROM tasks GROUP BY status")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let status: String = r.get(0)?;
            let n: i64 = r.get(1)?;
            let status: Status = status
                .parse()
                .map_err(|e| super::StoreError::Corrupt(format!("{e}")))?;
            counts.insert(status, from_sql_count(n));
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::match_query;

    #[test]
    fn typed_words_become_quoted_terms_with_a_prefix_on_the_last() {
        assert_eq!(
            match_query("blood res").as_deref(),
            Some("\"blood\" \"res\"*")
        );
        assert_eq!(
            match_query("say \"hi").as_deref(),
            Some("\"say\" \"\"\"hi\"*")
        );
        assert_eq!(match_query("AND").as_deref(), Some("\"AND\"*"));
        assert_eq!(match_query(" \" * - "), None);
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// Above this many matches a search is "broad": a page is found by walking tasks in triage
/// order and keeping the matches, instead of sorting every match to find the first few.
const NARROW_SEARCH_MATCHES: i64 = 2000;

/// The search index for a filter: the open-tasks index when the filter shows open tasks only
/// (the inbox's usual views), else the index of every task.
fn search_index(f: &TaskFilter) -> &'static str {
    let open_only = !f.statuses.is_empty()
        && f.statuses
            .iter()
            .all(|s| matches!(s, Status::New | Status::Assigned));
    if open_only { "open_fts" } else { "tasks_fts" }
}

/// How a search term joins the rest of the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Search {
    None,
    /// Few matches: look them up by id and sort them.
    Narrow(String),
    /// Many matches: the unary `+` stops `SQLite` driving the query from the match list, so it
    /// walks an index in triage order and stops at the page's end.
    Broad(String),
}

/// A WHERE clause with placeholders only, and the values to bind to them.
struct Clause {
    sql: String,
    values: Vec<Value>,
}

impl Clause {
    fn new(f: &TaskFilter, search: Search) -> Clause {
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
        let (plus, query) = match search {
            Search::None => ("", None),
            Search::Narrow(q) => ("", Some(q)),
            Search::Broad(q) => ("+", Some(q)),
        };
        if let Some(query) = query {
            let index = search_index(f);
            parts.push(format!(
                "{plus}t.id IN (SELECT rowid FROM {index} WHERE {index} MATCH ?)"
            ));
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
        self.page(f, after, Direction::Forward, limit)
    }

    /// Up to `limit` tasks just before `before` (before the very end when `None`, for `G`),
    /// returned in triage order.
    pub fn tasks_before(
        &self,
        f: &TaskFilter,
        before: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Task>> {
        let mut tasks = self.page(f, before, Direction::Backward, limit)?;
        tasks.reverse();
        Ok(tasks)
    }

    /// One page in `direction`'s order. Several statuses are read one status at a time and
    /// merged: each read then walks the (status, received) index and stops at `limit`, where a
    /// single `IN` query would sort every matching task to find the first few.
    fn page(
        &self,
        f: &TaskFilter,
        key: Option<PageKey>,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<Task>> {
        if f.statuses.len() > 1 {
            let mut merged = Vec::new();
            for status in &f.statuses {
                let one = TaskFilter {
                    statuses: vec![*status],
                    ..f.clone()
                };
                merged.extend(self.page(&one, key, direction, limit)?);
            }
            merged.sort_by_key(PageKey::of);
            merged.dedup_by_key(|t| t.id);
            if direction == Direction::Backward {
                merged.reverse();
            }
            merged.truncate(limit);
            return Ok(merged);
        }
        let mut clause = Clause::new(f, self.search_strategy(f)?);
        let (op, order) = match direction {
            Direction::Forward => (">", "ASC"),
            Direction::Backward => ("<", "DESC"),
        };
        if let Some(key) = key {
            clause.and_key(op, key);
        }
        clause.values.push(Value::Integer(to_sql_count(limit)));
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE {} \
             ORDER BY t.received_at {order}, t.id {order} LIMIT ?",
            clause.sql
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_map(params_from_iter(clause.values), task_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Probes how many tasks a search matches, stopping just past the narrow limit.
    fn search_strategy(&self, f: &TaskFilter) -> Result<Search> {
        let Some(query) = f.search.as_deref().and_then(match_query) else {
            return Ok(Search::None);
        };
        let index = search_index(f);
        let matches: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT rowid FROM {index} WHERE {index} MATCH ? LIMIT ?)"
            ))?
            .query_row(rusqlite::params![query, NARROW_SEARCH_MATCHES + 1], |r| {
                r.get(0)
            })?;
        Ok(if matches > NARROW_SEARCH_MATCHES {
            Search::Broad(query)
        } else {
            Search::Narrow(query)
        })
    }

    /// How many tasks the filter matches (the list's "n of m").
    pub fn count_tasks(&self, f: &TaskFilter) -> Result<u64> {
        // A broad search is counted by walking the filter's index and probing the set of
        // matches, as its pages are found; reading every matching row to check its status would
        // touch a row per match, scattered across the whole mirror.
        let clause = Clause::new(f, self.search_strategy(f)?);
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

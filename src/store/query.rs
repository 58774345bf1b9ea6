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

/// Up to this many matches a search is "narrow": `SQLite` looks the matches up by id and sorts
/// them. Above it, a page is found by walking the filter's index in triage order and keeping
/// the tasks in the list of matches, which stops as soon as the page is full.
const NARROW_SEARCH_MATCHES: usize = 2000;

/// The columns typed words are looked for in; the open-tasks index also has `status`.
const TEXT_COLUMNS: &str = "{subject body provider patient}";

/// Which index a filter's search reads, and the FTS5 query to ask it.
///
/// A filter showing open tasks only (the inbox's usual views) reads the open-tasks index, with
/// the typed words kept to the text columns and, when it shows one open status, that status
/// asked for too: the answer is then exactly the tasks the filter lists, before any provider or
/// owner filter. Any other filter reads the index of every task, exact when it lists every
/// status.
fn search_plan(f: &TaskFilter, words: &str) -> (&'static str, String, bool) {
    let open_only = !f.statuses.is_empty()
        && f.statuses
            .iter()
            .all(|s| matches!(s, Status::New | Status::Assigned));
    if !open_only {
        return ("tasks_fts", words.to_owned(), f.statuses.is_empty());
    }
    let new = f.statuses.contains(&Status::New);
    let assigned = f.statuses.contains(&Status::Assigned);
    // The index holds new and assigned tasks only, so "new" is "not assigned": FTS5 then steps
    // through the assigned tasks' short list of rows, not the unactioned tasks' long one.
    let query = match (new, assigned) {
        (true, false) => format!("{TEXT_COLUMNS} : ({words}) NOT status : \"assigned\""),
        (false, true) => format!("{TEXT_COLUMNS} : ({words}) AND status : \"assigned\""),
        _ => format!("{TEXT_COLUMNS} : ({words})"),
    };
    ("open_fts", query, true)
}

/// A filter whose search has been run: its pages and its count all read the same matches, so a
/// screen that wants a page and a total searches once. Made by [`Store::select`].
#[derive(Debug, Clone)]
pub struct Selection {
    filter: TaskFilter,
    search: Search,
}

#[derive(Debug, Clone)]
enum Search {
    None,
    Found {
        /// How many tasks the index matched.
        matched: u64,
        /// Whether those are exactly the tasks the filter's statuses list, so that `matched`
        /// is the count when no provider or owner narrows it further.
        exact: bool,
        how: Matches,
    },
}

#[derive(Debug, Clone)]
enum Matches {
    /// Few: the index is asked again inside the page's query, which then starts from them.
    Narrow { index: &'static str, query: String },
    /// Many: their ids, ascending, as little-endian `i64`s for `in_matches`.
    Broad(Vec<u8>),
}

/// Registers `in_matches(ids, id)` on a connection: true when `id` is among `ids`, a blob of
/// ascending little-endian `i64`s. A broad search binds its matches this way so that the page's
/// walk in triage order tests each task with a binary search, where `id IN (subquery)` would
/// first copy every match into a temporary b-tree on each request.
pub(super) fn register_in_matches(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "in_matches",
        2,
        FunctionFlags::SQLITE_UTF8
            | FunctionFlags::SQLITE_DETERMINISTIC
            | FunctionFlags::SQLITE_INNOCUOUS,
        |ctx| {
            let ids = ctx.get_raw(0).as_blob()?;
            let id: i64 = ctx.get(1)?;
            Ok(sorted_ids_contain(ids, id))
        },
    )
}

fn sorted_ids_contain(ids: &[u8], id: i64) -> bool {
    let (mut low, mut high) = (0, ids.len() / 8);
    while low < high {
        let mid = low + (high - low) / 2;
        let at = mid * 8;
        let Some(bytes) = ids
            .get(at..at + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
        else {
            return false;
        };
        match i64::from_le_bytes(bytes).cmp(&id) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// A WHERE clause with placeholders only, and the values to bind to them.
struct Clause {
    sql: String,
    values: Vec<Value>,
}

impl Clause {
    /// The filter's conditions, reading `statuses` in place of the filter's own (a page of
    /// several statuses is read one status at a time).
    fn new(sel: &Selection, statuses: &[Status]) -> Clause {
        let f = &sel.filter;
        let mut parts: Vec<String> = Vec::new();
        let mut values = Vec::new();
        if !statuses.is_empty() {
            let marks = vec!["?"; statuses.len()].join(", ");
            parts.push(format!("t.status IN ({marks})"));
            values.extend(statuses.iter().map(|s| Value::Text(s.as_str().to_owned())));
        }
        if let Some(provider) = &f.provider {
            parts.push("t.provider_ods = ?".to_owned());
            values.push(Value::Text(provider.clone()));
        }
        if let Some(owner) = &f.owner {
            parts.push("t.owner = ?".to_owned());
            values.push(Value::Text(owner.clone()));
        }
        if let Search::Found { how, .. } = &sel.search {
            match how {
                Matches::Narrow { index, query } => {
                    parts.push(format!(
                        "t.id IN (SELECT rowid FROM {index} WHERE {index} MATCH ?)"
                    ));
                    values.push(Value::Text(query.clone()));
                }
                Matches::Broad(ids) => {
                    parts.push("in_matches(?, t.id)".to_owned());
                    values.push(Value::Blob(ids.clone()));
                }
            }
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
    /// Runs the filter's search, if it has one, for [`Store::page_after`],
    /// [`Store::page_before`] and [`Store::count_selected`] to share.
    pub fn select(&self, f: &TaskFilter) -> Result<Selection> {
        let Some(words) = f.search.as_deref().and_then(match_query) else {
            return Ok(Selection {
                filter: f.clone(),
                search: Search::None,
            });
        };
        let (index, query, exact) = search_plan(f, &words);
        let mut ids: Vec<u8> = Vec::new();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT rowid FROM {index} WHERE {index} MATCH ? ORDER BY rowid"
        ))?;
        let mut rows = stmt.query([&query])?;
        while let Some(row) = rows.next()? {
            ids.extend_from_slice(&row.get::<_, i64>(0)?.to_le_bytes());
        }
        let found = ids.len() / 8;
        let how = if found <= NARROW_SEARCH_MATCHES {
            Matches::Narrow { index, query }
        } else {
            Matches::Broad(ids)
        };
        Ok(Selection {
            filter: f.clone(),
            search: Search::Found {
                matched: u64::try_from(found).unwrap_or(u64::MAX),
                exact,
                how,
            },
        })
    }

    /// Up to `limit` tasks just after `after` in triage order (from the start when `None`).
    pub fn tasks_after(
        &self,
        f: &TaskFilter,
        after: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Task>> {
        self.page_after(&self.select(f)?, after, limit)
    }

    /// Up to `limit` tasks just before `before` (before the very end when `None`, for `G`),
    /// returned in triage order.
    pub fn tasks_before(
        &self,
        f: &TaskFilter,
        before: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Task>> {
        self.page_before(&self.select(f)?, before, limit)
    }

    /// [`Store::tasks_after`] for a selection already made.
    pub fn page_after(
        &self,
        sel: &Selection,
        after: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Task>> {
        self.page(sel, after, Direction::Forward, limit)
    }

    /// [`Store::tasks_before`] for a selection already made.
    pub fn page_before(
        &self,
        sel: &Selection,
        before: Option<PageKey>,
        limit: usize,
    ) -> Result<Vec<Task>> {
        let mut tasks = self.page(sel, before, Direction::Backward, limit)?;
        tasks.reverse();
        Ok(tasks)
    }

    /// One page in `direction`'s order. Several statuses are read one status at a time and
    /// merged: each read then walks the (status, received) index and stops at `limit`, where a
    /// single `IN` query would sort every matching task to find the first few.
    fn page(
        &self,
        sel: &Selection,
        key: Option<PageKey>,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<Task>> {
        let statuses = &sel.filter.statuses;
        if statuses.len() > 1 {
            let mut merged = Vec::new();
            for status in statuses {
                merged.extend(self.page_of(sel, &[*status], key, direction, limit)?);
            }
            merged.sort_by_key(PageKey::of);
            merged.dedup_by_key(|t| t.id);
            if direction == Direction::Backward {
                merged.reverse();
            }
            merged.truncate(limit);
            return Ok(merged);
        }
        self.page_of(sel, statuses, key, direction, limit)
    }

    fn page_of(
        &self,
        sel: &Selection,
        statuses: &[Status],
        key: Option<PageKey>,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<Task>> {
        let mut clause = Clause::new(sel, statuses);
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

    /// How many tasks the filter matches (the list's "n of m").
    pub fn count_tasks(&self, f: &TaskFilter) -> Result<u64> {
        self.count_selected(&self.select(f)?)
    }

    /// [`Store::count_tasks`] for a selection already made. A search whose index answered
    /// exactly the filter's tasks is counted by its number of matches; anything else is
    /// counted by walking the filter's index and testing each task against the matches, as
    /// its pages are found.
    pub fn count_selected(&self, sel: &Selection) -> Result<u64> {
        if let Search::Found {
            matched,
            exact: true,
            ..
        } = sel.search
            && sel.filter.provider.is_none()
            && sel.filter.owner.is_none()
        {
            return Ok(matched);
        }
        let clause = Clause::new(sel, &sel.filter.statuses);
        let sql = format!("SELECT count(*) FROM tasks t WHERE {}", clause.sql);
        let n: i64 = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params_from_iter(clause.values), |r| r.get(0))?;
        Ok(from_sql_count(n))
    }

    /// Tasks per status, from the kept tallies (`tallies.rs`); every status is present, with 0
    /// when none.
    pub fn status_counts(&self) -> Result<BTreeMap<Status, u64>> {
        let mut counts: BTreeMap<Status, u64> = Status::ALL.into_iter().map(|s| (s, 0)).collect();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT status, sum(tasks) FROM task_tallies GROUP BY status")?;
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

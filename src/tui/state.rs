//! Everything the screen shows, owned by the loop and changed only by `update`. Drawing reads
//! it; nothing else writes it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::{Status, Task, TaskId};
use crate::store::{AuditEvent, Note, StoredLetter, TaskFilter};

/// How many rows the table keeps around the cursor. The mirror may hold a million tasks; the
/// screen only ever holds this window of them.
pub const WINDOW_MAX: usize = 600;
/// Rows fetched per page query.
pub const PAGE_ROWS: usize = 200;
/// Fetch the next page when the cursor comes this close to the window's edge.
pub const PREFETCH_MARGIN: usize = 60;

/// The loaded part of the current view: rows `offset .. offset + rows.len()` of `total`.
#[derive(Debug, Default)]
pub struct TaskWindow {
    pub rows: Vec<Task>,
    pub offset: u64,
    pub total: u64,
    /// Absolute index of the selected row (0-based) in the whole filtered list.
    pub selected: u64,
}

impl TaskWindow {
    pub fn selected_task(&self) -> Option<&Task> {
        let i = usize::try_from(self.selected.checked_sub(self.offset)?).ok()?;
        self.rows.get(i)
    }

    pub fn end(&self) -> u64 {
        self.offset + self.rows.len() as u64
    }
}

/// The detail pane's extra rows for the selected task.
#[derive(Debug, Clone)]
pub struct Detail {
    pub task_id: TaskId,
    pub notes: Vec<Note>,
    pub letters: Vec<StoredLetter>,
    pub history: Vec<AuditEvent>,
}

/// Header counts, refreshed on start, after actions and on the slow tick.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub by_status: BTreeMap<Status, u64>,
    pub overdue: u64,
    pub due_soon: u64,
}

#[derive(Debug)]
pub struct AppState {
    pub practice: String,
    pub acting_user: String,
    /// What the header says about where tasks come from and how fresh they are.
    pub source_label: String,
    pub filter: TaskFilter,
    pub window: TaskWindow,
    pub detail: Option<Detail>,
    pub counts: Counts,
    pub now: DateTime<Utc>,
    /// The newest page request; replies to older ones are dropped ("latest job wins").
    pub page_request: Option<u64>,
    pub detail_request: Option<u64>,
    pub next_request: u64,
    /// Rows visible in the table at the last resize, for page up/down.
    pub table_rows: u16,
    pub message: Option<String>,
    pub quit: bool,
}

impl AppState {
    pub fn new(practice: String, acting_user: String, source_label: String, now: DateTime<Utc>) -> Self {
        AppState {
            practice,
            acting_user,
            source_label,
            filter: TaskFilter { statuses: vec![Status::New], ..TaskFilter::default() },
            window: TaskWindow::default(),
            detail: None,
            counts: Counts::default(),
            now,
            page_request: None,
            detail_request: None,
            next_request: 1,
            table_rows: 10,
            message: None,
            quit: false,
        }
    }

    pub fn take_request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }
}

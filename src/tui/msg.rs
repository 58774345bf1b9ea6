//! The vocabulary between the loop and `update`: messages in, effects out, and the requests the
//! database worker answers.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::state::{Counts, Detail};
use crate::domain::{Task, TaskId};
use crate::store::{PageKey, TaskFilter};

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// The slow tick: time moved on, so ages and overdue counts may have changed.
    Tick(DateTime<Utc>),
    Reply(Reply),
}

/// Which slice of the filtered list a page request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAt {
    First,
    Last,
    After(PageKey),
    Before(PageKey),
}

#[derive(Debug, Clone)]
pub enum Request {
    Page { id: u64, filter: TaskFilter, at: PageAt, limit: usize },
    Detail { id: u64, task_id: TaskId },
    Counts { now: DateTime<Utc> },
}

#[derive(Debug)]
pub enum Reply {
    Page { id: u64, at: PageAt, rows: Vec<Task>, total: u64 },
    Detail { id: u64, detail: Detail },
    Counts(Counts),
    Failed { what: &'static str, message: String },
}

/// What `update` asks the loop to do; the loop owns the terminal, the database and the clock.
#[derive(Debug)]
pub enum Effect {
    Request(Request),
    Quit,
}

//! The database worker: one thread that owns a connection to the mirror and answers the loop's
//! requests, so that a slow query never freezes the screen. Replies carry the request's id; the
//! loop drops answers to questions it no longer asks.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::msg::{PageAt, Reply, Request};
use super::state::{Counts, Detail};
use crate::domain::Priority;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::overdue::{Thresholds, latest_receipt_due_by};
use crate::store::{Store, StoreError};

pub struct Worker {
    requests: mpsc::Sender<Request>,
}

impl Worker {
    /// Starts the worker on its own connection to `db`. It stops when the `Worker` is dropped.
    pub fn start(
        db: PathBuf,
        calendar: WorkingCalendar,
        thresholds: Thresholds,
        replies: UnboundedSender<Reply>,
    ) -> color_eyre::Result<Worker> {
        let store = Store::open(&db)?;
        let (tx, rx) = mpsc::channel::<Request>();
        thread::Builder::new()
            .name("taskgate-db".into())
            .spawn(move || {
                for request in rx {
                    let reply = answer(&store, &calendar, &thresholds, request);
                    if replies.send(reply).is_err() {
                        break;
                    }
                }
            })
?;
        Ok(Worker { requests: tx })
    }

    pub fn send(&self, request: Request) {
        // A closed channel means the worker died; the loop notices when replies stop and the
        // failure reply it sent before dying is on screen.
        let _ = self.requests.send(request);
    }
}

fn answer(store: &Store, cal: &WorkingCalendar, th: &Thresholds, request: Request) -> Reply {
    match request {
        Request::Page { id, filter, at, limit } => {
            let rows = match at {
                PageAt::First => store.tasks_after(&filter, None, limit),
                PageAt::After(key) => store.tasks_after(&filter, Some(key), limit),
                PageAt::Last => store.tasks_before(&filter, None, limit),
                PageAt::Before(key) => store.tasks_before(&filter, Some(key), limit),
            };
            match rows.and_then(|rows| Ok((rows, store.count_tasks(&filter)?))) {
                Ok((rows, total)) => Reply::Page { id, at, rows, total },
                Err(e) => failed("tasks", &e),
            }
        }
        Request::Detail { id, task_id } => {
            let detail = (|| {
                Ok::<_, StoreError>(Detail {
                    task_id,
                    notes: store.notes(task_id)?,
                    letters: store.letters(task_id)?,
                    history: store.history(task_id)?,
                })
            })();
            match detail {
                Ok(detail) => Reply::Detail { id, detail },
                Err(e) => failed("the task's history", &e),
            }
        }
        Request::Counts { now } => match counts(store, cal, th, now) {
            Ok(c) => Reply::Counts(c),
            Err(e) => failed("the counts", &e),
        },
    }
}

/// Overdue and due-soon counts without reading every task: for each priority, the latest
/// receipt time that is already overdue (or due within the margin) is one calendar sum, and the
/// store counts unactioned tasks received up to it with an index range.
fn counts(
    store: &Store,
    cal: &WorkingCalendar,
    th: &Thresholds,
    now: DateTime<Utc>,
) -> Result<Counts, StoreError> {
    let soon_deadline = cal.add_working_time(now, th.due_soon).value;
    let mut overdue = 0;
    let mut by_soon = 0;
    for p in Priority::ALL {
        let threshold = th.for_priority(p);
        overdue += store.count_unactioned_received_by(p, latest_receipt_due_by(cal, threshold, now))?;
        by_soon +=
            store.count_unactioned_received_by(p, latest_receipt_due_by(cal, threshold, soon_deadline))?;
    }
    let by_status: BTreeMap<_, _> = store.status_counts()?;
    Ok(Counts { by_status, overdue, due_soon: by_soon - overdue })
}

fn failed(what: &'static str, e: &StoreError) -> Reply {
    tracing::warn!(what, error = %e, "database request failed");
    Reply::Failed { what, message: e.to_string() }
}

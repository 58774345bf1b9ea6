//! The database worker: one thread that owns a connection to the mirror and answers the loop's
//! requests, so that a slow query never freezes the screen. Replies carry the request's id; the
//! loop drops answers to questions it no longer asks. Actions go through the same store
//! operations as the command line.

use std::path::Path;
use std::sync::mpsc;
use std::thread;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

mod overdue;
mod providers;

use super::flagged_pages;
use super::msg::{Acted, Change, PageAt, Reply, Request};
use super::state::{Counts, Detail};
use crate::config::Config;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::overdue::{Thresholds, latest_receipt_due_by};
use crate::domain::{Priority, Staff, Task, TaskId};
use crate::letters::{LetterSources, render_task_letter};
use crate::report::handover;
use crate::report::overdue::OverdueRules;
use crate::store::{Actor, NewLetter, Store, StoreError, Target, TaskFilter};

/// What the worker needs besides the mirror: the practice's rules and who is acting.
pub struct WorkerContext {
    pub calendar: WorkingCalendar,
    pub overdue_rules: OverdueRules,
    pub config: Config,
    pub acting: Staff,
    pub letters: LetterSources,
}

pub struct Worker {
    requests: mpsc::Sender<Request>,
}

impl Worker {
    /// Starts the worker on its own connection to `db`. It stops when the `Worker` is dropped.
    pub fn start(
        db: &Path,
        ctx: WorkerContext,
        replies: UnboundedSender<Reply>,
    ) -> color_eyre::Result<Worker> {
        let mut store = Store::open(db)?;
        let (tx, rx) = mpsc::channel::<Request>();
        thread::Builder::new()
            .name("taskgate-db".into())
            .spawn(move || {
                let mut memory = Memory::default();
                for request in rx {
                    // An action changes what is overdue and what a filter counts; another
                    // connection's change shows in the data version each memory keeps.
                    if matches!(request, Request::Act { .. }) {
                        memory = Memory::default();
                    }
                    let reply = answer(&mut store, &ctx, &mut memory, request);
                    if replies.send(reply).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Worker { requests: tx })
    }

    pub fn send(&self, request: Request) {
        // A closed channel means the worker died; the failure reply it sent before dying is
        // already on screen.
        let _ = self.requests.send(request);
    }
}

/// What the worker keeps between requests so that paging does not redo work. It is forgotten
/// after the worker's own actions; each part also keeps the `PRAGMA data_version` it was read
/// at, which moves when another connection (the sync, another desk) writes.
#[derive(Default)]
struct Memory {
    /// The overdue view's ordered listing.
    listing: Option<overdue::Listing>,
    /// How many tasks the inbox's filter matches: paging, `G` and the cursor's moves ask for
    /// pages of one filter again and again, and the count is the same for all of them.
    total: Option<Total>,
}

struct Total {
    filter: TaskFilter,
    data_version: i64,
    tasks: u64,
}

fn answer(store: &mut Store, ctx: &WorkerContext, memory: &mut Memory, request: Request) -> Reply {
    match request {
        Request::Page {
            id,
            filter,
            flag,
            at,
            limit,
            now,
        } => {
            let page = match flag {
                Some(flag) => flagged_pages::page(store, ctx, &filter, flag, at, limit, now),
                None => plain_page(store, &filter, at, limit, &mut memory.total),
            };
            match page {
                Ok((rows, total)) => Reply::Page {
                    id,
                    at,
                    rows,
                    total,
                },
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
                    conflict: store.conflict(task_id)?,
                })
            })();
            match detail {
                Ok(detail) => Reply::Detail {
                    id,
                    detail: Box::new(detail),
                },
                Err(e) => failed("the task's history", &e),
            }
        }
        Request::Counts { now } => {
            match counts(store, &ctx.calendar, &ctx.overdue_rules.thresholds, now) {
                Ok(c) => Reply::Counts(c),
                Err(e) => failed("the counts", &e),
            }
        }
        Request::ProviderFacts { now } => {
            match store.provider_facts(now - chrono::Duration::days(30)) {
                Ok(facts) => Reply::ProviderFacts(facts),
                Err(e) => failed("the providers", &e),
            }
        }
        Request::Overdue { id, at, limit, now } => {
            overdue::page(store, ctx, &mut memory.listing, (id, at, limit, now))
                .unwrap_or_else(|e| failed("the overdue list", &e))
        }
        Request::Handover { id, now } => {
            match handover::build_for_config(store, &ctx.config, &ctx.calendar, now, None) {
                Ok(report) => Reply::Handover {
                    id,
                    report: Box::new(report),
                },
                Err(e) => failed("the handover", &e),
            }
        }
        Request::Providers { id, now } => providers::overview(store, ctx, id, now),
        Request::Escalate { ods, to, now } => {
            Reply::Escalated(providers::escalate(store, ctx, &ods, to, now))
        }
        Request::EscalationLetter { ods, now } => {
            Reply::EscalationLetter(providers::letter(store, ctx, &ods, now))
        }
        Request::SignOff { incoming, now } => {
            Reply::SignedOff(sign_off(store, ctx, &incoming, now))
        }
        Request::Absences => match store.absences() {
            Ok(a) => Reply::Absences(a),
            Err(e) => failed("who is away", &e),
        },
        Request::RenderLetter {
            task_id,
            template,
            now,
        } => {
            let result = render(store, ctx, task_id, &template, now);
            Reply::Rendered {
                task_id,
                template,
                result,
            }
        }
        Request::Act {
            change,
            targets,
            now,
        } => act_reply(store, ctx, change, &targets, now),
    }
}

fn act_reply(
    store: &mut Store,
    ctx: &WorkerContext,
    change: Change,
    targets: &[Target],
    now: DateTime<Utc>,
) -> Reply {
    let result = act(store, ctx, &change, targets, now);
    // Counts only: the log never carries task text or patient details.
    tracing::info!(ok = result.is_ok(), tasks = targets.len(), "action");
    Reply::Acted(result.map(|(tasks, letters)| Acted {
        change,
        tasks,
        letters,
    }))
}

/// Records the handover from the acting user to `incoming`, exactly as `taskgate handover
/// sign-off` does: both must be staff, and the audit detail carries what was handed over.
fn sign_off(
    store: &mut Store,
    ctx: &WorkerContext,
    incoming: &str,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let Some(to) = ctx.config.staff_by_id(incoming) else {
        let known: Vec<&str> = ctx.config.staff.iter().map(|s| s.id.as_str()).collect();
        return Err(format!(
            "{incoming:?} is not a [[staff]] id (known: {})",
            known.join(", ")
        ));
    };
    if to.id == ctx.acting.id {
        return Err("A handover is between two people: name the colleague taking over".into());
    }
    let report = handover::build_for_config(store, &ctx.config, &ctx.calendar, now, None)
        .map_err(|e| e.to_string())?;
    let detail = handover::sign_off_detail(&ctx.acting, to, &report);
    store
        .record_event(
            &ctx.acting.id,
            report.generated_at,
            handover::SIGN_OFF_TARGET,
            handover::SIGN_OFF_ACTION,
            &detail,
        )
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "Handover signed off to {} (recorded in the audit log)",
        to.name
    ))
}

/// One page of the inbox in keyset order, and how many tasks the filter matches: a search is
/// run once for both, and the count is remembered until the mirror changes.
fn plain_page(
    store: &Store,
    filter: &TaskFilter,
    at: PageAt,
    limit: usize,
    remembered: &mut Option<Total>,
) -> Result<(Vec<Task>, u64), StoreError> {
    let sel = store.select(filter)?;
    let rows = match at {
        PageAt::First => store.page_after(&sel, None, limit)?,
        PageAt::After(key) | PageAt::From(key) => store.page_after(&sel, Some(key), limit)?,
        PageAt::Last => store.page_before(&sel, None, limit)?,
        PageAt::Before(key) => store.page_before(&sel, Some(key), limit)?,
    };
    let data_version = store.data_version()?;
    if let Some(total) = remembered
        && total.filter == *filter
        && total.data_version == data_version
    {
        return Ok((rows, total.tasks));
    }
    let tasks = store.count_selected(&sel)?;
    *remembered = Some(Total {
        filter: filter.clone(),
        data_version,
        tasks,
    });
    Ok((rows, tasks))
}

fn render(
    store: &Store,
    ctx: &WorkerContext,
    task_id: TaskId,
    template: &str,
    now: DateTime<Utc>,
) -> Result<String, String> {
    let task = store
        .task(task_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("task {task_id} is no longer in the mirror"))?;
    render_task_letter(&ctx.config, &task, &ctx.acting, now, template, &ctx.letters)
        .map_err(|e| format!("Task {task_id}: {e}"))
}

/// Carries out one change as one store operation. Returns how many tasks it touched and the
/// letters a rejection stored. Letters are all rendered before anything is written, so a letter
/// that cannot be produced leaves every task as it was.
fn act(
    store: &mut Store,
    ctx: &WorkerContext,
    change: &Change,
    targets: &[Target],
    now: DateTime<Utc>,
) -> Result<(usize, Vec<String>), String> {
    let by = Actor {
        id: &ctx.acting.id,
        now,
    };
    let outcome = match change {
        Change::Reject { template, edited } => {
            let mut items = Vec::with_capacity(targets.len());
            for target in targets {
                let body = match edited {
                    Some(text) if targets.len() == 1 => text.clone(),
                    _ => render(store, ctx, target.id, template, now)?,
                };
                items.push((
                    *target,
                    NewLetter {
                        template: template.clone(),
                        body,
                    },
                ));
            }
            let letters = items.iter().map(|(_, l)| l.body.clone()).collect();
            let outcome = store
                .reject_with_letter(&by, &items)
                .map_err(|e| e.to_string())?;
            return Ok((outcome.tasks.len(), letters));
        }
        Change::Assign { owner, note } => store.assign(&by, targets, owner, note.as_deref()),
        Change::Unassign => store.unassign(&by, targets),
        Change::Complete => store.complete(&by, targets),
        Change::Note { text } => store.add_note(&by, targets, text),
        Change::Undo => store.undo_last(&by),
        Change::Resolve { keep_ours } => {
            // One task at a time: each conflict is its own decision.
            let mut resolved = 0;
            for target in targets {
                let result = if *keep_ours {
                    store.reapply_ours(&by, target.id)
                } else {
                    store.keep_theirs(&by, target.id)
                };
                result.map_err(|e| e.to_string())?;
                resolved += 1;
            }
            return Ok((resolved, Vec::new()));
        }
    };
    outcome
        .map(|o| (o.tasks.len(), Vec::new()))
        .map_err(|e| e.to_string())
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
        overdue +=
            store.count_unactioned_received_by(p, latest_receipt_due_by(cal, threshold, now))?;
        by_soon += store.count_unactioned_received_by(
            p,
            latest_receipt_due_by(cal, threshold, soon_deadline),
        )?;
    }
    Ok(Counts {
        unactioned: store.count_unactioned()?,
        overdue,
        due_soon: by_soon.saturating_sub(overdue),
    })
}

fn failed(what: &'static str, e: &StoreError) -> Reply {
    tracing::warn!(what, "database request failed");
    Reply::Failed {
        what,
        message: e.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Status;
    use crate::source::demo::{DemoSpec, generate};

    fn demo(tasks: usize) -> crate::source::demo::DemoTasks {
        generate(DemoSpec {
            tasks,
            seed: 1,
            now: Utc.with_ymd_and_hms(2026, 11, 20, 10, 30, 0).unwrap(),
            staff: Vec::new(),
            group_ids: Vec::new(),
        })
        .unwrap()
    }

    /// The inbox's "n of m" is remembered while the cursor pages through one filter, and is
    /// counted again as soon as another connection (the sync, another desk) adds tasks, or the
    /// filter changes.
    #[test]
    fn the_remembered_total_follows_another_desks_writes_and_the_filter() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("mirror.db");
        let now = Utc.with_ymd_and_hms(2026, 11, 20, 10, 30, 0).unwrap();
        let mut desk = Store::open(&path).unwrap();
        desk.insert_tasks(demo(300), "demo", "system", now).unwrap();
        let screen = Store::open(&path).unwrap();
        let unactioned = TaskFilter {
            statuses: vec![Status::New],
            ..TaskFilter::default()
        };
        let mut memory = None;
        let mut total = |f: &TaskFilter, at| plain_page(&screen, f, at, 20, &mut memory).unwrap().1;
        let before = total(&unactioned, PageAt::First);
        assert_eq!(before, screen.count_tasks(&unactioned).unwrap());
        assert_eq!(total(&unactioned, PageAt::Last), before);

        // The same demo, 50 tasks longer: the first 300 are unchanged, the rest are new.
        let more = desk
            .insert_tasks(demo(350).skip(300), "demo", "system", now)
            .unwrap();
        let added = screen.count_tasks(&unactioned).unwrap() - before;
        assert!(
            more.inserted > 0 && added > 0,
            "the second batch adds unactioned tasks"
        );
        assert_eq!(total(&unactioned, PageAt::First), before + added);

        let everything = TaskFilter::default();
        assert_eq!(
            total(&everything, PageAt::First),
            screen.count_tasks(&everything).unwrap()
        );
    }
}

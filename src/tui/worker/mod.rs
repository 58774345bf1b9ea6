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

use super::msg::{Acted, Change, PageAt, Reply, Request};
use super::state::Detail;
use crate::app::flags::{self, FlagRules};
use crate::app::tasks::{self, IfAtRisk, IfAway, Keep, LetterChoice};
use crate::app::{Acting, AppError, Practice, handover, overdue as app_overdue, providers};
use crate::domain::policy::Flag;
use crate::domain::{Staff, Task};
use crate::store::{Store, StoreError, Target, TaskFilter};

/// What the worker needs besides the mirror: the practice and who is acting.
pub struct WorkerContext {
    pub practice: Practice,
    pub acting: Staff,
}

impl WorkerContext {
    fn acting(&self, now: DateTime<Utc>) -> Acting<'_> {
        Acting {
            staff: &self.acting,
            now,
        }
    }
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
    flag: Option<Flag>,
    data_version: i64,
    tasks: u64,
}

/// Request in, application call, reply out. One arm per request, so the match reads as the
/// table of what the worker answers.
#[allow(clippy::too_many_lines)]
fn answer(store: &mut Store, ctx: &WorkerContext, memory: &mut Memory, request: Request) -> Reply {
    let practice = &ctx.practice;
    match request {
        Request::Page {
            id,
            filter,
            flag,
            at,
            limit,
            now,
        } => match page(
            store,
            practice,
            &filter,
            flag,
            at,
            limit,
            now,
            &mut memory.total,
        ) {
            Ok((rows, total)) => Reply::Page {
                id,
                at,
                rows,
                total,
            },
            Err(e) => failed(Some(id), "tasks", e),
        },
        Request::Detail { id, task_id } => match detail(store, task_id) {
            Ok(detail) => Reply::Detail {
                id,
                detail: Box::new(detail),
            },
            Err(e) => failed(Some(id), "the task's history", e.into()),
        },
        Request::Counts { now } => match app_overdue::header_counts(store, practice, now) {
            Ok(c) => Reply::Counts(c),
            Err(e) => failed(None, "the counts", e),
        },
        Request::ProviderFacts { now } => {
            match store.provider_facts(now - chrono::Duration::days(30)) {
                Ok(facts) => Reply::ProviderFacts(facts),
                Err(e) => failed(None, "the providers", e.into()),
            }
        }
        Request::Overdue { id, at, limit, now } => {
            overdue::page(store, practice, &mut memory.listing, (id, at, limit, now))
                .unwrap_or_else(|e| failed(Some(id), "the overdue list", e))
        }
        Request::Handover { id, now } => {
            let read = handover::handover_report(store, practice, now, None).and_then(|report| {
                // The screen's rows are whole tasks, so the detail pane and the actions work
                // on them. A task gone since the report was read (a sync in between) is left
                // out of both, so rows and tasks stay in step.
                let mut report = report;
                let mut tasks = Vec::new();
                for task_id in crate::tui::ui::handover::task_order(&report) {
                    if let Some(task) = store.task(task_id)? {
                        tasks.push(task);
                    }
                }
                let kept: std::collections::HashSet<_> = tasks.iter().map(|t| t.id).collect();
                crate::tui::ui::handover::retain_tasks(&mut report, &kept);
                Ok((report, tasks))
            });
            match read {
                Ok((report, tasks)) => Reply::Handover {
                    id,
                    report: Box::new(report),
                    tasks,
                },
                Err(e) => failed(Some(id), "the handover", e),
            }
        }
        Request::Providers { id, now } => match providers::overview(store, practice, now) {
            Ok(overview) => Reply::Providers {
                id,
                overview: Box::new(overview),
            },
            Err(e) => failed(Some(id), "the providers", e),
        },
        Request::Escalate { ods, to, now } => {
            Reply::Escalated(providers::escalate(store, ctx.acting(now), &ods, to))
        }
        Request::EscalationLetter { ods, now } => Reply::EscalationLetter(
            providers::escalation_letter_for(store, practice, ctx.acting(now), &ods, None),
        ),
        Request::SignOff { incoming, now } => Reply::SignedOff(handover::sign_off(
            store,
            practice,
            ctx.acting(now),
            &ctx.acting.id,
            &incoming,
        )),
        Request::Absences => match store.absences() {
            Ok(a) => Reply::Absences(a),
            Err(e) => failed(None, "who is away", e.into()),
        },
        Request::RenderLetter {
            task_id,
            template,
            now,
        } => {
            let result = tasks::task_letter(store, practice, ctx.acting(now), task_id, &template);
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
        } => {
            let result = act(store, ctx, &change, &targets, now);
            // Counts only: the log never carries task text or patient details.
            tracing::info!(ok = result.is_ok(), tasks = targets.len(), "action");
            Reply::Acted(result.map(|(tasks, letters, templates)| Acted {
                change,
                tasks,
                letters,
                templates,
            }))
        }
    }
}

/// The detail pane's history of one task: notes, letters, audit events, any sync conflict.
fn detail(store: &Store, task_id: crate::domain::TaskId) -> Result<Detail, StoreError> {
    Ok(Detail {
        task_id,
        notes: store.notes(task_id)?,
        letters: store.letters(task_id)?,
        history: store.history(task_id)?,
        conflict: store.conflict(task_id)?,
    })
}

/// One page of the inbox in keyset order, and how many tasks the filter matches: a search is
/// run once for both, and the count is remembered until the mirror changes. With a flag, only
/// the tasks raising it, found by walking the filter's pages in batches.
#[allow(clippy::too_many_arguments)]
fn page(
    store: &Store,
    practice: &Practice,
    filter: &TaskFilter,
    flag: Option<Flag>,
    at: PageAt,
    limit: usize,
    now: DateTime<Utc>,
    remembered: &mut Option<Total>,
) -> Result<(Vec<Task>, u64), AppError> {
    let sel = store.select(filter)?;
    // Flags need the providers' facts; a plain page does not read them.
    let rules = match flag {
        Some(_) => Some(FlagRules::at(store, practice, now)?),
        None => None,
    };
    let wanted: Vec<Flag> = flag.into_iter().collect();
    let rows = match (&rules, at) {
        (None, PageAt::First) => store.page_after(&sel, None, limit)?,
        (None, PageAt::After(key) | PageAt::From(key)) => {
            store.page_after(&sel, Some(key), limit)?
        }
        (None, PageAt::Last) => store.page_before(&sel, None, limit)?,
        (None, PageAt::Before(key)) => store.page_before(&sel, Some(key), limit)?,
        (Some(rules), PageAt::First) => {
            flags::flagged_after(store, &sel, rules, &wanted, None, limit)?.0
        }
        (Some(rules), PageAt::After(key) | PageAt::From(key)) => {
            flags::flagged_after(store, &sel, rules, &wanted, Some(key), limit)?.0
        }
        (Some(rules), PageAt::Last) => {
            flags::flagged_before(store, &sel, rules, &wanted, None, limit)?
        }
        (Some(rules), PageAt::Before(key)) => {
            flags::flagged_before(store, &sel, rules, &wanted, Some(key), limit)?
        }
    };
    let data_version = store.data_version()?;
    if let Some(total) = remembered
        && total.filter == *filter
        && total.flag == flag
        && total.data_version == data_version
    {
        return Ok((rows, total.tasks));
    }
    let tasks = match &rules {
        None => store.count_selected(&sel)?,
        Some(rules) => flags::count_flagged(store, &sel, rules, &wanted)?,
    };
    *remembered = Some(Total {
        filter: filter.clone(),
        flag,
        data_version,
        tasks,
    });
    Ok((rows, tasks))
}

/// How many tasks a change touched, and the letters a rejection stored with their templates.
type Done = (usize, Vec<String>, Vec<String>);

/// Carries out one change through its use case.
fn act(
    store: &mut Store,
    ctx: &WorkerContext,
    change: &Change,
    targets: &[Target],
    now: DateTime<Utc>,
) -> Result<Done, AppError> {
    let practice = &ctx.practice;
    let by = ctx.acting(now);
    let outcome = match change {
        Change::Reject {
            template,
            edited,
            despite_risk,
        } => {
            // An edited letter is one task's; for several, each gets its own rendering.
            let edited = edited.as_deref().filter(|_| targets.len() == 1);
            let letter = match (template.as_deref(), edited) {
                (Some(template), Some(body)) => LetterChoice::Edited { template, body },
                (Some(template), None) => LetterChoice::Template(template),
                (None, _) => LetterChoice::AsNeeded,
            };
            let if_at_risk = if *despite_risk {
                IfAtRisk::RejectAnyway
            } else {
                IfAtRisk::Refuse
            };
            let done = tasks::reject(store, practice, by, targets, letter, if_at_risk)?;
            return Ok((done.outcome.tasks.len(), done.letters, done.templates));
        }
        Change::Assign { owner, note } => {
            // The picker has already asked twice when the owner is away.
            tasks::assign(
                store,
                practice,
                by,
                targets,
                owner,
                note.as_deref(),
                IfAway::AssignAnyway,
            )?
            .outcome
        }
        Change::Unassign => tasks::unassign(store, by, targets)?,
        Change::Complete => tasks::complete(store, by, targets)?,
        Change::Note { text } => tasks::note(store, by, targets, text)?,
        Change::Undo => tasks::undo(store, by)?,
        Change::Resolve { keep_ours } => {
            let keep = if *keep_ours { Keep::Ours } else { Keep::Theirs };
            for target in targets {
                tasks::resolve_conflict(store, by, target.id, keep)?;
            }
            return Ok((targets.len(), Vec::new(), Vec::new()));
        }
    };
    Ok((outcome.tasks.len(), Vec::new(), Vec::new()))
}

fn failed(id: Option<u64>, what: &'static str, error: AppError) -> Reply {
    tracing::warn!(what, "database request failed");
    Reply::Failed { id, what, error }
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
        let practice = Practice::from_config(
            crate::config::Config::example(),
            crate::letters::LetterSources::default(),
        )
        .unwrap();
        let mut total = |f: &TaskFilter, at| {
            page(&screen, &practice, f, None, at, 20, now, &mut memory)
                .unwrap()
                .1
        };
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

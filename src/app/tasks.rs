//! What staff do to tasks: reject with the letter each task needs (or one chosen), pausing for
//! a task that could harm a patient, assign, unassign, complete, note, undo, settle a
//! sync conflict, and the letter a task would be rejected with. Each change is one store
//! operation (one transaction with its audit events and outbox entries), whichever surface asks.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::flags::{FlagRules, UNKNOWN_PROVIDER, flags_with_facts};
use super::{Acting, AppError, Practice};
use crate::domain::calendar::{PRACTICE_TIME_ZONE, WorkingCalendar};
use crate::domain::policy::{PolicyRules, ProviderFacts, Rejection, rejection_for};
use crate::domain::staff::{group_presence_on, presence_on};
use crate::domain::{Group, Presence, Task, TaskId};
use crate::letters::render_task_letter;
use crate::store::{ActionOutcome, NewLetter, Store, Target};

/// The tasks an action applies to, at the row version the person saw: `seen_version` when
/// they give one (so a change someone else made in between is a conflict, not silently built
/// on), or else each task as it is now. A version names one task, so it needs exactly one id.
pub fn targets(
    store: &Store,
    ids: &[TaskId],
    seen_version: Option<i64>,
) -> Result<Vec<Target>, AppError> {
    if seen_version.is_some() && ids.len() > 1 {
        return Err(AppError::VersionForOneTask);
    }
    ids.iter()
        .map(|&id| {
            let task = store.task(id)?.ok_or(AppError::NoSuchTask(id))?;
            Ok(Target {
                id,
                row_version: seen_version.unwrap_or(task.row_version),
            })
        })
        .collect()
}

/// The letter `template` for task `task_id`, as it would be sent now by the acting member of
/// staff. Nothing is stored.
pub fn task_letter(
    store: &Store,
    practice: &Practice,
    acting: Acting<'_>,
    task_id: TaskId,
    template: &str,
) -> Result<String, AppError> {
    let task = store.task(task_id)?.ok_or(AppError::NoSuchTask(task_id))?;
    letter_for(practice, acting, &task, template)
}

fn letter_for(
    practice: &Practice,
    acting: Acting<'_>,
    task: &Task,
    template: &str,
) -> Result<String, AppError> {
    render_task_letter(
        &practice.config,
        task,
        acting.staff,
        acting.now,
        template,
        &practice.letters,
    )
    .map_err(|source| AppError::TaskLetter {
        template: template.to_owned(),
        task: task.id,
        source,
    })
}

/// What a rejection did: the tasks as they are now and the letters stored with them (each with
/// its template), in the same order.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub outcome: ActionOutcome,
    pub letters: Vec<String>,
    pub templates: Vec<String>,
}

/// Which letter goes with each rejected task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterChoice<'a> {
    /// Each task the letter it needs ([`rejection_with_facts`]): the inbox's reject key and
    /// `taskgate reject` without `--template`.
    AsNeeded,
    /// This template for every task: `--template`, or the one chosen in the letter pane.
    Template(&'a str),
    /// The person's edit of `template`'s text, for a single task.
    Edited { template: &'a str, body: &'a str },
}

/// Whether a rejection goes ahead for a task that could harm a patient if sent back unread (it
/// raises `immediate` or uses a safeguarding word). The inbox asks for a second key press, the
/// command line for `--despite-risk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfAtRisk {
    Refuse,
    RejectAnyway,
}

/// What rejecting `task` would do (the letter it needs, and the risks that ask for a
/// confirmation), given the providers' facts already read. Pure, so the inbox names the letter
/// before the key is pressed; the rejection itself decides through here too, so the letter
/// named is the letter sent.
pub fn rejection_with_facts<S: std::hash::BuildHasher>(
    task: &Task,
    facts: &HashMap<String, ProviderFacts, S>,
    policy: &PolicyRules,
    calendar: &WorkingCalendar,
) -> Rejection {
    let flags = flags_with_facts(task, facts, policy, calendar);
    let provider = facts
        .get(&task.provider_ods)
        .copied()
        .unwrap_or(UNKNOWN_PROVIDER);
    rejection_for(task, &flags, &provider, policy)
}

/// Rejects the targets, each with its letter: the one it needs, the template given, or (for a
/// single task) the text the person edited. A task that could harm a patient is refused, with
/// every reason, unless `if_at_risk` says the person confirmed. Every letter is written before
/// anything changes, so a letter that cannot be produced leaves every task as it was; then one
/// store operation rejects them all, storing each letter, queueing it upstream and writing the
/// audit events.
pub fn reject(
    store: &mut Store,
    practice: &Practice,
    acting: Acting<'_>,
    targets: &[Target],
    letter: LetterChoice<'_>,
    if_at_risk: IfAtRisk,
) -> Result<Rejected, AppError> {
    if matches!(letter, LetterChoice::Edited { .. }) && targets.len() > 1 {
        return Err(AppError::EditedLetterForMany(targets.len()));
    }
    let rules = FlagRules::at(store, practice, acting.now)?;
    let mut at_risk = Vec::new();
    let mut items = Vec::with_capacity(targets.len());
    for target in targets {
        let task = store
            .task(target.id)?
            .ok_or(AppError::NoSuchTask(target.id))?;
        let needed = rules.rejection_of(&task);
        if let Some(why) = needed.risk_words() {
            at_risk.push((task.id, why));
        }
        let (template, body) = match letter {
            LetterChoice::AsNeeded => (
                needed.template.to_owned(),
                letter_for(practice, acting, &task, needed.template)?,
            ),
            LetterChoice::Template(template) => (
                template.to_owned(),
                letter_for(practice, acting, &task, template)?,
            ),
            LetterChoice::Edited { template, body } => (template.to_owned(), body.to_owned()),
        };
        items.push((*target, NewLetter { template, body }));
    }
    if if_at_risk == IfAtRisk::Refuse && !at_risk.is_empty() {
        return Err(AppError::PatientAtRisk(at_risk));
    }
    let letters = items.iter().map(|(_, l)| l.body.clone()).collect();
    let templates = items.iter().map(|(_, l)| l.template.clone()).collect();
    let outcome = store.reject_with_letter(&acting.actor(), &items)?;
    Ok(Rejected {
        outcome,
        letters,
        templates,
    })
}

/// Whom tasks go to, as the config names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: String,
    /// "Bina Patel (bpatel)" or "Reception team (group reception)".
    pub label: String,
}

/// Whether assigning to someone away today goes ahead: the inbox's picker asks for a second
/// key press, the command line for `--even-if-away`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfAway {
    Refuse,
    AssignAnyway,
}

/// What an assignment did, and the absence it went ahead despite, if any.
#[derive(Debug)]
pub struct Assigned {
    pub outcome: ActionOutcome,
    pub owner: Owner,
    /// Set when the owner is away today and the person chose to assign anyway.
    pub away: Option<AppError>,
}

/// Assigns the targets to the `[[staff]]` member or `[[groups]]` queue `owner_id`, with an
/// optional note, in one store operation. Someone away today (a group when all its members
/// are) is refused unless `if_away` says the person knows: a task sent to someone on leave is
/// the LMC's first hazard. Away is judged on the practice's calendar day.
pub fn assign(
    store: &mut Store,
    practice: &Practice,
    acting: Acting<'_>,
    targets: &[Target],
    owner_id: &str,
    note: Option<&str>,
    if_away: IfAway,
) -> Result<Assigned, AppError> {
    let config = &practice.config;
    let (owner, group): (Owner, Option<&Group>) = if let Some(p) = config.staff_by_id(owner_id) {
        (
            Owner {
                id: p.id.clone(),
                label: format!("{} ({})", p.name, p.id),
            },
            None,
        )
    } else if let Some(g) = config.group_by_id(owner_id) {
        (
            Owner {
                id: g.id.clone(),
                label: format!("{} (group {})", g.name, g.id),
            },
            Some(g),
        )
    } else {
        return Err(AppError::UnknownOwner {
            id: owner_id.to_owned(),
            staff: config.staff.iter().map(|s| s.id.clone()).collect(),
            groups: config.groups.iter().map(|g| g.id.clone()).collect(),
        });
    };
    let today: NaiveDate = acting.now.with_timezone(&PRACTICE_TIME_ZONE).date_naive();
    let absences = store.absences()?;
    let presence = match group {
        Some(g) => group_presence_on(g, today, &absences),
        None => presence_on(&owner.id, today, &absences),
    };
    let away = match presence {
        Presence::Away { until, reason } => Some(AppError::OwnerAway {
            label: owner.label.clone(),
            until,
            reason,
        }),
        Presence::Present => None,
    };
    if if_away == IfAway::Refuse
        && let Some(refused) = away
    {
        return Err(refused);
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    let outcome = store.assign(&acting.actor(), targets, &owner.id, note)?;
    Ok(Assigned {
        outcome,
        owner,
        away,
    })
}

/// Returns the targets to the unassigned inbox.
pub fn unassign(
    store: &mut Store,
    acting: Acting<'_>,
    targets: &[Target],
) -> Result<ActionOutcome, AppError> {
    Ok(store.unassign(&acting.actor(), targets)?)
}

/// Marks the targets completed.
pub fn complete(
    store: &mut Store,
    acting: Acting<'_>,
    targets: &[Target],
) -> Result<ActionOutcome, AppError> {
    Ok(store.complete(&acting.actor(), targets)?)
}

/// Adds the same note to each target.
pub fn note(
    store: &mut Store,
    acting: Acting<'_>,
    targets: &[Target],
    text: &str,
) -> Result<ActionOutcome, AppError> {
    Ok(store.add_note(&acting.actor(), targets, text)?)
}

/// Undoes the acting person's last action, while it has not been sent upstream.
pub fn undo(store: &mut Store, acting: Acting<'_>) -> Result<ActionOutcome, AppError> {
    Ok(store.undo_last(&acting.actor())?)
}

/// Which side of a sync conflict to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Theirs,
    Ours,
}

/// Settles task `task_id`'s sync conflict: keep the server's version, or send ours again on top
/// of it. Each conflict is its own decision, so this is one task at a time.
pub fn resolve_conflict(
    store: &mut Store,
    acting: Acting<'_>,
    task_id: TaskId,
    keep: Keep,
) -> Result<Task, AppError> {
    let by = acting.actor();
    Ok(match keep {
        Keep::Theirs => store.keep_theirs(&by, task_id)?,
        Keep::Ours => store.reapply_ours(&by, task_id)?,
    })
}

//! `taskgate purge --closed-before DATE`: retention. Tasks closed (rejected, completed or
//! cancelled) and unchanged since before DATE lose their patient identifiers, subject, body,
//! notes, letters and the source's raw record; provider, dates, status and priority stay, so
//! stats still count them, and the subject keeps only the keyword of its category of work, so
//! `stats --by category` counts them where it did. One audit event records the cut-off and the
//! counts. With a FHIR source, a task whose change has not been confirmed upstream is held back.

use chrono::{DateTime, NaiveDate, Utc};
use color_eyre::eyre::{Result, WrapErr, bail, eyre};

use super::Context;
use crate::cli::PurgeArgs;
use crate::config::SourceKind;
use crate::domain::Task;
use crate::domain::calendar::{PRACTICE_TIME_ZONE, WorkingCalendar};
use crate::domain::policy::PolicyRules;
use crate::report::stats::category_of;
use crate::store::{Actor, PURGED, PurgeRequest, PurgeSummary};
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &PurgeArgs) -> Result<()> {
    let now = ctx.clock.now();
    let cutoff = start_of_london_day(args.closed_before)?;
    if cutoff > now {
        bail!(
            "--closed-before {} is in the future, so it would purge tasks closed today: choose a \
             day that has begun (nothing was purged)",
            args.closed_before
        );
    }
    let acting = ctx.acting_user()?;
    let calendar = ctx.calendar()?;
    let rules = ctx.config.policy_rules();
    let subject = |task: &Task| anonymised_subject(task, &rules, &calendar);
    let request = PurgeRequest {
        closed_before: cutoff,
        // Only a FHIR source sends changes upstream; elsewhere an unsent change never leaves.
        include_unsent: ctx.config.source.kind != SourceKind::Fhir,
        anonymised_subject: &subject,
        dry_run: args.dry_run,
    };
    let mut store = ctx.open_existing_store()?;
    let summary = store
        .purge_closed(
            &Actor {
                id: &acting.id,
                now,
            },
            &request,
        )
        .wrap_err("nothing was purged")?;
    report(&summary, args);
    Ok(())
}

/// Midnight at the start of `day` in the practice's time zone.
fn start_of_london_day(day: NaiveDate) -> Result<DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(PRACTICE_TIME_ZONE).earliest())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| eyre!("{day} has no midnight in Europe/London"))
}

/// `[purged]`, followed by the keyword that puts the task in its category of work, checked by
/// matching the purged task again: stats must count it in the same category afterwards.
fn anonymised_subject(task: &Task, rules: &PolicyRules, calendar: &WorkingCalendar) -> String {
    let Some(id) = category_of(task, rules, calendar) else {
        return PURGED.to_owned();
    };
    let keywords = rules
        .categories
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.keywords.as_slice())
        .unwrap_or_default();
    let mut purged = task.clone();
    purged.body = String::new();
    for keyword in keywords {
        purged.subject = format!("{PURGED} {keyword}");
        if category_of(&purged, rules, calendar).as_deref() == Some(id.as_str()) {
            return purged.subject;
        }
    }
    PURGED.to_owned()
}

fn report(summary: &PurgeSummary, args: &PurgeArgs) {
    let day = args.closed_before.format("%-d %B %Y");
    let verb = if args.dry_run {
        "Would purge"
    } else {
        "Purged"
    };
    println!(
        "{verb} {} closed task(s) closed before {day}: patient identifiers, subject, body, \
         notes and letters removed; provider, dates, status and priority kept for stats.",
        summary.purged
    );
    if summary.held_unsent > 0 {
        println!(
            "Kept {} closed task(s) whose changes have not been confirmed upstream yet: run \
             `taskgate sync`, then purge again.",
            summary.held_unsent
        );
    }
    if summary.quarantined_removed > 0 {
        println!(
            "{} {} quarantined import row(s) recorded before {day}.",
            if args.dry_run {
                "Would remove"
            } else {
                "Removed"
            },
            summary.quarantined_removed
        );
    }
    if args.dry_run {
        println!("Nothing was changed (--dry-run).");
        return;
    }
    if !summary.wal_cleared {
        println!(
            "Another taskgate has the mirror open: the removed text leaves its write-ahead log \
             (the -wal file) when every taskgate on this mirror has closed."
        );
    }
    println!("Backups and exports made earlier still hold the removed data: purge or delete them.");
}

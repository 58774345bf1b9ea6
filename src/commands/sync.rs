//! `taskgate sync [--watch]`: one pull-and-push cycle against the configured FHIR server (or one
//! every `source.poll_interval`), with a line saying what it did; and `taskgate sync resolve ID
//! --keep theirs|ours`, the command-line twin of the inbox's conflict choice.
//!
//! Exit codes (README, "Sync"): 0 the cycle completed (conflicts are a normal outcome, listed);
//! 2 it completed, but some of the server's tasks could not be read and were quarantined;
//! 3 the server could not be reached or answered with errors: nothing is lost, run it again
//! later; 4 the set-up needs a person (token, URL, a refusal from the server); 1 anything else.

use color_eyre::eyre::{Result, WrapErr, eyre};

use super::Context;
use crate::app::tasks::{Keep, resolve_conflict};
use crate::cli::{KeepSide, SyncArgs, SyncCommand};
use crate::report::text::local_stamp;
use crate::sync::{CycleReport, SyncConfig, SyncError, Trouble, run_cycle};
use crate::terminal_text::{eprintln, print, println}; // text from outside shown as data, never steering the terminal

pub const EXIT_QUARANTINED: u8 = 2;
pub const EXIT_UNREACHABLE: u8 = 3;
pub const EXIT_MISCONFIGURED: u8 = 4;

/// A cycle that did not complete: `main` exits with `code` after printing the message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SyncIncomplete {
    pub code: u8,
    pub message: String,
}

pub fn run(ctx: &Context, args: &SyncArgs) -> Result<()> {
    match &args.action {
        Some(SyncCommand::Resolve { id, keep }) => resolve(ctx, *id, *keep),
        None if args.watch => watch(ctx),
        None => {
            let config = sync_config(ctx)?;
            once(ctx, &config)
        }
    }
}

fn sync_config(ctx: &Context) -> Result<SyncConfig> {
    SyncConfig::from_config(&ctx.config).map_err(|e| {
        let code = match e {
            SyncError::Store(_) => 1,
            _ => EXIT_MISCONFIGURED,
        };
        SyncIncomplete {
            code,
            message: e.to_string(),
        }
        .into()
    })
}

/// Who the cycle's audit events name: the acting member of staff when there is one, else
/// `sync` (a scheduled `taskgate sync` runs as nobody in particular).
fn sync_actor(ctx: &Context) -> String {
    ctx.acting_user()
        .map_or_else(|_| "sync".to_owned(), |staff| staff.id)
}

fn once(ctx: &Context, config: &SyncConfig) -> Result<()> {
    let report = cycle(ctx, config)?;
    outcome(&report)
}

/// One cycle, its summary on stdout and its problems on stderr.
fn cycle(ctx: &Context, config: &SyncConfig) -> Result<CycleReport> {
    let mut store = ctx.open_store()?;
    let actor = sync_actor(ctx);
    let report = run_cycle(&mut store, config, ctx.clock.now(), &actor)
        .wrap_err("the sync cycle stopped on this desk's side; nothing was lost")?;
    println!("{}", report.summary());
    explain(&report);
    Ok(report)
}

/// Changes the undo window held back are not a failure: the summary says until when, and the
/// next sync sends them.
fn outcome(report: &CycleReport) -> Result<()> {
    match exit_code(report) {
        0 => Ok(()),
        code => Err(SyncIncomplete {
            code,
            message: verdict(report),
        }
        .into()),
    }
}

/// Repeats cycles until interrupted. A failing cycle is reported and the next one tries again;
/// only a set-up that cannot work (no token) ends the loop. Changes the undo window held back
/// are sent by a cycle run as soon as they come of age, not a whole poll interval later.
fn watch(ctx: &Context) -> Result<()> {
    let config = sync_config(ctx)?;
    let interval = ctx.config.source.poll_interval;
    loop {
        // Practice time, as the rest of the app shows it.
        print!("{}: ", local_stamp(ctx.clock.now()));
        let ran = cycle(ctx, &config);
        let held_until = ran.as_ref().ok().and_then(|r| r.held.first_release);
        if let Err(e) = ran.and_then(|r| outcome(&r)) {
            eprintln!("taskgate: {e:#}");
        }
        let until_held = held_until
            .map(|at| (at - ctx.clock.now()).to_std().unwrap_or_default() + HELD_ROUNDING);
        std::thread::sleep(until_held.map_or(interval, |wait| wait.min(interval)));
    }
}

/// A little past the instant a held change may go, so the cycle does not arrive a moment early.
const HELD_ROUNDING: std::time::Duration = std::time::Duration::from_millis(250);

/// The cycle's problems and conflicts, one line each, on stderr.
fn explain(report: &CycleReport) {
    for (_, problem) in &report.problems {
        eprintln!("taskgate: {problem}");
    }
    for id in &report.conflicted_tasks {
        eprintln!(
            "taskgate: task {id} was changed on the server by someone else as well: both \
             versions are kept; choose with `taskgate sync resolve {id} --keep theirs` or \
             `--keep ours`"
        );
    }
}

pub fn exit_code(report: &CycleReport) -> u8 {
    match report.trouble() {
        Some(Trouble::Misconfigured) => EXIT_MISCONFIGURED,
        Some(Trouble::Offline | Trouble::ServerFault) => EXIT_UNREACHABLE,
        None if !report.pull_complete => EXIT_UNREACHABLE,
        None if report.quarantined > 0 => EXIT_QUARANTINED,
        None => 0,
    }
}

fn verdict(report: &CycleReport) -> String {
    let since = report
        .offline_since
        .map(|at| format!(" (not syncing since {})", local_stamp(at)))
        .unwrap_or_default();
    match exit_code(report) {
        EXIT_MISCONFIGURED => format!(
            "sync needs attention: the set-up or the server refused us, see above{since}; \
             local changes stay in the outbox"
        ),
        EXIT_UNREACHABLE => format!(
            "sync did not complete{since}; nothing is lost: local changes stay in the outbox \
             and the next sync carries on"
        ),
        _ => format!(
            "{} task(s) from the server could not be read and are kept in quarantine",
            report.quarantined
        ),
    }
}

fn resolve(ctx: &Context, id: i64, keep: KeepSide) -> Result<()> {
    let mut store = ctx.open_existing_store()?;
    let acting = ctx.acting_user()?;
    let Some(conflict) = store.conflict(id)? else {
        return Err(eyre!("task {id} has no sync conflict to resolve"));
    };
    let side = match keep {
        KeepSide::Theirs => Keep::Theirs,
        KeepSide::Ours => Keep::Ours,
    };
    let task = resolve_conflict(&mut store, ctx.acting(&acting), id, side)
        .map_err(|e| super::words::cli_error(e, None))?;
    let now = match &task.owner {
        Some(owner) => format!("{} ({owner})", task.status),
        None => task.status.to_string(),
    };
    match keep {
        KeepSide::Theirs => println!(
            "Task {id} now has the server's version: {now}. {} change(s) of ours were not sent.",
            conflict.ours.len()
        ),
        KeepSide::Ours => println!(
            "Task {id} stays {now}: {} change(s) of ours go to the server against its version {} \
             at the next sync.",
            conflict.ours.len(),
            conflict.theirs_version.as_deref().unwrap_or("?")
        ),
    }
    Ok(())
}

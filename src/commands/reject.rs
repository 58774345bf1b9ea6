//! `taskgate reject ID...`: the command-line twin of the inbox's one-key rejection. Every
//! task's letter is rendered first, so a letter that cannot be written stops the whole batch
//! before anything changes; then one store operation rejects them all, storing each letter,
//! queueing it upstream and writing the audit events, exactly as the inbox does.

use color_eyre::eyre::{Result, WrapErr, eyre};

use super::Context;
use crate::cli::RejectArgs;
use crate::letters::{LetterSources, render_task_letter};
use crate::store::{Actor, NewLetter, Target};
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &RejectArgs) -> Result<()> {
    let mut store = ctx.open_existing_store()?;
    let acting = ctx.acting_user()?;
    let now = ctx.clock.now();
    let sources = LetterSources::from_config_dir();
    let mut items = Vec::with_capacity(args.ids.len());
    for &id in &args.ids {
        let task = store
            .task(id)?
            .ok_or_else(|| eyre!("there is no task {id} in {}", ctx.db_path().display()))
            .wrap_err("nothing was rejected")?;
        let body = render_task_letter(&ctx.config, &task, &acting, now, &args.template, &sources)
            .wrap_err_with(|| {
            format!(
                "cannot write the letter `{}` for task {id}, so nothing was rejected",
                args.template
            )
        })?;
        let target = Target {
            id,
            row_version: seen_version(args.if_version, &args.ids, task.row_version)?,
        };
        items.push((
            target,
            NewLetter {
                template: args.template.clone(),
                body,
            },
        ));
    }
    let outcome = store
        .reject_with_letter(
            &Actor {
                id: &acting.id,
                now,
            },
            &items,
        )
        .wrap_err("nothing was rejected")?;
    for task in &outcome.tasks {
        println!(
            "Rejected task {} with {} (letter stored, queued for upstream).",
            task.id, args.template
        );
    }
    Ok(())
}

/// The row version the user acts on: the one they saw (`--if-version`, so that someone else's
/// change in between is a conflict, not silently built on), or else the task as it is now.
pub(super) fn seen_version(if_version: Option<i64>, ids: &[i64], current: i64) -> Result<i64> {
    match if_version {
        None => Ok(current),
        Some(_) if ids.len() > 1 => Err(eyre!(
            "--if-version names the version of one task: give exactly one task id with it"
        )),
        Some(seen) => Ok(seen),
    }
}

//! `taskgate reject ID...`: the command-line twin of the inbox's one-key rejection, through the
//! same use case (`app::tasks::reject_with_letters`): every letter is written before anything
//! changes, then one store operation rejects them all, storing each letter, queueing it
//! upstream and writing the audit events.

use color_eyre::eyre::Result;

use super::Context;
use super::words::cli_error;
use crate::app::tasks;
use crate::cli::RejectArgs;
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &RejectArgs) -> Result<()> {
    let practice = ctx.practice()?;
    let mut store = ctx.open_existing_store()?;
    let staff = ctx.acting_user()?;
    let acting = ctx.acting(&staff);
    let stopped = |e| cli_error(e, Some("nothing was rejected"));
    let targets = tasks::targets(&store, &args.ids, args.if_version).map_err(stopped)?;
    let rejected = tasks::reject_with_letters(
        &mut store,
        &practice,
        acting,
        &targets,
        &args.template,
        None,
    )
    .map_err(stopped)?;
    for task in &rejected.outcome.tasks {
        println!(
            "Rejected task {} with {} (letter stored, queued for upstream).",
            task.id, args.template
        );
    }
    Ok(())
}

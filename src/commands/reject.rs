//! `taskgate reject ID...`: the command-line twin of the inbox's one-key rejection, through the
//! same use case (`app::tasks::reject`): each task gets the letter it needs unless `--template`
//! names one, a task that could harm a patient stops the command unless `--despite-risk` is
//! given, every letter is written before anything changes, then one store operation rejects
//! them all, storing each letter, queueing it upstream and writing the audit events.

use color_eyre::eyre::Result;

use super::Context;
use super::words::cli_error;
use crate::app::tasks::{self, IfAtRisk, LetterChoice};
use crate::cli::RejectArgs;
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &RejectArgs) -> Result<()> {
    let practice = ctx.practice()?;
    let mut store = ctx.open_existing_store()?;
    let staff = ctx.acting_user()?;
    let acting = ctx.acting(&staff);
    let stopped = |e| cli_error(e, Some("nothing was rejected"));
    let targets = tasks::targets(&store, &args.ids, args.if_version).map_err(stopped)?;
    let letter = match &args.template {
        Some(template) => LetterChoice::Template(template),
        None => LetterChoice::AsNeeded,
    };
    let if_at_risk = if args.despite_risk {
        IfAtRisk::RejectAnyway
    } else {
        IfAtRisk::Refuse
    };
    let rejected = tasks::reject(&mut store, &practice, acting, &targets, letter, if_at_risk)
        .map_err(stopped)?;
    for (task, template) in rejected.outcome.tasks.iter().zip(&rejected.templates) {
        println!(
            "Rejected task {} with {template} (letter stored, queued for upstream).",
            task.id
        );
    }
    Ok(())
}

//! `taskgate unassign | complete | note | undo`: the inbox's other task keys on the command
//! line, each through the same use case as the key (`app::tasks`), so the audit events, the
//! outbox and the undo window are the same whichever surface acted.

use color_eyre::eyre::Result;

use super::Context;
use super::words::cli_error;
use crate::app::tasks;
use crate::cli::{NoteArgs, TasksArgs};
use crate::store::ActionOutcome;
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn unassign(ctx: &Context, args: &TasksArgs) -> Result<()> {
    change(ctx, args, "nothing was unassigned", tasks::unassign)?
        .iter()
        .for_each(|id| println!("Returned task {id} to the unassigned inbox."));
    Ok(())
}

pub fn complete(ctx: &Context, args: &TasksArgs) -> Result<()> {
    change(ctx, args, "nothing was completed", tasks::complete)?
        .iter()
        .for_each(|id| println!("Completed task {id}."));
    Ok(())
}

pub fn note(ctx: &Context, args: &NoteArgs) -> Result<()> {
    change(
        ctx,
        &args.tasks,
        "no note was added",
        |store, acting, targets| tasks::note(store, acting, targets, &args.text),
    )?
    .iter()
    .for_each(|id| println!("Added the note to task {id}."));
    Ok(())
}

pub fn undo(ctx: &Context) -> Result<()> {
    let staff = ctx.acting_user()?;
    let mut store = ctx.open_existing_store()?;
    let outcome = tasks::undo(&mut store, ctx.acting(&staff))
        .map_err(|e| cli_error(e, Some("nothing was undone")))?;
    for task in &outcome.tasks {
        println!(
            "Undid the last action on task {} (now {}).",
            task.id, task.status
        );
    }
    Ok(())
}

/// Resolves the targets, runs one use case on them as the acting user, and returns the ids
/// of the tasks it changed.
fn change(
    ctx: &Context,
    args: &TasksArgs,
    stopped: &str,
    run: impl FnOnce(
        &mut crate::store::Store,
        crate::app::Acting<'_>,
        &[crate::store::Target],
    ) -> Result<ActionOutcome, crate::app::AppError>,
) -> Result<Vec<i64>> {
    let staff = ctx.acting_user()?;
    let mut store = ctx.open_existing_store()?;
    let targets = tasks::targets(&store, &args.ids, args.if_version)
        .map_err(|e| cli_error(e, Some(stopped)))?;
    let outcome =
        run(&mut store, ctx.acting(&staff), &targets).map_err(|e| cli_error(e, Some(stopped)))?;
    Ok(outcome.tasks.iter().map(|t| t.id).collect())
}

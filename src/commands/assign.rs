//! `taskgate assign ID... STAFF_ID`: the command-line twin of the inbox's reassign picker,
//! through the same use case (`app::tasks::assign`). Assigning to someone who is away today is
//! refused unless `--even-if-away` says the user knows (the picker's second key press).

use color_eyre::eyre::Result;

use super::Context;
use super::words::cli_error;
use crate::app::tasks::{self, IfAway};
use crate::cli::AssignArgs;
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &AssignArgs) -> Result<()> {
    let practice = ctx.practice()?;
    let staff = ctx.acting_user()?;
    let acting = ctx.acting(&staff);
    let mut store = ctx.open_existing_store()?;
    let stopped = |e| cli_error(e, Some("nothing was assigned"));
    let targets = tasks::targets(&store, &args.ids, args.if_version).map_err(stopped)?;
    let if_away = if args.even_if_away {
        IfAway::AssignAnyway
    } else {
        IfAway::Refuse
    };
    let note = args.note.as_deref();
    let assigned = tasks::assign(
        &mut store,
        &practice,
        acting,
        &targets,
        &args.staff_id,
        note,
        if_away,
    )
    .map_err(stopped)?;
    if let Some(away) = &assigned.away {
        println!("Note: {away}.");
    }
    let with_note = if note.map(str::trim).is_some_and(|n| !n.is_empty()) {
        ", with the note"
    } else {
        ""
    };
    for task in &assigned.outcome.tasks {
        println!(
            "Assigned task {} to {}{with_note}.",
            task.id, assigned.owner.label
        );
    }
    Ok(())
}

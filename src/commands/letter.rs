//! `taskgate letter ID`: the letter a task would be rejected with, rendered exactly as `reject`
//! and the inbox would render it, so staff can read it before sending. Nothing is stored.

use color_eyre::eyre::{Result, WrapErr, eyre};

use super::Context;
use crate::cli::LetterArgs;
use crate::letters::{LetterSources, render_task_letter};
use crate::terminal_text::{print, println}; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &LetterArgs) -> Result<()> {
    let store = ctx.open_existing_store()?;
    let task = store.task(args.id)?.ok_or_else(|| {
        eyre!(
            "there is no task {} in {}",
            args.id,
            ctx.db_path().display()
        )
    })?;
    // The letter is signed by whoever is acting, so an unknown user is an error here too.
    let acting = ctx.acting_user()?;
    let letter = render_task_letter(
        &ctx.config,
        &task,
        &acting,
        ctx.clock.now(),
        &args.template,
        &LetterSources::from_config_dir(),
    )
    .wrap_err_with(|| {
        format!(
            "cannot write the letter `{}` for task {}",
            args.template, task.id
        )
    })?;
    print!("{letter}");
    if !letter.ends_with('\n') {
        println!();
    }
    Ok(())
}

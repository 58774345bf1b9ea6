//! `taskgate letter ID`: the letter a task would be rejected with, rendered exactly as `reject`
//! and the inbox would render it (`app::tasks::task_letter`), so staff can read it before
//! sending. Nothing is stored.

use color_eyre::eyre::Result;

use super::Context;
use super::words::cli_error;
use crate::app::tasks;
use crate::cli::LetterArgs;
use crate::terminal_text::{print, println}; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &LetterArgs) -> Result<()> {
    let practice = ctx.practice()?;
    let store = ctx.open_existing_store()?;
    // The letter is signed by whoever is acting, so an unknown user is an error here too.
    let staff = ctx.acting_user()?;
    let letter = tasks::task_letter(
        &store,
        &practice,
        ctx.acting(&staff),
        args.id,
        &args.template,
    )
    .map_err(|e| cli_error(e, None))?;
    print!("{letter}");
    if !letter.ends_with('\n') {
        println!();
    }
    Ok(())
}

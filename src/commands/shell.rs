//! `taskgate completions SHELL` and `taskgate man`: what a shell and `man` need to know about the
//! command line, generated from the same clap definitions that parse it, so they never drift.

use std::io::Write;

use clap::CommandFactory;
use color_eyre::eyre::Result;

use crate::cli::Cli;

pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut command = Cli::command();
    // Generated into memory first: clap_complete panics on a write error, and a reader that
    // closes the pipe early (`| head`) is not a crash.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "taskgate", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(())
}

/// The manual page in roff: the top-level page, then one section per subcommand, so `man -l`
/// shows every command and option on one page.
pub fn man_page() -> Result<()> {
    let command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let page = clap_mangen::Man::new(sub.clone());
        writeln!(out, ".SH \"TASKGATE {}\"", sub.get_name().to_uppercase())?;
        page.render_description_section(&mut out)?;
        page.render_options_section(&mut out)?;
        if sub.get_after_help().is_some() {
            page.render_extra_section(&mut out)?;
        }
    }
    Ok(())
}

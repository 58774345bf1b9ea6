//! taskgate's entry point: parse the command line, load the config, start file logging, then run
//! one command or the TUI. Errors are printed in plain words on stderr with exit code 1.

use std::process::ExitCode;

use clap::Parser as _;
use color_eyre::eyre::Result;
use taskgate::cli::{AuditCommand, Cli, Command, ConfigCommand, ProviderCommand};
use taskgate::commands::{self, Context};
use taskgate::{logging, terminal_text, tui};

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("taskgate: {e}");
    }
    quiet_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return command_line_refused(&e),
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `taskgate list | head` closing the pipe early is not an error the user made.
        Err(e) if closed_pipe(&e) => ExitCode::SUCCESS,
        // Import's "some rows quarantined, the rest imported" (product.md: exit code 2).
        Err(e)
            if e.downcast_ref::<commands::import::RowsQuarantined>()
                .is_some() =>
        {
            eprintln!("taskgate: {}", shown(&e.to_string()));
            ExitCode::from(2)
        }
        // Sync's own exit codes: 2 quarantined, 3 server unreachable, 4 set-up (README, "Sync").
        Err(e) if e.downcast_ref::<commands::sync::SyncIncomplete>().is_some() => {
            eprintln!("taskgate: {}", shown(&e.to_string()));
            e.downcast_ref::<commands::sync::SyncIncomplete>()
                .map_or(ExitCode::FAILURE, |s| ExitCode::from(s.code))
        }
        Err(e) => {
            // `{:#}` prints the whole chain of causes on one line, without a backtrace: the
            // reader is a receptionist, not a developer.
            eprintln!("taskgate: {}", shown(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

/// An error message as the terminal shows it: it may quote a file's contents or a server's
/// answer, so steering characters in it are shown as escapes (see `terminal_text`).
fn shown(message: &str) -> std::borrow::Cow<'_, str> {
    terminal_text::block(message)
}

/// clap's own words for a command line it cannot take (or for `--help` and `--version`). What
/// the user typed may be pasted from a task, so it is shown as data like every other error, and a
/// refusal is exit 1, as for every error that changed nothing.
fn command_line_refused(e: &clap::Error) -> ExitCode {
    let text = e.render().to_string();
    if e.use_stderr() {
        eprint!("{}", shown(&text));
        ExitCode::FAILURE
    } else {
        print!("{text}");
        ExitCode::SUCCESS
    }
}

fn run(cli: &Cli) -> Result<()> {
    // Completions and the manual page describe the program, not a practice: no config needed.
    match &cli.command {
        Some(Command::Completions { shell }) => return commands::shell::completions(*shell),
        Some(Command::Man) => return commands::shell::man_page(),
        _ => {}
    }
    let demo = cli.demo || matches!(cli.command, Some(Command::Demo(_)));
    let ctx = Context::load(cli, demo)?;
    // Checking the config or the calendar never opens the mirror, so it needs no key.
    if !matches!(cli.command, Some(Command::Config(_) | Command::Calendar(_))) {
        commands::unlock::unlock(&ctx.config.storage)?;
    }
    logging::init(&ctx.paths.log_file, &ctx.config.logging.level)?;
    tracing::info!(command = ?cli.command.as_ref().map(command_name), "taskgate started");
    match &cli.command {
        None => {
            if cli.demo {
                commands::demo::ensure_demo_mirror(&ctx)?;
            }
            tui::run(&ctx)
        }
        Some(Command::Demo(args)) => commands::demo::run(&ctx, args),
        Some(Command::Import(args)) => commands::import::run(&ctx, args),
        Some(Command::List(args)) => commands::list::run(&ctx, args),
        Some(Command::Show(args)) => commands::show::run(&ctx, args.id, args.format),
        Some(Command::Letter(args)) => commands::letter::run(&ctx, args),
        Some(Command::Reject(args)) => commands::reject::run(&ctx, args),
        Some(Command::Assign(args)) => commands::assign::run(&ctx, args),
        Some(Command::Unassign(args)) => commands::tasks::unassign(&ctx, args),
        Some(Command::Complete(args)) => commands::tasks::complete(&ctx, args),
        Some(Command::Note(args)) => commands::tasks::note(&ctx, args),
        Some(Command::Undo) => commands::tasks::undo(&ctx),
        Some(Command::Overdue(args)) => commands::overdue::run(&ctx, args),
        Some(Command::Audit(AuditCommand::Verify)) => commands::audit::verify(&ctx),
        Some(Command::Audit(AuditCommand::Show { id, limit })) => {
            commands::audit::show(&ctx, *id, *limit)
        }
        Some(Command::Config(ConfigCommand::Check)) => commands::config_check::run(&ctx),
        Some(Command::Calendar(args)) => commands::calendar::run(&ctx, args),
        Some(Command::Provider(ProviderCommand::List)) => commands::escalate::list(&ctx),
        Some(Command::Provider(ProviderCommand::Escalate { ods, to, back })) => {
            commands::escalate::escalate(&ctx, ods, *to, *back)
        }
        Some(Command::Provider(ProviderCommand::Letter { ods, stage })) => {
            commands::escalate::letter(&ctx, ods, *stage)
        }
        Some(Command::Handover(args)) => commands::handover::run(&ctx, args),
        Some(Command::Stats(args)) => commands::stats::run(&ctx, args),
        Some(Command::Sync(args)) => commands::sync::run(&ctx, args),
        Some(Command::Backup { file }) => commands::backup::run(&ctx, file),
        Some(Command::Purge(args)) => commands::purge::run(&ctx, args),
        Some(Command::Completions { .. } | Command::Man) => Ok(()),
    }
}

/// The command's name for the log: never its arguments, which may hold patient words.
fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Demo(_) => "demo",
        Command::Import(_) => "import",
        Command::List(_) => "list",
        Command::Show(_) => "show",
        Command::Letter(_) => "letter",
        Command::Reject(_) => "reject",
        Command::Assign(_) => "assign",
        Command::Unassign(_) => "unassign",
        Command::Complete(_) => "complete",
        Command::Note(_) => "note",
        Command::Undo => "undo",
        Command::Overdue(_) => "overdue",
        Command::Audit(_) => "audit",
        Command::Config(_) => "config",
        Command::Calendar(_) => "calendar",
        Command::Provider(_) => "provider",
        Command::Handover(_) => "handover",
        Command::Stats(_) => "stats",
        Command::Sync(_) => "sync",
        Command::Backup { .. } => "backup",
        Command::Purge(_) => "purge",
        Command::Completions { .. } => "completions",
        Command::Man => "man",
    }
}

/// `println!` panics when the reader of a pipe has gone (`taskgate provider list | head`); that is
/// the reader's choice, not a crash, so it ends the program quietly. Every other panic still goes
/// to the hooks installed before (color-eyre's report, and ratatui's terminal restore).
/// Whether writing stopped because the reader went away. The JSON and CSV writers wrap the
/// I/O error in their own, so each is looked inside.
fn closed_pipe(e: &color_eyre::eyre::Report) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
            || c.downcast_ref::<csv::Error>().is_some_and(
                |c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}

fn quiet_on_closed_pipe() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        previous(info);
    }));
}

//! taskgate's entry point: parse the command line, load the config, start file logging, then run
//! one command or the TUI. Errors are printed in plain words on stderr with exit code 1.

use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::Result;
use taskgate::cli::{AuditCommand, Cli, Command, ConfigCommand};
use taskgate::commands::{self, Context};
use taskgate::{logging, tui};

fn main() -> ExitCode {
    if let Err(e) = color_eyre::install() {
        eprintln!("taskgate: {e}");
    }
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `taskgate list | head` closing the pipe early is not an error the user made.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // `{:#}` prints the whole chain of causes on one line, without a backtrace: the
            // reader is a receptionist, not a developer.
            eprintln!("taskgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let demo = cli.demo || matches!(cli.command, Some(Command::Demo(_)));
    let ctx = Context::load(cli, demo)?;
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
        Some(Command::List(args)) => commands::list::run(&ctx, args),
        Some(Command::Show(args)) => commands::show::run(&ctx, args.id, args.format),
        Some(Command::Letter(args)) => commands::letter::run(&ctx, args),
        Some(Command::Reject(args)) => commands::reject::run(&ctx, args),
        Some(Command::Assign(args)) => commands::assign::run(&ctx, args),
        Some(Command::Overdue(args)) => commands::overdue::run(&ctx, args),
        Some(Command::Audit(AuditCommand::Verify)) => commands::audit::verify(&ctx),
        Some(Command::Audit(AuditCommand::Show { id, limit })) => {
            commands::audit::show(&ctx, *id, *limit)
        }
        Some(Command::Config(ConfigCommand::Check)) => commands::config_check::run(&ctx),
        Some(Command::Handover(args)) => commands::handover::run(&ctx, args),
        Some(Command::Backup { file }) => commands::backup::run(&ctx, file),
    }
}

/// The command's name for the log: never its arguments, which may hold patient words.
fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Demo(_) => "demo",
        Command::List(_) => "list",
        Command::Show(_) => "show",
        Command::Letter(_) => "letter",
        Command::Reject(_) => "reject",
        Command::Assign(_) => "assign",
        Command::Overdue(_) => "overdue",
        Command::Audit(_) => "audit",
        Command::Config(_) => "config",
        Command::Handover(_) => "handover",
        Command::Backup { .. } => "backup",
    }
}

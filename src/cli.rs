//! The command line, as clap definitions only; `main.rs` and `commands/` carry them out.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::Status;
use crate::domain::calendar::Nation;
use crate::domain::policy::Flag;

/// A keyboard-first inbox for the external tasks other care providers send to a GP practice.
///
/// With no command, opens the inbox in the terminal.
#[derive(Debug, Parser)]
#[command(name = "taskgate", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (else $TASKGATE_CONFIG, else the platform config dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Mirror database (else `storage.path` in the config, else the platform data dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Staff id to act as (else $TASKGATE_USER, else your login matched against [[staff]]).
    #[arg(long, global = true, value_name = "STAFF_ID")]
    pub user: Option<String>,

    /// Evaluate everything time-dependent as of this instant (RFC 3339), instead of the clock.
    #[arg(long, global = true, value_name = "RFC3339")]
    pub now: Option<DateTime<Utc>>,

    /// Open the inbox on a demo mirror of synthetic tasks (created on first use).
    #[arg(long)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a mirror filled with a deterministic synthetic inbox.
    #[command(after_help = "Example:\n  taskgate demo --tasks 1000 --seed 7 --db /tmp/demo.sqlite")]
    Demo(DemoArgs),
    /// Import tasks from CSV, NDJSON of FHIR Task, or FHIR Bundle files; bad rows are
    /// quarantined with their line and reason (exit 2), good rows imported, one file at a time.
    #[command(after_help = "Example:\n  taskgate import exports/2026-11-*.csv")]
    Import(ImportArgs),
    /// List tasks in the mirror, oldest first.
    #[command(
        after_help = "Example:\n  taskgate list --status new,assigned --search bloods --format csv"
    )]
    List(ListArgs),
    /// Show one task in full: patient, body, notes, letters and history.
    #[command(after_help = "Example:\n  taskgate show 17 --format json")]
    Show(ShowArgs),
    /// Print the letter a task would be rejected with, rendered for it (nothing is stored).
    #[command(after_help = "Example:\n  taskgate letter 17 --template immediate-action")]
    Letter(LetterArgs),
    /// Reject tasks, each with its letter, which is stored with the task and queued upstream.
    #[command(after_help = "Example:\n  taskgate reject 17 18 19")]
    Reject(RejectArgs),
    /// Assign tasks to a member of staff or a group, with an optional note.
    #[command(after_help = "Example:\n  taskgate assign 17 18 prescriptions --note \"repeat due\"")]
    Assign(AssignArgs),
    /// Return assigned tasks to the unassigned inbox.
    #[command(after_help = "Example:\n  taskgate unassign 17")]
    Unassign(TasksArgs),
    /// Mark tasks completed.
    #[command(after_help = "Example:\n  taskgate complete 17 18")]
    Complete(TasksArgs),
    /// Add a note to tasks (shown in their history).
    #[command(after_help = "Example:\n  taskgate note 17 --text \"Called the ward back\"")]
    Note(NoteArgs),
    /// Undo your last action on tasks, while it has not been sent upstream.
    #[command(after_help = "Example:\n  taskgate undo")]
    Undo,
    /// List unactioned tasks past (or near) their threshold, and stalled assigned tasks.
    #[command(after_help = "Example:\n  taskgate overdue --format csv > overdue.csv")]
    Overdue(OverdueArgs),
    /// Check or read the audit log.
    #[command(subcommand)]
    #[command(after_help = "Example:\n  taskgate audit verify")]
    Audit(AuditCommand),
    /// Check the configuration.
    #[command(subcommand)]
    #[command(after_help = "Example:\n  taskgate config check")]
    Config(ConfigCommand),
    /// The non-working days in force for a year (bank holidays and the practice's closures,
    /// not weekends), each with where it comes from: the bank-holiday snapshot, the nation's
    /// rules, or the practice's closures.
    #[command(after_help = "Example:\n  taskgate calendar --nation scotland --year 2028")]
    Calendar(CalendarArgs),
    /// The sending organisations: list them, move one along the escalation ladder, print its
    /// escalation letter.
    #[command(subcommand)]
    #[command(after_help = "Example:\n  taskgate provider escalate ZRD08")]
    Provider(ProviderCommand),
    /// The shift handover report, or `handover sign-off` to record the handover.
    #[command(after_help = "Example:\n  taskgate handover --format html --out handover.html")]
    Handover(HandoverArgs),
    /// Anonymised figures for the LMC and ICB: tasks per provider, category of work or month,
    /// what became of them and how fast. Never any patient data, subject or body.
    #[command(after_help = "Example:\n  taskgate stats --by month --since 2026-01-01 --format csv")]
    Stats(StatsArgs),
    /// Pull the practice's tasks from the FHIR server and send the outbox: one cycle, or one
    /// every source.poll_interval with --watch. `sync resolve` settles a sync conflict.
    #[command(after_help = "Example:\n  taskgate sync --watch")]
    Sync(SyncArgs),
    /// Copy the mirror to FILE with SQLite's backup API (owner-only).
    #[command(after_help = "Example:\n  taskgate backup /secure/taskgate-2026-12-03.sqlite")]
    Backup {
        /// Where to write the copy; an existing file is never overwritten.
        file: PathBuf,
    },
    /// Retention: remove patient identifiers and text from tasks closed before DATE, keeping
    /// the counts and the audit trail (audited).
    #[command(after_help = "Example:\n  taskgate purge --closed-before 2025-12-01 --dry-run")]
    Purge(PurgeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell).
    #[command(
        after_help = "Example:\n  taskgate completions bash > ~/.local/share/bash-completion/completions/taskgate"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), for `man -l`.
    #[command(after_help = "Example:\n  taskgate man > taskgate.1 && man -l taskgate.1")]
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CalendarFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct CalendarArgs {
    /// england-and-wales, scotland or northern-ireland (default: the practice's, from
    /// practice.nation).
    #[arg(long, value_name = "NATION")]
    pub nation: Option<Nation>,
    /// The year to list (default: this year, or the year of --now).
    #[arg(long, value_name = "YYYY")]
    pub year: Option<i32>,
    #[arg(long, value_enum, default_value_t = CalendarFormat::Table)]
    pub format: CalendarFormat,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Tasks closed, and unchanged since, before this day (YYYY-MM-DD, London time).
    #[arg(long, value_name = "DATE")]
    pub closed_before: NaiveDate,
    /// Say what would be purged, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many tasks to generate.
    #[arg(long, default_value_t = 300)]
    pub tasks: usize,
    /// Seed: the same seed and --now give the same inbox.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// By extension (.csv, .ndjson, .jsonl), else by content.
    Auto,
    Csv,
    Ndjson,
    Bundle,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The files to import; each is one transaction, and a file that fails leaves the others.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The files' format (a FHIR Bundle file may also hold one lone Task).
    #[arg(long, value_enum, default_value_t = ImportFormat::Auto)]
    pub format: ImportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Csv,
}

/// A task's status, as `--status` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    New,
    Assigned,
    Rejected,
    Completed,
    Cancelled,
}

impl From<StatusArg> for Status {
    fn from(s: StatusArg) -> Status {
        match s {
            StatusArg::New => Status::New,
            StatusArg::Assigned => Status::Assigned,
            StatusArg::Rejected => Status::Rejected,
            StatusArg::Completed => Status::Completed,
            StatusArg::Cancelled => Status::Cancelled,
        }
    }
}

/// An LMC policy flag, as `--flag` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FlagArg {
    AfterCutoff,
    Immediate,
    ProviderWork,
    NamedRecipient,
    DetailInTask,
    PersistentSender,
    NoAgreement,
}

impl From<FlagArg> for Flag {
    fn from(f: FlagArg) -> Flag {
        match f {
            FlagArg::AfterCutoff => Flag::AfterCutoff,
            FlagArg::Immediate => Flag::Immediate,
            FlagArg::ProviderWork => Flag::ProviderWork,
            FlagArg::NamedRecipient => Flag::NamedRecipient,
            FlagArg::DetailInTask => Flag::DetailInTask,
            FlagArg::PersistentSender => Flag::PersistentSender,
            FlagArg::NoAgreement => Flag::NoAgreement,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only tasks in this status (repeat or comma-separate for several).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub status: Vec<StatusArg>,
    /// Only tasks raising this LMC flag (repeat or comma-separate: tasks raising any of them).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub flag: Vec<FlagArg>,
    /// Only tasks from this provider (ODS code).
    #[arg(long, value_name = "ODS")]
    pub provider: Option<String>,
    /// Only tasks held by this staff member or group.
    #[arg(long, value_name = "STAFF_ID")]
    pub owner: Option<String>,
    /// Full-text search over subject, body, provider and patient name.
    #[arg(long, value_name = "WORDS")]
    pub search: Option<String>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// At most this many tasks (0 for all).
    #[arg(long, default_value_t = 200)]
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The task's id in the mirror (the first column of `taskgate list`).
    pub id: i64,
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

#[derive(Debug, Args)]
pub struct LetterArgs {
    /// The task's id in the mirror.
    pub id: i64,
    /// Which letter: lmc-rejection, immediate-action, provider-responsibility,
    /// agreed-route-reminder or patient-safety-redirect.
    #[arg(long, value_name = "NAME", default_value = "lmc-rejection")]
    pub template: String,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The tasks to reject; all are rejected together, or none is.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<i64>,
    /// Which letter, for every task: lmc-rejection, immediate-action, provider-responsibility,
    /// agreed-route-reminder or patient-safety-redirect. Without it each task gets the letter
    /// it needs: the one its flags suggest, the agreed-route reminder for a provider with an
    /// agreement, else the LMC rejection letter.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Reject even a task that could harm a patient if sent back unread (it raises `immediate`
    /// or uses one of `policy.safeguarding_words`); without it such a task stops the command.
    #[arg(long)]
    pub despite_risk: bool,
    /// Only if the task is still at this row version (`row_version` in `show ID --format json`):
    /// a change someone else made since is reported as a conflict instead of overridden.
    #[arg(long, value_name = "N")]
    pub if_version: Option<i64>,
}

#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The tasks to assign; all are assigned together, or none is.
    #[arg(required = true, num_args = 1.., value_name = "ID")]
    pub ids: Vec<i64>,
    /// A `[[staff]]` or `[[groups]]` id from the config.
    #[arg(value_name = "STAFF_ID")]
    pub staff_id: String,
    /// A note stored with each task, shown in its history.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Assign even though the person (or every member of the group) is away today; without it
    /// such an assignment is refused, as the inbox asks for a second key press.
    #[arg(long)]
    pub even_if_away: bool,
    /// Only if the task is still at this row version (`row_version` in `show ID --format json`):
    /// a change someone else made since is reported as a conflict instead of overridden.
    #[arg(long, value_name = "N")]
    pub if_version: Option<i64>,
}

#[derive(Debug, Args)]
pub struct TasksArgs {
    /// The tasks; all are changed together, or none is.
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<i64>,
    /// Only if the task is still at this row version (`row_version` in `show ID --format json`).
    #[arg(long, value_name = "N")]
    pub if_version: Option<i64>,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    #[command(flatten)]
    pub tasks: TasksArgs,
    /// The note's text.
    #[arg(long, value_name = "TEXT")]
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OverdueFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct OverdueArgs {
    #[arg(long, value_enum, default_value_t = OverdueFormat::Table)]
    pub format: OverdueFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HandoverFormat {
    Md,
    Html,
    Json,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HandoverArgs {
    #[command(subcommand)]
    pub action: Option<HandoverCommand>,
    /// md for reading, html for printing (one self-contained file), json for other tools.
    #[arg(long, value_enum, default_value_t = HandoverFormat::Md)]
    pub format: HandoverFormat,
    /// Write the report to FILE (owner-only; an existing file is never overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Count actions from this instant (RFC 3339) instead of the last sign-off.
    #[arg(long, value_name = "RFC3339")]
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Subcommand)]
pub enum HandoverCommand {
    /// Record in the audit log that OUTGOING handed the inbox over to INCOMING.
    #[command(
        after_help = "Example:\n  taskgate handover sign-off --outgoing aclarke --incoming bpatel"
    )]
    SignOff {
        /// The `[[staff]]` id of the person leaving.
        #[arg(long, value_name = "STAFF_ID")]
        outgoing: String,
        /// The `[[staff]]` id of the person taking over.
        #[arg(long, value_name = "STAFF_ID")]
        incoming: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsBy {
    Provider,
    Category,
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Group by sending provider, by category of work (policy.categories, else "other"), or
    /// by month of receipt.
    #[arg(long, value_enum, default_value_t = StatsBy::Provider)]
    pub by: StatsBy,
    #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
    pub format: StatsFormat,
    /// Only tasks received on or after this day (YYYY-MM-DD, London time).
    #[arg(long, value_name = "DATE")]
    pub since: Option<NaiveDate>,
    /// Only tasks received on or before this day (YYYY-MM-DD, London time).
    #[arg(long, value_name = "DATE")]
    pub until: Option<NaiveDate>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Prove the hash chain unbroken; exit 1 naming the first bad event otherwise.
    #[command(after_help = "Example:\n  taskgate audit verify")]
    Verify,
    /// Show the audit events of one task (or the latest events when no id is given).
    #[command(after_help = "Example:\n  taskgate audit show 17")]
    Show {
        /// Task id.
        id: Option<i64>,
        /// How many of the latest events to show when no id is given.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Every provider: ODS code, name, agreement, escalation stage and who moved it when.
    #[command(after_help = "Example:\n  taskgate provider list")]
    List,
    /// Move a provider one stage up the escalation ladder (audited); `--back` one stage down,
    /// `--to N` straight to stage N.
    #[command(after_help = "Example:\n  taskgate provider escalate ZRD08 --back")]
    Escalate {
        /// The provider's ODS code (the first column of `taskgate provider list`).
        #[arg(value_name = "ODS")]
        ods: String,
        /// Go straight to this stage (0-4); the only way to move more than one stage.
        #[arg(long, value_name = "STAGE", conflicts_with = "back",
              value_parser = clap::value_parser!(u8).range(0..=4))]
        to: Option<u8>,
        /// Go one stage back down instead of up.
        #[arg(long)]
        back: bool,
    },
    /// Print the escalation letter for the provider's current stage (or `--stage N`), citing
    /// its tasks rejected in the last 30 days. Nothing is stored.
    #[command(after_help = "Example:\n  taskgate provider letter ZRD08 --stage 1")]
    Letter {
        /// The provider's ODS code.
        #[arg(value_name = "ODS")]
        ods: String,
        /// The letter of this stage (1-4) instead of the provider's current one.
        #[arg(long, value_name = "STAGE", value_parser = clap::value_parser!(u8).range(0..=4))]
        stage: Option<u8>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration and print the paths taskgate resolved.
    #[command(after_help = "Example:\n  taskgate config check")]
    Check,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub action: Option<SyncCommand>,
    /// Repeat every source.poll_interval until interrupted (Ctrl-C).
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Settle a sync conflict: keep the server's version (ours is not sent), or send ours again
    /// on top of the server's version.
    #[command(after_help = "Example:\n  taskgate sync resolve 17 --keep theirs")]
    Resolve {
        /// The task's id in the mirror.
        id: i64,
        #[arg(long, value_enum)]
        keep: KeepSide,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeepSide {
    Theirs,
    Ours,
}

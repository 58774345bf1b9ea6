//! The local `SQLite` mirror of the practice's external-task inbox. A `Store` owns one connection
//! to an owner-only database file in WAL mode; every user action is one store operation that
//! writes the change, its audit events and its outbox entries in one transaction, so the rest of
//! the crate (TUI, CLI, sync) never assembles those pieces itself. Submodules split the work by
//! what a reader looks for: file permissions, schema, task import and reads, paging and search,
//! user actions and undo, the audit chain, and the small tables around them.

mod actions;
mod audit;
mod audit_text;
mod escalation;
mod files;
mod handover;
mod import;
mod mirror_key;
mod misc;
mod overdue;
mod provider_facts;
mod providers;
mod purge;
mod query;
mod records;
mod schema;
mod stats;
mod sync;
mod tallies;
mod tasks;
mod unactioned;
mod undo;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::domain::{Status, TaskAction, TaskId};

pub use actions::{ActionOutcome, NewLetter};
pub use audit::{AuditEvent, AuditVerification};
pub use escalation::{EscalationError, EscalationMove};
pub use handover::ActionTally;
pub use import::FileImport;
pub use mirror_key::{ENCRYPTION_BUILT, KeyError, MirrorKey, use_mirror_key};
pub use misc::QuarantinedRow;
pub use purge::{PURGED, PurgeRequest, PurgeSummary};
pub use query::{PageKey, Selection, TaskFilter};
pub use records::{Note, OutboxEntry, StoredLetter};
pub use stats::ReceivedWindow;
pub use sync::{Conflict, HeldBack, NewConflict, PulledPage, PushQueue, ResolveError};
pub use tallies::{FirstAction, Tally};
pub use tasks::InsertSummary;
pub use unactioned::{AssignedTask, ListedTask};

/// Who is acting, and the instant the action counts as taken (the clock is passed in so that
/// `--now` and tests see the same world).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: &'a str,
    pub now: DateTime<Utc>,
}

/// A task an action applies to, with the row version the user saw when they chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub id: TaskId,
    pub row_version: i64,
}

/// Failures a caller must tell apart; the messages are written for the person at the desk.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{} can be read or written by other users (mode {mode:04o}); patient data must stay \
         owner-only: run `chmod 600 {}` and try again",
        .path.display(), .path.display()
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error(
        "task {task_id} changed since you looked at it (version {expected}, now {found}): \
         reload and try again"
    )]
    Conflict {
        task_id: TaskId,
        expected: i64,
        found: i64,
    },
    #[error("task {0} is not in the mirror")]
    NotFound(TaskId),
    #[error("cannot {action} task {task_id}: it is {status}")]
    NotAllowed {
        task_id: TaskId,
        status: Status,
        action: TaskAction,
    },
    #[error(
        "task {task_id} is in sync conflict with another desk's change: keep theirs or re-apply \
         ours before acting on it again"
    )]
    InSyncConflict { task_id: TaskId },
    #[error("no tasks were selected")]
    NothingSelected,
    #[error("action {action_id} has already been sent upstream, so it can no longer be undone")]
    AlreadySent { action_id: i64 },
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("{} already exists: choose a new file name", .path.display())]
    AlreadyExists { path: PathBuf },
    #[error(
        "the mirror was written by a newer taskgate (schema version {found}, this build knows \
         up to {known}): upgrade taskgate"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("cannot {doing} {}: {source}", .path.display())]
    Io {
        doing: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the mirror holds a value this build cannot read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The mirror: one connection to one database file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// SQLite's page cache per connection, in KiB as `PRAGMA cache_size` takes it (negative).
/// Reading needs little: the screens read indexes and a window of rows, and the operating
/// system caches the file. The inbox holds two connections (its worker and background sync)
/// and must stay within its memory budget (README, "Performance").
const READING_CACHE_KIB: i64 = -8 * 1024;
/// A bulk write (an import, a demo, a pull) inserts into several indexes at scattered places;
/// a bigger cache while it runs saves re-reading their pages from the file.
const BULK_CACHE_KIB: i64 = -64 * 1024;

impl Store {
    /// Opens (creating if needed) the mirror at `path`, owner-only, and brings its schema up
    /// to date. An existing file (or `-wal`/`-shm` beside it) that other users can read is
    /// refused rather than "fixed", because the practice should know patient data was exposed.
    /// With a mirror key set (SQLCipher builds), the file is unlocked with it first.
    pub fn open(path: &Path) -> Result<Store> {
        files::prepare_database_file(path)?;
        files::refuse_exposed_sidecars(path)?;
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        mirror_key::unlock(&conn, path)?;
        // journal_mode and secure_delete answer with a row, so they cannot go through
        // execute_batch's checks. secure_delete FAST zeroes what a change removes from a page it writes anyway: a task
        // leaving the inbox leaves no patient name behind in the overdue index's free space.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        let _secure: i64 = conn.query_row("PRAGMA secure_delete = FAST", [], |r| r.get(0))?;
        conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = {READING_CACHE_KIB};"
        ))?;
        conn.set_prepared_statement_cache_capacity(64);
        query::register_in_matches(&conn)?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file this store writes to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `SQLite`'s own consistency check: `true` when the file is sound.
    pub fn integrity_check(&self) -> Result<bool> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows == ["ok"])
    }

    /// Writes take the lock up front so a second process waits (busy timeout) instead of
    /// failing half-way when a read transaction tries to upgrade.
    fn write_tx(&mut self) -> Result<Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

/// Unix seconds to an instant; stored times were written from valid instants, so a failure
/// means the file was edited by something else.
fn from_unix(secs: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Integer,
            format!("{secs} is not a valid time").into(),
        )
    })
}

/// Turns a parse failure of a stored text column into rusqlite's conversion error, so row
/// mappers can use `?` and the caller sees which column was unreadable.
fn bad_column<E>(idx: usize, err: E) -> rusqlite::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(err))
}

/// Row counts and limits cross between `usize`/`u64` and `SQLite`'s `i64`; values this large
/// never occur, so saturating is the honest conversion.
fn to_sql_count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn from_sql_count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

//! Sync with the practice's FHIR server: one cycle pulls the Tasks that changed since the last
//! (into the mirror, never over a local change still waiting to go up) and then pushes the
//! outbox (each change as an update the server accepts only against the version it was made on).
//! A plain blocking API, so the CLI calls it directly and the TUI runs it on a thread of its own.
//!
//! Nothing here loses an action: a change leaves the outbox only when the server has taken it or
//! a person has chosen the server's version over it. What a cycle could not do is in its report,
//! sorted by what the person at the desk can do about it.

mod auth;
mod backoff;
mod client;
mod pull;
mod push;
pub mod setup;
mod tls;
mod transport;

use std::fmt::{self, Write as _};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};

pub use auth::{ClientCredentials, Credentials, SigningKey};
pub use backoff::{FIRST_WAIT, LONGEST_WAIT, wait_after};
pub use client::{RemoteError, Trouble};
pub use pull::{PAGE_SIZE, WATERMARK_OVERLAP, search_url};
pub use tls::{CaFileError, Trust, read_ca_file};

use crate::config::{AuthMethod, Config, SourceKind};
use crate::domain::TaskId;
use crate::store::{Actor, HeldBack, Store, StoreError};
use client::FhirClient;

/// `sync_state` key: when the last cycle with a complete pull ended (RFC 3339). The header and
/// handover judge staleness by it.
pub const LAST_SUCCESS_KEY: &str = "last_success_at";
/// `sync_state` key: when the server first failed to answer, while it still does (RFC 3339).
pub const OFFLINE_SINCE_KEY: &str = "offline_since";

/// What a cycle needs from the config, with secrets read from the environment and the trusted
/// certificate authorities loaded. Clones share one cached access token.
#[derive(Clone)]
pub struct SyncConfig {
    pub base_url: String,
    pub credentials: Credentials,
    pub trust: Trust,
    pub request_timeout: Duration,
    pub practice_ods: String,
    pub staff_ids: Vec<String>,
    pub group_ids: Vec<String>,
    /// `sync.undo_window`: changes younger than this stay in the outbox (see `Store::push_queue`).
    pub undo_window: Duration,
}

impl fmt::Debug for SyncConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncConfig")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("trust", &self.trust)
            .field("request_timeout", &self.request_timeout)
            .field("practice_ods", &self.practice_ods)
            .field("undo_window", &self.undo_window)
            .finish_non_exhaustive()
    }
}

/// Why a cycle could not run at all, or broke on this desk's side.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "source.kind is \"{0}\", so there is no server to sync with: set kind = \"fhir\" with \
         base_url and token_env in [source]"
    )]
    NotFhir(SourceKind),
    #[error(
        "the environment variable {0} (named by source.token_env) is not set: it must hold the \
         bearer token for the FHIR server"
    )]
    MissingToken(String),
    #[error(
        "the environment variable {0} (named by source.client_secret_env) is not set: it must \
         hold the client secret for source.token_url"
    )]
    MissingSecret(String),
    #[error("source.{0} is missing")]
    Incomplete(&'static str),
    #[error(transparent)]
    CaFile(#[from] CaFileError),
    #[error("cannot use source.private_key_file {path}: {reason}")]
    Key { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncConfig {
    /// Reads `[source]`, `[practice]`, staff and groups, and the token from the environment.
    pub fn from_config(config: &Config) -> Result<SyncConfig, SyncError> {
        Self::from_config_with(config, |name| std::env::var(name).ok())
    }

    /// As `from_config`, with the environment looked up through `env`.
    pub fn from_config_with(
        config: &Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<SyncConfig, SyncError> {
        let source = &config.source;
        if source.kind != SourceKind::Fhir {
            return Err(SyncError::NotFhir(source.kind));
        }
        let base_url = source
            .base_url
            .clone()
            .ok_or(SyncError::Incomplete("base_url"))?;
        let credentials = credentials(source, &env)?;
        let trust = Trust::load(source.ca_file.as_deref())?;
        tracing::debug!(?credentials, ?trust, "sync set-up");
        Ok(SyncConfig {
            base_url,
            credentials,
            trust,
            request_timeout: source.request_timeout,
            practice_ods: config.practice.ods_code.clone(),
            staff_ids: config.staff.iter().map(|s| s.id.clone()).collect(),
            group_ids: config.groups.iter().map(|g| g.id.clone()).collect(),
            undo_window: config.sync.undo_window,
        })
    }
}

/// How sync signs in, from `[source]`, with the secret read through `env`.
fn credentials(
    source: &crate::config::Source,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Credentials, SyncError> {
    let read = |name: &str| {
        env(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    match source.auth {
        AuthMethod::Bearer => {
            let token_env = source
                .token_env
                .clone()
                .ok_or(SyncError::Incomplete("token_env"))?;
            let token =
                read(&token_env).ok_or_else(|| SyncError::MissingToken(token_env.clone()))?;
            Ok(Credentials::Bearer { token, token_env })
        }
        AuthMethod::ClientCredentials => {
            let token_url = source
                .token_url
                .clone()
                .ok_or(SyncError::Incomplete("token_url"))?;
            let client_id = source
                .client_id
                .clone()
                .ok_or(SyncError::Incomplete("client_id"))?;
            let scope = source.scope.clone();
            let client = match (&source.client_secret_env, &source.private_key_file) {
                (Some(secret_env), _) => {
                    let secret = read(secret_env)
                        .ok_or_else(|| SyncError::MissingSecret(secret_env.clone()))?;
                    ClientCredentials::with_secret(
                        token_url,
                        client_id,
                        scope,
                        secret,
                        secret_env.clone(),
                    )
                }
                (None, Some(path)) => {
                    let key =
                        SigningKey::load(path, source.key_id.as_deref()).map_err(|reason| {
                            SyncError::Key {
                                path: path.display().to_string(),
                                reason,
                            }
                        })?;
                    ClientCredentials::with_key(token_url, client_id, scope, key)
                }
                (None, None) => return Err(SyncError::Incomplete("client_secret_env")),
            };
            Ok(Credentials::Client(std::sync::Arc::new(client)))
        }
    }
}

/// What one cycle did, and what it could not do.
#[derive(Debug, Clone, Default)]
pub struct CycleReport {
    /// Task resources received from the server.
    pub pulled: u64,
    pub inserted: u64,
    pub updated: u64,
    /// Received but already in the mirror at that version, or held back by a local change.
    pub unchanged: u64,
    /// Received but unreadable; kept in quarantine with the field at fault.
    pub quarantined: u64,
    /// Changes the server took.
    pub pushed: u64,
    /// Tasks found changed by another desk this cycle.
    pub conflicts: u64,
    pub conflicted_tasks: Vec<TaskId>,
    /// Changes that did not get through and wait to be retried.
    pub retrying: u64,
    /// Changes that can never be sent (kept in the outbox as failed, with the reason).
    pub failed: u64,
    /// Changes still waiting in the outbox when the cycle ended, apart from those `held`:
    /// backing off, refused for now, or behind a conflict.
    pub waiting: u64,
    /// Changes younger than the undo window, left on this desk so `u` can still take them
    /// back; a sync after `held.last_release` sends them.
    pub held: HeldBack,
    /// Whether the pull reached the end of the server's list.
    pub pull_complete: bool,
    /// What went wrong, worst first is not guaranteed; see `trouble()`.
    pub problems: Vec<(Trouble, String)>,
    /// Since when the server has not been answering, if it still is not.
    pub offline_since: Option<DateTime<Utc>>,
    /// Time spent waiting on the server's answers.
    pub server_time: Duration,
    /// The whole cycle.
    pub total_time: Duration,
    pub requests: u64,
}

impl CycleReport {
    fn note(&mut self, trouble: Trouble, message: String) {
        self.problems.push((trouble, message));
    }

    /// The worst trouble of the cycle: misconfiguration needs a person, so it outranks a
    /// server that is down, which outranks one that is failing.
    pub fn trouble(&self) -> Option<Trouble> {
        let rank = |t: &Trouble| match t {
            Trouble::Misconfigured => 3,
            Trouble::Offline => 2,
            Trouble::ServerFault => 1,
        };
        self.problems.iter().map(|(t, _)| *t).max_by_key(rank)
    }

    /// The one-line summary `taskgate sync` prints.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "pulled {} ({} new, {} updated), pushed {}, conflicts {}",
            self.pulled, self.inserted, self.updated, self.pushed, self.conflicts
        );
        if self.quarantined > 0 {
            let _ = write!(line, ", {} unreadable (quarantined)", self.quarantined);
        }
        if self.waiting > 0 {
            let _ = write!(line, ", {} change(s) waiting to go up", self.waiting);
        }
        if let Some(until) = self.held.last_release.filter(|_| self.held.count > 0) {
            let _ = write!(
                line,
                ", {} change(s) held for the undo window until {}",
                self.held.count,
                until
                    .with_timezone(&chrono_tz::Europe::London)
                    .format("%H:%M:%S")
            );
        }
        let _ = write!(
            line,
            " in {:.1} s, {:.1} s waiting on the server",
            self.total_time.as_secs_f64(),
            self.server_time.as_secs_f64()
        );
        line
    }
}

/// Why a pull or push stopped early: the server (reported, the cycle still ends normally) or
/// the mirror (an error of this desk's own).
enum Stop {
    Remote(RemoteError),
    Store(StoreError),
}

impl From<RemoteError> for Stop {
    fn from(e: RemoteError) -> Self {
        Stop::Remote(e)
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

/// One pull-then-push cycle against the configured server, acting as `actor` at `now` (the
/// time stamped on audit events and backoff; the watermark comes from the server's clock).
pub fn run_cycle(
    store: &mut Store,
    config: &SyncConfig,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<CycleReport, SyncError> {
    let started = Instant::now();
    let mut client = FhirClient::new(
        &config.base_url,
        config.credentials.clone(),
        &config.trust,
        config.request_timeout,
    );
    let mut report = CycleReport::default();
    let by = Actor { id: actor, now };
    let mut was_offline = store.sync_value(OFFLINE_SINCE_KEY)?;
    // Server versions held back while a task had a change waiting (since undone, say).
    report.updated += store.apply_held_back(actor, now)?.updated;

    let pulled = pull::pull(&mut client, store, config, actor, now, &mut report);
    match pulled {
        Ok(()) => {
            report.pull_complete = true;
            if was_offline.take().is_some() {
                // The server answers again: whatever backed off while it was away goes now.
                store.retry_outbox_now()?;
                store.clear_sync_value(OFFLINE_SINCE_KEY)?;
            }
            let pushed = push::push(&mut client, store, config, &by, &mut report);
            settle(pushed, &mut report)?;
            report.updated += store.apply_held_back(actor, now)?.updated;
        }
        Err(stop) => settle(Err(stop), &mut report)?,
    }

    if report.pull_complete {
        store.set_sync_value(LAST_SUCCESS_KEY, &instant_text(now))?;
    }
    let unreachable = report
        .problems
        .iter()
        .any(|(t, _)| matches!(t, Trouble::Offline | Trouble::ServerFault));
    if unreachable || !report.pull_complete {
        let known = was_offline.as_deref().and_then(pull::parse_instant);
        if known.is_none() {
            store.set_sync_value(OFFLINE_SINCE_KEY, &instant_text(now))?;
        }
        report.offline_since = Some(known.unwrap_or(now));
    }
    report.held = store.undo_window_held(now, config.undo_window)?;
    report.waiting = store
        .pending_outbox_count()?
        .saturating_sub(report.held.count);
    report.server_time = client.waited();
    report.requests = client.requests();
    report.total_time = started.elapsed();
    tracing::info!(
        pulled = report.pulled,
        inserted = report.inserted,
        updated = report.updated,
        pushed = report.pushed,
        conflicts = report.conflicts,
        waiting = report.waiting,
        held = report.held.count,
        problems = report.problems.len(),
        "sync cycle"
    );
    Ok(report)
}

/// Turns a stop into a reported problem, or passes a mirror error up.
fn settle(result: Result<(), Stop>, report: &mut CycleReport) -> Result<(), SyncError> {
    match result {
        Ok(()) => Ok(()),
        Err(Stop::Remote(e)) => {
            report.note(e.trouble(), e.to_string());
            Ok(())
        }
        Err(Stop::Store(e)) => Err(e.into()),
    }
}

fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

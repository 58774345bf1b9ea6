//! One desk for the sync tests: its own config (the example practice, with a FHIR test peer as
//! its source), its own mirror and home, and the real `taskgate` binary, with what it printed
//! read back as a person would.

#![allow(dead_code)] // each test file uses a different part of this harness

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::peer::{Peer, TOKEN, TOKEN_ENV};

/// One desk: its own config (the example practice, with the peer as its FHIR source), its own
/// mirror file and home, and the real `taskgate` binary acting as `aclarke`.
pub struct Desk {
    dir: tempfile::TempDir,
    db: PathBuf,
    config: PathBuf,
}

/// What one `taskgate sync` run did, as the person at the desk sees it.
#[derive(Debug)]
pub struct SyncRun {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// The numbers of sync's summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub pulled: u64,
    pub new: u64,
    pub updated: u64,
    pub pushed: u64,
    pub conflicts: u64,
}

impl SyncRun {
    /// Reads `pulled N (X new, Y updated), pushed P, conflicts C ...`.
    pub fn summary(&self) -> Summary {
        let line = self
            .stdout
            .lines()
            .find(|l| l.contains("pulled "))
            .unwrap_or_else(|| panic!("no summary line in {self:?}"));
        let number_before = |word: &str| -> u64 {
            let words: Vec<&str> = line.split_whitespace().collect();
            words
                .windows(2)
                .find(|w| w[1].trim_matches(|c: char| !c.is_alphabetic()) == word)
                .and_then(|w| {
                    w[0].trim_matches(|c: char| !c.is_ascii_digit())
                        .parse()
                        .ok()
                })
                .unwrap_or_else(|| panic!("no count before `{word}` in {line}"))
        };
        let number_after = |word: &str| -> u64 {
            let words: Vec<&str> = line.split_whitespace().collect();
            words
                .windows(2)
                .find(|w| w[0] == word)
                .and_then(|w| {
                    w[1].trim_matches(|c: char| !c.is_ascii_digit())
                        .parse()
                        .ok()
                })
                .unwrap_or_else(|| panic!("no count after `{word}` in {line}"))
        };
        Summary {
            pulled: number_after("pulled"),
            new: number_before("new"),
            updated: number_before("updated"),
            pushed: number_after("pushed"),
            conflicts: number_after("conflicts"),
        }
    }
}

impl Desk {
    pub fn new(peer: &Peer) -> Desk {
        let dir = tempfile::tempdir().expect("temp dir");
        let example = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"),
        )
        .expect("read the example config");
        let source = format!(
            "kind = \"fhir\"\nbase_url = \"{}\"\ntoken_env = \"{TOKEN_ENV}\"",
            peer.base_url()
        );
        assert_eq!(example.matches("kind = \"demo\"").count(), 1);
        let config = dir.path().join("config.toml");
        std::fs::write(&config, example.replace("kind = \"demo\"", &source)).expect("config");
        let db = dir.path().join("mirror.sqlite");
        let desk = Desk { dir, db, config };
        // A change goes at the next sync, as most sync tests expect; the tests of the undo
        // window itself set one with `set_undo_window`.
        desk.set_undo_window("0s");
        desk
    }

    /// Sets `sync.undo_window` (how long a new change stays on this desk before a push).
    pub fn set_undo_window(&self, window: &str) {
        let text = std::fs::read_to_string(&self.config).expect("read the config");
        let at = text
            .lines()
            .find(|l| l.starts_with("undo_window = "))
            .expect("the example config sets sync.undo_window")
            .to_owned();
        let text = text.replace(&at, &format!("undo_window = \"{window}\""));
        std::fs::write(&self.config, text).expect("write the config");
    }

    /// The config file this desk runs with.
    pub fn config_file(&self) -> &Path {
        &self.config
    }

    /// Sets `source.poll_interval` (how often `sync --watch` runs a cycle).
    pub fn set_poll_interval(&self, interval: &str) {
        let text = std::fs::read_to_string(&self.config).expect("read the config");
        assert_eq!(text.matches("poll_interval = \"5m\"").count(), 1);
        let text = text.replace(
            "poll_interval = \"5m\"",
            &format!("poll_interval = \"{interval}\""),
        );
        std::fs::write(&self.config, text).expect("write the config");
    }

    /// Rewrites the desk's config file (to set up TLS or client credentials, say).
    pub fn edit_config(&self, edit: impl FnOnce(String) -> String) {
        let text = std::fs::read_to_string(&self.config).expect("read the config");
        std::fs::write(&self.config, edit(text)).expect("write the config");
    }

    /// The binary on this desk's config and mirror, with the token in the environment.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("taskgate").expect("binary built");
        c.envs(self.env())
            .env_remove("TASKGATE_CONFIG")
            .env_remove("TASKGATE_USER")
            .env_remove("TASKGATE_LOG")
            .args(self.args());
        c
    }

    /// The environment every run on this desk gets: its own home and the token.
    pub fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        vec![
            ("HOME", self.dir.path().into()),
            ("XDG_DATA_HOME", self.dir.path().join("data").into()),
            ("XDG_CONFIG_HOME", self.dir.path().join("xdg-config").into()),
            (TOKEN_ENV, TOKEN.into()),
        ]
    }

    /// The arguments before the command: who acts, which config, which mirror.
    pub fn args(&self) -> Vec<std::ffi::OsString> {
        vec![
            "--user".into(),
            "aclarke".into(),
            "--config".into(),
            self.config.clone().into(),
            "--db".into(),
            self.db.clone().into(),
        ]
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("taskgate runs");
        assert!(
            out.status.success(),
            "taskgate {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn sync(&self) -> SyncRun {
        run_sync(self.cmd().arg("sync"))
    }

    /// `taskgate sync` with the token variable set to `token`, or unset.
    pub fn sync_with_token(&self, token: Option<&str>) -> SyncRun {
        let mut cmd = self.cmd();
        match token {
            Some(t) => cmd.env(TOKEN_ENV, t),
            None => cmd.env_remove(TOKEN_ENV),
        };
        run_sync(cmd.arg("sync"))
    }

    /// A sync that must complete (exit 0); its summary.
    pub fn sync_ok(&self) -> Summary {
        let run = self.sync();
        assert_eq!(run.code, Some(0), "sync did not complete: {run:?}");
        run.summary()
    }

    /// Every task in the mirror, as `list --format json` gives them.
    pub fn tasks(&self) -> Vec<Value> {
        let text = self.run_ok(&[
            "list",
            "--format",
            "json",
            "--limit",
            "0",
            "--status",
            "new,assigned,rejected,completed,cancelled",
        ]);
        serde_json::from_str::<Value>(&text)
            .expect("list gives JSON")
            .as_array()
            .expect("a list")
            .clone()
    }

    /// The server ids of every task in the mirror, sorted (a task held twice would show).
    pub fn source_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .tasks()
            .iter()
            .map(|t| t["source_id"].as_str().expect("a source id").to_owned())
            .collect();
        ids.sort();
        ids
    }

    pub fn tasks_by_source_id(&self) -> std::collections::HashMap<String, Value> {
        self.tasks()
            .into_iter()
            .map(|t| (t["source_id"].as_str().expect("a source id").to_owned(), t))
            .collect()
    }

    /// The desk's log file (under its own data dir), as taskgate writes it.
    #[allow(dead_code)] // only the log test reads it
    pub fn log_file(&self) -> PathBuf {
        self.dir.path().join("data/taskgate/logs/taskgate.log")
    }

    /// The mirror file, for checks no command shows (what the file itself holds).
    #[allow(dead_code)] // not every test binary that includes the harness looks at the file
    pub fn db(&self) -> &Path {
        &self.db
    }

    /// The mirror itself, for what the command line does not show (outbox, conflicts).
    pub fn store(&self) -> taskgate::store::Store {
        taskgate::store::Store::open(&self.db).expect("open the mirror")
    }
}

fn run_sync(cmd: &mut assert_cmd::Command) -> SyncRun {
    let out = cmd.output().expect("taskgate sync runs");
    SyncRun {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

//! A private home for the real binary: its own data and config folders (the example config
//! installed as after set-up), so a test never touches the developer's files, plus the few ways
//! the reliability tests run and read it.

#![allow(dead_code)] // each test file uses a different part of this helper

use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

/// The instant every command runs at unless a test says otherwise.
pub const NOW: &str = "2026-11-20T12:00:00Z";

pub struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    /// A sandbox whose platform config dir holds the example config.
    pub fn new() -> Sandbox {
        let s = Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let config = s.config_file();
        std::fs::create_dir_all(config.parent().expect("config folder")).expect("config dir");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"),
            &config,
        )
        .expect("copy the example config");
        s
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn config_file(&self) -> PathBuf {
        self.path("config/taskgate/config.toml")
    }

    /// The mirror the tests use (`--db`).
    pub fn db(&self) -> PathBuf {
        self.path("mirror.sqlite")
    }

    /// Points the config at a FHIR server (the test peer): `taskgate sync` then pulls from it
    /// and pushes to it, with the peer's token from the environment `command` sets. Every
    /// command here runs at the same `--now`, so the undo window is set to zero: a change is
    /// sent by the next sync (tests/undo_window.rs is where the window is kept).
    pub fn use_fhir(&self, base_url: &str) {
        let config = std::fs::read_to_string(self.config_file()).expect("read the config");
        assert_eq!(config.matches("kind = \"demo\"").count(), 1);
        assert_eq!(config.matches("undo_window = \"20s\"").count(), 1);
        let source = format!(
            "kind = \"fhir\"\nbase_url = \"{base_url}\"\ntoken_env = \"{}\"",
            super::peer::TOKEN_ENV
        );
        std::fs::write(
            self.config_file(),
            config
                .replace("kind = \"demo\"", &source)
                .replace("undo_window = \"20s\"", "undo_window = \"0s\""),
        )
        .expect("write the config");
    }

    /// Where taskgate writes its log in this sandbox (the platform data dir).
    pub fn log_file(&self) -> PathBuf {
        self.path("data/taskgate/logs/taskgate.log")
    }

    /// The environment a run of taskgate gets here, for a pseudo-terminal too.
    pub fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", self.dir.path().to_path_buf()),
            ("XDG_DATA_HOME", self.path("data")),
            ("XDG_CONFIG_HOME", self.path("config")),
        ]
    }

    /// `taskgate --db <mirror> --now NOW <args>` (the args' own `--db` and `--now` instead when
    /// they have them), not yet started.
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_taskgate"));
        for (k, v) in self.env() {
            c.env(k, v);
        }
        c.env_remove("TASKGATE_CONFIG")
            // The first member of staff in the example config acts.
            .env("TASKGATE_USER", "aclarke")
            .env_remove("TASKGATE_LOG")
            .env_remove("TASKGATE_TEST_PANIC")
            // A sandbox pointed at the FHIR test peer (`use_fhir`) finds its token here; no
            // other command reads the variable.
            .env(super::peer::TOKEN_ENV, super::peer::TOKEN);
        if !args.contains(&"--db") {
            c.arg("--db").arg(self.db());
        }
        if !args.contains(&"--now") {
            c.arg("--now").arg(NOW);
        }
        c.args(args);
        c
    }

    /// `taskgate --db <mirror> --user aclarke --now NOW <args>` for a pseudo-terminal
    /// (`Screen::start_command`), with this sandbox's environment.
    pub fn pty_command(&self, args: &[&str]) -> portable_pty::CommandBuilder {
        let mut cmd = portable_pty::CommandBuilder::new(env!("CARGO_BIN_EXE_taskgate"));
        cmd.arg("--db");
        cmd.arg(self.db());
        cmd.args(["--user", "aclarke", "--now", NOW]);
        cmd.args(args);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `taskgate <args>` to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("taskgate runs")
    }

    /// Runs `taskgate <args>` and insists it succeeds; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "taskgate {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    /// Runs `taskgate <args>` and reads its standard output as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("valid JSON")
    }

    /// A demo mirror of `tasks` tasks at `db()`.
    pub fn demo(&self, tasks: usize) {
        self.ok(&["demo", "--tasks", &tasks.to_string(), "--seed", "7"]);
    }
}

/// The mirror's own words on itself, read with the `sqlite3` program (a real, independent
/// reader): `PRAGMA integrity_check` must answer `ok`.
pub fn sqlite3_integrity(db: &Path) -> String {
    let out = std::process::Command::new("sqlite3")
        .arg(db)
        .arg("PRAGMA integrity_check;")
        .output()
        .expect("the sqlite3 program is installed (apt-get install sqlite3)");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    )
}

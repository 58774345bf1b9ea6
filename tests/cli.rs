//! The real binary on real files: what a practice manager would type, and what they would see.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

const NOW: &str = "2026-11-20T12:00:00Z";

/// A sandbox: its own data and config dirs, so no test touches the developer's files.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    /// A sandbox whose platform config dir holds the example config, as after installation.
    fn new() -> Self {
        let s = Self::without_config();
        let dir = s.path("config/taskgate");
        std::fs::create_dir_all(&dir).expect("config dir");
        std::fs::copy(example_config(), dir.join("config.toml")).expect("copy example");
        s
    }

    fn without_config() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("taskgate").expect("binary built");
        c.env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env_remove("TASKGATE_CONFIG")
            .env_remove("TASKGATE_USER")
            .env_remove("TASKGATE_LOG")
            .arg("--now")
            .arg(NOW);
        c
    }

    /// A demo mirror at `name` with `tasks` tasks.
    fn demo(&self, name: &str, tasks: usize) -> PathBuf {
        let db = self.path(name);
        self.cmd()
            .args(["demo", "--tasks", &tasks.to_string(), "--seed", "7", "--db"])
            .arg(&db)
            .assert()
            .success()
            .stdout(predicate::str::contains(format!("{tasks} tasks")));
        db
    }

    fn json(&self, db: &Path, args: &[&str]) -> Value {
        let out = self
            .cmd()
            .arg("--db")
            .arg(db)
            .args(args)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("valid JSON")
    }
}

fn example_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn demo_makes_a_private_deterministic_mirror_that_list_and_show_read() {
    let s = Sandbox::new();
    let a = s.demo("a/mirror.sqlite", 250);
    let b = s.demo("b/mirror.sqlite", 250);
    assert_eq!(mode(&a), 0o600);
    assert_eq!(mode(a.parent().expect("folder")), 0o700);

    let list_a = s.json(&a, &["list", "--format", "json", "--limit", "0"]);
    let list_b = s.json(&b, &["list", "--format", "json", "--limit", "0"]);
    assert_eq!(
        list_a, list_b,
        "same seed and --now must give the same inbox"
    );
    let tasks = list_a.as_array().expect("an array");
    assert_eq!(tasks.len(), 250);
    for t in tasks {
        let nhs = t["patient"]["nhs_number"]
            .as_str()
            .expect("demo tasks have numbers");
        assert!(nhs.starts_with("999"), "{nhs} is not synthetic");
    }
    // Oldest first: the triage order.
    let received: Vec<&str> = tasks
        .iter()
        .map(|t| t["received_at"].as_str().unwrap_or(""))
        .collect();
    assert!(received.windows(2).all(|w| w[0] <= w[1]));

    let new_only = s.json(
        &a,
        &[
            "list", "--format", "json", "--status", "new", "--limit", "0",
        ],
    );
    let new_count = tasks.iter().filter(|t| t["status"] == "new").count();
    assert_eq!(new_only.as_array().map(Vec::len), Some(new_count));
    assert!(new_count > 0);

    let id = tasks[0]["id"].as_i64().expect("id");
    let shown = s.json(&a, &["show", &id.to_string(), "--format", "json"]);
    assert_eq!(shown["task"], tasks[0]);
    assert!(shown["history"].as_array().is_some());

    let text = s
        .cmd()
        .arg("--db")
        .arg(&a)
        .args(["show", &id.to_string()])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    let digits = tasks[0]["patient"]["nhs_number"].as_str().expect("nhs");
    let spaced = format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..]);
    assert!(
        text.contains(&spaced),
        "show prints the NHS number 3-3-4:\n{text}"
    );
}

#[test]
fn a_second_demo_never_overwrites_a_mirror() {
    let s = Sandbox::new();
    let db = s.demo("m.sqlite", 20);
    s.cmd()
        .args(["demo", "--tasks", "5", "--db"])
        .arg(&db)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already holds a mirror"));
    let tasks = s.json(&db, &["list", "--format", "json", "--limit", "0"]);
    assert_eq!(tasks.as_array().map(Vec::len), Some(20));
}

#[test]
fn list_formats_agree_on_what_they_list() {
    let s = Sandbox::new();
    let db = s.demo("m.sqlite", 60);
    let json = s.json(&db, &["list", "--format", "json", "--limit", "0"]);
    let csv = s
        .cmd()
        .arg("--db")
        .arg(&db)
        .args(["list", "--format", "csv", "--limit", "0"])
        .output()
        .expect("runs");
    let csv = String::from_utf8(csv.stdout).expect("utf-8");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let ids: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[0].to_owned())
        .collect();
    let json_ids: Vec<String> = json
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["id"].to_string())
        .collect();
    assert_eq!(ids, json_ids);

    let table = s
        .cmd()
        .arg("--db")
        .arg(&db)
        .args(["list", "--limit", "5"])
        .output()
        .expect("runs");
    let table = String::from_utf8(table.stdout).expect("utf-8");
    assert_eq!(
        table.lines().count(),
        6,
        "a title line and five tasks:\n{table}"
    );
    assert!(table.lines().next().is_some_and(|l| l.contains("SUBJECT")));
}

#[test]
fn audit_verify_passes_then_names_the_tampered_event() {
    let s = Sandbox::new();
    let db = s.demo("m.sqlite", 30);
    s.cmd()
        .arg("--db")
        .arg(&db)
        .args(["audit", "verify"])
        .assert()
        .success()
        .stdout(predicate::str::contains("intact"));

    let conn = rusqlite::Connection::open(&db).expect("open");
    let first: i64 = conn
        .query_row("SELECT min(id) FROM audit_log", [], |r| r.get(0))
        .expect("an event");
    conn.execute_batch("DROP TRIGGER IF EXISTS audit_log_no_update")
        .expect("drop trigger");
    // Whatever the trigger is called, tamper through a fresh table copy if the update is refused.
    let changed = conn.execute(
        "UPDATE audit_log SET actor = 'someone-else' WHERE id = ?1",
        [first],
    );
    if changed.is_err() {
        for name in trigger_names(&conn) {
            conn.execute_batch(&format!("DROP TRIGGER \"{name}\""))
                .expect("drop");
        }
        conn.execute(
            "UPDATE audit_log SET actor = 'someone-else' WHERE id = ?1",
            [first],
        )
        .expect("tamper");
    }
    drop(conn);
    s.cmd()
        .arg("--db")
        .arg(&db)
        .args(["audit", "verify"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!("event {first}")));
}

fn trigger_names(conn: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
        .expect("query");
    stmt.query_map([], |r| r.get(0))
        .expect("rows")
        .map(|r| r.expect("name"))
        .collect()
}

#[test]
fn backup_is_owner_only_and_never_overwrites() {
    let s = Sandbox::new();
    let db = s.demo("m.sqlite", 25);
    let copy = s.path("copy.sqlite");
    s.cmd()
        .arg("--db")
        .arg(&db)
        .arg("backup")
        .arg(&copy)
        .assert()
        .success();
    assert_eq!(mode(&copy), 0o600);
    let tasks = s.json(&copy, &["list", "--format", "json", "--limit", "0"]);
    assert_eq!(tasks.as_array().map(Vec::len), Some(25));
    // The mirror moves on (a task is rejected), so a second backup that overwrote the first
    // would leave different bytes behind.
    let first = std::fs::read(&copy).expect("read the backup");
    let id = s.json(
        &db,
        &[
            "list", "--status", "new", "--format", "json", "--limit", "1",
        ],
    )[0]["id"]
        .to_string();
    s.cmd()
        .arg("--db")
        .arg(&db)
        .args(["--user", "aclarke", "reject", "--despite-risk", &id])
        .assert()
        .success();
    s.cmd()
        .arg("--db")
        .arg(&db)
        .arg("backup")
        .arg(&copy)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "already exists: choose a new file name",
        ));
    assert!(
        std::fs::read(&copy).expect("read the backup again") == first,
        "the existing backup must be left byte for byte as it was"
    );
    assert_eq!(mode(&copy), 0o600);
}

#[test]
fn reading_commands_never_create_an_empty_mirror() {
    let s = Sandbox::new();
    let missing = s.path("nothing-here.sqlite");
    s.cmd()
        .arg("--db")
        .arg(&missing)
        .args(["list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no mirror"));
    assert!(!missing.exists());
}

#[test]
fn config_check_prints_where_things_are_and_bad_configs_name_key_and_line() {
    let s = Sandbox::new();
    let good = s.path("good.toml");
    std::fs::copy(example_config(), &good).expect("copy");
    s.cmd()
        .arg("--config")
        .arg(&good)
        .args(["config", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains(good.display().to_string()))
        .stdout(predicate::str::contains("Config OK"));

    let text = std::fs::read_to_string(&good).expect("read");
    let bad = s.path("bad.toml");
    let broken = text.replacen("[practice]\n", "[practice]\ncolour = \"blue\"\n", 1);
    std::fs::write(&bad, &broken).expect("write");
    let line = broken
        .lines()
        .position(|l| l.starts_with("colour"))
        .expect("inserted")
        + 1;
    s.cmd()
        .arg("--config")
        .arg(&bad)
        .args(["config", "check"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("colour"))
        .stderr(predicate::str::contains(format!("line {line}")));

    // With no config anywhere, a real command says where to put one.
    Sandbox::without_config()
        .cmd()
        .args(["config", "check"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("config.example.toml"));
}

/// `taskgate list | head`: a reader that stops early is not an error, in any format. Each
/// output is far larger than a pipe holds, so the writer meets the closed pipe.
#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    use std::io::Read;
    use std::process::Stdio;
    let s = Sandbox::new();
    let db = s.demo("mirror.db", 20_000);
    for args in [
        ["list", "--limit", "0", "--format", "json"],
        ["list", "--limit", "0", "--format", "csv"],
        ["list", "--limit", "0", "--format", "table"],
        ["overdue", "--format", "json", "", ""],
        ["overdue", "--format", "csv", "", ""],
    ] {
        let args: Vec<&str> = args.into_iter().filter(|a| !a.is_empty()).collect();
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("taskgate"))
            .env("HOME", s.dir.path())
            .env("XDG_DATA_HOME", s.path("data"))
            .env("XDG_CONFIG_HOME", s.path("config"))
            .env_remove("TASKGATE_CONFIG")
            .env_remove("TASKGATE_USER")
            .env_remove("TASKGATE_LOG")
            .args(["--now", NOW, "--db"])
            .arg(&db)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("taskgate starts");
        let mut first = [0_u8; 64];
        let mut stdout = child.stdout.take().expect("stdout");
        stdout.read_exact(&mut first).expect("some output");
        drop(stdout);
        let out = child.wait_with_output().expect("taskgate ends");
        assert!(out.status.success(), "{args:?}: {:?}", out.status);
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

//! Encryption at rest. With the `sqlcipher` feature (`cargo test --features sqlcipher --test
//! encryption`): the mirror and its backups are unreadable without the key: no SQLite header,
//! no patient's name in the bytes, and the `sqlite3` program cannot open them; the key comes
//! from the environment variable the config names or a prompt that does not echo it; a wrong or
//! missing key is refused plainly. Without the feature, a config asking for encryption is
//! refused rather than served with a plain-text mirror.

mod support;

use support::sandbox::Sandbox;

/// A sandbox whose config asks for encryption with the key in `TASKGATE_TEST_KEY`.
fn encrypted_sandbox() -> Sandbox {
    let s = Sandbox::new();
    let mut config = std::fs::read_to_string(s.config_file()).expect("config");
    config = config.replace(
        "[storage]\n",
        "[storage]\nkey_env = \"TASKGATE_TEST_KEY\"\n",
    );
    assert!(config.contains("key_env = \"TASKGATE_TEST_KEY\""));
    std::fs::write(s.config_file(), config).expect("write config");
    s
}

#[cfg(not(feature = "sqlcipher"))]
#[test]
fn a_build_without_encryption_refuses_a_config_that_asks_for_it() {
    let s = encrypted_sandbox();
    let out = s
        .command(&["demo", "--tasks", "10"])
        .env("TASKGATE_TEST_KEY", "correct horse battery staple")
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("built without encryption"), "{said}");
    assert!(said.contains("--features sqlcipher"), "{said}");
    assert!(!s.db().exists(), "no plain-text mirror was written");
}

#[cfg(feature = "sqlcipher")]
mod encrypted {
    use std::path::Path;
    use std::process::Output;
    use std::time::Duration;

    use super::encrypted_sandbox;
    use crate::support::pty::Screen;
    use crate::support::sandbox::Sandbox;

    const KEY: &str = "correct horse battery staple";

    fn with_key(s: &Sandbox, key: &str, args: &[&str]) -> Output {
        s.command(args)
            .env("TASKGATE_TEST_KEY", key)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("runs")
    }

    fn ok(s: &Sandbox, args: &[&str]) -> String {
        let out = with_key(s, KEY, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8")
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    /// What someone who copied the file would get from it.
    fn assert_unreadable(file: &Path, names: &[String]) {
        let bytes = std::fs::read(file).expect("read");
        assert!(bytes.len() > 4096, "a real mirror, not an empty file");
        assert!(!bytes.starts_with(b"SQLite format 3\0"), "no SQLite header");
        for text in ["CREATE TABLE", "lmc-rejection", "Riverside"] {
            assert!(
                !contains(&bytes, text),
                "{text} readable in {}",
                file.display()
            );
        }
        for name in names {
            assert!(
                !contains(&bytes, name),
                "{name} readable in {}",
                file.display()
            );
        }
        let sqlite3 = std::process::Command::new("sqlite3")
            .arg(file)
            .arg("SELECT count(*) FROM tasks;")
            .output()
            .expect("the sqlite3 program is installed (apt-get install sqlite3)");
        assert!(!sqlite3.status.success(), "sqlite3 read the encrypted file");
        assert!(
            String::from_utf8_lossy(&sqlite3.stderr).contains("not a database"),
            "{}",
            String::from_utf8_lossy(&sqlite3.stderr)
        );
        // This build's own SQLite, without the key, fares no better.
        let conn = rusqlite::Connection::open(file).expect("open");
        assert!(
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r
                .get::<_, i64>(0))
                .is_err()
        );
    }

    fn patient_names(s: &Sandbox) -> Vec<String> {
        let list: serde_json::Value =
            serde_json::from_str(&ok(s, &["list", "--format", "json", "--limit", "0"]))
                .expect("JSON");
        list.as_array()
            .expect("tasks")
            .iter()
            .map(|t| t["patient"]["name"].as_str().expect("name").to_owned())
            .collect()
    }

    #[test]
    fn the_mirror_and_its_backup_are_unreadable_without_the_key() {
        let s = encrypted_sandbox();
        ok(&s, &["demo", "--tasks", "200"]);
        let names = patient_names(&s);
        assert_eq!(names.len(), 200, "with the key, the inbox reads back");
        assert_unreadable(&s.db(), &names);

        let backup = s.path("backup.sqlite");
        ok(&s, &["backup", backup.to_str().expect("path")]);
        assert_unreadable(&backup, &names);
        let from_backup = ok(
            &s,
            &[
                "--db",
                backup.to_str().expect("path"),
                "list",
                "--limit",
                "0",
            ],
        );
        assert_eq!(
            from_backup.lines().count(),
            201,
            "the backup opens with the same key"
        );

        let log = std::fs::read_to_string(s.log_file()).expect("log");
        assert!(!log.contains(KEY), "the key is never logged");
    }

    #[test]
    fn a_wrong_or_missing_key_is_refused_plainly() {
        let s = encrypted_sandbox();
        ok(&s, &["demo", "--tasks", "20"]);
        let wrong = with_key(&s, "Tr0ub4dor&3", &["list"]);
        let said = String::from_utf8_lossy(&wrong.stderr);
        assert_eq!(wrong.status.code(), Some(1), "{said}");
        assert!(
            said.contains("wrong key or not a taskgate mirror"),
            "{said}"
        );
        assert!(
            !said.contains("Tr0ub4dor"),
            "the key is never repeated: {said}"
        );

        let missing = s
            .command(&["list"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("runs");
        let said = String::from_utf8_lossy(&missing.stderr);
        assert_eq!(missing.status.code(), Some(1), "{said}");
        assert!(
            said.contains("TASKGATE_TEST_KEY"),
            "says where the key goes: {said}"
        );
        assert!(missing.stdout.is_empty());

        // A plain mirror is not opened as if it were encrypted.
        let plain = Sandbox::new();
        plain.demo(20);
        std::fs::copy(plain.db(), s.db()).expect("replace with a plain mirror");
        let out = with_key(&s, KEY, &["list"]);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("wrong key or not a taskgate mirror")
        );
    }

    #[test]
    fn the_inbox_opens_an_encrypted_mirror_with_the_key_from_the_environment() {
        let s = encrypted_sandbox();
        ok(&s, &["demo", "--tasks", "50"]);
        let mut cmd = s.pty_command(&[]);
        cmd.env("TASKGATE_TEST_KEY", KEY);
        let mut screen = Screen::start_command(cmd, 120, 40);
        let wait = Duration::from_secs(30);
        screen.wait_for("NHS 999", wait);
        screen.send("q");
        assert!(screen.wait_exit(wait));
        assert!(screen.terminal_restored());
    }

    #[test]
    fn without_the_variable_the_key_is_asked_for_and_not_echoed() {
        let s = encrypted_sandbox();
        ok(&s, &["demo", "--tasks", "20"]);
        let cmd = s.pty_command(&["list", "--limit", "3"]);
        let mut screen = Screen::start_command(cmd, 160, 20);
        let wait = Duration::from_secs(30);
        screen.wait_for("Key for the mirror (TASKGATE_TEST_KEY is not set):", wait);
        // Typed at once, as a paste would be, with a slip corrected by backspace.
        screen.send(&format!("{KEY}x\x7f\r"));
        screen.wait_for("RECEIVED", wait);
        assert!(screen.wait_exit(wait), "{}", screen.contents());
        assert!(
            !screen.contents().contains("battery"),
            "the key was echoed:\n{}",
            screen.contents()
        );
    }

    #[test]
    fn ctrl_c_at_the_key_prompt_cancels_and_gives_the_terminal_back_with_echo() {
        let s = encrypted_sandbox();
        ok(&s, &["demo", "--tasks", "5"]);
        // A shell around taskgate, to ask the terminal afterwards whether echo is back on.
        let mut cmd = s.pty_command(&["list"]);
        let taskgate = cmd.get_argv().clone();
        let script = "\"$@\"; echo \"exit=$?\"; stty -a";
        *cmd.get_argv_mut() = ["sh", "-c", script, "sh"].map(Into::into).to_vec();
        cmd.get_argv_mut().extend(taskgate);
        let mut screen = Screen::start_command(cmd, 160, 40);
        let wait = Duration::from_secs(30);
        screen.wait_for("Key for the mirror", wait);
        screen.send("half a key\x03");
        screen.wait_for("exit=1", wait);
        assert!(screen.wait_exit(wait), "{}", screen.contents());
        let shown = screen.contents();
        assert!(shown.contains("no key was given"), "{shown}");
        assert!(!shown.contains("half a key"), "{shown}");
        assert!(
            shown.split_whitespace().any(|w| w == "echo") && shown.contains("icanon"),
            "echo and line editing are back on:\n{shown}"
        );
        assert!(!shown.split_whitespace().any(|w| w == "-echo"), "{shown}");
    }
}

//! Files of patient data are owner-only: the mirror and its folder, its WAL and SHM files, the
//! log, backups and exported reports, even when taskgate is started with a umask that would let
//! everyone read new files. An existing mirror (or WAL/SHM) that others can read is refused with
//! the command that fixes it, and left exactly as it was.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::sandbox::Sandbox;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The same command, started by a shell whose umask (000) lets every new file be read and
/// written by anyone: taskgate must not rely on the umask it is given.
fn with_open_umask(taskgate: &Command) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("umask 000 && exec \"$@\"")
        .arg("sh")
        .arg(taskgate.get_program())
        .args(taskgate.get_args());
    for (key, value) in taskgate.get_envs() {
        match value {
            Some(v) => sh.env(key, v),
            None => sh.env_remove(key),
        };
    }
    sh
}

fn run_open_umask(s: &Sandbox, args: &[&str]) -> String {
    let out = with_open_umask(&s.command(args))
        .output()
        .expect("taskgate runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[test]
fn everything_written_is_owner_only_even_under_an_open_umask() {
    let s = Sandbox::new();
    let folder = s.path("practice/data");
    let db = folder.join("mirror.sqlite");
    let db_arg = db.to_str().expect("UTF-8 path");
    run_open_umask(&s, &["--db", db_arg, "demo", "--tasks", "300"]);
    assert_eq!(mode(&db), 0o600, "mirror");
    assert_eq!(mode(&folder), 0o700, "mirror's folder");
    assert_eq!(mode(&s.log_file()), 0o600, "log file");
    assert_eq!(
        mode(s.log_file().parent().expect("log folder")),
        0o700,
        "log folder"
    );

    std::fs::create_dir(s.path("exports")).expect("a folder of the user's");
    let backup = s.path("exports/backup.sqlite");
    let report = s.path("exports/handover.html");
    run_open_umask(
        &s,
        &["--db", db_arg, "backup", backup.to_str().expect("path")],
    );
    run_open_umask(
        &s,
        &[
            "--db",
            db_arg,
            "handover",
            "--format",
            "html",
            "--out",
            report.to_str().expect("path"),
        ],
    );
    assert_eq!(mode(&backup), 0o600, "backup");
    assert_eq!(mode(&report), 0o600, "handover export");
}

#[test]
fn the_wal_and_shm_of_a_mirror_being_written_are_owner_only() {
    let s = Sandbox::new();
    // A large demo keeps the mirror open long enough to look at its WAL and SHM while they
    // exist (they are removed when the last connection closes).
    let mut writer = with_open_umask(&s.command(&["demo", "--tasks", "400000"]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let wal = sidecar(&s.db(), "-wal");
    let shm = sidecar(&s.db(), "-shm");
    let deadline = Instant::now() + Duration::from_mins(1);
    while !(wal.exists() && shm.exists()) {
        assert!(Instant::now() < deadline, "the WAL never appeared");
        std::thread::sleep(Duration::from_millis(1));
    }
    let (wal_mode, shm_mode) = (mode(&wal), mode(&shm));
    let _ = writer.kill();
    let _ = writer.wait();
    assert_eq!(wal_mode, 0o600, "-wal");
    assert_eq!(shm_mode, 0o600, "-shm");
}

fn tasks_seen(s: &Sandbox) -> Vec<u8> {
    s.run(&["list", "--format", "json", "--limit", "0"]).stdout
}

fn assert_refused(s: &Sandbox, exposed: &Path, mode_text: &str) {
    let out = s.run(&["list"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(out.stdout.is_empty(), "nothing listed: {said}");
    assert!(
        said.contains(&format!("mode {mode_text}"))
            && said.contains(&format!("run `chmod 600 {}`", exposed.display())),
        "the refusal names the file, its mode and the fix: {said}"
    );
}

#[test]
fn a_mirror_others_can_read_is_refused_with_the_fix_and_never_changed() {
    let s = Sandbox::new();
    s.demo(100);
    let before = tasks_seen(&s);
    let db = s.db();
    for (bits, text) in [
        (0o644, "0644"),
        (0o640, "0640"),
        (0o604, "0604"),
        (0o620, "0620"),
    ] {
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(bits)).expect("chmod");
        assert_refused(&s, &db, text);
        assert_eq!(mode(&db), bits, "not narrowed silently");
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
    assert_eq!(tasks_seen(&s), before, "after the fix, the same inbox");
}

#[test]
fn a_wal_or_shm_others_can_read_is_refused_too() {
    let s = Sandbox::new();
    s.demo(100);
    for suffix in ["-wal", "-shm"] {
        let exposed = sidecar(&s.db(), suffix);
        // As another tool, run with a lax umask, might leave it beside the mirror.
        std::fs::write(&exposed, b"").expect("create");
        std::fs::set_permissions(&exposed, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_refused(&s, &exposed, "0644");
        assert_eq!(mode(&exposed), 0o644);
        std::fs::remove_file(&exposed).expect("tidy");
    }
    assert!(s.run(&["list"]).status.success());
}

#[test]
fn the_terminal_inbox_refuses_an_exposed_mirror_before_drawing_anything() {
    let s = Sandbox::new();
    s.demo(50);
    std::fs::set_permissions(s.db(), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = s.command(&[]).stdin(Stdio::null()).output().expect("runs");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("chmod 600"), "{said}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("\u{1b}[?1049h"),
        "the alternate screen was never entered"
    );
}

//! The documentation cannot rot: every command in a ```sh block of README.md and docs/*.md is
//! run, as a reader would type it, against the real binary in a private home with a fresh demo
//! mirror, and must succeed. `cargo run --release --` stands for the binary; the inbox itself
//! (a command with no subcommand) is started in a pseudo-terminal and quit with `q`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::pty::Screen;

/// Commands a reader runs that this test cannot or must not: each with the reason.
const NOT_RUN_HERE: &[(&str, &str)] = &[
    ("cargo test", "it is the command running this test"),
    (
        "cargo install",
        "it would install into the developer's own cargo folder",
    ),
    ("cargo build", "CI builds every feature itself"),
    ("bash .ci/run", "CI itself, hours of work"),
    ("git clone", "CI's clean clone, run by CI"),
    (
        "scripts/",
        "benchmarks and pictures, run by hand, never in the suite",
    ),
    (
        "cd tests/fhir-peer",
        "the FHIR test peer, started by the sync tests themselves",
    ),
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Each command line of each ```sh block, with the file and line it stands on.
fn documented_commands() -> Vec<(String, usize, String)> {
    let mut files = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("a docs entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut commands = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a doc");
        let name = file
            .strip_prefix(repo())
            .expect("inside the repo")
            .display()
            .to_string();
        let mut in_sh = false;
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.starts_with("```") {
                in_sh = !in_sh && trimmed == "```sh";
                continue;
            }
            let command = strip_comment(trimmed);
            if in_sh && !command.is_empty() {
                commands.push((name.clone(), n + 1, command.to_owned()));
            }
        }
    }
    commands
}

/// A command without its trailing `# comment` (no documented command quotes a `#`).
fn strip_comment(line: &str) -> &str {
    line.split(" #")
        .next()
        .unwrap_or_default()
        .trim_start_matches('#')
        .trim()
}

/// The words after the binary, when the line runs the inbox itself rather than a command.
fn is_the_inbox(command: &str) -> bool {
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    args.iter()
        .all(|a| a.starts_with("--") || a.starts_with('/') || a.contains('='))
        && !args.contains(&"--help")
        && !args.contains(&"--version")
}

#[test]
fn every_documented_command_works_on_a_fresh_demo_mirror() {
    let commands = documented_commands();
    assert!(
        commands.len() >= 8,
        "expected the README and docs to show commands, found {commands:?}"
    );
    let home = tempfile::tempdir().expect("temp home");
    let work = home.path().join("work");
    std::fs::create_dir_all(&work).expect("work dir");
    // Commands that name repository files (`assets/import-sample.csv`) find them as in a clone.
    for shared in ["assets", "config.example.toml"] {
        std::os::unix::fs::symlink(repo().join(shared), work.join(shared)).expect("link");
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_taskgate"));
    let bin_dir = binary.parent().expect("binary folder").to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let data = home.path().join("data");
    let config = home.path().join("config");
    let env: Vec<(&str, &Path)> = vec![
        ("HOME", home.path()),
        ("XDG_DATA_HOME", &data),
        ("XDG_CONFIG_HOME", &config),
    ];
    let mut ran = 0;
    for (file, line, command) in &commands {
        let as_typed = command.replacen("cargo run --release --", "taskgate", 1);
        // `NAME=value command` sets a variable for the command; the command decides.
        let program = as_typed
            .split_whitespace()
            .find(|w| !w.contains('='))
            .unwrap_or_default();
        if program != "taskgate" && NOT_RUN_HERE.iter().any(|(p, _)| as_typed.contains(p)) {
            continue;
        }
        assert!(
            program == "taskgate",
            "{file}:{line}: `{command}` is neither taskgate nor in NOT_RUN_HERE; add it there with why"
        );
        if is_the_inbox(&as_typed) {
            let args: Vec<&str> = as_typed.split_whitespace().skip(1).collect();
            let mut screen = Screen::start(&args, &env, 100, 30);
            screen.wait_for("unactioned", Duration::from_mins(1));
            screen.send("q");
            assert!(
                screen.wait_exit(Duration::from_secs(10)),
                "{file}:{line}: `{command}` did not quit on q"
            );
        } else {
            let out = Command::new("bash")
                .arg("-c")
                .arg(&as_typed)
                .current_dir(&work)
                .env("PATH", &path)
                .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
                .env_remove("TASKGATE_CONFIG")
                .env_remove("TASKGATE_USER")
                .env_remove("NO_COLOR")
                .output()
                .expect("run bash");
            assert!(
                out.status.success(),
                "{file}:{line}: `{command}` failed ({}):\n{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        ran += 1;
    }
    eprintln!("ran {ran} documented commands");
    assert!(ran >= 6, "only {ran} documented commands were run");
}

#[test]
fn the_readme_stays_a_short_front_page() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let lines = readme.lines().count();
    assert!(
        lines <= 160,
        "README.md is {lines} lines: the detail belongs in docs/"
    );
    for link in readme.split("](").skip(1) {
        let target = link.split(')').next().unwrap_or_default();
        let file = target.split('#').next().unwrap_or_default();
        if !file.is_empty() && !file.starts_with("http") {
            assert!(
                repo().join(file).exists(),
                "README.md links to {target}, which does not exist"
            );
        }
    }
}

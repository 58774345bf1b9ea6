//! What a command-line user expects of a Rust tool: completions a shell accepts, a manual page
//! `man` renders, and an example in every command's `--help`.

use std::io::Write;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;
use clap::CommandFactory;
use taskgate::cli::Cli;

fn taskgate(args: &[&str]) -> Vec<u8> {
    let out = Command::cargo_bin("taskgate")
        .expect("the binary")
        .args(args)
        .env_remove("TASKGATE_CONFIG")
        .output()
        .expect("run taskgate");
    assert!(out.status.success(), "taskgate {args:?}: {out:?}");
    out.stdout
}

/// Runs `program args` with `input` on stdin and returns (success, stdout, stderr).
fn run_with_input(program: &str, args: &[&str], input: &[u8]) -> (bool, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("MANWIDTH", "100")
        .spawn()
        .unwrap_or_else(|e| panic!("{program} is needed for this test: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bash_accepts_the_completion_script_and_it_knows_every_command() {
    let script = taskgate(&["completions", "bash"]);
    let (ok, _, err) = run_with_input("bash", &["-n"], &script);
    assert!(ok, "bash -n refused the completion script: {err}");
    let text = String::from_utf8_lossy(&script);
    for command in ["reject", "overdue", "handover", "sign-off", "completions"] {
        assert!(
            text.contains(command),
            "the script does not complete `{command}`"
        );
    }
}

#[test]
fn man_renders_the_manual_page_with_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("taskgate.1");
    std::fs::write(&page, taskgate(&["man"])).expect("write the page");
    let out = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man is needed for this test");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "man -l failed: {out:?}");
    assert!(text.contains("SYNOPSIS"), "no synopsis in:\n{text}");
    for command in ["TASKGATE REJECT", "TASKGATE OVERDUE", "TASKGATE PURGE"] {
        assert!(text.contains(command), "the page has no section {command}");
    }
    assert!(
        text.contains("--closed-before"),
        "the page does not list purge's options"
    );
}

#[test]
fn every_command_s_help_ends_with_an_example_of_itself() {
    fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let name = format!("{path} {}", sub.get_name());
            let example = sub.get_after_help().map(ToString::to_string);
            let shows_itself = example
                .as_deref()
                .is_some_and(|e| e.starts_with("Example:") && e.contains(name.trim()));
            if !shows_itself {
                missing.push(name.clone());
            }
            walk(sub, &name, missing);
        }
    }
    let mut missing = Vec::new();
    walk(&Cli::command(), "taskgate", &mut missing);
    assert!(missing.is_empty(), "no example in --help for: {missing:?}");
    let help = String::from_utf8(taskgate(&["reject", "--help"])).expect("UTF-8");
    assert!(
        help.contains("Example:\n  taskgate reject 17 18 19"),
        "{help}"
    );
}

//! The command line on the application layer's answers: `list --flag` keeps only the tasks
//! raising a flag and says which flags each raises (JSON, CSV, `show`), `config check` refuses
//! a `[keys]` table the inbox would refuse, naming its line, letters carry the practice's
//! `letters.sign_off`, and the inbox's other task keys have their commands.

mod support;

use serde_json::Value;
use support::sandbox::Sandbox;

fn flags_of(task: &Value) -> Vec<String> {
    task["flags"]
        .as_array()
        .expect("a flags array")
        .iter()
        .map(|f| f["flag"].as_str().expect("a flag name").to_owned())
        .collect()
}

#[test]
fn list_flag_immediate_returns_only_the_tasks_raising_it() {
    let s = Sandbox::new();
    s.demo(400);
    let all = s.json(&["list", "--format", "json", "--limit", "0"]);
    let all = all.as_array().expect("an array");
    let raising = all
        .iter()
        .filter(|t| flags_of(t).iter().any(|f| f == "immediate"))
        .count();
    assert!(
        raising > 0 && raising < all.len(),
        "the demo has tasks with and without the flag: {raising} of {}",
        all.len()
    );

    let flagged = s.json(&[
        "list",
        "--flag",
        "immediate",
        "--format",
        "json",
        "--limit",
        "0",
    ]);
    let flagged = flagged.as_array().expect("an array");
    assert_eq!(
        flagged.len(),
        raising,
        "every task raising it, and no other"
    );
    for t in flagged {
        let flags = t["flags"].as_array().expect("flags");
        let immediate = flags
            .iter()
            .find(|f| f["flag"] == "immediate")
            .expect("the flag is listed");
        // Each flag says why (the rule behind it) and what it suggests.
        assert!(
            immediate["explanation"]
                .as_str()
                .is_some_and(|e| !e.is_empty()),
            "{immediate}"
        );
        assert_eq!(immediate["suggestion"]["template"], "immediate-action");
        assert!(
            immediate["suggests"]
                .as_str()
                .is_some_and(|s| s.contains("immediate-action"))
        );
    }

    // Repeated: tasks raising any of them.
    let either = s.json(&[
        "list",
        "--flag",
        "immediate",
        "--flag",
        "detail-in-task",
        "--format",
        "json",
        "--limit",
        "0",
    ]);
    let expected = all
        .iter()
        .filter(|t| {
            flags_of(t)
                .iter()
                .any(|f| f == "immediate" || f == "detail-in-task")
        })
        .count();
    assert_eq!(either.as_array().map(Vec::len), Some(expected));
    assert!(expected > raising, "the second flag adds tasks");

    // A flag that does not exist is refused by the parser, naming the ones that do.
    let out = s.run(&["list", "--flag", "urgent-ish"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("immediate") && err.contains("after-cutoff"),
        "{err}"
    );
}

#[test]
fn csv_and_show_carry_the_flags() {
    let s = Sandbox::new();
    s.demo(200);
    let flagged = s.json(&[
        "list",
        "--flag",
        "immediate",
        "--format",
        "json",
        "--limit",
        "1",
    ]);
    let task = &flagged[0];
    let id = task["id"].as_i64().expect("id").to_string();

    let csv = s.ok(&[
        "list",
        "--flag",
        "immediate",
        "--format",
        "csv",
        "--limit",
        "1",
    ]);
    let mut lines = csv.lines();
    assert!(lines.next().is_some_and(|h| h.ends_with(",flags")), "{csv}");
    assert!(
        lines.next().is_some_and(|r| r.contains("immediate")),
        "{csv}"
    );

    let shown = s.json(&["show", &id, "--format", "json"]);
    assert_eq!(flags_of(&shown["task"]), flags_of(task));
    let text = s.ok(&["show", &id]);
    assert!(text.contains("Flag immediate: "), "{text}");
    assert!(text.contains("Suggests: reject with"), "{text}");
}

#[test]
fn config_check_refuses_an_unknown_action_in_keys_naming_its_line() {
    let s = Sandbox::new();
    let config = std::fs::read_to_string(s.config_file()).expect("config");
    let config = config.replace("# \"x\" = \"mark\"", "\"x\" = \"explode\"");
    std::fs::write(s.config_file(), &config).expect("write config");
    let line = config
        .lines()
        .position(|l| l.starts_with("\"x\" = \"explode\""))
        .expect("the line is there")
        + 1;
    let out = s.run(&["config", "check"]);
    assert!(!out.status.success(), "Config OK is not said for it");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("line {line}")), "{err}");
    assert!(err.contains("unknown action `explode`"), "{err}");
    // The inbox refuses it with the same words (it loads the config the same way).
    let inbox = s.run(&["list"]);
    assert!(
        String::from_utf8_lossy(&inbox.stderr).contains(&format!("line {line}")),
        "every command reads the same config"
    );
}

#[test]
fn a_letter_is_signed_with_letters_sign_off() {
    let s = Sandbox::new();
    let config = std::fs::read_to_string(s.config_file()).expect("config");
    assert!(config.contains("sign_off = \"Reception team, Riverside Medical Practice\""));
    std::fs::write(
        s.config_file(),
        config.replace(
            "sign_off = \"Reception team, Riverside Medical Practice\"",
            "sign_off = \"Care navigation team\"",
        ),
    )
    .expect("write config");
    s.demo(20);
    let tasks = s.json(&[
        "list", "--format", "json", "--status", "new", "--limit", "1",
    ]);
    let id = tasks[0]["id"].as_i64().expect("id").to_string();
    let letter = s.ok(&["letter", &id]);
    let foot: Vec<&str> = letter.trim_end().lines().rev().take(2).collect();
    assert_eq!(foot, ["Care navigation team", "Alex Clarke"], "{letter}");
}

#[test]
fn complete_note_unassign_and_undo_are_commands_too() {
    let s = Sandbox::new();
    s.demo(30);
    let tasks = s.json(&[
        "list", "--format", "json", "--status", "new", "--limit", "2",
    ]);
    let a = tasks[0]["id"].as_i64().expect("id").to_string();
    let b = tasks[1]["id"].as_i64().expect("id").to_string();
    s.ok(&["assign", &a, "cjones"]);
    assert!(s.ok(&["unassign", &a]).contains("unassigned inbox"));
    s.ok(&["note", &b, "--text", "phoned the ward"]);
    assert!(
        s.ok(&["complete", &b])
            .contains(&format!("Completed task {b}"))
    );
    let shown = s.json(&["show", &b, "--format", "json"]);
    assert_eq!(shown["task"]["status"], "completed");
    assert_eq!(shown["notes"][0]["text"], "phoned the ward");
    s.ok(&["undo"]);
    let shown = s.json(&["show", &b, "--format", "json"]);
    assert_eq!(shown["task"]["status"], "new", "the completion was undone");
}

//! No patient identifiers in the logs: with logging at debug, a day's work on the command line
//! and in the terminal inbox (searching for a patient by name, reading a task, rejecting,
//! undoing, reassigning with a note) leaves a log in which no patient's name or NHS number of
//! the whole mirror appears. `import` and `sync` join this run as further commands.

mod support;

use std::path::Path;
use std::time::Duration;

use support::pty::Screen;
use support::sandbox::Sandbox;

const WAIT: Duration = Duration::from_secs(30);

/// Every patient name and NHS number in the mirror, in the forms a log line could carry them.
fn identifiers(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT patient_name, patient_nhs FROM tasks")
        .expect("query");
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .expect("rows");
    let mut out = Vec::new();
    for row in rows {
        let (name, nhs) = row.expect("row");
        out.push(name);
        if let Some(n) = nhs {
            out.push(format!("{} {} {}", &n[..3], &n[3..6], &n[6..]));
            out.push(n);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The first unactioned task in inbox order, and its patient's surname.
fn first_unactioned(db: &Path) -> (i64, String) {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(
        "SELECT id, patient_name FROM tasks WHERE status = 'new' ORDER BY received_at, id LIMIT 1",
        [],
        |r| {
            let name: String = r.get(1)?;
            Ok((
                r.get(0)?,
                name.rsplit(' ').next().unwrap_or_default().to_owned(),
            ))
        },
    )
    .expect("a new task")
}

fn command_line_day(s: &Sandbox) {
    s.demo(300);
    let (id, _) = first_unactioned(&s.db());
    let id = id.to_string();
    let later = identifiers(&s.db());
    let name = later
        .iter()
        .find(|i| i.contains(' ') && !i.starts_with('9'));
    let search = name.map_or("fit", String::as_str);
    for args in [
        vec!["list", "--search", search, "--format", "json"],
        vec!["show", &id, "--format", "json"],
        vec!["letter", &id],
        vec!["overdue"],
        vec!["stats"],
        vec!["handover"],
        vec![
            "assign",
            &id,
            "cjones",
            "--note",
            "Spoke to the patient's daughter",
        ],
        vec!["reject", &id, "--despite-risk"],
        vec!["audit", "verify"],
        vec!["audit", "show", &id],
    ] {
        let out = s
            .command(&args)
            .env("TASKGATE_LOG", "debug")
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn inbox_session(s: &Sandbox) {
    let (_, surname) = first_unactioned(&s.db());
    let mut cmd = s.pty_command(&[]);
    cmd.env("TASKGATE_LOG", "debug");
    let mut screen = Screen::start_command(cmd, 120, 40);
    screen.wait_for("NHS 999", WAIT);
    screen.send("/");
    screen.wait_for("Search:", WAIT);
    screen.send(&format!("{surname}\r"));
    screen.wait_for(&format!("matching \"{surname}\""), WAIT);
    screen.send("r");
    screen.wait_for("Rejected 1 task", WAIT);
    screen.send("u");
    screen.wait_for("Undid", WAIT);
    screen.send("a");
    screen.wait_for("Reassign", WAIT);
    screen.send("chris");
    screen.wait_for("Chris Jones", WAIT);
    screen.send("\r");
    screen.wait_for("Assigned 1 task to cjones", WAIT);
    screen.send("2");
    screen.wait_for("most overdue first", WAIT);
    screen.send("3");
    screen.wait_for("Handover", WAIT);
    screen.send("q");
    assert!(screen.wait_exit(WAIT));
}

#[test]
fn a_days_work_at_debug_level_logs_no_patient_name_or_nhs_number() {
    let s = Sandbox::new();
    command_line_day(&s);
    inbox_session(&s);

    let log = std::fs::read_to_string(s.log_file()).expect("the log was written");
    // The log did record the day, so finding nothing below means something.
    for expected in [
        "command=Some(\"reject\")",
        "command=Some(\"assign\")",
        "command=Some(\"list\")",
        "tui opened",
        "action",
        "tui closed",
    ] {
        assert!(log.contains(expected), "the log lacks {expected:?}:\n{log}");
    }
    let identifiers = identifiers(&s.db());
    assert!(identifiers.len() > 300, "names and numbers to look for");
    for identifier in &identifiers {
        assert!(
            !log.contains(identifier.as_str()),
            "the log names a patient ({identifier}):\n{log}"
        );
    }
}

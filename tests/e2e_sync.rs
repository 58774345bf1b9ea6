//! End to end with the real peer: the TUI syncs in the background (new tasks from the server
//! appear while the screen is open, and the header says when it last synced), and a conflict
//! with another desk is shown on the task with both versions and settled from the keyboard.

mod support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::desk::Desk;
use support::peer::Peer;
use support::pty::Screen;

const WAIT: Duration = Duration::from_secs(30);

/// Starts the desk's TUI in a pseudo-terminal, as the person at that desk would.
fn open_tui(desk: &Desk) -> Screen {
    let env: Vec<(&str, PathBuf)> = desk
        .env()
        .into_iter()
        .map(|(k, v)| (k, PathBuf::from(v)))
        .collect();
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let args: Vec<OsString> = desk.args();
    let args: Vec<&str> = args.iter().map(|a| a.to_str().expect("utf-8")).collect();
    Screen::start(&args, &env, 140, 40)
}

/// "N unactioned" from the header; `None` while it still says "counting…".
fn unactioned(screen: &str) -> Option<u64> {
    let head = screen.lines().next().unwrap_or_default();
    if !head.contains(" unactioned") {
        return None;
    }
    head.split(" unactioned")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
}

#[test]
fn tasks_sent_while_the_screen_is_open_appear_and_the_header_says_it_synced() {
    let peer = Peer::start();
    peer.seed(5);
    let desk = Desk::new(&peer);
    desk.set_poll_interval("1s");
    let mut screen = open_tui(&desk);
    screen.wait_for("synced", WAIT);
    screen.wait_until("the first five tasks", WAIT, |s| unactioned(s) == Some(5));

    peer.seed_from(100, 3);
    screen.wait_until("three more tasks", WAIT, |s| unactioned(s) == Some(8));
    screen.wait_for("synced just now", WAIT);
    screen.send("q");
    assert!(screen.wait_exit(WAIT));
    assert!(screen.terminal_restored());
}

#[test]
fn a_conflict_shows_both_versions_on_the_task_and_keeping_theirs_settles_it() {
    let peer = Peer::start();
    let ids = peer.seed(4);
    let (front, back) = (Desk::new(&peer), Desk::new(&peer));
    front.sync_ok();
    back.sync_ok();
    let contested = &ids[1];
    let id = back.tasks_by_source_id()[contested]["id"]
        .as_i64()
        .expect("an id")
        .to_string();
    // The front desk rejects and syncs first; the back office assigns the same task.
    front.run_ok(&["reject", "--despite-risk", &id]);
    front.sync_ok();
    back.run_ok(&["assign", &id, "cjones"]);

    // Opening the screen syncs: the assignment meets the rejection on the server.
    let mut screen = open_tui(&back);
    screen.wait_for("1 conflict", WAIT);
    // The task is assigned on this desk, so it is under "assigned" (s cycles the statuses).
    screen.send("s");
    screen.wait_for("SYNC CONFLICT", WAIT);
    let shown = screen.contents();
    assert!(shown.contains("Theirs (server, version 2)"), "{shown}");
    assert!(shown.contains("status rejected"), "{shown}");
    assert!(
        shown.contains("assign by aclarke → assigned (cjones)"),
        "{shown}"
    );

    screen.send("T");
    screen.wait_for("Kept the other desk's version of 1 task", WAIT);
    let task = &back.tasks_by_source_id()[contested];
    assert_eq!(task["status"], "rejected", "the server's version stands");
    assert!(
        back.store()
            .conflict(id.parse().expect("id"))
            .expect("read")
            .is_none()
    );
    screen.wait_until("the conflict count to go", WAIT, |s| {
        !s.contains("conflict")
    });
    screen.send("q");
    assert!(screen.wait_exit(WAIT));
    assert_eq!(peer.read_task(contested)["status"], "rejected");
}

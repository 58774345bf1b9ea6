//! The undo window (`sync.undo_window`): a change stays on this desk until it is that old, so
//! `u` can take it back before anyone upstream sees it, whichever push comes first: the
//! inbox's regular poll, the cycle it runs after an action, `taskgate sync` from a timer, or
//! `taskgate sync --watch`. Against the real FHIR peer, through the real binary.
//!
//! The command-line tests move time with `--now` instead of waiting; the inbox's tests run in a
//! pseudo-terminal with a short window and a one-second poll, so a regular poll is sure to fall
//! due inside the window.

mod support;

use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use support::desk::{Desk, Summary};
use support::peer::Peer;
use support::pty::Screen;

const WAIT: Duration = Duration::from_secs(30);

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `HH:MM:SS` on the practice's clock, as sync's summary prints it.
fn clock_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Europe::London)
        .format("%H:%M:%S")
        .to_string()
}

/// A desk with `window`, its first sync done; the peer's tasks by the mirror's id.
fn desk_with_window(peer: &Peer, window: &str) -> Desk {
    let desk = Desk::new(peer);
    desk.set_undo_window(window);
    desk.sync_ok();
    desk
}

fn local_id(desk: &Desk, source_id: &str) -> String {
    desk.tasks_by_source_id()[source_id]["id"].to_string()
}

/// `taskgate --now <when> <args>` on the desk; its output.
fn run_at(desk: &Desk, when: DateTime<Utc>, args: &[&str]) -> std::process::Output {
    desk.cmd()
        .args(["--now", &at(when)])
        .args(args)
        .output()
        .expect("taskgate runs")
}

fn sync_at(desk: &Desk, when: DateTime<Utc>) -> (Summary, String) {
    let out = run_at(desk, when, &["sync"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "a sync that holds changes back still completes: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = support::desk::SyncRun {
        code: out.status.code(),
        stdout: stdout.clone(),
        stderr: String::new(),
    };
    (run.summary(), stdout)
}

#[test]
fn a_scheduled_sync_inside_the_window_holds_the_change_and_says_until_when() {
    let peer = Peer::start();
    let ids = peer.seed(2);
    let desk = desk_with_window(&peer, "20s");
    let made = Utc::now().trunc_subsecs(0);
    let local = local_id(&desk, &ids[0]);
    let out = run_at(&desk, made, &["reject", &local]);
    assert!(out.status.success(), "{out:?}");

    // Five seconds later a timer runs `taskgate sync`: nothing goes up, and it says why.
    let (summary, stdout) = sync_at(&desk, made + chrono::Duration::seconds(5));
    assert_eq!(summary.pushed, 0, "{stdout}");
    // Stamped in whole seconds, the change is of age one second after the window ends.
    let until = clock_time(made + chrono::Duration::seconds(21));
    assert!(
        stdout.contains(&format!(
            "1 change(s) held for the undo window until {until}"
        )),
        "{stdout}"
    );
    assert_eq!(peer.read_task(&ids[0])["status"], "requested");
    assert_eq!(peer.requests("PUT"), 0, "nothing was sent");

    // A second before it comes of age it is still held; at that second it goes.
    let (summary, _) = sync_at(&desk, made + chrono::Duration::seconds(20));
    assert_eq!(summary.pushed, 0);
    assert_eq!(peer.requests("PUT"), 0);
    let (summary, stdout) = sync_at(&desk, made + chrono::Duration::seconds(21));
    assert_eq!(summary.pushed, 1, "{stdout}");
    assert!(!stdout.contains("held"), "{stdout}");
    assert_eq!(peer.read_task(&ids[0])["status"], "rejected");
}

#[test]
fn undo_inside_the_window_sends_nothing_even_when_a_sync_ran_in_between() {
    let peer = Peer::start();
    let ids = peer.seed(1);
    let desk = desk_with_window(&peer, "20s");
    let made = Utc::now().trunc_subsecs(0);
    let local = local_id(&desk, &ids[0]);
    assert!(run_at(&desk, made, &["reject", &local]).status.success());
    let (summary, _) = sync_at(&desk, made + chrono::Duration::seconds(3));
    assert_eq!(summary.pushed, 0);

    // What `u` does in the inbox, ten seconds after the action.
    desk.store()
        .undo_last(&taskgate::store::Actor {
            id: "aclarke",
            now: made + chrono::Duration::seconds(10),
        })
        .expect("undo inside the window");
    let (summary, stdout) = sync_at(&desk, made + chrono::Duration::minutes(5));
    assert_eq!(summary.pushed, 0, "{stdout}");
    assert_eq!(peer.requests("PUT"), 0, "nothing was ever sent");
    assert_eq!(peer.read_task(&ids[0])["status"], "requested");
    assert_eq!(desk.tasks_by_source_id()[&ids[0]]["status"], "new");
}

#[test]
fn a_task_s_older_change_goes_while_its_newer_one_waits_its_window() {
    let peer = Peer::start();
    let ids = peer.seed(1);
    let desk = desk_with_window(&peer, "20s");
    let made = Utc::now().trunc_subsecs(0);
    let local = local_id(&desk, &ids[0]);
    let assign = ["assign", local.as_str(), "reception"];
    assert!(run_at(&desk, made, &assign).status.success());
    let later = made + chrono::Duration::seconds(15);
    assert!(run_at(&desk, later, &["reject", &local]).status.success());

    let (summary, stdout) = sync_at(&desk, made + chrono::Duration::seconds(25));
    assert_eq!(summary.pushed, 1, "the assignment is of age: {stdout}");
    let until = clock_time(later + chrono::Duration::seconds(21));
    assert!(
        stdout.contains(&format!(
            "1 change(s) held for the undo window until {until}"
        )),
        "{stdout}"
    );
    assert_eq!(peer.read_task(&ids[0])["status"], "accepted");

    let (summary, _) = sync_at(&desk, later + chrono::Duration::seconds(21));
    assert_eq!(summary.pushed, 1);
    assert_eq!(peer.read_task(&ids[0])["status"], "rejected");
}

#[test]
fn sync_watch_sends_a_held_change_when_it_comes_of_age_not_a_poll_later() {
    let peer = Peer::start();
    let ids = peer.seed(1);
    let desk = desk_with_window(&peer, "3s");
    desk.set_poll_interval("10m");
    let local = local_id(&desk, &ids[0]);
    desk.run_ok(&["reject", &local]);
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_taskgate"))
        .args(desk.args())
        .args(["sync", "--watch"])
        .envs(desk.env())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start sync --watch");
    // Its lines arrive on a thread, so a watch that waits the whole poll fails in a minute
    // rather than ten.
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = rx.recv_timeout(WAIT);
    let second = rx.recv_timeout(Duration::from_mins(1));
    let waited = started.elapsed();
    child.kill().expect("stop the watch");
    child.wait().expect("reaped");
    let first = first.expect("a first cycle");
    let second = second.unwrap_or_else(|_| format!("no second cycle within {waited:?}"));
    assert!(
        first.contains("pushed 0") && first.contains("1 change(s) held for the undo window"),
        "{first}"
    );
    assert!(second.contains("pushed 1"), "{second}");
    assert!(
        waited < Duration::from_mins(1),
        "the held change went after {waited:?}, not at the ten-minute poll"
    );
    assert_eq!(peer.read_task(&ids[0])["status"], "rejected");
}

// ----- the inbox -----

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

/// The server id of the task the inbox rejected (the mirror says which).
fn rejected_source_id(desk: &Desk) -> String {
    desk.tasks()
        .into_iter()
        .find(|t| t["status"] == "rejected")
        .and_then(|t| t["source_id"].as_str().map(str::to_owned))
        .expect("a rejected task in the mirror")
}

const WINDOW: Duration = Duration::from_secs(6);

/// An inbox on a one-second poll with a six-second window, the first sync done.
fn inbox(peer: &Peer) -> (Desk, Screen) {
    peer.seed(3);
    let desk = Desk::new(peer);
    desk.set_poll_interval("1s");
    desk.set_undo_window("6s");
    let mut screen = open_tui(&desk);
    screen.wait_for("synced", WAIT);
    screen.wait_for("NHS 999", WAIT);
    (desk, screen)
}

/// Waits until the inbox has run `cycles` more sync cycles (each pulls with at least one GET).
fn polls_after(peer: &Peer, gets: u64, cycles: u64) {
    let started = Instant::now();
    while peer.requests("GET") < gets + cycles {
        assert!(started.elapsed() < WAIT, "the inbox stopped polling");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_inbox_s_regular_poll_inside_the_window_leaves_the_action_then_sends_it_after() {
    let peer = Peer::start();
    let (desk, mut screen) = inbox(&peer);
    screen.send("r");
    screen.wait_for("Rejected 1 task", WAIT);
    let acted = Instant::now();
    let gets = peer.requests("GET");
    let source_id = rejected_source_id(&desk);

    // Two regular polls (one second apart) fall due inside the window: neither sends it.
    polls_after(&peer, gets, 2);
    assert!(
        acted.elapsed() < WINDOW,
        "the polls came too late to test the window ({:?})",
        acted.elapsed()
    );
    assert_eq!(peer.requests("PUT"), 0, "nothing sent inside the window");
    assert_eq!(peer.read_task(&source_id)["status"], "requested");
    // Held back by the window is not a problem to report.
    assert!(
        !screen.contents().contains("wait to be sent"),
        "{}",
        screen.contents()
    );

    // After the window the background sync sends it.
    let started = Instant::now();
    while peer.read_task(&source_id)["status"] != "rejected" {
        assert!(
            started.elapsed() < WAIT,
            "the action never reached the server"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        acted.elapsed() + Duration::from_secs(1) >= WINDOW,
        "sent {:?} after the action, inside the window",
        acted.elapsed()
    );
    assert_eq!(peer.requests("PUT"), 1);
    screen.send("q");
    assert!(screen.wait_exit(WAIT));
}

#[test]
fn u_inside_the_window_takes_the_action_back_with_nothing_sent() {
    let peer = Peer::start();
    let (desk, mut screen) = inbox(&peer);
    screen.send("r");
    screen.wait_for("Rejected 1 task", WAIT);
    let acted = Instant::now();
    let source_id = rejected_source_id(&desk);
    // A regular poll runs before the person changes their mind, still inside the window.
    polls_after(&peer, peer.requests("GET"), 1);
    assert!(
        acted.elapsed() < WINDOW,
        "the poll came too late to test the window"
    );
    screen.send("u");
    screen.wait_for("Undid the last action on 1 task", WAIT);

    // Well past the window, with polls running all along, the server never heard of it.
    let gets = peer.requests("GET");
    std::thread::sleep(WINDOW + Duration::from_secs(2));
    polls_after(&peer, gets, 3);
    assert_eq!(peer.requests("PUT"), 0, "nothing was sent");
    assert_eq!(peer.read_task(&source_id)["status"], "requested");
    assert_eq!(desk.tasks_by_source_id()[&source_id]["status"], "new");
    screen.send("q");
    assert!(screen.wait_exit(WAIT));
}

#[test]
fn u_once_the_action_is_confirmed_upstream_is_refused_and_changes_nothing() {
    let peer = Peer::start();
    peer.seed(3);
    let desk = Desk::new(&peer);
    desk.set_poll_interval("1s");
    desk.set_undo_window("1s");
    let mut screen = open_tui(&desk);
    screen.wait_for("synced", WAIT);
    screen.wait_for("NHS 999", WAIT);
    screen.send("r");
    screen.wait_for("Rejected 1 task", WAIT);
    let source_id = rejected_source_id(&desk);
    let started = Instant::now();
    while peer.read_task(&source_id)["status"] != "rejected" {
        assert!(
            started.elapsed() < WAIT,
            "the action never reached the server"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The server has it, and the mirror records it as confirmed.
    let started = Instant::now();
    while desk.store().pending_outbox_count().expect("count") > 0 {
        assert!(started.elapsed() < WAIT, "the push was never recorded");
        std::thread::sleep(Duration::from_millis(100));
    }

    screen.send("u");
    screen.wait_for(
        "has already been sent upstream, so it can no longer be undone",
        WAIT,
    );
    assert_eq!(desk.tasks_by_source_id()[&source_id]["status"], "rejected");
    assert_eq!(peer.read_task(&source_id)["status"], "rejected");
    assert_eq!(peer.requests("PUT"), 1, "nothing more was sent");
    screen.send("q");
    assert!(screen.wait_exit(WAIT));
}

//! How the crash tests kill and judge: a [`CrashCase`] describes one command (its starting
//! point, what its work looks like half-done, part-way or done, and a fingerprint of the
//! mirror); [`kill_at_random_moments`] kills it again and again at seeded random moments,
//! checks the mirror after every kill, runs the command again and compares the end with an
//! uninterrupted run; [`Reach`] is what the kills achieved, and a case fails when they did not
//! stress the command (most kills after it had finished, none leaving work for the re-run).
//!
//! The moments come from one seeded generator. The seed is fixed unless
//! `TASKGATE_CRASH_SEED` sets another, and every failure names it, so a red run replays
//! exactly (the commands' own timing still varies from machine to machine).

use std::process::Stdio;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;

use super::support::peer::Peer;
use super::support::sandbox::{Sandbox, sqlite3_integrity};

pub const KILLS_PER_COMMAND: usize = 20;

/// The seed a run uses unless `TASKGATE_CRASH_SEED` gives another.
const DEFAULT_SEED: u64 = 20_261_120;

/// What a killed run left, as the case reads it.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// Nothing of the work is in the mirror yet (or only steps that a re-run completes).
    NotDone,
    /// Some of the work is in, each piece whole (a pull's pages with their watermark, a push's
    /// confirmed changes), and a re-run carries on from there.
    Partial,
    Done,
}

/// How much of its work a killed run can leave behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// One transaction: a kill leaves all of it or none. Some kills must land before the
    /// commit, leaving the whole work to the re-run.
    AllOrNothing,
    /// Piece by piece (pages, changes): some kills must land part-way, leaving part of the
    /// work in the mirror for the re-run to carry on from.
    Pieces,
}

/// One run's world: its sandbox, and the FHIR peer it syncs with, kept alive across the kill,
/// the checks and the re-run.
pub struct World {
    pub s: Sandbox,
    pub peer: Option<Rc<Peer>>,
}

impl World {
    pub fn peer(&self) -> &Peer {
        self.peer.as_deref().expect("this case syncs with a peer")
    }
}

/// How a case reads a killed run: `Err` says what is half-written.
pub type ReadProgress<'a> = Box<dyn Fn(&World, &Connection) -> Result<Progress, String> + 'a>;
pub type Args<'a> = Box<dyn Fn(&World) -> Vec<String> + 'a>;

pub struct CrashCase<'a> {
    pub name: &'static str,
    /// A fresh world at the starting point.
    pub prepare: Box<dyn Fn() -> World + 'a>,
    /// The command under test; run again as it is to finish the work.
    pub args: Args<'a>,
    /// The exit code of a run that did all its work (2 for an import with bad rows).
    pub exit_code: i32,
    pub grain: Grain,
    /// Reads the mirror (and the server) after a kill: how far the work got, or what is
    /// half-written.
    pub progress: ReadProgress<'a>,
    /// The mirror's content (and the server's), to compare with an uninterrupted run.
    pub fingerprint: Box<dyn Fn(&World) -> String + 'a>,
    /// Whatever else the case counted over its kills, for the line it ends with.
    pub tally: Box<dyn Fn() -> String + 'a>,
}

impl CrashCase<'static> {
    /// A case that needs nothing but its own sandbox, done in one transaction.
    pub fn local(
        name: &'static str,
        prepare: fn(&Sandbox),
        args: fn(&Sandbox) -> Vec<String>,
        progress: fn(&Connection) -> Result<Progress, String>,
        fingerprint: fn(&Sandbox) -> String,
    ) -> Self {
        CrashCase {
            name,
            prepare: Box::new(move || {
                let s = Sandbox::new();
                prepare(&s);
                World { s, peer: None }
            }),
            args: Box::new(move |w| args(&w.s)),
            exit_code: 0,
            grain: Grain::AllOrNothing,
            progress: Box::new(move |_, conn| progress(conn)),
            fingerprint: Box::new(move |w| fingerprint(&w.s)),
            tally: Box::new(String::new),
        }
    }

    /// The same case, whose complete run exits with `code`.
    pub fn exiting(mut self, code: i32) -> Self {
        self.exit_code = code;
        self
    }
}

/// What a case's kills achieved.
#[derive(Debug, Default, Clone, Copy)]
pub struct Reach {
    pub kills: usize,
    /// Kills that found the command still running.
    pub while_running: usize,
    /// Kills before any of the work was in the mirror; the re-run did all of it.
    pub interrupted: usize,
    /// Kills that left part of the work in; the re-run did the rest.
    pub part_way: usize,
}

impl Reach {
    /// Fails the case when its kills did not stress the command: at least half must land
    /// while it runs, and some must leave work (all of it, or the rest of it, by `grain`) that
    /// the re-run then completed. Without this a test whose every kill came after the command
    /// had finished would pass, having proved nothing.
    pub fn assert_stressed(&self, case: &str, grain: Grain, seed: u64) {
        let replay = format!("(seed {seed}: replay with TASKGATE_CRASH_SEED={seed})");
        assert!(
            self.while_running * 2 >= self.kills,
            "{case}: only {} of {} kills landed while the command ran {replay}",
            self.while_running,
            self.kills
        );
        match grain {
            Grain::AllOrNothing => assert!(
                self.interrupted + self.part_way > 0,
                "{case}: no kill landed before the work was in, so no re-run had anything to \
                 finish {replay}"
            ),
            Grain::Pieces => assert!(
                self.part_way > 0,
                "{case}: no kill left part of the work in the mirror for the re-run to carry \
                 on from {replay}"
            ),
        }
    }
}

pub fn seed() -> u64 {
    match std::env::var("TASKGATE_CRASH_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("TASKGATE_CRASH_SEED={text:?} is not a whole number")),
        Err(_) => DEFAULT_SEED,
    }
}

pub fn run_args(s: &Sandbox, args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    s.run(&args)
}

/// What every case must show after a kill, before its own checks.
fn check_sound(s: &Sandbox, what: &str) {
    if !s.db().exists() {
        return;
    }
    assert_eq!(
        sqlite3_integrity(&s.db()),
        "ok",
        "{what}: sqlite3 integrity_check"
    );
    let conn = Connection::open(s.db()).expect("open");
    let bundled: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(bundled, "ok", "{what}: integrity_check with FTS5");
    let verify = s.run(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{what}: audit verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// Kills the case's command `KILLS_PER_COMMAND` times, checks each mirror left behind, re-runs
/// and compares; then asserts the kills stressed it (see `Reach::assert_stressed`).
pub fn kill_at_random_moments(case: &CrashCase<'_>, rng: &mut ChaCha8Rng, seed: u64) -> Reach {
    let case_started = Instant::now();
    // The uninterrupted run: its duration spreads the kills over the whole run, and its mirror
    // is what every interrupted-then-resumed run must end as.
    let reference = (case.prepare)();
    let args = (case.args)(&reference);
    let started = Instant::now();
    let out = run_args(&reference.s, &args);
    let duration = started.elapsed();
    assert_eq!(
        out.status.code(),
        Some(case.exit_code),
        "{}: {}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = (case.fingerprint)(&reference);
    // Its peer, if it has its own, is not needed any more.
    drop(reference);
    // The first run pays for warming up (the peer's JIT, loading the trust store for a TLS
    // handshake) that the killed runs may not: timed alone it spreads kills past their end. The
    // faster of two uninterrupted runs keeps them inside the run.
    let again = (case.prepare)();
    let again_args = (case.args)(&again);
    let started = Instant::now();
    let _ = run_args(&again.s, &again_args);
    let duration = duration.min(started.elapsed());
    drop(again);
    let mut reach = Reach {
        kills: KILLS_PER_COMMAND,
        ..Reach::default()
    };
    for round in 0..KILLS_PER_COMMAND {
        let what = format!("{} kill {round} (seed {seed})", case.name);
        let world = (case.prepare)();
        let s = &world.s;
        let args = (case.args)(&world);
        let mut child = s
            .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start taskgate");
        // Half the kills anywhere in the run, half in its last third, where commands that
        // prepare at length (rendering a letter for each task) do their writing.
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        let from = if rng.random_bool(0.5) {
            0
        } else {
            micros / 3 * 2
        };
        std::thread::sleep(Duration::from_micros(rng.random_range(from..=micros)));
        if child.try_wait().expect("poll").is_none() {
            reach.while_running += 1;
        }
        // SIGKILL: no destructor, no rollback, no chance to tidy up.
        let _ = child.kill();
        let status = child.wait().expect("reaped");
        check_sound(s, &what);
        let progress = if s.db().exists() {
            let conn = Connection::open(s.db()).expect("open");
            (case.progress)(&world, &conn)
                .unwrap_or_else(|half| panic!("{what}: half-written: {half}"))
        } else {
            Progress::NotDone
        };
        match progress {
            Progress::NotDone => reach.interrupted += 1,
            Progress::Partial => reach.part_way += 1,
            Progress::Done => {}
        }
        if progress != Progress::Done {
            let again = run_args(s, &args);
            assert_eq!(
                again.status.code(),
                Some(case.exit_code),
                "{what}: running it again did not finish the work ({status}): {}",
                String::from_utf8_lossy(&again.stderr)
            );
        }
        let conn = Connection::open(s.db()).expect("open");
        assert_eq!((case.progress)(&world, &conn), Ok(Progress::Done), "{what}");
        let found = (case.fingerprint)(&world);
        assert!(
            found == expected,
            "{what}: the mirror differs from an uninterrupted run:\n{}",
            first_difference(&expected, &found)
        );
    }
    eprintln!(
        "{}: {} of {} kills hit the command while it ran, {} before its work was in the \
         mirror, {} part-way through it{} ({:.0} s, the uninterrupted run {:.1} s)",
        case.name,
        reach.while_running,
        reach.kills,
        reach.interrupted,
        reach.part_way,
        (case.tally)(),
        case_started.elapsed().as_secs_f64(),
        duration.as_secs_f64()
    );
    reach.assert_stressed(case.name, case.grain, seed);
    reach
}

/// Where two fingerprints part, so a failure says what differs rather than that something does.
fn first_difference(expected: &str, found: &str) -> String {
    let at = expected
        .chars()
        .zip(found.chars())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.chars().count().min(found.chars().count()));
    let around = |text: &str| -> String {
        text.chars()
            .skip(at.saturating_sub(200))
            .take(400)
            .collect()
    };
    format!(
        "at character {at}:\n expected …{}…\n found    …{}…",
        around(expected),
        around(found)
    )
}

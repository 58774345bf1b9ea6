//! Background sync for the TUI: one thread that runs a sync cycle every poll interval, and
//! sooner after an action, reporting to the loop as replies. The cycle is blocking network and
//! database work on its own connection, so the screen never waits on it; the loop only reads
//! the status it reports.
//!
//! The undo window itself is kept by the push (`Store::push_queue` leaves changes younger than
//! `sync.undo_window` alone), so a regular poll that falls due just after an action does not
//! send it. This thread only makes sure the change goes soon after it comes of age: after an
//! action it brings the next cycle forward to the end of the window, and after a cycle that
//! held changes back it schedules one for when the oldest of them may go (that cycle schedules
//! the next, until none is held).

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::msg::{Reply, SyncDone, SyncEvent, SyncTrouble};
use crate::clock::Clock;

/// Outbox times are whole seconds, so a change comes of age up to a second after its window
/// ends; a cycle brought forward by an action waits that second more, and a little over any
/// scheduled release, so it does not arrive a moment early and find the change still held.
const ROUNDING: Duration = Duration::from_millis(1_250);

/// What one cycle reports to the thread: its outcome for the screen, and when the oldest change
/// the undo window held back may be sent (none held: `None`).
pub struct Ran {
    pub outcome: Result<SyncDone, SyncTrouble>,
    pub held_until: Option<DateTime<Utc>>,
}

/// One sync cycle at the given instant.
pub type Cycle = Box<dyn FnMut(DateTime<Utc>) -> Ran + Send>;

pub struct Syncer {
    nudge: mpsc::Sender<()>,
}

impl Syncer {
    /// Starts the thread; the first cycle runs at once. It stops when the `Syncer` is dropped
    /// (after the cycle under way, if any, which leaves the mirror consistent: every page and
    /// push is its own transaction).
    pub fn start(
        mut cycle: Cycle,
        clock: Clock,
        poll: Duration,
        undo_window: Duration,
        replies: UnboundedSender<Reply>,
    ) -> std::io::Result<Syncer> {
        let (nudge, nudges) = mpsc::channel::<()>();
        thread::Builder::new()
            .name("taskgate-sync".into())
            .spawn(move || {
                loop {
                    if replies.send(Reply::Sync(SyncEvent::Started)).is_err() {
                        return;
                    }
                    let ran = cycle(clock.now());
                    let finished = SyncEvent::Finished {
                        at: clock.now(),
                        outcome: ran.outcome,
                    };
                    if replies.send(Reply::Sync(finished)).is_err() {
                        return;
                    }
                    let mut due = Instant::now() + poll;
                    if let Some(release) = ran.held_until {
                        let wait = (release - clock.now()).to_std().unwrap_or_default();
                        due = due.min(Instant::now() + wait + ROUNDING);
                    }
                    loop {
                        let wait = due.saturating_duration_since(Instant::now());
                        match nudges.recv_timeout(wait) {
                            Ok(()) => due = due.min(Instant::now() + undo_window + ROUNDING),
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                }
            })?;
        Ok(Syncer { nudge })
    }

    /// Asks for a cycle once the undo window of an action just made has passed, unless one is
    /// due sooner (which sends everything older, and holds the new action back).
    pub fn soon(&self) {
        let _ = self.nudge.send(());
    }
}

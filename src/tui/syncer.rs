//! Background sync for the TUI: one thread that runs a sync cycle every poll interval, and
//! sooner after an action, reporting to the loop as replies. The cycle is blocking network and
//! database work on its own connection, so the screen never waits on it; the loop only reads
//! the status it reports.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::msg::{Reply, SyncDone, SyncEvent, SyncTrouble};
use crate::clock::Clock;

/// How long a new action waits before it is pushed: the window in which `u` can still take it
/// back without anyone upstream having seen it.
pub const UNDO_GRACE: Duration = Duration::from_secs(20);

/// One sync cycle at the given instant.
pub type Cycle = Box<dyn FnMut(DateTime<Utc>) -> Result<SyncDone, SyncTrouble> + Send>;

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
                    let outcome = cycle(clock.now());
                    let finished = SyncEvent::Finished {
                        at: clock.now(),
                        outcome,
                    };
                    if replies.send(Reply::Sync(finished)).is_err() {
                        return;
                    }
                    let mut due = Instant::now() + poll;
                    loop {
                        let wait = due.saturating_duration_since(Instant::now());
                        match nudges.recv_timeout(wait) {
                            Ok(()) => due = due.min(Instant::now() + UNDO_GRACE),
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                }
            })?;
        Ok(Syncer { nudge })
    }

    /// Asks for a cycle after the undo grace, unless one is due sooner.
    pub fn soon(&self) {
        let _ = self.nudge.send(());
    }
}

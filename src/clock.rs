//! The one place that reads the system clock. `--now` pins the start instant (for tests, demos
//! and "what would handover have said at 08:00?"); time still moves on from there, so a TUI
//! opened with `--now` ages its tasks as a real one does.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pinned: Option<(DateTime<Utc>, Instant)>,
}

impl Clock {
    pub fn system() -> Self {
        Clock { pinned: None }
    }

    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Clock {
            pinned: Some((at, Instant::now())),
        }
    }

    pub fn from_flag(now: Option<DateTime<Utc>>) -> Self {
        now.map_or_else(Clock::system, Clock::starting_at)
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.pinned {
            None => Utc::now(),
            Some((at, started)) => {
                at + Duration::from_std(started.elapsed()).unwrap_or_else(|_| Duration::zero())
            }
        }
    }
}

//! How long an outbox entry waits after a failed attempt: doubling from a short first wait up to
//! a cap, so a server that is struggling is not hammered and a brief blip costs little. The
//! wait is a pure function of the attempt count; the caller adds it to its own `now`.

use chrono::Duration;

/// The wait after the first failure.
pub const FIRST_WAIT: Duration = Duration::seconds(30);
/// No entry waits longer than this between attempts, so a change reaches a recovered server
/// within one poll or two even after a long outage.
pub const LONGEST_WAIT: Duration = Duration::minutes(15);

/// The wait before attempt `attempts + 1`, given that `attempts` (at least 1) have failed.
pub fn wait_after(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    let wait = FIRST_WAIT * (1_i32 << doublings);
    wait.min(LONGEST_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_thirty_seconds() {
        assert_eq!(wait_after(1), Duration::seconds(30));
        assert_eq!(wait_after(2), Duration::seconds(60));
        assert_eq!(wait_after(3), Duration::seconds(120));
        assert_eq!(wait_after(5), Duration::minutes(8));
    }

    #[test]
    fn waits_stop_growing_at_fifteen_minutes() {
        assert_eq!(wait_after(6), LONGEST_WAIT);
        assert_eq!(wait_after(40), LONGEST_WAIT);
        assert_eq!(wait_after(u32::MAX), LONGEST_WAIT);
    }

    #[test]
    fn zero_attempts_is_treated_as_the_first_failure() {
        assert_eq!(wait_after(0), FIRST_WAIT);
    }
}

//! The value formats of an import CSV: instants (RFC 3339, or `YYYY-MM-DD HH:MM` on the
//! practice's Europe/London wall clock), dates, priorities and statuses. Messages say what was
//! expected and never repeat the value, which in a shifted column could be a patient's name.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::London;

use crate::domain::{Priority, Status};

const INSTANT_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
];

/// An instant as people type it into a spreadsheet (London wall-clock time) or as systems
/// export it (RFC 3339 with an offset). In the autumn hour that happens twice, the first (BST)
/// is taken; a time inside the spring gap never happened and is refused.
pub fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = INSTANT_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| {
            "not a date and time: write it as YYYY-MM-DD HH:MM (London time), e.g. \
             2026-11-20 09:30, or RFC 3339, e.g. 2026-11-20T09:30:00Z"
                .to_owned()
        })?;
    match London.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Ok(at.with_timezone(&Utc)),
        LocalResult::None => Err(
            "that time never happened in London (the clocks went forward an hour): check the \
             time, or give an offset in RFC 3339"
                .to_owned(),
        ),
    }
}

/// A calendar date, `YYYY-MM-DD`.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| "not a date: write it as YYYY-MM-DD, e.g. 1961-07-14".to_owned())
}

/// Empty means routine, as a missing FHIR priority does.
pub fn priority(text: &str) -> Result<Priority, String> {
    if text.is_empty() {
        return Ok(Priority::Routine);
    }
    text.parse()
        .map_err(|_| "not a priority: use routine, urgent, asap or stat (or leave it empty)".into())
}

/// Empty means: `assigned` when an owner is given, else `new`.
pub fn status(text: &str, has_owner: bool) -> Result<Status, String> {
    if text.is_empty() {
        return Ok(if has_owner {
            Status::Assigned
        } else {
            Status::New
        });
    }
    text.parse().map_err(|_| {
        "not a status: use new, assigned, rejected, completed or cancelled (or leave it empty)"
            .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("test instant")
    }

    #[test]
    fn london_wall_clock_follows_summer_time() {
        assert_eq!(instant("2026-01-15 09:30"), Ok(utc("2026-01-15T09:30:00Z")));
        assert_eq!(instant("2026-07-15 09:30"), Ok(utc("2026-07-15T08:30:00Z")));
        assert_eq!(
            instant("2026-07-15T09:30:15"),
            Ok(utc("2026-07-15T08:30:15Z"))
        );
        assert_eq!(
            instant("2026-07-15T09:30:00+02:00"),
            Ok(utc("2026-07-15T07:30:00Z"))
        );
    }

    #[test]
    fn clock_change_hours_are_handled_not_guessed_silently() {
        // 29 March 2026: 01:00 GMT jumps to 02:00 BST, so 01:30 never happened.
        assert!(instant("2026-03-29 01:30").is_err());
        // 25 October 2026: 01:30 happens twice; the first is BST.
        assert_eq!(instant("2026-10-25 01:30"), Ok(utc("2026-10-25T00:30:00Z")));
    }

    #[test]
    fn bad_values_are_refused_without_echoing_them() {
        let err = instant("Ada Lovelace").expect_err("refused");
        assert!(!err.contains("Ada"));
        assert!(date("31/12/1960").is_err());
        assert!(priority("soon").is_err());
        assert_eq!(priority(""), Ok(Priority::Routine));
        assert_eq!(status("", true), Ok(Status::Assigned));
        assert_eq!(status("", false), Ok(Status::New));
        assert_eq!(status("Rejected", false), Ok(Status::Rejected));
    }
}

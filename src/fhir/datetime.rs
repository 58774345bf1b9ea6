//! FHIR `dateTime` and `instant` values to and from UTC instants. A FHIR dateTime may be a date
//! alone; the practice reads such dates on its own wall clock (Europe/London), so a bare date
//! starts at local midnight, and a bare date ending a period covers that whole local day.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};

use super::MappingError;
use super::node::Node;
use crate::domain::calendar::PRACTICE_TIME_ZONE;

/// Which end of a bare date an instant stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DateEdge {
    /// Local midnight at the start of the day (`authoredOn: 2026-03-02`).
    Start,
    /// The last second of the day (`restriction.period.end: 2026-03-02` includes that day).
    End,
}

/// Reads a FHIR dateTime: a full date-time with offset, or a full date. Partial dates (`2026`,
/// `2026-03`) and date-times without an offset are refused, naming the field.
pub(super) fn read_date_time(
    node: &Node<'_>,
    edge: DateEdge,
) -> Result<DateTime<Utc>, MappingError> {
    let text = node.str()?.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return local_day_edge(date, edge)
            .ok_or_else(|| node.error("the date does not exist on the practice's clock"));
    }
    Err(node
        .error("expected a FHIR dateTime with a full date (2026-03-02 or 2026-03-02T09:30:00Z)"))
}

fn local_day_edge(date: NaiveDate, edge: DateEdge) -> Option<DateTime<Utc>> {
    let day_start = |d: NaiveDate| {
        // Midnight always exists in Europe/London (clocks change at 01:00 and 02:00).
        PRACTICE_TIME_ZONE
            .from_local_datetime(&d.and_time(NaiveTime::MIN))
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    };
    match edge {
        DateEdge::Start => day_start(date),
        DateEdge::End => {
            let next = date.checked_add_days(Days::new(1))?;
            day_start(next).map(|at| at - chrono::Duration::seconds(1))
        }
    }
}

/// The form taskgate writes: seconds and `Z`, valid as both FHIR dateTime and instant.
pub(super) fn write_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(text: &str, edge: DateEdge) -> Result<String, MappingError> {
        let v = json!({ "at": text });
        let node = Node::root(&v).require("at").expect("present");
        read_date_time(&node, edge).map(write_instant)
    }

    #[test]
    fn full_date_times_keep_their_instant() {
        assert_eq!(
            read("2026-07-01T10:15:00+01:00", DateEdge::Start),
            Ok("2026-07-01T09:15:00Z".into())
        );
        assert_eq!(
            read("2026-01-05T08:00:00.123Z", DateEdge::Start),
            Ok("2026-01-05T08:00:00Z".into())
        );
    }

    #[test]
    fn a_bare_date_is_read_on_the_practice_clock() {
        // Summer time: local midnight is 23:00 UTC the evening before.
        assert_eq!(
            read("2026-07-01", DateEdge::Start),
            Ok("2026-06-30T23:00:00Z".into())
        );
        assert_eq!(
            read("2026-07-01", DateEdge::End),
            Ok("2026-07-01T22:59:59Z".into())
        );
        assert_eq!(
            read("2026-01-05", DateEdge::End),
            Ok("2026-01-05T23:59:59Z".into())
        );
    }

    #[test]
    fn partial_or_unzoned_values_are_refused_naming_the_field() {
        for bad in [
            "2026",
            "2026-03",
            "2026-03-02T09:30:00",
            "yesterday",
            "2026-02-30",
        ] {
            let err = read(bad, DateEdge::Start).expect_err(bad);
            assert_eq!(err.field, "at", "{bad}");
        }
    }
}

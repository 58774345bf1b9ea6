//! People and groups inside the practice that tasks can be reassigned to, and whether a person
//! is away on a given day (the LMC's first hazard: tasks sent to someone on leave).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A member of staff from `[[staff]]` in the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    /// Short id used on the command line and in the audit log (`jsmith`).
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    /// The operating-system login that identifies this person when `--user` is not given.
    pub login: Option<String>,
}

/// A group from `[[groups]]`: a shared queue such as "Prescriptions team".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub members: Vec<String>,
}

/// A recorded absence: leave, sickness, training. Inclusive of both days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    pub staff_id: String,
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub reason: String,
}

impl Absence {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.until
    }
}

/// Whether someone can pick up a task today, as the picker and the handover show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Presence {
    Present,
    Away { until: NaiveDate, reason: String },
}

/// Presence of `staff_id` on `day`, from the absences recorded for the practice.
pub fn presence_on(staff_id: &str, day: NaiveDate, absences: &[Absence]) -> Presence {
    absences
        .iter()
        .filter(|a| a.staff_id == staff_id && a.covers(day))
        .max_by_key(|a| a.until)
        .map_or(Presence::Present, |a| Presence::Away {
            until: a.until,
            reason: a.reason.clone(),
        })
}

/// A group is away only when every member is: one person on duty can still pick its tasks up.
/// It is back as soon as its first member returns, so the date shown is the earliest return.
pub fn group_presence_on(group: &Group, day: NaiveDate, absences: &[Absence]) -> Presence {
    let mut first_back: Option<(NaiveDate, String)> = None;
    for member in &group.members {
        match presence_on(member, day, absences) {
            Presence::Present => return Presence::Present,
            Presence::Away { until, reason } => {
                if first_back.as_ref().is_none_or(|(u, _)| until < *u) {
                    first_back = Some((until, reason));
                }
            }
        }
    }
    first_back.map_or(Presence::Present, |(until, reason)| Presence::Away {
        until,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("valid test date")
    }

    fn away(id: &str, from: u32, until: u32) -> Absence {
        Absence {
            staff_id: id.into(),
            from: day(from),
            until: day(until),
            reason: "leave".into(),
        }
    }

    #[test]
    fn absence_covers_both_end_days() {
        let a = [away("jo", 10, 12)];
        assert_eq!(presence_on("jo", day(9), &a), Presence::Present);
        assert!(matches!(
            presence_on("jo", day(10), &a),
            Presence::Away { .. }
        ));
        assert!(matches!(
            presence_on("jo", day(12), &a),
            Presence::Away { .. }
        ));
        assert_eq!(presence_on("jo", day(13), &a), Presence::Present);
        assert_eq!(presence_on("sam", day(11), &a), Presence::Present);
    }

    #[test]
    fn a_group_is_away_only_when_all_members_are() {
        let g = Group {
            id: "rx".into(),
            name: "Prescriptions".into(),
            members: vec!["jo".into(), "sam".into()],
        };
        let one = [away("jo", 10, 12)];
        assert_eq!(group_presence_on(&g, day(11), &one), Presence::Present);
        let both = [away("jo", 10, 12), away("sam", 11, 20)];
        assert_eq!(
            group_presence_on(&g, day(11), &both),
            Presence::Away {
                until: day(12),
                reason: "leave".into()
            },
            "the group is back when Jo is"
        );
        assert_eq!(group_presence_on(&g, day(14), &both), Presence::Present);
    }
}

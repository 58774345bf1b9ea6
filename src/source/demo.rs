//! The demo source: a deterministic synthetic inbox for trying taskgate and for tests and
//! benchmarks. Same seed and same `now` give the same tasks, byte for byte. Every patient is
//! invented and every NHS number is in the 999 test range.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Europe::London;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::domain::{IncomingTask, NhsNumber, Patient, Priority, Staff, Status};

const VOCABULARY: &str = include_str!("../../assets/demo/vocabulary.toml");

/// A practice of a few thousand patients gets a few dozen external tasks a working day; a large
/// mirror is spread over at most two years, as a hub holding several practices would be.
const TASKS_PER_WORKING_DAY: usize = 40;
const MAX_SPAN_DAYS: i64 = 730;
const MIN_SPAN_DAYS: i64 = 10;

#[derive(Debug, Deserialize)]
struct Vocabulary {
    first_names: Vec<String>,
    surnames: Vec<String>,
    providers: Vec<DemoProvider>,
    subjects: BTreeMap<String, Vec<String>>,
    bodies: Bodies,
}

#[derive(Debug, Deserialize)]
struct DemoProvider {
    ods_code: String,
    name: String,
    teams: Vec<String>,
    kinds: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Bodies {
    journal: Vec<String>,
    detailed: Vec<String>,
}

/// What to generate. `staff` and `groups` are the practice's own (from the config), so that some
/// tasks arrive addressed to a named person and assigned tasks have real owners.
#[derive(Debug, Clone)]
pub struct DemoSpec {
    pub tasks: usize,
    pub seed: u64,
    pub now: DateTime<Utc>,
    pub staff: Vec<Staff>,
    pub group_ids: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("the demo vocabulary (assets/demo/vocabulary.toml) is broken: {0}")]
pub struct VocabularyError(String);

/// Yields the demo tasks one at a time, so a million of them never sit in memory at once.
pub struct DemoTasks {
    vocab: Vocabulary,
    rng: ChaCha8Rng,
    spec: DemoSpec,
    next: usize,
    span_days: i64,
}

/// Starts a demo inbox. Fails only if the shipped vocabulary is broken.
pub fn generate(spec: DemoSpec) -> Result<DemoTasks, VocabularyError> {
    let vocab: Vocabulary =
        toml::from_str(VOCABULARY).map_err(|e| VocabularyError(e.to_string()))?;
    let empty_pool = vocab.first_names.is_empty()
        || vocab.surnames.is_empty()
        || vocab
            .providers
            .iter()
            .any(|p| p.teams.is_empty() || p.kinds.is_empty())
        || vocab.providers.is_empty()
        || vocab.bodies.journal.is_empty()
        || vocab.bodies.detailed.is_empty();
    if empty_pool {
        return Err(VocabularyError("a list is empty".into()));
    }
    for p in &vocab.providers {
        for kind in &p.kinds {
            if vocab.subjects.get(kind).is_none_or(Vec::is_empty) {
                return Err(VocabularyError(format!("no subjects for kind `{kind}`")));
            }
        }
    }
    let working_days = i64::try_from(spec.tasks / TASKS_PER_WORKING_DAY).unwrap_or(MAX_SPAN_DAYS);
    // Calendar days ≈ working days × 7/5.
    let span_days = (working_days * 7 / 5).clamp(MIN_SPAN_DAYS, MAX_SPAN_DAYS);
    Ok(DemoTasks {
        vocab,
        rng: ChaCha8Rng::seed_from_u64(spec.seed),
        spec,
        next: 0,
        span_days,
    })
}

impl Iterator for DemoTasks {
    type Item = IncomingTask;

    fn next(&mut self) -> Option<IncomingTask> {
        if self.next >= self.spec.tasks {
            return None;
        }
        self.next += 1;
        Some(self.make_task(self.next))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.spec.tasks - self.next;
        (left, Some(left))
    }
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

impl DemoTasks {
    fn make_task(&mut self, n: usize) -> IncomingTask {
        let received_at = self.received_time();
        let (status, owner) = self.triage_state(received_at);
        let rng = &mut self.rng;
        let provider = pick(rng, &self.vocab.providers);
        let team = pick(rng, &provider.teams).clone();
        let kind = pick(rng, &provider.kinds);
        let subject = self
            .vocab
            .subjects
            .get(kind)
            .map(|list| pick(rng, list).clone())
            .unwrap_or_default();
        let local = received_at.with_timezone(&London);
        let body = if rng.random_bool(0.7) {
            let stamp = local.format("%d/%m/%Y %H:%M").to_string();
            pick(rng, &self.vocab.bodies.journal).replace("{date}", &stamp)
        } else {
            pick(rng, &self.vocab.bodies.detailed).clone()
        };
        let priority = match rng.random_range(0..100) {
            0..80 => Priority::Routine,
            80..92 => Priority::Urgent,
            92..97 => Priority::Asap,
            _ => Priority::Stat,
        };
        let due_by = rng
            .random_bool(0.4)
            .then(|| received_at + Duration::days(rng.random_range(1..=42)));
        let addressed_to = (!self.spec.staff.is_empty() && rng.random_bool(0.08))
            .then(|| pick(rng, &self.spec.staff).name.clone());
        let patient = Patient {
            nhs_number: Some(synthetic_nhs_number(rng)),
            name: format!(
                "{} {}",
                pick(rng, &self.vocab.first_names),
                pick(rng, &self.vocab.surnames)
            ),
            birth_date: NaiveDate::from_ymd_opt(
                rng.random_range(1930..=2020),
                rng.random_range(1..=12),
                rng.random_range(1..=28),
            ),
        };
        IncomingTask {
            source_id: format!("demo-{n:07}"),
            source_version: Some("1".into()),
            status,
            priority,
            provider_ods: provider.ods_code.clone(),
            provider_name: provider.name.clone(),
            sender_team: Some(team),
            addressed_to,
            owner,
            patient,
            subject,
            body,
            received_at,
            due_by,
            raw: None,
        }
    }

    /// Spread receipts over the span, mostly in the working day on weekdays; community teams
    /// also send some in the evening and at weekends, which the overdue rules must handle.
    fn received_time(&mut self) -> DateTime<Utc> {
        let rng = &mut self.rng;
        let today = self.spec.now.with_timezone(&London).date_naive();
        // Skew towards recent days: the square of a uniform number favours small offsets.
        let u: f64 = rng.random();
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let back = ((u * u) * self.span_days as f64) as i64;
        let mut day = today - Duration::days(back);
        let out_of_hours = rng.random_bool(0.06);
        if !out_of_hours {
            while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                day -= Duration::days(1);
            }
        }
        let (h0, h1) = if out_of_hours { (17, 22) } else { (8, 17) };
        let minute_of_day = rng.random_range(h0 * 60..h1 * 60);
        let naive = day
            .and_hms_opt(minute_of_day / 60, minute_of_day % 60, 0)
            .unwrap_or_default();
        let at = London
            .from_local_datetime(&naive)
            .earliest()
            .map_or_else(|| Utc.from_utc_datetime(&naive), |t| t.with_timezone(&Utc));
        // Nothing arrives from the future.
        at.min(self.spec.now - Duration::minutes(5))
    }

    /// Older tasks have mostly been dealt with; recent ones mostly wait in the inbox.
    fn triage_state(&mut self, received_at: DateTime<Utc>) -> (Status, Option<String>) {
        let rng = &mut self.rng;
        let age_days = (self.spec.now - received_at).num_days();
        let open_chance = match age_days {
            0..=1 => 0.9,
            2..=6 => 0.45,
            7..=20 => 0.12,
            _ => 0.02,
        };
        let owners: Vec<&str> = self
            .spec
            .staff
            .iter()
            .map(|s| s.id.as_str())
            .chain(self.spec.group_ids.iter().map(String::as_str))
            .collect();
        if rng.random_bool(open_chance) {
            if !owners.is_empty() && rng.random_bool(0.25) {
                return (Status::Assigned, Some((*pick(rng, &owners)).to_owned()));
            }
            return (Status::New, None);
        }
        match rng.random_range(0..100) {
            0..45 => (Status::Rejected, None),
            45..95 if !owners.is_empty() => {
                (Status::Completed, Some((*pick(rng, &owners)).to_owned()))
            }
            45..95 => (Status::Completed, None),
            _ => (Status::Cancelled, None),
        }
    }
}

/// A valid NHS number in the 999 range, which is never issued to a real patient.
fn synthetic_nhs_number(rng: &mut ChaCha8Rng) -> NhsNumber {
    loop {
        let mut first = [9u8; 9];
        for d in &mut first[3..] {
            *d = rng.random_range(0..10);
        }
        if let Some(n) = NhsNumber::from_first_nine(first) {
            return n;
        }
    }
}

/// The hour in London, for tests that check receipts fall where they should.
pub fn local_hour(at: DateTime<Utc>) -> u32 {
    at.with_timezone(&London).hour()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(tasks: usize, seed: u64) -> DemoSpec {
        DemoSpec {
            tasks,
            seed,
            now: Utc
                .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
                .single()
                .expect("instant"),
            staff: vec![Staff {
                id: "jo".into(),
                name: "Jo Bloggs".into(),
                role: None,
                login: None,
            }],
            group_ids: vec!["admin".into()],
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_inbox_and_another_seed_does_not() {
        let a: Vec<_> = generate(spec(200, 7)).expect("vocab").collect();
        let b: Vec<_> = generate(spec(200, 7)).expect("vocab").collect();
        let c: Vec<_> = generate(spec(200, 8)).expect("vocab").collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 200);
    }

    #[test]
    fn every_patient_is_synthetic_and_nothing_comes_from_the_future() {
        let s = spec(2_000, 1);
        let now = s.now;
        for t in generate(s).expect("vocab") {
            let nhs = t.patient.nhs_number.expect("demo tasks carry a number");
            assert!(nhs.is_synthetic(), "{nhs} is outside the 999 range");
            assert!(t.received_at < now);
            assert_eq!(
                t.owner.is_some(),
                matches!(t.status, Status::Assigned | Status::Completed)
            );
        }
    }

    #[test]
    fn the_inbox_has_the_variety_the_policy_rules_need() {
        let tasks: Vec<_> = generate(spec(2_000, 3)).expect("vocab").collect();
        let count = |f: &dyn Fn(&IncomingTask) -> bool| tasks.iter().filter(|t| f(t)).count();
        assert!(count(&|t| t.status == Status::New) > 50);
        assert!(count(&|t| t.priority != Priority::Routine) > 100);
        assert!(count(&|t| t.addressed_to.is_some()) > 50);
        assert!(count(&|t| t.due_by.is_some()) > 300);
        assert!(count(&|t| t.body.len() > 400) > 100);
        assert!(count(&|t| t.subject.contains("fit note") || t.subject.contains("Fit note")) > 10);
        assert!(count(&|t| !(8..17).contains(&local_hour(t.received_at))) > 20);
    }
}

//! Counting working days by arithmetic instead of walking the calendar: each date gets the number
//! of configured working weekdays before it (its "weekday index"), and the days lost to bank
//! holidays and closures are a sorted list of such indices. Working time between any two instants
//! is then a subtraction and a binary search, which keeps ages for a million tasks cheap.

use chrono::{Datelike, NaiveDate, Weekday};

/// Day numbers count from Monday 1 January of year 1 (proleptic Gregorian), so that the week
/// position of a day is simply its day number modulo 7.
fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 1
}

fn date_of_day_number(n: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(n.checked_add(1)?).ok()?)
}

/// Which weekdays the practice works, with the tables that turn dates into weekday indices and
/// back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WeekPattern {
    working: [bool; 7],
    per_week: i64,
    /// `before[r]`: working weekdays among the first `r` days of a Monday-based week.
    before: [i64; 8],
    /// `offsets[r]`: the day of the week (0 = Monday) of the week's `r`-th working weekday.
    offsets: [i64; 7],
}

impl WeekPattern {
    /// `None` when no weekday is a working day.
    pub(super) fn new(days: &[Weekday]) -> Option<Self> {
        let mut working = [false; 7];
        for day in days {
            working[day.num_days_from_monday() as usize] = true;
        }
        let mut before = [0; 8];
        let mut offsets = [0; 7];
        let mut count = 0;
        for (position, works) in (0_i64..).zip(working) {
            if works {
                offsets[usize::try_from(count).ok()?] = position;
                count += 1;
            }
            before[usize::try_from(position + 1).ok()?] = count;
        }
        (count > 0).then_some(Self {
            working,
            per_week: count,
            before,
            offsets,
        })
    }

    pub(super) fn works_on(&self, weekday: Weekday) -> bool {
        self.working[weekday.num_days_from_monday() as usize]
    }

    /// Working weekdays strictly before `date`; a working weekday's own index is unique to it.
    pub(super) fn index(&self, date: NaiveDate) -> i64 {
        let n = day_number(date);
        n.div_euclid(7) * self.per_week
            + self.before[usize::try_from(n.rem_euclid(7)).unwrap_or_default()]
    }

    /// The working weekday whose index is `index`.
    pub(super) fn date_of(&self, index: i64) -> Option<NaiveDate> {
        let week = index.div_euclid(self.per_week);
        let position = usize::try_from(index.rem_euclid(self.per_week)).ok()?;
        date_of_day_number(week.checked_mul(7)?.checked_add(self.offsets[position])?)
    }
}

/// Weekday indices of working weekdays that are not worked (bank holidays, closures), sorted and
/// distinct.
pub(super) struct Exceptions<'a>(pub(super) &'a [i64]);

impl Exceptions<'_> {
    pub(super) fn contains(&self, index: i64) -> bool {
        self.0.binary_search(&index).is_ok()
    }

    /// Working days (weekday and not an exception) before the weekday index `index`.
    pub(super) fn worked_before(&self, index: i64) -> i64 {
        let lost = self.0.partition_point(|x| *x < index);
        index - i64::try_from(lost).unwrap_or(i64::MAX)
    }

    /// The weekday index of the `n`-th working day (counting from 0 like `worked_before`): each
    /// exception at or before the candidate pushes it one further.
    pub(super) fn nth_worked(&self, n: i64) -> i64 {
        let mut position = self.0.partition_point(|x| *x < n);
        let mut candidate = n + i64::try_from(position).unwrap_or(i64::MAX);
        while self.0.get(position).is_some_and(|x| *x <= candidate) {
            candidate += 1;
            position += 1;
        }
        candidate
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const WEEKDAYS: [Weekday; 5] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];

    #[test]
    fn day_numbers_start_on_a_monday() {
        let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        assert_eq!(first.weekday(), Weekday::Mon);
        assert_eq!(day_number(first), 0);
    }

    #[test]
    fn index_and_date_of_agree_for_every_working_weekday() {
        for days in [
            &WEEKDAYS[..],
            &[Weekday::Tue, Weekday::Sat][..],
            &[Weekday::Sun][..],
        ] {
            let pattern = WeekPattern::new(days).unwrap();
            let mut date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let mut walked = pattern.index(date);
            for _ in 0..40 {
                assert_eq!(pattern.index(date), walked, "{date}");
                if pattern.works_on(date.weekday()) {
                    assert_eq!(pattern.date_of(walked), Some(date));
                    walked += 1;
                }
                date = date.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn no_working_days_is_refused() {
        assert!(WeekPattern::new(&[]).is_none());
    }

    #[test]
    fn exceptions_are_skipped_when_counting_and_finding() {
        let lost = [3, 4, 7];
        let exceptions = Exceptions(&lost);
        let worked: Vec<i64> = (0..10).filter(|i| !lost.contains(i)).collect();
        for (n, index) in (0..).zip(&worked) {
            assert_eq!(exceptions.nth_worked(n), *index);
            assert_eq!(exceptions.worked_before(*index), n);
        }
        assert_eq!(exceptions.worked_before(5), 3);
    }
}

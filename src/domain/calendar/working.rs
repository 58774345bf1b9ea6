//! The practice's working calendar: which days are worked, between which wall-clock hours, and
//! the two sums everything else rests on — when a span of working time after an instant runs
//! out, and how much working time lies between two instants — each returned with a warning when
//! it counted days nothing is known about (see `CalendarWarning`).

use std::collections::BTreeSet;
use std::fmt;

use chrono::offset::LocalResult;
use chrono::{
    DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};

use super::index::{Exceptions, WeekPattern};
use super::{
    CalendarDataError, CalendarWarning, Computed, HolidaySet, Nation, PRACTICE_TIME_ZONE,
    WorkingDuration,
};

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Working days and hours of one practice. Working time is wall-clock time in Europe/London, so
/// a working day is `end - start` long whether or not the clocks changed that weekend.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    pattern: WeekPattern,
    start: NaiveTime,
    end: NaiveTime,
    day_nanos: i128,
    holidays: HolidaySet,
    closures: BTreeSet<NaiveDate>,
    /// 31 December of the last year with a listed closure: after it, closures are unknown.
    closures_listed_to: Option<NaiveDate>,
    /// Weekday indices of working weekdays lost to holidays or closures, and their dates, in the
    /// same order.
    lost_indices: Vec<i64>,
    lost_dates: Vec<NaiveDate>,
}

/// Why a date is not a working day, worded for the explanation beside a due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NonWorkingDay {
    /// Not one of the configured working weekdays (usually Saturday or Sunday).
    Weekend {
        date: NaiveDate,
    },
    BankHoliday {
        date: NaiveDate,
        title: String,
    },
    Closure {
        date: NaiveDate,
    },
}

impl NonWorkingDay {
    pub fn date(&self) -> NaiveDate {
        match self {
            Self::Weekend { date } | Self::BankHoliday { date, .. } | Self::Closure { date } => {
                *date
            }
        }
    }
}

impl fmt::Display for NonWorkingDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = self.date().format("%a %-d %b");
        match self {
            Self::Weekend { date } if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) => {
                write!(f, "{day} is a weekend")
            }
            Self::Weekend { .. } => write!(f, "{day} is not one of the practice's working days"),
            Self::BankHoliday { title, .. } => write!(f, "{day} is a bank holiday ({title})"),
            Self::Closure { .. } => write!(f, "{day} is a practice closure day"),
        }
    }
}

impl WorkingCalendar {
    pub fn new(
        days: &[Weekday],
        start: NaiveTime,
        end: NaiveTime,
        holidays: HolidaySet,
        closures: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Self, CalendarDataError> {
        if start >= end {
            return Err(CalendarDataError::HoursOutOfOrder { start, end });
        }
        let pattern = WeekPattern::new(days).ok_or(CalendarDataError::NoWorkingDays)?;
        let closures: BTreeSet<NaiveDate> = closures.into_iter().collect();
        let lost_dates: Vec<NaiveDate> = holidays
            .iter()
            .map(|(date, _)| date)
            .chain(closures.iter().copied())
            .filter(|date| pattern.works_on(date.weekday()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let lost_indices = lost_dates.iter().map(|d| pattern.index(*d)).collect();
        let closures_listed_to = closures
            .last()
            .map(|last| NaiveDate::from_ymd_opt(last.year(), 12, 31).unwrap_or(*last));
        Ok(Self {
            pattern,
            start,
            end,
            day_nanos: nanos(end - start),
            holidays,
            closures,
            closures_listed_to,
            lost_indices,
            lost_dates,
        })
    }

    pub fn nation(&self) -> Nation {
        self.holidays.nation()
    }

    pub fn holidays(&self) -> &HolidaySet {
        &self.holidays
    }

    /// Start and end of the working day, local wall-clock time.
    pub fn working_hours(&self) -> (NaiveTime, NaiveTime) {
        (self.start, self.end)
    }

    pub fn day_length(&self) -> Duration {
        self.end - self.start
    }

    /// A working day is one day's working hours, so "2 working days" from 16:00 ends at 16:00.
    pub fn to_duration(&self, d: WorkingDuration) -> Duration {
        match d {
            WorkingDuration::Minutes(n) => Duration::minutes(i64::from(n)),
            WorkingDuration::Hours(n) => Duration::hours(i64::from(n)),
            WorkingDuration::Days(n) => self.day_length() * i32::try_from(n).unwrap_or(i32::MAX),
        }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        self.pattern.works_on(day.weekday()) && !self.lost().contains(self.pattern.index(day))
    }

    pub fn non_working_reason(&self, day: NaiveDate) -> Option<NonWorkingDay> {
        if !self.pattern.works_on(day.weekday()) {
            Some(NonWorkingDay::Weekend { date: day })
        } else if let Some(title) = self.holidays.title(day) {
            Some(NonWorkingDay::BankHoliday {
                date: day,
                title: title.to_owned(),
            })
        } else if self.closures.contains(&day) {
            Some(NonWorkingDay::Closure { date: day })
        } else {
            None
        }
    }

    /// Bank holidays and closures that fell on working weekdays from `from` to `to` inclusive:
    /// the days that moved a due time, for its explanation.
    pub fn days_lost_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Iterator<Item = NonWorkingDay> + '_ {
        let first = self.lost_dates.partition_point(|d| *d < from);
        let last = self.lost_dates.partition_point(|d| *d <= to).max(first);
        self.lost_dates[first..last]
            .iter()
            .filter_map(|d| self.non_working_reason(*d))
    }

    /// The instant at which `d` of working time after `start` has passed. A start outside working
    /// hours counts from the next working window; time that runs out exactly at the end of a
    /// window gives that end (17:00), not the next morning. A zero or negative `d` gives `start`.
    pub fn add_working_time(&self, start: DateTime<Utc>, d: Duration) -> Computed<DateTime<Utc>> {
        let d = nanos(d);
        if d <= 0 {
            return Computed::exact(start);
        }
        let from = local(start);
        let target = self.elapsed_at(from).saturating_add(d);
        // Split so the part within the day is in (0, day]: a sum ending on a window's close
        // belongs to that day.
        let day = (target - 1).div_euclid(self.day_nanos);
        let within = target - day * self.day_nanos;
        let due = i64::try_from(day)
            .ok()
            .map(|n| self.lost().nth_worked(n))
            .and_then(|index| self.pattern.date_of(index))
            .and_then(|date| {
                date.and_time(self.start)
                    .checked_add_signed(duration(within))
            });
        let Some(due) = due else {
            return Computed {
                value: DateTime::<Utc>::MAX_UTC,
                warning: self.coverage_warning(self.first_touched(from), NaiveDate::MAX),
            };
        };
        Computed {
            value: utc(due).unwrap_or(DateTime::<Utc>::MAX_UTC),
            warning: self.coverage_warning(self.first_touched(from), due.date()),
        }
    }

    /// Working time from `a` to `b`; zero if `b` is not after `a`.
    pub fn working_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Computed<Duration> {
        if b <= a {
            return Computed::exact(Duration::zero());
        }
        let (from, to) = (local(a), local(b));
        // Clamped because, in the repeated hour when clocks go back, a later instant can read
        // earlier on the wall clock.
        let worked = (self.elapsed_at(to) - self.elapsed_at(from)).max(0);
        let last_touched = if to.time() > self.start {
            Some(to.date())
        } else {
            to.date().pred_opt()
        };
        Computed {
            value: duration(worked),
            warning: last_touched
                .and_then(|last| self.coverage_warning(self.first_touched(from), last)),
        }
    }

    fn lost(&self) -> Exceptions<'_> {
        Exceptions(&self.lost_indices)
    }

    /// Working time, in nanoseconds, from the calendar's origin to the local time `at`.
    fn elapsed_at(&self, at: NaiveDateTime) -> i128 {
        let date = at.date();
        let index = self.pattern.index(date);
        let mut elapsed = i128::from(self.lost().worked_before(index)) * self.day_nanos;
        if self.pattern.works_on(date.weekday()) && !self.lost().contains(index) {
            elapsed += nanos(at.time().clamp(self.start, self.end) - self.start);
        }
        elapsed
    }

    /// The first date whose working window a span starting at `from` can reach.
    fn first_touched(&self, from: NaiveDateTime) -> NaiveDate {
        if from.time() < self.end {
            from.date()
        } else {
            from.date().succ_opt().unwrap_or(from.date())
        }
    }

    /// Days whose status is unknown (before the bank-holiday data, after the rules' last year,
    /// after the last year of listed closures) matter only if they were counted as worked, so
    /// only such days between `first` and `last` (inclusive) raise the warning.
    fn coverage_warning(&self, first: NaiveDate, last: NaiveDate) -> Option<CalendarWarning> {
        let covered_from = self.holidays.covered_from();
        let covered_to = self.holidays.covered_to();
        let before_data = covered_from
            .pred_opt()
            .is_some_and(|day_before| self.any_worked_day(first, last.min(day_before)));
        let after_data = covered_to
            .succ_opt()
            .is_some_and(|day_after| self.any_worked_day(first.max(day_after), last));
        let closures_listed_to = self.closures_listed_to.filter(|listed_to| {
            listed_to
                .succ_opt()
                .is_some_and(|day_after| self.any_worked_day(first.max(day_after), last))
        });
        (before_data || after_data || closures_listed_to.is_some()).then_some(CalendarWarning {
            nation: self.nation(),
            covered_from,
            covered_to,
            before_data,
            after_data,
            closures_listed_to,
        })
    }

    /// Whether a working day lies in `from..=to`. The walk is short: it stops at the first such
    /// day, and only holidays, closures and non-working weekdays come between.
    fn any_worked_day(&self, from: NaiveDate, to: NaiveDate) -> bool {
        let mut day = from;
        while day <= to {
            if self.is_working_day(day) {
                return true;
            }
            match day.checked_add_days(Days::new(1)) {
                Some(next) => day = next,
                None => return false,
            }
        }
        false
    }
}

fn nanos(d: Duration) -> i128 {
    i128::from(d.num_seconds()) * NANOS_PER_SECOND + i128::from(d.subsec_nanos())
}

/// Saturates at chrono's largest duration, far beyond any working-time sum that matters.
fn duration(nanos: i128) -> Duration {
    let seconds = i64::try_from(nanos.div_euclid(NANOS_PER_SECOND)).ok();
    let subsec = nanos.rem_euclid(NANOS_PER_SECOND);
    seconds
        .and_then(Duration::try_seconds)
        .and_then(|s| s.checked_add(&Duration::nanoseconds(i64::try_from(subsec).ok()?)))
        .unwrap_or(Duration::MAX)
}

fn local(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&PRACTICE_TIME_ZONE).naive_local()
}

/// The instant a local wall-clock time names. In the repeated hour when clocks go back, the first
/// of the two; in the hour skipped when they go forward, the moment the clocks jumped, which keeps
/// later wall-clock times at later instants.
fn utc(at: NaiveDateTime) -> Option<DateTime<Utc>> {
    match PRACTICE_TIME_ZONE.from_local_datetime(&at) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
        LocalResult::None => {
            // No UK offset is more than a day, so these bracket the jump, which happens on a
            // whole second.
            let naive_seconds = at.and_utc().timestamp();
            let (mut low, mut high) = (naive_seconds - 86_400, naive_seconds + 86_400);
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                if local(DateTime::from_timestamp(middle, 0)?) < at {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            DateTime::from_timestamp(high, 0)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn holidays() -> HolidaySet {
        HolidaySet::new(
            Nation::EnglandAndWales,
            [(date(2026, 8, 31), "Summer bank holiday".to_owned())],
        )
        .unwrap()
    }

    fn every_day_from_midnight() -> WorkingCalendar {
        let all = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        let end = NaiveTime::from_hms_opt(23, 59, 59).unwrap();
        WorkingCalendar::new(&all, time(0, 0), end, holidays(), []).unwrap()
    }

    #[test]
    fn skipped_hour_maps_to_the_moment_clocks_jumped() {
        let jump = Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap();
        assert_eq!(utc(date(2026, 3, 29).and_time(time(1, 30))), Some(jump));
        assert_eq!(utc(date(2026, 3, 29).and_time(time(2, 0))), Some(jump));
    }

    #[test]
    fn repeated_hour_maps_to_its_first_occurrence() {
        let first = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
        assert_eq!(utc(date(2026, 10, 25).and_time(time(1, 30))), Some(first));
    }

    #[test]
    fn sunday_working_counts_wall_clock_hours_across_the_change() {
        let calendar = every_day_from_midnight();
        let midnight = Utc.with_ymd_and_hms(2026, 3, 29, 0, 0, 0).unwrap();
        let due = calendar
            .add_working_time(midnight, Duration::hours(3))
            .value;
        // 03:00 BST: three wall-clock hours, though only two hours elapsed.
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 29, 2, 0, 0).unwrap());
        assert_eq!(
            calendar.working_time_between(midnight, due).value,
            Duration::hours(3)
        );
    }

    #[test]
    fn holiday_on_a_non_working_weekday_is_explained_as_the_weekend() {
        let calendar = WorkingCalendar::new(
            &[Weekday::Tue],
            time(8, 0),
            time(17, 0),
            holidays(),
            [date(2026, 9, 1)],
        )
        .unwrap();
        assert_eq!(
            calendar
                .non_working_reason(date(2026, 8, 31))
                .unwrap()
                .to_string(),
            "Mon 31 Aug is not one of the practice's working days"
        );
        assert_eq!(
            calendar
                .non_working_reason(date(2026, 9, 1))
                .unwrap()
                .to_string(),
            "Tue 1 Sep is a practice closure day"
        );
        assert_eq!(
            calendar
                .days_lost_between(date(2026, 8, 1), date(2026, 9, 30))
                .count(),
            1
        );
    }

    #[test]
    fn set_up_mistakes_are_refused() {
        assert_eq!(
            WorkingCalendar::new(&[Weekday::Mon], time(17, 0), time(8, 0), holidays(), [])
                .unwrap_err(),
            CalendarDataError::HoursOutOfOrder {
                start: time(17, 0),
                end: time(8, 0)
            }
        );
        assert_eq!(
            WorkingCalendar::new(&[], time(8, 0), time(17, 0), holidays(), []).unwrap_err(),
            CalendarDataError::NoWorkingDays
        );
    }

    #[test]
    fn huge_durations_saturate_instead_of_panicking() {
        let calendar = every_day_from_midnight();
        let start = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
        let due = calendar.add_working_time(start, Duration::MAX);
        assert_eq!(due.value, DateTime::<Utc>::MAX_UTC);
        assert!(due.warning.is_some_and(|w| w.after_data));
    }
}

//! UK bank holidays by rule, for the years the published list does not reach: each nation's
//! fixed and moveable days, Easter by the Gregorian computus, and the substitute days that replace
//! a holiday falling at a weekend. One-off proclamations and moved dates (a coronation, a jubilee,
//! an early May holiday moved to a Friday) cannot be derived from any rule; they live only in the
//! published list, which is why that list wins for every year it covers.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::Nation;

/// A bank holiday the rules give: its date (after any substitution), the title the published
/// list uses for it, and whether it replaces a holiday that fell at a weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleHoliday {
    pub date: NaiveDate,
    pub title: &'static str,
    pub substitute: bool,
}

// Titles as the published list spells them (typographic apostrophes included), so that a day
// reads the same whether it came from the snapshot or the rules.
const NEW_YEAR: &str = "New Year\u{2019}s Day";
const SECOND_JANUARY: &str = "2nd January";
const ST_PATRICK: &str = "St Patrick\u{2019}s Day";
const GOOD_FRIDAY: &str = "Good Friday";
const EASTER_MONDAY: &str = "Easter Monday";
const EARLY_MAY: &str = "Early May bank holiday";
const SPRING: &str = "Spring bank holiday";
const BOYNE: &str = "Battle of the Boyne (Orangemen\u{2019}s Day)";
const SUMMER: &str = "Summer bank holiday";
const ST_ANDREW: &str = "St Andrew\u{2019}s Day";
const CHRISTMAS: &str = "Christmas Day";
const BOXING_DAY: &str = "Boxing Day";

/// Easter Sunday in the Gregorian calendar (the anonymous algorithm, also known as Meeus/Jones/
/// Butcher). Eleven lines of integer arithmetic; `None` only outside chrono's date range.
// The letters are the algorithm's own, as published, so it can be checked line by line.
#[allow(clippy::many_single_char_names)]
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The bank holidays the rules give `nation` in `year`, in date order. Empty only for a year
/// outside chrono's range.
pub fn bank_holidays_by_rule(nation: Nation, year: i32) -> Vec<RuleHoliday> {
    let scotland = nation == Nation::Scotland;
    let northern_ireland = nation == Nation::NorthernIreland;
    let easter = easter_sunday(year);
    let on = |month, day| NaiveDate::from_ymd_opt(year, month, day);
    let mut natural: Vec<(Option<NaiveDate>, &'static str)> = vec![(on(1, 1), NEW_YEAR)];
    if scotland {
        natural.push((on(1, 2), SECOND_JANUARY));
    }
    if northern_ireland {
        natural.push((on(3, 17), ST_PATRICK));
    }
    natural.push((
        easter.and_then(|e| e.checked_sub_days(Days::new(2))),
        GOOD_FRIDAY,
    ));
    if !scotland {
        natural.push((
            easter.and_then(|e| e.checked_add_days(Days::new(1))),
            EASTER_MONDAY,
        ));
    }
    natural.push((first_monday(year, 5), EARLY_MAY));
    natural.push((last_monday(year, 5), SPRING));
    if northern_ireland {
        natural.push((on(7, 12), BOYNE));
    }
    natural.push((
        if scotland {
            first_monday(year, 8)
        } else {
            last_monday(year, 8)
        },
        SUMMER,
    ));
    if scotland {
        natural.push((on(11, 30), ST_ANDREW));
    }
    natural.push((on(12, 25), CHRISTMAS));
    natural.push((on(12, 26), BOXING_DAY));
    with_substitutes(natural.into_iter().filter_map(|(d, t)| Some((d?, t))))
}

/// Holidays on weekdays stay where they are; each one at a weekend moves, in date order, to the
/// next weekday that is not already a holiday. So Christmas on a Saturday gives Monday 27 and
/// Boxing Day (Sunday) Tuesday 28 December, and in Scotland a Sunday New Year's Day gives
/// Tuesday 3 January because Monday 2 January is a holiday of its own.
fn with_substitutes(natural: impl Iterator<Item = (NaiveDate, &'static str)>) -> Vec<RuleHoliday> {
    let mut natural: Vec<_> = natural.collect();
    natural.sort_by_key(|(date, _)| *date);
    let mut out: Vec<RuleHoliday> = natural
        .iter()
        .filter(|(date, _)| !is_weekend(*date))
        .map(|&(date, title)| RuleHoliday {
            date,
            title,
            substitute: false,
        })
        .collect();
    for &(date, title) in natural.iter().filter(|(date, _)| is_weekend(*date)) {
        let mut day = date;
        while is_weekend(day) || out.iter().any(|h| h.date == day) {
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        out.push(RuleHoliday {
            date: day,
            title,
            substitute: true,
        });
    }
    out.sort_by_key(|h| h.date);
    out
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn first_monday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1)
}

fn last_monday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = first_of_next.pred_opt()?;
    let back = last.weekday().days_since(Weekday::Mon);
    last.checked_sub_days(Days::new(u64::from(back)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_sunday_matches_published_dates() {
        // Extremes of the range (22 March, 25 April) and ordinary years.
        for (year, month, day) in [
            (1818, 3, 22),
            (1943, 4, 25),
            (2000, 4, 23),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2038, 4, 25),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(year), Some(date(year, month, day)), "{year}");
        }
    }

    #[test]
    fn last_monday_of_may_and_august() {
        assert_eq!(last_monday(2026, 5), Some(date(2026, 5, 25)));
        assert_eq!(last_monday(2027, 5), Some(date(2027, 5, 31)));
        assert_eq!(last_monday(2028, 8), Some(date(2028, 8, 28)));
        assert_eq!(last_monday(2028, 12), Some(date(2028, 12, 25)));
    }

    #[test]
    fn scottish_new_year_on_a_sunday_pushes_its_substitute_past_2_january() {
        let days: Vec<String> = bank_holidays_by_rule(Nation::Scotland, 2034)
            .iter()
            .take(2)
            .map(|h| format!("{} {} {}", h.date, h.title, h.substitute))
            .collect();
        // 1 Jan 2034 is a Sunday, 2 Jan a Monday.
        assert_eq!(
            days,
            [
                "2034-01-02 2nd January false",
                "2034-01-03 New Year\u{2019}s Day true"
            ]
        );
    }
}

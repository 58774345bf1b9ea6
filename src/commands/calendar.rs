//! `taskgate calendar`: the non-working days in force for one nation and year — bank holidays
//! and the practice's closures, not weekends — each with where it comes from, so a practice
//! manager can check the calendar before trusting the overdue view.

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};
use color_eyre::eyre::Result;
use serde::Serialize;

use super::Context;
use crate::cli::{CalendarArgs, CalendarFormat};
use crate::domain::calendar::{HolidaySet, PRACTICE_TIME_ZONE, RULES_LAST_YEAR};
use crate::terminal_text::Escaping;

/// One listed day.
#[derive(Debug, Serialize)]
struct Day {
    date: NaiveDate,
    name: String,
    substitute: bool,
    /// "snapshot", "rule" or "practice-closure".
    source: &'static str,
}

#[derive(Debug, Serialize)]
struct Listing {
    nation: &'static str,
    year: i32,
    /// The last day of the published list; rules give the years after it.
    snapshot_to: NaiveDate,
    days: Vec<Day>,
    /// Set when the year is one whose bank holidays are not known.
    warning: Option<String>,
}

pub fn run(ctx: &Context, args: &CalendarArgs) -> Result<()> {
    let nation = args.nation.unwrap_or(ctx.config.practice.nation);
    let year = args.year.unwrap_or_else(|| {
        ctx.clock
            .now()
            .with_timezone(&PRACTICE_TIME_ZONE)
            .date_naive()
            .year()
    });
    let holidays = ctx.bank_holidays(nation)?;
    let listing = listing(&holidays, &ctx.config.working_time.closures, year);
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        // A replacement holiday file's titles are outside text: shown as data, as everywhere.
        CalendarFormat::Table => write_table(
            &listing,
            &ctx.bank_holidays_origin(),
            &mut Escaping::new(&mut out),
        )?,
        CalendarFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &listing)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn listing(holidays: &HolidaySet, closures: &[NaiveDate], year: i32) -> Listing {
    let mut days: Vec<Day> = holidays
        .in_year(year)
        .map(|h| Day {
            date: h.date,
            name: h.title.to_owned(),
            substitute: h.substitute,
            source: h.source.as_str(),
        })
        .collect();
    days.extend(
        closures
            .iter()
            .filter(|d| d.year() == year)
            .map(|date| Day {
                date: *date,
                name: "Practice closure".to_owned(),
                substitute: false,
                source: "practice-closure",
            }),
    );
    // Stable, so a closure on a bank holiday is listed after the holiday.
    days.sort_by_key(|d| d.date);
    let warning = if year < holidays.covered_from().year() {
        Some(format!(
            "bank holidays before {} are not known: the bank-holiday file starts there, and \
             overdue sums count earlier days as ordinary working days",
            holidays.covered_from().year()
        ))
    } else if year > RULES_LAST_YEAR.max(holidays.snapshot_to().year()) {
        Some(format!(
            "bank holidays are worked out up to {RULES_LAST_YEAR} only"
        ))
    } else {
        None
    };
    Listing {
        nation: holidays.nation().as_str(),
        year,
        snapshot_to: holidays.snapshot_to(),
        days,
        warning,
    }
}

fn write_table(listing: &Listing, origin: &str, out: &mut impl Write) -> io::Result<()> {
    let nation = listing
        .nation
        .parse::<crate::domain::calendar::Nation>()
        .map_or(listing.nation, |n| n.label());
    writeln!(
        out,
        "Non-working days in {} for {nation} (bank holidays and practice closures; weekends \
         are not listed)",
        listing.year
    )?;
    writeln!(out)?;
    if listing.days.is_empty() {
        writeln!(out, "  none")?;
    }
    let width = listing
        .days
        .iter()
        .map(|d| name_of(d).chars().count())
        .max()
        .unwrap_or(0);
    for day in &listing.days {
        writeln!(
            out,
            "  {:<15}  {:<width$}  {}",
            day.date.format("%a %-d %b %Y").to_string(),
            name_of(day),
            source_label(day.source),
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Bank holidays up to {} come from {origin} (\"snapshot\"); later years are worked out \
         from the rules for {nation} (\"rule\").",
        listing.snapshot_to.format("%-d %b %Y")
    )?;
    if let Some(w) = &listing.warning {
        writeln!(out, "Warning: {w}")?;
    }
    Ok(())
}

fn name_of(day: &Day) -> String {
    if day.substitute {
        format!("{} (substitute day)", day.name)
    } else {
        day.name.clone()
    }
}

fn source_label(source: &str) -> &str {
    match source {
        "practice-closure" => "practice closure",
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::calendar::{BankHolidays, Nation};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn closures_join_the_bank_holidays_of_their_year() {
        let holidays = BankHolidays::shipped()
            .unwrap()
            .for_nation(Nation::EnglandAndWales)
            .unwrap();
        let closures = [date(2028, 3, 8), date(2029, 1, 10)];
        let listing = listing(&holidays, &closures, 2028);
        let lines: Vec<String> = listing
            .days
            .iter()
            .map(|d| format!("{} {} {}", d.date, name_of(d), d.source))
            .collect();
        assert_eq!(
            lines[0],
            "2028-01-03 New Year\u{2019}s Day (substitute day) rule"
        );
        assert_eq!(lines[1], "2028-03-08 Practice closure practice-closure");
        assert_eq!(lines.len(), 9, "{lines:?}");
        assert_eq!(listing.warning, None);
        let before = super::listing(&holidays, &closures, 2022);
        assert!(before.warning.unwrap().contains("before 2023"));
    }
}

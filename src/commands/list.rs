//! `taskgate list`: tasks in triage order (oldest first) as a table, stable JSON or CSV, with
//! the LMC flags each raises (`app::flags`, as the inbox shows them); `--flag` keeps the tasks
//! raising any of the flags named, found by reading the filter's pages in batches.

use std::io::{self, Write};

use color_eyre::eyre::Result;

use super::Context;
use super::words::cli_error;
use crate::app::flags::{FlagRules, flagged_after};
use crate::cli::{ListArgs, ListFormat};
use crate::domain::Task;
use crate::domain::calendar::{WorkingCalendar, format_working_age};
use crate::domain::policy::{Flag, RaisedFlag};
use crate::report::csv_safe;
use crate::report::task_json::TaskJson;
use crate::report::text::{fit, local_stamp};
use crate::store::{PageKey, TaskFilter};
use crate::terminal_text::Escaping;

/// Rows fetched per query: big enough to stream quickly, small enough to keep memory flat.
const PAGE: usize = 1_000;

pub fn run(ctx: &Context, args: &ListArgs) -> Result<()> {
    let wanted: Vec<Flag> = args.flag.iter().map(|f| Flag::from(*f)).collect();
    let filter = TaskFilter {
        statuses: args.status.iter().map(|s| (*s).into()).collect(),
        provider: args.provider.clone(),
        owner: args.owner.clone(),
        search: args.search.clone(),
    };
    let practice = ctx.practice()?;
    let store = ctx.open_existing_store()?;
    let calendar = &practice.calendar;
    let now = ctx.clock.now();
    let rules = FlagRules::at(&store, &practice, now).map_err(|e| cli_error(e, None))?;
    let stdout = io::BufWriter::new(io::stdout().lock());
    // JSON is exact for programs; a table or CSV shows steering characters as escapes.
    let out: Box<dyn Write> = if args.format == ListFormat::Json {
        Box::new(stdout)
    } else {
        Box::new(Escaping::new(stdout))
    };
    let mut printer = Printer::new(args.format, out, calendar, now)?;
    // The search runs once; every page reads its matches.
    let selection = store.select(&filter)?;
    let mut after: Option<PageKey> = None;
    let mut left = if args.limit == 0 {
        usize::MAX
    } else {
        args.limit
    };
    while left > 0 {
        let want = PAGE.min(left);
        // With flags, a page is the next `want` tasks raising one; the walk says where it
        // stopped, or that the filter has no more tasks.
        let (rows, next) = if wanted.is_empty() {
            let rows = store.page_after(&selection, after, want)?;
            let next = if rows.len() < want {
                None
            } else {
                rows.last().map(PageKey::of)
            };
            (rows, next)
        } else {
            flagged_after(&store, &selection, &rules, &wanted, after, want)
                .map_err(|e| cli_error(e, None))?
        };
        for task in &rows {
            // The table has no flags column: its rows are not worth the rules' time.
            let flags = if args.format == ListFormat::Table {
                Vec::new()
            } else {
                rules.flags_of(task)
            };
            printer.row(task, &flags)?;
        }
        left -= rows.len();
        match next {
            Some(key) if rows.len() == want => after = Some(key),
            _ => break,
        }
    }
    printer.finish()
}

/// Where rows go: plain text (table, JSON) or through the CSV writer, which owns the quoting.
enum Sink<W: Write> {
    Plain(W),
    Csv(Box<csv::Writer<W>>),
}

struct Printer<'a, W: Write> {
    format: ListFormat,
    sink: Sink<W>,
    calendar: &'a WorkingCalendar,
    now: chrono::DateTime<chrono::Utc>,
    first: bool,
}

impl<'a, W: Write> Printer<'a, W> {
    fn new(
        format: ListFormat,
        mut out: W,
        calendar: &'a WorkingCalendar,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Self> {
        let sink = match format {
            ListFormat::Table => {
                writeln!(
                    out,
                    "{:>7}  {}  {}  {}  {}  {}  {}  {}  OWNER",
                    "ID",
                    fit("RECEIVED", 21),
                    fit("AGE", 7),
                    fit("PRI", 7),
                    fit("PROVIDER", 24),
                    fit("PT", 3),
                    fit("SUBJECT", 40),
                    fit("STATUS", 9),
                )?;
                Sink::Plain(out)
            }
            ListFormat::Json => {
                write!(out, "[")?;
                Sink::Plain(out)
            }
            ListFormat::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record([
                    "id",
                    "source_id",
                    "status",
                    "priority",
                    "provider_ods",
                    "provider_name",
                    "owner",
                    "received_at",
                    "due_by",
                    "working_age_minutes",
                    "subject",
                    "flags",
                ])?;
                Sink::Csv(Box::new(w))
            }
        };
        Ok(Printer {
            format,
            sink,
            calendar,
            now,
            first: true,
        })
    }

    fn row(&mut self, task: &Task, flags: &[RaisedFlag]) -> Result<()> {
        let age = self
            .calendar
            .working_time_between(task.received_at, self.now)
            .value;
        match &mut self.sink {
            Sink::Plain(out) if self.format == ListFormat::Table => writeln!(
                out,
                "{:>7}  {}  {}  {}  {}  {}  {}  {}  {}",
                task.id,
                fit(&local_stamp(task.received_at), 21),
                fit(&format_working_age(age, self.calendar.day_length()), 7),
                fit(task.priority.as_str(), 7),
                fit(&task.provider_name, 24),
                fit(&task.patient.initials(), 3),
                fit(&task.subject, 40),
                fit(task.status.as_str(), 9),
                task.owner.as_deref().unwrap_or("-")
            )?,
            Sink::Plain(out) => {
                write!(out, "{}", if self.first { "\n" } else { ",\n" })?;
                serde_json::to_writer(&mut *out, &TaskJson::new(task, age, flags))?;
            }
            Sink::Csv(w) => w.write_record([
                task.id.to_string(),
                csv_safe::owned(task.source_id.clone()),
                task.status.as_str().to_owned(),
                task.priority.as_str().to_owned(),
                csv_safe::owned(task.provider_ods.clone()),
                csv_safe::owned(task.provider_name.clone()),
                csv_safe::owned(task.owner.clone().unwrap_or_default()),
                task.received_at.to_rfc3339(),
                task.due_by.map(|d| d.to_rfc3339()).unwrap_or_default(),
                age.num_minutes().to_string(),
                csv_safe::owned(task.subject.clone()),
                // Tags separated by spaces: one cell, and no quoting needed inside it.
                flags
                    .iter()
                    .map(|f| f.flag.tag())
                    .collect::<Vec<_>>()
                    .join(" "),
            ])?,
        }
        self.first = false;
        Ok(())
    }

    fn finish(self) -> Result<()> {
        match self.sink {
            Sink::Plain(mut out) => {
                if self.format == ListFormat::Json {
                    writeln!(out, "{}]", if self.first { "" } else { "\n" })?;
                }
                out.flush()?;
            }
            Sink::Csv(mut w) => w.flush()?,
        }
        Ok(())
    }
}

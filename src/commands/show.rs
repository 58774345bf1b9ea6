//! `taskgate show ID`: one task in full, as the detail pane shows it, in text or stable JSON.

use std::fmt::Write as _;

use color_eyre::eyre::{Result, eyre};
use serde::Serialize;

use super::Context;
use super::audit::event_line;
use super::words::cli_error;
use crate::app::flags::flags_of_task;
use crate::cli::ShowFormat;
use crate::domain::calendar::format_working_age;
use crate::domain::policy::RaisedFlag;
use crate::report::task_json::TaskJson;
use crate::report::text::local_stamp;
use crate::store::{AuditEvent, Note, StoredLetter};
use crate::terminal_text::{line, print}; // text from outside shown as data, never steering the terminal

#[derive(Serialize)]
struct ShowJson<'a> {
    task: TaskJson<'a>,
    notes: &'a [Note],
    letters: &'a [StoredLetter],
    history: &'a [AuditEvent],
}

pub fn run(ctx: &Context, id: i64, format: ShowFormat) -> Result<()> {
    let practice = ctx.practice()?;
    let store = ctx.open_existing_store()?;
    let task = store
        .task(id)?
        .ok_or_else(|| eyre!("there is no task {id} in {}", ctx.db_path().display()))?;
    let (calendar, now) = (&practice.calendar, ctx.clock.now());
    let age = calendar.working_time_between(task.received_at, now);
    let flags = flags_of_task(&store, &practice, &task, now).map_err(|e| cli_error(e, None))?;
    let (notes, letters, history) = (store.notes(id)?, store.letters(id)?, store.history(id)?);
    match format {
        ShowFormat::Json => {
            let json = ShowJson {
                task: TaskJson::new(&task, age.value, &flags),
                notes: &notes,
                letters: &letters,
                history: &history,
            };
            // JSON is exact, for programs: not through the terminal escaping.
            std::println!("{}", serde_json::to_string_pretty(&json)?);
        }
        ShowFormat::Text => {
            let mut s = String::new();
            let p = &task.patient;
            let (source, subject) = (line(&task.source_id), line(&task.subject));
            writeln!(s, "Task {} ({source}) — {subject}", task.id)?;
            writeln!(
                s,
                "Status:    {} {}",
                task.status,
                line(task.owner.as_deref().unwrap_or(""))
            )?;
            writeln!(s, "Priority:  {}", task.priority)?;
            let team = task
                .sender_team
                .as_deref()
                .map(|t| format!(" — {}", line(t)))
                .unwrap_or_default();
            writeln!(
                s,
                "From:      {} ({}){team}",
                line(&task.provider_name),
                line(&task.provider_ods)
            )?;
            if let Some(named) = &task.addressed_to {
                writeln!(s, "Addressed: {} (not the unassigned inbox)", line(named))?;
            }
            writeln!(
                s,
                "Received:  {} ({} working time ago)",
                local_stamp(task.received_at),
                format_working_age(age.value, calendar.day_length())
            )?;
            if let Some(due) = task.due_by {
                writeln!(s, "Sender's due date: {}", local_stamp(due))?;
            }
            if let Some(w) = &age.warning {
                writeln!(s, "Warning:   {w}")?;
            }
            let nhs = p
                .nhs_number
                // Labelled NHS, CHI or H&C by range, so each nation's number reads as its own.
                .map_or_else(|| "no valid patient number".to_owned(), |n| n.labelled());
            let dob = p
                .birth_date
                .map(|d| d.format("%d %b %Y").to_string())
                .unwrap_or_default();
            writeln!(s, "Patient:   {}  {nhs}  DOB {dob}", line(&p.name))?;
            writeln!(s, "\n{}\n", task.body)?;
            flag_lines(&mut s, &flags)?;
            let withdrawn = |w: Option<i64>| {
                if w.is_some() {
                    " (withdrawn by an undo)"
                } else {
                    ""
                }
            };
            for n in &notes {
                let w = withdrawn(n.withdrawn_by_action);
                writeln!(
                    s,
                    "Note by {} at {}{w}: {}",
                    n.author,
                    local_stamp(n.at),
                    n.text
                )?;
            }
            for l in &letters {
                let w = withdrawn(l.withdrawn_by_action);
                let (t, by, at) = (&l.template, &l.created_by, local_stamp(l.created_at));
                writeln!(s, "Letter `{t}` by {by} at {at}{w}:\n{}\n", l.body)?;
            }
            writeln!(s, "History:")?;
            for e in &history {
                writeln!(s, "  {}", event_line(e))?;
            }
            print!("{s}");
        }
    }
    Ok(())
}

/// Each flag the task raises, why, and what the policy suggests, as the detail pane says them.
fn flag_lines(s: &mut String, flags: &[RaisedFlag]) -> std::fmt::Result {
    for f in flags {
        writeln!(s, "Flag {}: {}", f.flag, f.explanation)?;
        writeln!(s, "  Suggests: {}.", f.suggestion.describe())?;
    }
    if !flags.is_empty() {
        writeln!(s)?;
    }
    Ok(())
}

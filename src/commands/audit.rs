//! `taskgate audit verify` and `audit show`: proof that the record of who did what is unbroken,
//! and a readable view of it.

use color_eyre::eyre::{Result, eyre};

use super::Context;
use crate::report::text::fit;
use crate::store::{AuditEvent, AuditVerification};
use crate::terminal_text::{self, println}; // text from outside shown as data, never steering the terminal

pub fn verify(ctx: &Context) -> Result<()> {
    let store = ctx.open_existing_store()?;
    match store.verify_audit()? {
        AuditVerification::Intact { events, last_hash } => {
            println!("Audit log intact: {events} events, chain ends at {last_hash}.");
            Ok(())
        }
        AuditVerification::Broken { event_id, reason } => {
            Err(eyre!("audit log BROKEN at event {event_id}: {reason}"))
        }
    }
}

pub fn show(ctx: &Context, task_id: Option<i64>, limit: usize) -> Result<()> {
    let store = ctx.open_existing_store()?;
    let events = match task_id {
        Some(id) => {
            if store.task(id)?.is_none() {
                return Err(eyre!(
                    "there is no task {id} in {}",
                    ctx.db_path().display()
                ));
            }
            store.history(id)?
        }
        None => store.audit_events(None, limit)?,
    };
    if events.is_empty() {
        println!("No audit events.");
    }
    for e in &events {
        println!("{}", event_line(e));
    }
    Ok(())
}

/// One event on one line: when (practice time), who, what, on which task, from → to, and why.
pub fn event_line(e: &AuditEvent) -> String {
    let target = match (e.task_id, &e.target) {
        (Some(id), _) => format!("task {id}"),
        (None, Some(t)) => terminal_text::line(t).into_owned(),
        (None, None) => "-".into(),
    };
    let change = match (&e.from, &e.to) {
        (Some(f), Some(t)) => format!("{f} → {t}"),
        (None, Some(t)) => format!("→ {t}"),
        (Some(f), None) => format!("{f} →"),
        (None, None) => String::new(),
    };
    let detail = terminal_text::line(e.detail.as_deref().unwrap_or(""));
    format!(
        "#{:<6} {} {} {} {} {} {}",
        e.id,
        e.at.with_timezone(&chrono_tz::Europe::London)
            .format("%Y-%m-%d %H:%M:%S"),
        fit(&e.actor, 14),
        fit(&e.action, 16),
        fit(&target, 10),
        change,
        detail
    )
    .trim_end()
    .to_owned()
}

//! `taskgate handover`: the shift handover report (Markdown, printable HTML or JSON, to stdout
//! or to a new owner-only file), and `taskgate handover sign-off`, which records in the audit
//! log who handed over to whom and what they handed over.

use std::fs::{OpenOptions, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, eyre};

use super::Context;
use crate::cli::{HandoverArgs, HandoverCommand, HandoverFormat};
use crate::domain::Staff;
use crate::domain::calendar::WorkingCalendar;
use crate::report::handover::{self, HandoverReport, SIGN_OFF_ACTION, SIGN_OFF_TARGET};
use crate::store::Store;
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &HandoverArgs) -> Result<()> {
    match &args.action {
        Some(HandoverCommand::SignOff { outgoing, incoming }) => sign_off(ctx, outgoing, incoming),
        None => report(ctx, args),
    }
}

fn report(ctx: &Context, args: &HandoverArgs) -> Result<()> {
    let store = ctx.open_existing_store()?;
    let calendar = ctx.calendar()?;
    let report = build(ctx, &store, &calendar, args.since)?;
    let text = match args.format {
        HandoverFormat::Md => handover::to_markdown(&report),
        HandoverFormat::Html => handover::to_html(&report),
        HandoverFormat::Json => handover::to_json(&report)?,
    };
    if let Some(path) = &args.out {
        write_new_owner_only(path, text.as_bytes())?;
        println!(
            "Handover report written to {} (owner-only).",
            path.display()
        );
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
    }
    Ok(())
}

fn build(
    ctx: &Context,
    store: &Store,
    calendar: &WorkingCalendar,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<HandoverReport> {
    Ok(handover::build_for_config(
        store,
        &ctx.config,
        calendar,
        ctx.clock.now(),
        since,
    )?)
}

/// Both people must be `[[staff]]`: a sign-off naming someone the practice does not know
/// would be an audit record nobody can act on.
fn staff<'a>(ctx: &'a Context, id: &str, role: &str) -> Result<&'a Staff> {
    ctx.config.staff_by_id(id).ok_or_else(|| {
        let known: Vec<&str> = ctx.config.staff.iter().map(|s| s.id.as_str()).collect();
        eyre!(
            "--{role} {id} is not a [[staff]] id in the config (known: {})",
            known.join(", ")
        )
    })
}

fn sign_off(ctx: &Context, outgoing: &str, incoming: &str) -> Result<()> {
    let out_staff = staff(ctx, outgoing, "outgoing")?;
    let in_staff = staff(ctx, incoming, "incoming")?;
    if out_staff.id == in_staff.id {
        return Err(eyre!(
            "--outgoing and --incoming are both {}: a handover is between two people",
            out_staff.id
        ));
    }
    let actor = ctx.acting_user()?;
    let mut store = ctx.open_existing_store()?;
    let calendar = ctx.calendar()?;
    let report = build(ctx, &store, &calendar, None)?;
    let detail = handover::sign_off_detail(out_staff, in_staff, &report);
    let id = store.record_event(
        &actor.id,
        report.generated_at,
        SIGN_OFF_TARGET,
        SIGN_OFF_ACTION,
        &detail,
    )?;
    println!("Handover signed off (audit event {id}): {detail}.");
    if let Some(warning) = &report.stale_warning {
        println!("Warning: {warning}");
    }
    Ok(())
}

/// The report names tasks, so it gets the mirror's own protection: created owner-only, and an
/// existing file is refused rather than replaced (it may be someone else's, or last shift's).
fn write_new_owner_only(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.kind() == ErrorKind::AlreadyExists {
                eyre!(
                    "{} already exists: choose a new file name (a report is never overwritten)",
                    path.display()
                )
            } else {
                eyre!("cannot create {}: {e}", path.display())
            }
        })?;
    // The umask can only narrow 0600; set it anyway so the result never depends on it.
    file.set_permissions(Permissions::from_mode(0o600))
        .wrap_err_with(|| format!("cannot make {} owner-only", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .wrap_err_with(|| format!("cannot write {}", path.display()))
}

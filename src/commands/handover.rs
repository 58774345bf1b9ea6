//! `taskgate handover`: the shift handover report (Markdown, printable HTML or JSON, to stdout
//! or to a new owner-only file), and `taskgate handover sign-off`, which records in the audit
//! log who handed over to whom and what they handed over. Both come from the application layer,
//! as the inbox's handover screen and its sign-off do.

use std::fs::{OpenOptions, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, eyre};

use super::Context;
use super::words::cli_error;
use crate::app::handover::{handover_report, sign_off as app_sign_off};
use crate::cli::{HandoverArgs, HandoverCommand, HandoverFormat};
use crate::report::handover;
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &HandoverArgs) -> Result<()> {
    match &args.action {
        Some(HandoverCommand::SignOff { outgoing, incoming }) => sign_off(ctx, outgoing, incoming),
        None => report(ctx, args),
    }
}

fn report(ctx: &Context, args: &HandoverArgs) -> Result<()> {
    let practice = ctx.practice()?;
    let store = ctx.open_existing_store()?;
    let report = handover_report(&store, &practice, ctx.clock.now(), args.since)
        .map_err(|e| cli_error(e, None))?;
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

fn sign_off(ctx: &Context, outgoing: &str, incoming: &str) -> Result<()> {
    let practice = ctx.practice()?;
    // Both people are checked before the acting user, so a typo is named first.
    practice
        .staff(outgoing)
        .map_err(|e| cli_error(e, Some("--outgoing")))?;
    practice
        .staff(incoming)
        .map_err(|e| cli_error(e, Some("--incoming")))?;
    let actor = ctx.acting_user()?;
    let mut store = ctx.open_existing_store()?;
    let signed = app_sign_off(
        &mut store,
        &practice,
        ctx.acting(&actor),
        outgoing,
        incoming,
    )
    .map_err(|e| cli_error(e, None))?;
    println!(
        "Handover signed off (audit event {}): {}.",
        signed.event_id, signed.detail
    );
    if let Some(warning) = &signed.stale_warning {
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

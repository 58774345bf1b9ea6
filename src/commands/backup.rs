//! `taskgate backup FILE`: a consistent copy of the mirror, made with SQLite's backup API while
//! other desks may be writing, and created owner-only like the mirror itself.

use std::path::Path;

use color_eyre::eyre::{Result, WrapErr};

use super::Context;
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, dest: &Path) -> Result<()> {
    let store = ctx.open_existing_store()?;
    store
        .backup_to(dest)
        .wrap_err_with(|| format!("backup to {} failed", dest.display()))?;
    println!(
        "Backed up {} to {} (owner-only).",
        ctx.db_path().display(),
        dest.display()
    );
    Ok(())
}

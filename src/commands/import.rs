//! `taskgate import FILE...`: each file parsed, then its good rows imported and its bad rows
//! quarantined in one transaction. Bad rows are listed on stderr as `FILE:LINE: field: reason`
//! and each file gets a summary line on stdout. Exit code 2 when any row was quarantined, 1 when
//! any file could not be imported at all (the other files are still imported).

use std::fmt;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, eyre};

use super::Context;
use crate::cli::{ImportArgs, ImportFormat};
use crate::source::import::{self, Format, ImportContext, ParsedFile, RejectedRow};
use crate::store::{QuarantinedRow, Store};
use crate::terminal_text::{eprintln, println}; // text from outside shown as data, never steering the terminal

/// The run imported what it could but quarantined rows: main exits with 2 on this error.
#[derive(Debug)]
pub struct RowsQuarantined {
    pub rows: u64,
    pub files: usize,
}

impl fmt::Display for RowsQuarantined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} row{} quarantined in {} file{} (listed above); the other rows were imported",
            self.rows,
            if self.rows == 1 { "" } else { "s" },
            self.files,
            if self.files == 1 { "" } else { "s" },
        )
    }
}

impl std::error::Error for RowsQuarantined {}

pub fn run(ctx: &Context, args: &ImportArgs) -> Result<()> {
    let actor = ctx.acting_user()?;
    let owner_ids: Vec<String> = ctx
        .config
        .staff
        .iter()
        .map(|s| s.id.clone())
        .chain(ctx.config.groups.iter().map(|g| g.id.clone()))
        .collect();
    let group_ids: Vec<String> = ctx.config.groups.iter().map(|g| g.id.clone()).collect();
    let import_ctx = ImportContext {
        practice_ods: &ctx.config.practice.ods_code,
        owner_ids: &owner_ids,
        group_ids: &group_ids,
    };
    let mut store = ctx.open_store()?;
    let (mut failed, mut quarantined_rows, mut quarantined_files) = (0usize, 0u64, 0usize);
    for path in &args.files {
        match import_one(&mut store, path, args.format, &import_ctx, &actor.id, ctx) {
            Ok(rejected) if rejected > 0 => {
                quarantined_rows += rejected;
                quarantined_files += 1;
            }
            Ok(_) => {}
            Err(message) => {
                failed += 1;
                eprintln!("taskgate: {message}");
            }
        }
    }
    if failed > 0 {
        let n = args.files.len();
        return Err(if n == 1 {
            eyre!("the file could not be imported (see above)")
        } else {
            eyre!(
                "{failed} of {n} files could not be imported (see above){}",
                if failed < n { "; the others were" } else { "" }
            )
        });
    }
    if quarantined_rows > 0 {
        return Err(RowsQuarantined {
            rows: quarantined_rows,
            files: quarantined_files,
        }
        .into());
    }
    Ok(())
}

/// Imports one file; answers how many of its rows were quarantined, or why none of it was
/// imported (a message that starts with the file's name, and its line when there is one).
fn import_one(
    store: &mut Store,
    path: &Path,
    format: ImportFormat,
    import_ctx: &ImportContext<'_>,
    actor: &str,
    ctx: &Context,
) -> Result<u64, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: cannot read the file: {e}"))?;
    let format = match format {
        ImportFormat::Auto => import::detect_format(path, &bytes),
        ImportFormat::Csv => Format::Csv,
        ImportFormat::Ndjson => Format::Ndjson,
        ImportFormat::Bundle => Format::Bundle,
    };
    let ParsedFile {
        tasks,
        rejected,
        notes,
    } = import::parse(&bytes, format, import_ctx)
        .map_err(|e| format!("{shown}:{e} (read as {format}; nothing imported)"))?;
    drop(bytes);
    for note in &notes {
        eprintln!("{shown}{note}");
    }
    for row in &rejected {
        eprintln!("{shown}:{row}");
    }
    let now = ctx.clock.now();
    let origin = origin_of(path);
    let quarantined = quarantine_rows(rejected, &origin, now);
    let outcome = store
        .import_file(tasks, &quarantined, &origin, actor, now)
        .map_err(|e| format!("{shown}: cannot write to the mirror, nothing imported: {e}"))?;
    let rejected = u64::try_from(quarantined.len()).unwrap_or(u64::MAX);
    println!(
        "{shown}: {} inserted, {} updated, {} unchanged, {rejected} quarantined",
        outcome.tasks.inserted, outcome.tasks.updated, outcome.tasks.unchanged,
    );
    Ok(rejected)
}

/// The file's origin in the mirror: its absolute path, so the same file imported from another
/// folder is still recognised as the same (and its bad rows are not kept twice).
fn origin_of(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| PathBuf::from(path))
        .display()
        .to_string()
}

fn quarantine_rows(
    rejected: Vec<RejectedRow>,
    origin: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<QuarantinedRow> {
    rejected
        .into_iter()
        .map(|r| QuarantinedRow {
            origin: origin.to_owned(),
            line: Some(r.line),
            field: Some(r.field),
            reason: r.reason,
            raw: r.raw,
            at: now,
        })
        .collect()
}

//! `taskgate overdue`: unactioned tasks past (or near) their threshold and stalled assigned
//! tasks, as of `--now`, as a table, stable JSON or CSV: the listing of
//! `app::overdue::overdue_listing`, the same tasks the inbox's header counts and its overdue
//! view shows. The thresholds come from `[overdue]`.

use std::io;

use chrono::SubsecRound;
use color_eyre::eyre::Result;

use super::Context;
use super::words::cli_error;
use crate::app::overdue::overdue_listing;
use crate::cli::{OverdueArgs, OverdueFormat};
use crate::report::overdue;

pub fn run(ctx: &Context, args: &OverdueArgs) -> Result<()> {
    let practice = ctx.practice()?;
    let store = ctx.open_existing_store()?;
    // One instant for the whole listing, to the second, so `--now` reproduces it exactly.
    let now = ctx.clock.now().trunc_subsecs(0);
    let report = overdue_listing(&store, &practice, now).map_err(|e| cli_error(e, None))?;
    let out = io::BufWriter::new(io::stdout().lock());
    let day = practice.calendar.day_length();
    match args.format {
        OverdueFormat::Table => overdue::write_table(&report, day, out),
        OverdueFormat::Json => overdue::write_json(&report, out),
        OverdueFormat::Csv => overdue::write_csv(&report, out),
    }
}

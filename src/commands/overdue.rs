//! `taskgate overdue`: unactioned tasks past (or near) their threshold and stalled assigned
//! tasks, as of `--now`, as a table, stable JSON or CSV. The thresholds come from `[overdue]`.

use std::io;

use chrono::SubsecRound;
use color_eyre::eyre::Result;

use super::Context;
use crate::cli::{OverdueArgs, OverdueFormat};
use crate::domain::calendar::WorkingCalendar;
use crate::report::overdue::{self, OverdueRules};

/// The `[overdue]` section resolved against the practice's calendar (a "working day" is as long
/// as its working hours).
pub fn rules(ctx: &Context, calendar: &WorkingCalendar) -> OverdueRules {
    OverdueRules::from_config(&ctx.config, calendar)
}

pub fn run(ctx: &Context, args: &OverdueArgs) -> Result<()> {
    let store = ctx.open_existing_store()?;
    let calendar = ctx.calendar()?;
    // One instant for the whole listing, to the second, so `--now` reproduces it exactly.
    let now = ctx.clock.now().trunc_subsecs(0);
    let report = overdue::build(&store, &calendar, &rules(ctx, &calendar), now)?;
    let out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        OverdueFormat::Table => overdue::write_table(&report, calendar.day_length(), out),
        OverdueFormat::Json => overdue::write_json(&report, out),
        OverdueFormat::Csv => overdue::write_csv(&report, out),
    }
}

//! `taskgate stats`: the anonymised evidence the LMC asks for, per provider, category of work or
//! month of receipt, as a table, CSV or stable JSON. The categories come from `policy.categories`.

use std::io;

use chrono::SubsecRound;
use color_eyre::eyre::{Result, eyre};

use super::Context;
use crate::cli::{StatsArgs, StatsBy, StatsFormat};
use crate::report::stats::{self, GroupBy, StatsQuery};

pub fn run(ctx: &Context, args: &StatsArgs) -> Result<()> {
    if let (Some(since), Some(until)) = (args.since, args.until)
        && since > until
    {
        return Err(eyre!(
            "--since {since} is after --until {until}: no task can be received in that window"
        ));
    }
    let store = ctx.open_existing_store()?;
    let calendar = ctx.calendar()?;
    // One instant for the whole report, to the second, so `--now` reproduces it exactly.
    let now = ctx.clock.now().trunc_subsecs(0);
    let query = StatsQuery {
        by: match args.by {
            StatsBy::Provider => GroupBy::Provider,
            StatsBy::Category => GroupBy::Category,
            StatsBy::Month => GroupBy::Month,
        },
        since: args.since,
        until: args.until,
    };
    let report = stats::build(&store, &calendar, &ctx.config.policy_rules(), query, now)?;
    let out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        StatsFormat::Table => stats::write_table(&report, calendar.day_length(), out),
        StatsFormat::Csv => stats::write_csv(&report, out),
        StatsFormat::Json => stats::write_json(&report, out),
    }
}

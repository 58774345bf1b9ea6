//! `taskgate config check`: validates the configuration and says where everything is, so a
//! practice manager can see which file and which mirror taskgate will use before it does.

use color_eyre::eyre::Result;

use super::Context;
use crate::domain::calendar::RULES_LAST_YEAR;
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context) -> Result<()> {
    let c = &ctx.config;
    match &ctx.config_source {
        Some(src) => println!(
            "Config:        {} (found by {})",
            src.path.display(),
            src.found_by
        ),
        None => println!("Config:        none found; using the built-in demo config"),
    }
    println!("Mirror:        {}", ctx.paths.db.display());
    println!("Log file:      {}", ctx.paths.log_file.display());
    println!(
        "Practice:      {} ({})",
        c.practice.name, c.practice.ods_code
    );
    let calendar = ctx.calendar()?;
    println!(
        "Working time:  {} to {} on {} day(s) a week; {} closure day(s); bank holidays for {}",
        c.working_time.start.format("%H:%M"),
        c.working_time.end.format("%H:%M"),
        c.working_time.days.len(),
        c.working_time.closures.len(),
        c.practice.nation.label(),
    );
    let h = calendar.holidays();
    println!(
        "Holiday data:  {} to {} ({} bank holidays, from {}); rules cover the years after, \
         to the end of {RULES_LAST_YEAR}",
        h.covered_from().format("%d %b %Y"),
        h.snapshot_to().format("%d %b %Y"),
        h.snapshot_len(),
        ctx.bank_holidays_origin(),
    );
    println!(
        "Staff:         {} people, {} groups",
        c.staff.len(),
        c.groups.len()
    );
    println!("Providers:     {} in the registry", c.providers.len());
    // Sync's server, trusted certificate authorities, sign-in and proxy (no secret's value).
    for (label, text) in crate::sync::setup::describe(c, |name| std::env::var(name).ok()) {
        println!("{:<15}{text}", format!("{label}:"));
    }
    match ctx.acting_user() {
        Ok(s) => println!("Acting user:   {} ({})", s.name, s.id),
        Err(e) => println!("Acting user:   not resolved: {e}"),
    }
    println!("Config OK.");
    Ok(())
}

//! `taskgate assign ID... STAFF_ID`: the command-line twin of the inbox's reassign picker. The
//! id must name a `[[staff]]` member or a `[[groups]]` queue in the config; assigning to someone
//! who is away today is refused unless `--even-if-away` says the user knows (the picker's second
//! key press), because a task sent to someone on leave is the LMC's first hazard. One store
//! operation assigns the whole batch, with the note and the audit events.

use chrono::NaiveDate;
use color_eyre::eyre::{Result, WrapErr, bail, eyre};

use super::Context;
use super::reject::seen_version;
use crate::cli::AssignArgs;
use crate::domain::calendar::PRACTICE_TIME_ZONE;
use crate::domain::staff::{group_presence_on, presence_on};
use crate::domain::{Absence, Presence};
use crate::store::{Actor, Target};
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

pub fn run(ctx: &Context, args: &AssignArgs) -> Result<()> {
    let owner = Owner::from_config(ctx, &args.staff_id)?;
    let acting = ctx.acting_user()?;
    let now = ctx.clock.now();
    let mut store = ctx.open_existing_store()?;
    let mut targets = Vec::with_capacity(args.ids.len());
    for &id in &args.ids {
        let task = store
            .task(id)?
            .ok_or_else(|| eyre!("there is no task {id} in {}", ctx.db_path().display()))
            .wrap_err("nothing was assigned")?;
        targets.push(Target {
            id,
            row_version: seen_version(args.if_version, &args.ids, task.row_version)?,
        });
    }
    // Away is judged on the practice's calendar day, as the picker shows it.
    let today = now.with_timezone(&PRACTICE_TIME_ZONE).date_naive();
    if let Presence::Away { until, reason } = owner.presence(today, &store.absences()?) {
        let away = format!(
            "{} is away until {} ({reason})",
            owner.label,
            long_date(until)
        );
        if !args.even_if_away {
            bail!(
                "{away}: nothing was assigned. Choose someone else, or pass --even-if-away to \
                 assign anyway"
            );
        }
        println!("Note: {away}.");
    }
    let note = args
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let outcome = store
        .assign(
            &Actor {
                id: &acting.id,
                now,
            },
            &targets,
            owner.id,
            note,
        )
        .wrap_err("nothing was assigned")?;
    let with_note = if note.is_some() {
        ", with the note"
    } else {
        ""
    };
    for task in &outcome.tasks {
        println!("Assigned task {} to {}{with_note}.", task.id, owner.label);
    }
    Ok(())
}

/// Who the tasks go to, as the config names them.
struct Owner<'c> {
    id: &'c str,
    /// "Bina Patel (bpatel)" or "Reception team (group reception)".
    label: String,
    members: Option<&'c crate::domain::Group>,
}

impl<'c> Owner<'c> {
    fn from_config(ctx: &'c Context, id: &str) -> Result<Owner<'c>> {
        let config = &ctx.config;
        if let Some(person) = config.staff_by_id(id) {
            return Ok(Owner {
                id: &person.id,
                label: format!("{} ({})", person.name, person.id),
                members: None,
            });
        }
        if let Some(group) = config.group_by_id(id) {
            return Ok(Owner {
                id: &group.id,
                label: format!("{} (group {})", group.name, group.id),
                members: Some(group),
            });
        }
        let staff: Vec<&str> = config.staff.iter().map(|s| s.id.as_str()).collect();
        let groups: Vec<&str> = config.groups.iter().map(|g| g.id.as_str()).collect();
        Err(eyre!(
            "there is no staff member or group \"{id}\" in the config, so nothing was assigned \
             (staff: {}; groups: {})",
            or_none(&staff),
            or_none(&groups)
        ))
    }

    /// A group counts as away only when all its members are: one person on duty can pick up.
    fn presence(&self, day: NaiveDate, absences: &[Absence]) -> Presence {
        match self.members {
            Some(group) => group_presence_on(group, day, absences),
            None => presence_on(self.id, day, absences),
        }
    }
}

fn or_none(ids: &[&str]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

/// "Wed 25 Nov 2026": the weekday helps the reader see how long someone is away.
fn long_date(day: NaiveDate) -> String {
    day.format("%a %-d %b %Y").to_string()
}

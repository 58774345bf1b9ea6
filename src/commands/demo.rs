//! `taskgate demo` and the mirror behind `taskgate --demo`: a synthetic inbox for a fictional
//! practice, so that anyone can try taskgate without patient data.

use std::time::Instant;

use chrono::Duration;
use color_eyre::eyre::{Result, eyre};

use super::Context;
use crate::cli::DemoArgs;
use crate::domain::{Absence, Status};
use crate::source::demo::{DemoSpec, generate};
use crate::store::{Actor, Store};
use crate::terminal_text::println; // text from outside shown as data, never steering the terminal

/// The demo's own actor name in the audit log: the tasks were made, not received.
const DEMO_ACTOR: &str = "taskgate-demo";

/// How many tasks `--demo` puts in a fresh demo mirror.
pub const DEMO_MIRROR_TASKS: usize = 300;

pub fn run(ctx: &Context, args: &DemoArgs) -> Result<()> {
    let path = ctx.db_path();
    if path.exists() {
        let store = ctx.open_store()?;
        if store.count_tasks(&crate::store::TaskFilter::default())? > 0 {
            return Err(eyre!(
                "{} already holds a mirror; remove it or choose another --db",
                path.display()
            ));
        }
    }
    let started = Instant::now();
    let mut store = ctx.open_store()?;
    fill(ctx, &mut store, args.tasks, args.seed)?;
    let elapsed = started.elapsed();
    let counts = store.status_counts()?;
    // Closing the store checkpoints the WAL, so the file size below is the mirror's real size.
    drop(store);
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    println!(
        "Created a demo mirror at {}: {} tasks (seed {}), {} unactioned, in {:.1} s; {:.1} MiB.",
        path.display(),
        args.tasks,
        args.seed,
        counts.get(&Status::New).copied().unwrap_or(0),
        elapsed.as_secs_f64(),
        mebibytes(size),
    );
    Ok(())
}

/// For display only: precision lost on a file size is harmless.
#[allow(clippy::cast_precision_loss)]
fn mebibytes(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// Creates the `--demo` mirror on first use and reuses it afterwards, so actions taken in the
/// demo are still there next time.
pub fn ensure_demo_mirror(ctx: &Context) -> Result<()> {
    let mut store = ctx.open_store()?;
    if store.count_tasks(&crate::store::TaskFilter::default())? == 0 {
        fill(ctx, &mut store, DEMO_MIRROR_TASKS, 42)?;
    }
    Ok(())
}

fn fill(ctx: &Context, store: &mut Store, tasks: usize, seed: u64) -> Result<()> {
    let now = ctx.clock.now();
    for entry in &ctx.config.providers {
        store.upsert_provider(&entry.to_provider())?;
    }
    let spec = DemoSpec {
        tasks,
        seed,
        now,
        staff: ctx.config.staff.clone(),
        group_ids: ctx.config.groups.iter().map(|g| g.id.clone()).collect(),
    };
    // One colleague on leave this week, so the picker and handover have someone away to show.
    // Recorded before the tasks, and only once: a demo killed between the two commits has no
    // tasks yet, so running it again finishes the job instead of refusing a half-made mirror.
    let recorded = store.absences()?;
    if let Some(away) = ctx.config.staff.get(1)
        && !recorded.iter().any(|a| a.staff_id == away.id)
    {
        let today = now.date_naive();
        let absence = Absence {
            staff_id: away.id.clone(),
            from: today - Duration::days(2),
            until: today + Duration::days(5),
            reason: "annual leave".into(),
        };
        store.record_absence(
            &Actor {
                id: DEMO_ACTOR,
                now,
            },
            &absence,
        )?;
    }
    store.insert_demo_tasks(generate(spec)?, DEMO_ACTOR, now)?;
    tracing::info!(tasks, seed, "demo mirror filled");
    Ok(())
}

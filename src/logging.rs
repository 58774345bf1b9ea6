//! Logging to a file, never to the screen (the TUI owns the terminal). Log lines name task ids
//! and counts, never patients: callers must not pass names, NHS numbers or bodies to `tracing`.

use std::path::Path;
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::paths::{PathError, open_private_append};

/// Starts file logging at `level` (or `$TASKGATE_LOG` when set, e.g. `debug`).
pub fn init(log_file: &Path, level: &str) -> Result<(), PathError> {
    let file = open_private_append(log_file)?;
    let filter = EnvFilter::try_from_env("TASKGATE_LOG")
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // ureq's TRACE is the raw wire, bearer tokens and patient data included: never below DEBUG.
    let filter = ["ureq=debug", "ureq_proto=debug", "rustls=debug"]
        .into_iter()
        .filter_map(|d| d.parse().ok())
        .fold(filter, EnvFilter::add_directive);
    // A second init (tests calling `run` twice) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(())
}

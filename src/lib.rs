//! taskgate: a keyboard-first terminal inbox for the external tasks a GP practice receives.
//! The modules are public so that integration tests drive everything without a terminal.

pub mod app;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod domain;
pub mod fhir;
pub mod keymap;
pub mod letters;
pub mod logging;
pub mod paths;
pub mod report;
pub mod source;
pub mod store;
pub mod sync;
pub mod terminal_text;
pub mod tui;

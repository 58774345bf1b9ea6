//! taskgate: a keyboard-first terminal inbox for the external tasks a GP practice receives.
//! The modules are public so that integration tests drive everything without a terminal.

pub mod config;
pub mod domain;
pub mod store;

//! The command-line commands. Each is a thin layer: resolve what the user meant, call the store
//! or a report, print. They share the store operations with the TUI, never a code path of their own.
//! Everything they print for a person goes through `terminal_text` (its `println!` and friends,
//! imported by name in each module, or its `Escaping` writer), so text from outside shows as data
//! and never steers the terminal; JSON alone is written exactly.

pub mod assign;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod config_check;
pub mod context;
pub mod demo;
pub mod escalate;
pub mod handover;
pub mod import;
pub mod letter;
pub mod list;
pub mod overdue;
pub mod purge;
pub mod reject;
pub mod shell;
pub mod show;
pub mod stats;
pub mod sync;
pub mod tasks;
pub mod unlock;
pub mod words;

pub use context::Context;

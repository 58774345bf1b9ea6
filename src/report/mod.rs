//! Plain data for output (JSON, CSV, text tables) built from the store's rows; the shapes here
//! are the stable formats documented in the README, so rename nothing without saying so there.

pub mod csv_safe;
pub mod handover;
pub mod overdue;
pub mod providers;
pub mod stats;
mod tallied;
pub mod task_json;
pub mod text;

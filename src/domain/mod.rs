//! The pure domain: tasks, staff, providers, NHS numbers and working time. Nothing here reads the
//! clock, the disk or the network; callers pass `now` in, so every rule is testable as a sum.

pub mod calendar;
pub mod letter;
pub mod nhs_number;
pub mod overdue;
pub mod policy;
pub mod provider;
pub mod staff;
pub mod task;

pub use nhs_number::NhsNumber;
pub use provider::{Agreement, EscalationStage, Provider};
pub use staff::{Absence, Group, Presence, Staff};
pub use task::{IncomingTask, Patient, Priority, Status, Task, TaskAction, TaskId};

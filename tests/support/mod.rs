pub mod calendar;
pub mod pty;

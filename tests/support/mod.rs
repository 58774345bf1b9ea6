pub mod calendar;
pub mod peer;
pub mod pty;

pub mod calendar;
pub mod pty;
pub mod sandbox;

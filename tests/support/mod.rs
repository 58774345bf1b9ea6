pub mod ca;
pub mod calendar;
pub mod desk;
pub mod peer;
pub mod pty;
pub mod sandbox;

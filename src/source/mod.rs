//! Where tasks come from. Each source turns its own format into `domain::IncomingTask`s and hands
//! them to the store; none of them writes to the mirror directly.

pub mod demo;
pub mod import;

//! Configuration (being written now).

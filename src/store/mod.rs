//! The SQLite mirror (being written now).

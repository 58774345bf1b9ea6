//! Working time (placeholder being written now).

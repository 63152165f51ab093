//! Expansion snapshots (written by the tour helper).

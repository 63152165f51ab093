//! The one door the task state protocol's atomics come through: std's
//! normally, [loom]'s under `--cfg loom`, so that loom can run the
//! protocol's models (`task::header`'s tests) through every interleaving
//! of their threads. `scripts/loom` runs them.
//!
//! [loom]: https://docs.rs/loom

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU8;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicU8;

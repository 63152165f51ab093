//! The one door the task state protocol's atomics come through: std's
//! normally, [loom]'s under `--cfg loom`, so that loom can run the
//! protocol's models (`task::header`'s tests) through every interleaving
//! of their threads. `scripts/loom` runs them.
//!
//! (The idle workers' handshake in `scheduler::multi_thread::idle` is not
//! modelled: loom 0.7 reports a deadlock for the plain flag-and-`Condvar`
//! pattern it sleeps with, which cannot deadlock, so its models would only
//! report that. It is stress-tested instead: `tests/rt_multi_thread.rs`.)
//!
//! [loom]: https://docs.rs/loom

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicU8;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicU8;

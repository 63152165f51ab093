//! The one door the runtime's synchronisation comes through: std's
//! normally, [loom]'s under `--cfg loom`, so that loom can run the models
//! of the protocols built on them through every interleaving of their
//! threads. `scripts/loom` runs them:
//!
//! - `task::header`: the task state bits (queued at most once, no lost
//!   wake-up);
//! - `reactor::parking`: parking the event loop while other threads
//!   register timers and queue news.
//!
//! Every `Mutex` and `Condvar` of the crate comes from here (so that
//! [`crate::mutex::lock`] locks either kind), and the atomics of the
//! modelled protocols. Code outside the models compiles under loom but
//! never runs there.
//!
//! (The idle workers' handshake in `scheduler::multi_thread::idle` is not
//! modelled: loom 0.7 reports a deadlock for the plain flag-and-`Condvar`
//! pattern it sleeps with, which cannot deadlock, so its models would only
//! report that. It is stress-tested instead: `tests/rt_multi_thread.rs`.)
//!
//! Note that loom models a `SeqCst` load or store as `AcqRel` (loom issue
//! 180), so a handshake in which each side writes one flag and reads the
//! other must use `SeqCst` fences, which loom does model, and which the
//! C++ memory model asks for anyway.
//!
//! [loom]: https://docs.rs/loom

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU8, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU8, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

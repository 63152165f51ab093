//! Locking the runtime's mutexes.
//!
//! A panic in a task never happens while the runtime holds one of its own
//! locks, and the data behind each is valid between any two operations, so
//! a poisoned lock is used as it is.

use std::sync::PoisonError;

use crate::loom::{Mutex, MutexGuard};

/// Locks `mutex`, through poisoning.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

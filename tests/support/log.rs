//! The event log, and `Noisy`: a value that reports its own life.
//!
//! Everything a case does that could differ between the twins is written to
//! one thread-local list of strings: polls, wake-ups, uses and drops. Being
//! thread-local, the log needs no locking and tests running in parallel on
//! other threads cannot interleave their events with ours.

use std::cell::RefCell;
use std::fmt;

thread_local! {
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Appends an event to this thread's log.
///
/// Events logged while the thread is shutting down (when thread-locals are
/// being destroyed) are ignored rather than turned into a panic in `Drop`.
pub(crate) fn log(event: impl Into<String>) {
    let event = event.into();
    let _ = LOG.try_with(|log| log.borrow_mut().push(event));
}

/// Takes every event logged on this thread so far, leaving the log empty.
pub(crate) fn take_log() -> Vec<String> {
    LOG.with(|log| log.take())
}

/// A named value that logs `touch NAME` when used and `drop NAME` when dropped.
///
/// Put `Noisy` locals, parameters and temporaries in a case to pin down when
/// each one is dropped: at the end of the body, on an early `return`, on `?`,
/// on a panic, or when the future is cancelled at a suspension point.
pub(crate) struct Noisy {
    name: String,
}

impl Noisy {
    /// A value called `name`; creating it logs nothing.
    pub(crate) fn new(name: impl Into<String>) -> Self {
        Noisy { name: name.into() }
    }

    /// Its name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Logs `touch NAME`: a use of the value, to show it is still alive.
    pub(crate) fn touch(&self) {
        log(format!("touch {}", self.name));
    }
}

impl fmt::Debug for Noisy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Noisy").field(&self.name).finish()
    }
}

impl Drop for Noisy {
    fn drop(&mut self) {
        log(format!("drop {}", self.name));
    }
}

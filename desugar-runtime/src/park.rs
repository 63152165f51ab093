//! Parking the runtime's thread until there is work: a flag and a condition
//! variable.
//!
//! `unpark` sets the flag and signals; `park` waits until the flag is set,
//! then clears it. An `unpark` that comes before the `park` leaves the flag
//! set, so that `park` returns at once: a wake-up that races with going to
//! sleep is never lost. (The reactor will take this role, waiting in
//! `epoll` instead, with a `mio::Waker` as the unpark.)

use std::sync::{Condvar, Mutex, PoisonError};

#[derive(Default)]
pub(crate) struct Parker {
    notified: Mutex<bool>,
    condvar: Condvar,
}

impl Parker {
    /// Blocks until [`Parker::unpark`] is (or was) called.
    pub(crate) fn park(&self) {
        let mut notified = self.notified.lock().unwrap_or_else(PoisonError::into_inner);
        while !*notified {
            notified = self
                .condvar
                .wait(notified)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *notified = false;
    }

    /// As [`Parker::park`], but returns after `timeout` at the latest.
    pub(crate) fn park_timeout(&self, timeout: std::time::Duration) {
        let notified = self.notified.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut notified, _) = self
            .condvar
            .wait_timeout_while(notified, timeout, |notified| !*notified)
            .unwrap_or_else(PoisonError::into_inner);
        *notified = false;
    }

    /// Wakes the parked thread, or the next `park`.
    pub(crate) fn unpark(&self) {
        *self.notified.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.condvar.notify_one();
    }
}

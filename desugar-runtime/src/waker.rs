//! Waker slots: where a leaf future keeps the waker of the task waiting on
//! it (a channel's receiver, a socket's direction, a `JoinHandle`).

use crate::loom::Mutex;
use std::task::Waker;

use crate::mutex::lock;

/// Stores `waker` in `slot`, unless the one there already wakes the same
/// task (then cloning it again would only cost an atomic increment).
pub(crate) fn store(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(stored) if stored.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

/// Takes the waker out of `slot` and wakes it, outside the lock.
pub(crate) fn wake(slot: &Mutex<Option<Waker>>) {
    let waker = lock(slot).take();
    if let Some(waker) = waker {
        waker.wake();
    }
}

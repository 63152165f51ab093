//! The part of a task that wakers and handles hold: its id and its
//! scheduling bits, behind an `Arc`. The future itself is not here: it is
//! owned by the scheduler (see `scheduler::current_thread`), so that a
//! waker is `Send + Sync` and cheap to clone whatever the future is.
//!
//! | bit         | set by                          | cleared by                |
//! |-------------|---------------------------------|---------------------------|
//! | `scheduled` | `wake` (if clear: then queue it) | the scheduler, before polling |
//! | `aborted`   | `JoinHandle::abort`             | never                     |
//!
//! `scheduled` makes a wake idempotent: however many times a task is woken
//! before it runs, it is queued once. A wake that arrives while the task is
//! being polled sets it again (it was cleared before the poll), so the task
//! is polled again: no wake-up is lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::Wake;

use crate::scheduler::current_thread::Shared;

/// A task's id and scheduling state.
pub(crate) struct Header {
    id: u64,
    scheduled: AtomicBool,
    aborted: AtomicBool,
    /// The scheduler to queue the task on: weak, so that a waker that
    /// outlives the runtime does nothing.
    shared: Weak<Shared>,
}

impl Header {
    /// A task just spawned: scheduled, since it must be polled once.
    pub(crate) fn new(id: u64, shared: Weak<Shared>) -> Self {
        Header {
            id,
            scheduled: AtomicBool::new(true),
            aborted: AtomicBool::new(false),
            shared,
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Called by the scheduler just before it polls the task.
    pub(crate) fn unschedule(&self) {
        self.scheduled.store(false, Ordering::Release);
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Marks the task aborted and wakes it, so that the scheduler sees it.
    pub(crate) fn abort(self: &Arc<Self>) {
        self.aborted.store(true, Ordering::Release);
        self.wake_by_ref();
    }
}

impl Wake for Header {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.scheduled.swap(true, Ordering::AcqRel) {
            return; // queued already
        }
        if let Some(shared) = self.shared.upgrade() {
            shared.schedule(Arc::clone(self));
        }
    }
}

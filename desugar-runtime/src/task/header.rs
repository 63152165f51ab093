//! A task's id and state bits: the part every task has, whatever its
//! future, and that the scheduler reads to decide who polls it when.
//!
//! # States
//!
//! | bit         | set by                               | cleared by                 |
//! |-------------|--------------------------------------|----------------------------|
//! | `SCHEDULED` | a wake (if clear)                    | the worker that polls it   |
//! | `RUNNING`   | the worker that polls it             | the same, after the poll   |
//! | `COMPLETE`  | the worker, when the future is done; shutdown | never             |
//! | `ABORTED`   | `JoinHandle::abort`                  | never                      |
//!
//! The rules that make it correct on any number of threads:
//!
//! - **Queued at most once.** A wake sets `SCHEDULED`; only the wake that
//!   set it (from clear) queues the task. However many times a task is
//!   woken before it runs, it sits in one queue once.
//! - **Polled by one thread at a time.** A wake that arrives while the task
//!   is `RUNNING` sets `SCHEDULED` but does not queue it: the worker polling
//!   it queues it again when the poll returns `Pending`. So a task is never
//!   in a queue while it runs, and no second worker can pick it up then.
//! - **No lost wake-up.** `SCHEDULED` is cleared *before* the poll, so a
//!   wake during the poll is seen after it.
//! - **Finished is final.** After `COMPLETE`, wakes do nothing and the
//!   future is gone.
//!
//! (Tokio packs the same ideas, and the reference count, into one word.)

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Weak};

use crate::scheduler::Handle;

const SCHEDULED: u8 = 1;
const RUNNING: u8 = 1 << 1;
const COMPLETE: u8 = 1 << 2;
const ABORTED: u8 = 1 << 3;

/// A task's id and scheduling state.
pub(crate) struct Header {
    id: u64,
    state: AtomicU8,
    /// The scheduler to queue the task on: weak, so that a waker that
    /// outlives the runtime does nothing.
    handle: Weak<Handle>,
}

impl Header {
    /// A task just spawned: scheduled, since it must be polled once.
    pub(crate) fn new(id: u64, handle: Weak<Handle>) -> Self {
        Header {
            id,
            state: AtomicU8::new(SCHEDULED),
            handle,
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The runtime, while it exists.
    pub(crate) fn handle(&self) -> Option<Arc<Handle>> {
        self.handle.upgrade()
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.state.load(Ordering::Acquire) & ABORTED != 0
    }

    /// Marks the task aborted; the caller then wakes it, so that a worker
    /// drops it.
    pub(crate) fn set_aborted(&self) {
        self.state.fetch_or(ABORTED, Ordering::AcqRel);
    }

    /// A wake: whether the caller must queue the task (it was idle). A task
    /// queued already, running (its worker requeues it) or finished is not
    /// queued again.
    pub(crate) fn notify(&self) -> bool {
        let previous = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                (state & (SCHEDULED | COMPLETE) == 0).then_some(state | SCHEDULED)
            });
        matches!(previous, Ok(state) if state & RUNNING == 0)
    }

    /// A worker took the task from a queue: `SCHEDULED` to `RUNNING`.
    /// Returns `false` for a task that finished meanwhile (shutdown took
    /// its future), which is then not polled.
    pub(crate) fn start_running(&self) -> bool {
        let previous = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                (state & COMPLETE == 0).then_some((state & !SCHEDULED) | RUNNING)
            });
        previous.is_ok()
    }

    /// The poll returned `Pending`: `RUNNING` to idle. Returns whether the
    /// task was woken during the poll, in which case the caller queues it.
    pub(crate) fn stop_running(&self) -> bool {
        let previous = self.state.fetch_and(!RUNNING, Ordering::AcqRel);
        previous & SCHEDULED != 0
    }

    /// The task is done: wakes from now on do nothing.
    pub(crate) fn complete(&self) {
        self.state.fetch_or(COMPLETE, Ordering::AcqRel);
    }
}

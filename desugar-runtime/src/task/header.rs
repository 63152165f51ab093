//! A task, as wakers, handles and run queues hold it: an `Arc<Header>` with
//! the task's id, its state bits, its future, and the scheduler to queue it
//! on. A waker *is* an `Arc<Header>` (through [`std::task::Wake`]), so it is
//! `Send + Sync` and cheap to clone whatever the future is.
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

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Wake};

use crate::coop;
use crate::mutex::lock;
use crate::scheduler::{Handle, Order};

/// A spawned `Send` future, as its task holds it (a
/// [`TaskCell`](super::cell::TaskCell), boxed and erased).
pub(crate) type SendTask = Pin<Box<dyn Future<Output = ()> + Send>>;

const SCHEDULED: u8 = 1;
const RUNNING: u8 = 1 << 1;
const COMPLETE: u8 = 1 << 2;
const ABORTED: u8 = 1 << 3;

/// A task's id, state and future.
pub(crate) struct Header {
    id: u64,
    state: AtomicU8,
    /// The future, while the task is unfinished. `None` for a `!Send` task
    /// of `spawn_local`, whose future its thread keeps. The lock is never
    /// contended (only a `RUNNING` worker, or shutdown after every worker
    /// stopped, takes it): it is there so that this needs no `unsafe`.
    future: Mutex<Option<SendTask>>,
    /// The scheduler to queue the task on: weak, so that a waker that
    /// outlives the runtime does nothing.
    handle: Weak<Handle>,
}

/// What polling a task's own future gave.
pub(crate) enum Polled {
    /// The future is done (or was aborted) and has been dropped.
    Finished,
    /// The future returned `Pending`.
    Pending,
    /// The task has no future here: it is a local task.
    Local,
}

impl Header {
    /// A task just spawned: scheduled, since it must be polled once.
    pub(crate) fn new(id: u64, future: Option<SendTask>, handle: Weak<Handle>) -> Self {
        Header {
            id,
            state: AtomicU8::new(SCHEDULED),
            future: Mutex::new(future),
            handle,
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.state.load(Ordering::Acquire) & ABORTED != 0
    }

    /// Marks the task aborted and wakes it, so that a worker drops it.
    pub(crate) fn abort(self: &Arc<Self>) {
        self.state.fetch_or(ABORTED, Ordering::AcqRel);
        self.wake_by_ref();
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

    /// Polls the task's future once with `cx` and a fresh coop `budget`;
    /// drops it if it is done, or if the task was aborted.
    pub(crate) fn poll(&self, cx: &mut Context<'_>, budget: Option<u8>) -> Polled {
        let mut slot = lock(&self.future);
        let Some(future) = slot.as_mut() else {
            return Polled::Local;
        };
        if !self.is_aborted() && coop::with_budget(budget, || future.as_mut().poll(cx)).is_pending()
        {
            return Polled::Pending;
        }
        // Take it out, and drop it outside the lock: a future's drop may
        // run any code.
        let done = slot.take();
        drop(slot);
        drop(done);
        Polled::Finished
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

    /// Shutdown: takes the future out (to be dropped by the caller) and
    /// marks the task complete. Called once every worker has stopped.
    pub(crate) fn take_future(&self) -> Option<SendTask> {
        self.complete();
        lock(&self.future).take()
    }
}

impl Wake for Header {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let previous = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                (state & (SCHEDULED | COMPLETE) == 0).then_some(state | SCHEDULED)
            });
        match previous {
            // Idle: this wake queues it.
            Ok(state) if state & RUNNING == 0 => {
                if let Some(handle) = self.handle.upgrade() {
                    handle.schedule(Arc::clone(self), Order::Next);
                }
            }
            // Running: its worker queues it after the poll. Or queued
            // already, or finished: nothing to do.
            Ok(_) | Err(_) => {}
        }
    }
}

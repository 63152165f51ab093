//! A task's id and state bits: the part every task has, whatever its
//! future, and that the scheduler reads to decide who polls it when.
//!
//! # States
//!
//! | bit         | set by                               | cleared by                 |
//! |-------------|--------------------------------------|----------------------------|
//! | `SCHEDULED` | a wake                               | the worker that polls it   |
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
//!   wake during the poll is seen after it. Every wake writes the state
//!   (even when `SCHEDULED` is set already), so what the waker did before
//!   waking happens before the next poll, which reads the state first.
//! - **Finished is final.** After `COMPLETE`, wakes do nothing and the
//!   future is gone.
//!
//! (Tokio packs the same ideas, and the reference count, into one word.)

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use crate::loom::AtomicU8;
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
    ///
    /// Always a read-modify-write, even when the bit is set already: a
    /// plain load there would not order what the waker published before
    /// waking (a message, a readiness bit) before the poll that is still
    /// to come, and that poll could miss it. The loom model
    /// `a_wake_during_any_step_of_a_poll_is_never_lost` finds that
    /// interleaving when this is a load.
    pub(crate) fn notify(&self) -> bool {
        let previous = self.state.fetch_or(SCHEDULED, Ordering::AcqRel);
        previous & (SCHEDULED | RUNNING | COMPLETE) == 0
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

/// The protocol under loom: `RUSTFLAGS="--cfg loom" cargo test -p
/// desugar-runtime --lib loom` (`scripts/loom`).
#[cfg(all(test, loom))]
mod loom_models {
    use std::collections::VecDeque;
    use std::sync::Weak;

    use loom::sync::atomic::AtomicBool;
    use loom::sync::{Arc, Mutex};

    use super::*;

    /// A worker running a task from `queue` until the queue is empty. The
    /// task finishes when it sees `message`. Asserts that the task is never
    /// queued twice at once; returns whether it finished.
    fn run(header: &Header, queue: &Mutex<VecDeque<()>>, message: &AtomicBool) -> bool {
        loop {
            let popped = queue.lock().unwrap().pop_front();
            if popped.is_none() {
                return false;
            }
            if !header.start_running() {
                return true; // finished meanwhile
            }
            if message.load(Ordering::Acquire) {
                header.complete();
                return true;
            }
            if header.stop_running() {
                let mut queue = queue.lock().unwrap();
                queue.push_back(());
                assert_eq!(queue.len(), 1, "queued at most once");
            }
        }
    }

    /// Sends the message, then wakes the task as a waker would.
    fn wake(header: &Header, queue: &Mutex<VecDeque<()>>, message: &AtomicBool) {
        message.store(true, Ordering::Release);
        if header.notify() {
            let mut queue = queue.lock().unwrap();
            queue.push_back(());
            assert_eq!(queue.len(), 1, "queued at most once");
        }
    }

    #[test]
    fn a_wake_during_any_step_of_a_poll_is_never_lost() {
        loom::model(|| {
            let header = Arc::new(Header::new(1, Weak::new()));
            // Spawned: scheduled and queued.
            let queue = Arc::new(Mutex::new(VecDeque::from([()])));
            let message = Arc::new(AtomicBool::new(false));
            let waker = {
                let (header, queue, message) = (
                    Arc::clone(&header),
                    Arc::clone(&queue),
                    Arc::clone(&message),
                );
                loom::thread::spawn(move || wake(&header, &queue, &message))
            };
            let finished = run(&header, &queue, &message);
            waker.join().unwrap();
            // Whatever the worker left in the queue runs now.
            let finished = finished || run(&header, &queue, &message);
            assert!(finished, "the task saw the message: the wake was not lost");
        });
    }

    #[test]
    fn two_wakes_from_two_threads_queue_the_task_once() {
        loom::model(|| {
            let header = Arc::new(Header::new(1, Weak::new()));
            assert!(header.start_running());
            assert!(!header.stop_running(), "idle after its first poll");
            let queue = Arc::new(Mutex::new(VecDeque::new()));
            let message = Arc::new(AtomicBool::new(false));
            let wakers: Vec<_> = (0..2)
                .map(|_| {
                    let (header, queue, message) = (
                        Arc::clone(&header),
                        Arc::clone(&queue),
                        Arc::clone(&message),
                    );
                    loom::thread::spawn(move || wake(&header, &queue, &message))
                })
                .collect();
            for waker in wakers {
                waker.join().unwrap();
            }
            assert_eq!(queue.lock().unwrap().len(), 1);
            assert!(run(&header, &queue, &message));
        });
    }
}

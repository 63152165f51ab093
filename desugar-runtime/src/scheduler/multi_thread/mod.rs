//! The multi-thread scheduler: a pool of workers that steal work from each
//! other.
//!
//! ```text
//!                  spawn / wake from outside
//!                            │
//!                            ▼
//!                   ┌─────────────────┐
//!                   │ injector (FIFO) │◀──────── every worker takes a batch
//!                   └─────────────────┘          when its own queue is empty,
//!   worker 0                 worker 1            and every 61 tasks anyway
//!  ┌──────────────┐         ┌──────────────┐
//!  │ local queue  │◀─steal─▶│ local queue  │     a wake on a worker's thread
//!  └──────────────┘         └──────────────┘     goes to that worker's queue
//! ```
//!
//! - **Queues.** Each worker owns a FIFO [`crossbeam_deque::Worker`] (a
//!   Chase-Lev work-stealing deque); a task woken or spawned on a worker's
//!   thread goes there, to stay near the data it just touched (a task woken
//!   by another task goes to the worker's LIFO slot and runs next). Tasks
//!   from other threads go to the shared [`Injector`]. A worker whose queue
//!   is empty takes a batch from the injector, then steals half of another
//!   worker's queue.
//! - **Fairness.** Every 61 tasks a worker looks at the injector first, so
//!   tasks from outside are not starved by a busy local queue; a task that
//!   yields goes to the back of its queue.
//! - **Sleeping.** A worker with nothing to do sleeps (see [`idle`]): the
//!   first one waits in the reactor, for I/O and the nearest timer; the
//!   others on a condvar. Pushing a task wakes a sleeper.
//! - **I/O and timers.** The worker that waits in the reactor dispatches
//!   events and fires timers; a busy worker also does so every 61 tasks
//!   if no one waits there, so a busy pool still sees its sockets and
//!   timers.
//!
//! `block_on` on this flavor runs its future on the calling thread (which
//! is not a worker) and parks that thread between polls; tasks spawned
//! from it go to the injector.

mod idle;
mod worker;

use std::future::Future;
use std::sync::Arc;

use crate::loom::Mutex;

use crossbeam_deque::{Injector, Steal, Stealer};

use super::context::{self, Enter};
use super::{Handle, Order};
use crate::task::raw::TaskRef;
use idle::Idle;
use worker::Pushed;
pub(crate) use worker::Workers;

/// The queues every thread may reach.
pub(crate) struct Queues {
    injector: Injector<TaskRef>,
    /// Each worker's queue, for stealing; filled in as workers start.
    stealers: Box<[Stealer<TaskRef>]>,
    /// The workers' own ends, taken by each worker as it starts.
    locals: Mutex<Vec<Option<crossbeam_deque::Worker<TaskRef>>>>,
    idle: Idle,
    /// Held by the worker that waits in, or polls, the reactor.
    driver: Mutex<()>,
}

impl Queues {
    pub(super) fn new(workers: usize) -> Queues {
        let locals: Vec<_> = (0..workers)
            .map(|_| crossbeam_deque::Worker::new_fifo())
            .collect();
        Queues {
            injector: Injector::new(),
            stealers: locals
                .iter()
                .map(crossbeam_deque::Worker::stealer)
                .collect(),
            locals: Mutex::new(locals.into_iter().map(Some).collect()),
            idle: Idle::new(workers),
            driver: Mutex::new(()),
        }
    }

    /// Queues a woken task: on this worker's own queue if this thread is
    /// one of the runtime's workers, on the injector otherwise. Then wakes
    /// a sleeping worker, if any, to run or steal it.
    pub(super) fn push(&self, handle: &Handle, task: TaskRef, order: Order) {
        match worker::push_local(handle, task, order) {
            Pushed::Slot => {}
            Pushed::Queue => self.idle.notify_one(&handle.reactor),
            Pushed::Elsewhere(task) => {
                self.injector.push(task);
                self.idle.notify_one(&handle.reactor);
            }
        }
    }

    /// Whether any queue but the caller's has a task.
    fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|stealer| !stealer.is_empty())
    }

    /// Takes a batch of tasks from the injector into `local`, and one of
    /// them to run.
    fn steal_injected(&self, local: &crossbeam_deque::Worker<TaskRef>) -> Option<TaskRef> {
        retry(|| self.injector.steal_batch_and_pop(local))
    }

    /// Shutdown: wakes every worker, so that each sees it and exits.
    pub(super) fn wake_all_workers(&self, handle: &Handle) {
        self.idle.notify_all(&handle.reactor);
    }

    /// Shutdown: drops every queued task (the futures went already).
    pub(super) fn clear(&self) {
        while retry(|| self.injector.steal()).is_some() {}
        for stealer in &self.stealers {
            while retry(|| stealer.steal()).is_some() {}
        }
    }
}

/// Steals until the answer is not "retry".
fn retry<T>(mut steal: impl FnMut() -> Steal<T>) -> Option<T> {
    loop {
        match steal() {
            Steal::Success(item) => return Some(item),
            Steal::Empty => return None,
            Steal::Retry => {}
        }
    }
}

/// Runs `future` to completion on this thread (not a worker), while the
/// workers run the tasks.
pub(crate) fn block_on<F: Future>(handle: &Arc<Handle>, future: F) -> F::Output {
    let _enter = Enter::new(handle);
    let budget = handle.budget();
    let mut future = std::pin::pin!(future);
    crate::block_on(std::future::poll_fn(|cx| {
        context::poll_scope(budget, || future.as_mut().poll(cx))
    }))
}

/// Starts the worker threads of `handle`.
pub(crate) fn start(handle: &Arc<Handle>, workers: usize) -> std::io::Result<Workers> {
    Workers::start(handle, workers)
}

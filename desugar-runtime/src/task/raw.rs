//! A task as queues, wakers and the runtime's registry hold it: an `Arc`
//! of one allocation with the task's [`Header`], its future, and the slot
//! its result goes to.
//!
//! Queues hold any task as a [`TaskRef`], an `Arc<dyn Runnable>`: the
//! scheduler needs only to poll it, cancel it and make its waker, whatever
//! the future's type. A waker *is* an `Arc` of the task (through
//! [`std::task::Wake`]), so it is `Send + Sync` and cheap to clone.
//!
//! Two kinds of task:
//!
//! - [`Task<F>`], spawned with `spawn`: the future lives here, polled in
//!   place (pinned: the allocation never moves, and the future is never
//!   moved out, only dropped in place), and its result is written to the
//!   [`JoinState`] beside it.
//! - [`LocalTask`], spawned with `spawn_local`: only the header. Its
//!   future is `!Send`, so the thread that spawned it keeps it, by id.
//!
//! # Safety
//!
//! The one `unsafe` here pins a `Task`'s future where it lies, to poll it.
//! That holds because:
//!
//! 1. the future is inside an `Arc` allocation, which never moves, in a
//!    `Mutex<Slot>` that is never moved out of either;
//! 2. nothing moves the future out of its `Option`: it is polled through
//!    the `Pin`, then dropped in place (`Slot::clear` assigns `None`) or
//!    with the task;
//! 3. the `Mutex` and the `RUNNING` bit make every poll exclusive, so no
//!    second `&mut` to the future exists while one is pinned.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;

use crate::loom::Mutex;
use std::task::{Context, Poll, Wake, Waker};

use super::header::Header;
use super::join::{JoinError, JoinState};
use crate::mutex::lock;
use crate::scheduler::Order;
use crate::scheduler::context;

/// What the scheduler can do with any task.
pub(crate) trait Runnable: Send + Sync + 'static {
    fn header(&self) -> &Header;

    /// Polls the task's future once with a fresh coop `budget` (and its
    /// waker, made from `me`, this task); drops it if it is done, or if
    /// the task was aborted.
    fn poll(&self, me: &TaskRef, budget: Option<u8>) -> Polled;

    /// Shutdown: drops the future (its handle then says "cancelled") and
    /// marks the task complete. Called once no thread polls tasks.
    fn cancel(&self);

    /// The waker that queues this task.
    fn waker(self: Arc<Self>) -> Waker;
}

/// A task of any kind, as queues hold it.
pub(crate) type TaskRef = Arc<dyn Runnable>;

/// What polling a task gave.
pub(crate) enum Polled {
    /// The future is done (or was aborted) and has been dropped.
    Finished,
    /// The future returned `Pending`.
    Pending,
    /// A local task: its thread polls the future.
    Local,
}

/// A wake: queues the task if it was idle (see `header` for the rules).
fn wake<T: Runnable>(task: Arc<T>) {
    if task.header().notify()
        && let Some(handle) = task.header().handle()
    {
        handle.schedule(task, Order::Next);
    }
}

/// A wake through a reference: clones the `Arc` only to queue it.
fn wake_by_ref<T: Runnable>(task: &Arc<T>) {
    if task.header().notify()
        && let Some(handle) = task.header().handle()
    {
        handle.schedule(Arc::clone(task) as TaskRef, Order::Next);
    }
}

/// Marks `task` aborted and wakes it, so that a worker drops its future.
pub(crate) fn abort<T: Runnable>(task: &Arc<T>) {
    task.header().set_aborted();
    wake_by_ref(task);
}

/// A spawned `Send` task.
pub(crate) struct Task<F: Future> {
    header: Header,
    /// The future and the waker it is polled with. The lock is never
    /// contended: only the worker that set `RUNNING` polls the task, and
    /// shutdown cancels it after every worker stopped.
    slot: Mutex<Slot<F>>,
    join: JoinState<F::Output>,
}

struct Slot<F> {
    /// The future, until it is done.
    future: Option<F>,
    /// The task's own waker, made at its first poll and kept for the next
    /// ones (so a poll costs no reference count). It holds the task, so it
    /// goes with the future, or the task would keep itself alive.
    waker: Option<Waker>,
}

impl<F> Slot<F> {
    /// Drops the future in place (it is pinned) and the waker, the lock
    /// held: only `poll` and `cancel` take it, and neither can run from
    /// inside this drop. A panic in the future's drop is caught, as Tokio
    /// does: the panic hook reported it, and it must not take the runtime
    /// (or the rest of a shutdown) with it.
    fn clear(&mut self) {
        // An assignment whose drop unwinds still stores `None`.
        let _ = catch_unwind(AssertUnwindSafe(|| self.future = None));
        self.waker = None;
    }
}

impl<F> Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    pub(crate) fn new(header: Header, future: F) -> Self {
        Task {
            header,
            slot: Mutex::new(Slot {
                future: Some(future),
                waker: None,
            }),
            join: JoinState::new(),
        }
    }

    pub(crate) fn join_state(&self) -> &JoinState<F::Output> {
        &self.join
    }
}

impl<F> Runnable for Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn header(&self) -> &Header {
        &self.header
    }

    fn poll(&self, me: &TaskRef, budget: Option<u8>) -> Polled {
        let mut slot = lock(&self.slot);
        let Slot { future, waker } = &mut *slot;
        let Some(future) = future.as_mut() else {
            return Polled::Finished; // cancelled already
        };
        let waker = waker.get_or_insert_with(|| Arc::clone(me).waker());
        let cx = &mut Context::from_waker(waker);
        let result = if self.header.is_aborted() {
            Err(JoinError::cancelled())
        } else {
            // SAFETY: the future is pinned where it is, inside this task's
            // `Arc` allocation, which never moves. It is never moved out of
            // its slot: it is only polled through this `Pin`, and dropped in
            // place (`Slot::clear`, or with the task).
            let future = unsafe { Pin::new_unchecked(future) };
            let polled = catch_unwind(AssertUnwindSafe(|| {
                context::poll_scope(budget, || future.poll(cx))
            }));
            match polled {
                Ok(Poll::Pending) => return Polled::Pending,
                Ok(Poll::Ready(output)) => Ok(output),
                Err(payload) => Err(JoinError::panic(payload)),
            }
        };
        // Then the handle learns the result, after the task's locals are
        // gone.
        slot.clear();
        drop(slot);
        self.join.finish(result);
        Polled::Finished
    }

    fn cancel(&self) {
        self.header.complete();
        lock(&self.slot).clear();
        self.join.finish(Err(JoinError::cancelled()));
    }

    fn waker(self: Arc<Self>) -> Waker {
        Waker::from(self)
    }
}

impl<F> Wake for Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn wake(self: Arc<Self>) {
        wake(self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        wake_by_ref(self);
    }
}

/// A `!Send` task of `spawn_local`: the header, while its thread keeps
/// the future.
pub(crate) struct LocalTask {
    header: Header,
}

impl LocalTask {
    pub(crate) fn new(header: Header) -> Self {
        LocalTask { header }
    }
}

impl Runnable for LocalTask {
    fn header(&self) -> &Header {
        &self.header
    }

    fn poll(&self, _: &TaskRef, _: Option<u8>) -> Polled {
        Polled::Local
    }

    fn cancel(&self) {
        // Its thread drops the future when its `block_on` returns.
        self.header.complete();
    }

    fn waker(self: Arc<Self>) -> Waker {
        Waker::from(self)
    }
}

impl Wake for LocalTask {
    fn wake(self: Arc<Self>) {
        wake(self);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        wake_by_ref(self);
    }
}

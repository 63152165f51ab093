//! The current-thread scheduler: the event loop of the seed, for real.
//!
//! ```text
//! loop {
//!     poll the main future if it was woken      (block_on's argument)
//!     poll up to 61 tasks from the run queue    (each woken task, once)
//!     fire the timers that are due              (waking their tasks)
//!     park until a waker unparks us             (if nothing is ready),
//!         or until the nearest timer is due
//! }
//! ```
//!
//! # What lives where
//!
//! - The [`Handle`] (behind an `Arc`, reached from any thread): this
//!   flavor's **run queue** of woken tasks ([`Queue`]); the timers; the
//!   reactor, where the loop parks; the registry of live tasks. A task's
//!   `Send` future lives in the task, so a wake from any thread only has
//!   to push the task here and unpark the loop.
//! - The thread inside `block_on`: the `!Send` futures of `spawn_local`,
//!   by task id. Only that thread polls or drops them; they go (cancelled)
//!   when `block_on` returns.
//!
//! # A task's life
//!
//! 1. `spawn` puts the future in a new task, registers it, queues it
//!    (a new task is scheduled) and unparks the loop.
//! 2. The loop pops the task and runs it (`Handle::run_task`): marks it
//!    running, polls it with a fresh coop budget.
//! 3. `Pending`: whoever holds its waker will queue it again. `Ready`
//!    (output, or a caught panic): the future is dropped; the
//!    `JoinHandle` has the result.
//! 4. An aborted task is dropped the next time the loop pops it.
//!
//! Shutdown (dropping the runtime) marks the handle shut down, so wakes
//! queue nothing, then drops every unfinished task's future exactly once.
//! Calls to `block_on` from several threads take turns (the runtime's lock).

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Weak};

use crate::loom::Mutex;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use super::context::{self, Enter};
use super::{Handle, IdHash, Order};
use crate::mutex::lock;
use crate::task::cell::TaskCell;
use crate::task::header::Header;
use crate::task::raw::{Runnable, TaskRef};
use crate::task::{JoinHandle, JoinState};

/// How many tasks the loop polls before it looks at the main future and the
/// timers again (Tokio's number).
const TASKS_PER_TICK: usize = 61;

type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// The run queue: woken tasks, oldest first.
#[derive(Default)]
pub(crate) struct Queue {
    tasks: Mutex<VecDeque<TaskRef>>,
}

impl Queue {
    /// Queues a woken task and wakes the loop (from any thread).
    pub(super) fn push(&self, handle: &Handle, task: TaskRef) {
        lock(&self.tasks).push_back(task);
        handle.reactor.unpark();
    }

    pub(super) fn clear(&self) {
        let tasks = std::mem::take(&mut *lock(&self.tasks));
        drop(tasks);
    }

    fn is_empty(&self) -> bool {
        lock(&self.tasks).is_empty()
    }

    /// Moves up to `n` tasks to `batch`, under one lock.
    fn take(&self, n: usize, batch: &mut VecDeque<TaskRef>) {
        let mut tasks = lock(&self.tasks);
        let n = tasks.len().min(n);
        batch.extend(tasks.drain(..n));
    }
}

thread_local! {
    /// The `!Send` tasks spawned on this thread's `block_on` since the loop
    /// last looked.
    static SPAWNED_LOCAL: RefCell<Vec<(u64, LocalFuture)>> = const { RefCell::new(Vec::new()) };
}

/// Spawns a `!Send` task on this thread's current-thread `block_on`;
/// `None` if there is none.
pub(crate) fn spawn_local<F>(future: F) -> Option<JoinHandle<F::Output>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let handle = context::with_current(Arc::clone)?;
    if !handle.is_current_thread() {
        return None;
    }
    let join = Arc::new(JoinState::new());
    let cell: LocalFuture = Box::pin(TaskCell::new(future, Arc::clone(&join)));
    let task = handle.new_local_task();
    let id = task.header().id();
    SPAWNED_LOCAL.with(|spawned| spawned.borrow_mut().push((id, cell)));
    handle.schedule(Arc::clone(&task) as TaskRef, Order::Back);
    Some(JoinHandle::local(join, task))
}

/// The `!Send` tasks of one `block_on` call, by id. Dropped (cancelled),
/// with those spawned but never polled, when the call returns.
#[derive(Default)]
struct LocalTasks {
    tasks: HashMap<u64, LocalFuture, IdHash>,
}

impl LocalTasks {
    /// Polls the local task of `header`; whether it finished.
    fn poll(&mut self, header: &Header, cx: &mut Context<'_>, budget: Option<u8>) -> bool {
        let id = header.id();
        if !self.tasks.contains_key(&id) {
            // Spawned since the loop last looked.
            SPAWNED_LOCAL.with(|spawned| self.tasks.extend(spawned.borrow_mut().drain(..)));
        }
        let Some(task) = self.tasks.get_mut(&id) else {
            return true; // from an earlier `block_on` call, dropped with it
        };
        let done = header.is_aborted()
            || context::poll_scope(budget, || task.as_mut().poll(cx)).is_ready();
        if done {
            // Finished, or aborted: dropping an unfinished future reports
            // "cancelled" to the handle.
            drop(self.tasks.remove(&id));
        }
        done
    }
}

impl Drop for LocalTasks {
    fn drop(&mut self) {
        let spawned = SPAWNED_LOCAL.with(|spawned| std::mem::take(&mut *spawned.borrow_mut()));
        drop(spawned);
    }
}

/// Wakes the main future of `block_on`.
struct MainWaker {
    woken: AtomicBool,
    handle: Weak<Handle>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        // The loop reads `woken` after marking itself parked and a fence:
        // with this one, either it sees `woken` or `unpark` sees it parked
        // (`reactor::parking`).
        fence(Ordering::SeqCst);
        if let Some(handle) = self.handle.upgrade() {
            handle.reactor.unpark();
        }
    }
}

/// Runs `future` to completion on this thread, running tasks meanwhile.
/// The caller holds the runtime's lock, so one thread runs the loop.
pub(crate) fn block_on<F: Future>(handle: &Arc<Handle>, future: F) -> F::Output {
    let _enter = Enter::new(handle);
    let queue = handle.current_thread_queue();
    let mut future = std::pin::pin!(future);
    let main = Arc::new(MainWaker {
        woken: AtomicBool::new(true),
        handle: Arc::downgrade(handle),
    });
    let main_waker = Waker::from(Arc::clone(&main));
    let mut local = LocalTasks::default();
    // The tasks of one tick, taken from the run queue a batch at a time.
    let mut batch = VecDeque::with_capacity(TASKS_PER_TICK);
    loop {
        if main.woken.swap(false, Ordering::AcqRel) {
            let mut cx = Context::from_waker(&main_waker);
            let poll = context::poll_scope(handle.budget(), || future.as_mut().poll(&mut cx));
            if let Poll::Ready(output) = poll {
                return output;
            }
        }
        // Up to TASKS_PER_TICK tasks, including those woken or spawned
        // during this tick.
        let mut budget = TASKS_PER_TICK;
        while budget > 0 {
            if batch.is_empty() {
                queue.take(budget, &mut batch);
            }
            let Some(task) = batch.pop_front() else {
                break;
            };
            budget -= 1;
            handle.run_task(task, |header, cx, budget| local.poll(header, cx, budget));
        }
        // Timers that are due wake their tasks, every time round, so that a
        // busy runtime still fires them on time.
        handle.timers.fire(Instant::now());
        let busy = || !queue.is_empty() || main.woken.load(Ordering::Acquire);
        let waited = if !busy() {
            // Until the nearest timer, an I/O event, or a wake-up.
            handle
                .reactor
                .park_idle(busy, || handle.timers.next_deadline())
        } else if handle.reactor.has_sources() {
            // Busy: only collect the I/O events that are already there.
            handle.reactor.poll_events()
        } else {
            Ok(())
        };
        if let Err(error) = waited {
            panic!("the reactor failed to wait for events: {error}");
        }
    }
}

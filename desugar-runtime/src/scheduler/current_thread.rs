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
//! # Actors and what each owns
//!
//! - [`Shared`] (behind an `Arc`, reached from any thread): the **run
//!   queue** of woken tasks, by header; the **inject queue** of futures
//!   spawned since the loop last looked; the timers; the [`Reactor`], where
//!   the loop parks. Wakers hold only a
//!   `Weak<Shared>`, so a waker that outlives the runtime does nothing.
//! - `Core` (owned by the runtime, held by the thread inside `block_on`):
//!   the spawned futures, by task id. Only that thread polls or drops them.
//! - `LocalTasks` (a thread-local, alive during `block_on`): the `!Send`
//!   futures of `spawn_local`.
//!
//! # A task's life
//!
//! 1. `spawn` boxes the future in a [`TaskCell`], puts it on the inject
//!    queue and its header on the run queue (a new task is scheduled), and
//!    unparks the loop.
//! 2. The loop moves injected futures into `Core`, pops the header, clears
//!    its `scheduled` bit and polls the future with a fresh coop budget.
//! 3. `Pending`: the future is left in `Core`; whoever holds its waker will
//!    queue the header again. `Ready` (output, or a caught panic): the
//!    future is removed and dropped; the `JoinHandle` has the result.
//! 4. An aborted task is dropped the next time the loop pops it.
//!
//! # Shutdown
//!
//! Dropping the runtime (1) marks `Shared` shut down, so wakes from now on
//! queue nothing; (2) drops every future in `Core` and on the inject queue,
//! each exactly once, which tells their `JoinHandle`s they were cancelled;
//! (3) empties the run queue.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::coop;
use crate::mutex::lock;
use crate::reactor::Reactor;
use crate::task::cell::TaskCell;
use crate::task::header::Header;
use crate::task::{JoinHandle, JoinState};
use crate::time::driver::Timers;

/// How many tasks the loop polls before it looks at the main future and the
/// inject queue again (Tokio's number).
const TASKS_PER_TICK: usize = 61;

type SendTask = Pin<Box<dyn Future<Output = ()> + Send>>;
type LocalTask = Pin<Box<dyn Future<Output = ()>>>;

/// The tasks the loop owns, by id, each with its waker (made once).
type Tasks<T> = HashMap<u64, (T, Waker), IdHash>;

/// Hashing by [`IdHasher`].
pub(crate) type IdHash = BuildHasherDefault<IdHasher>;

/// Task ids are consecutive numbers: a multiply spreads them over the
/// table's buckets, at a fraction of the cost of the default SipHash.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// The part of the scheduler every thread may reach.
pub(crate) struct Shared {
    run_queue: Mutex<VecDeque<Arc<Header>>>,
    inject: Mutex<Vec<(Arc<Header>, SendTask)>>,
    /// Where the loop waits: epoll, via mio (see `reactor`).
    pub(crate) reactor: Reactor,
    /// The timers of `time::sleep` and friends.
    pub(crate) timers: Timers,
    next_id: AtomicU64,
    shutdown: AtomicBool,
    /// Whether tasks get a coop budget (`Builder::coop`).
    coop: bool,
}

impl Shared {
    pub(crate) fn new(coop: bool) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(Shared {
            run_queue: Mutex::new(VecDeque::new()),
            inject: Mutex::new(Vec::new()),
            reactor: Reactor::new()?,
            timers: Timers::default(),
            next_id: AtomicU64::new(1),
            shutdown: AtomicBool::new(false),
            coop,
        }))
    }

    /// Queues a woken task and wakes the loop.
    pub(crate) fn schedule(&self, header: Arc<Header>) {
        if self.shutdown.load(Ordering::Acquire) {
            return;
        }
        lock(&self.run_queue).push_back(header);
        self.reactor.unpark();
    }

    fn new_task(self: &Arc<Self>) -> Arc<Header> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Arc::new(Header::new(id, Arc::downgrade(self)))
    }

    /// Spawns a `Send` task, from any thread.
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let header = self.new_task();
        let join = Arc::new(JoinState::new());
        let cell: SendTask = Box::pin(TaskCell::new(future, Arc::clone(&join)));
        if self.shutdown.load(Ordering::Acquire) {
            drop(cell); // reports "cancelled" to the handle
        } else {
            lock(&self.inject).push((Arc::clone(&header), cell));
            self.schedule(Arc::clone(&header));
        }
        JoinHandle::new(join, header)
    }

    /// Step 1 of shutdown (see the module docs); the runtime does the rest.
    pub(crate) fn shut_down(&self) -> Vec<(Arc<Header>, SendTask)> {
        self.shutdown.store(true, Ordering::Release);
        self.reactor.shut_down();
        lock(&self.run_queue).clear();
        std::mem::take(&mut *lock(&self.inject))
    }

    fn budget(&self) -> Option<u8> {
        self.coop.then_some(coop::BUDGET)
    }
}

/// The spawned futures, owned by the runtime.
#[derive(Default)]
pub(crate) struct Core {
    tasks: Tasks<SendTask>,
}

impl Core {
    /// Drops every task's future (shutdown, step 2).
    pub(crate) fn drop_tasks(&mut self) {
        // Each drop may run arbitrary code (and wake other tasks, which is
        // now harmless): take them out first.
        let tasks = std::mem::take(&mut self.tasks);
        drop(tasks);
    }
}

thread_local! {
    /// The runtime whose `block_on` runs on this thread, if any.
    static CURRENT: RefCell<Option<Arc<Shared>>> = const { RefCell::new(None) };
    /// The `!Send` tasks of that `block_on`, and those spawned since the
    /// loop last looked.
    static LOCAL: RefCell<LocalTasks> = RefCell::new(LocalTasks::default());
}

#[derive(Default)]
struct LocalTasks {
    spawned: Vec<(Arc<Header>, LocalTask)>,
}

/// Calls `f` with the runtime of this thread's `block_on`, if there is one.
pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<Shared>) -> R) -> Option<R> {
    CURRENT.with(|current| current.borrow().as_ref().map(f))
}

/// Spawns a `!Send` task on this thread's `block_on`.
pub(crate) fn spawn_local<F>(future: F) -> Option<JoinHandle<F::Output>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let shared = with_current(Arc::clone)?;
    let header = shared.new_task();
    let join = Arc::new(JoinState::new());
    let cell: LocalTask = Box::pin(TaskCell::new(future, Arc::clone(&join)));
    LOCAL.with(|local| local.borrow_mut().spawned.push((Arc::clone(&header), cell)));
    shared.schedule(Arc::clone(&header));
    Some(JoinHandle::new(join, header))
}

/// Wakes the main future of `block_on`.
struct MainWaker {
    woken: AtomicBool,
    shared: Weak<Shared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        if let Some(shared) = self.shared.upgrade() {
            shared.reactor.unpark();
        }
    }
}

/// Panics if this thread is inside a runtime's `block_on`: blocking there
/// would stop every task of that runtime (and, on the same runtime, wait
/// for itself forever).
pub(crate) fn assert_not_entered() {
    let entered = CURRENT.with(|current| current.borrow().is_some());
    assert!(
        !entered,
        "cannot start a runtime from within a runtime: `block_on` was called from a task; \
         `.await` the future instead"
    );
}

/// Sets and clears this thread's runtime context around `block_on`.
struct Enter;

impl Enter {
    fn new(shared: &Arc<Shared>) -> Enter {
        assert_not_entered();
        CURRENT.with(|current| *current.borrow_mut() = Some(Arc::clone(shared)));
        Enter
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        CURRENT.with(|current| current.borrow_mut().take());
        // Local tasks spawned but not yet run go with the context.
        let spawned = LOCAL.with(|local| std::mem::take(&mut local.borrow_mut().spawned));
        drop(spawned);
    }
}

/// Runs `future` to completion on this thread, running tasks meanwhile.
pub(crate) fn block_on<F: Future>(shared: &Arc<Shared>, core: &mut Core, future: F) -> F::Output {
    let _enter = Enter::new(shared);
    let mut future = std::pin::pin!(future);
    let main = Arc::new(MainWaker {
        woken: AtomicBool::new(true),
        shared: Arc::downgrade(shared),
    });
    let main_waker = Waker::from(Arc::clone(&main));
    // The `!Send` tasks of this call; dropped (cancelled) when it returns.
    let mut local: Tasks<LocalTask> = Tasks::default();
    // The tasks of one tick, taken from the run queue under one lock.
    let mut batch = VecDeque::with_capacity(TASKS_PER_TICK);
    loop {
        if main.woken.swap(false, Ordering::AcqRel) {
            let mut cx = Context::from_waker(&main_waker);
            let poll = coop::with_budget(shared.budget(), || future.as_mut().poll(&mut cx));
            if let Poll::Ready(output) = poll {
                return output;
            }
        }
        // Up to TASKS_PER_TICK tasks, including those woken or spawned
        // during this tick, taken from the queue a batch at a time.
        let mut budget = TASKS_PER_TICK;
        while budget > 0 {
            if batch.is_empty() {
                let mut queue = lock(&shared.run_queue);
                let n = queue.len().min(budget);
                batch.extend(queue.drain(..n));
            }
            let Some(header) = batch.pop_front() else {
                break;
            };
            budget -= 1;
            run_task(shared, core, &mut local, &header);
        }
        // Timers that are due wake their tasks, every time round, so that a
        // busy runtime still fires them on time.
        let next_timer = shared.timers.fire(Instant::now());
        shared.reactor.prepare_park();
        let idle = lock(&shared.run_queue).is_empty() && !main.woken.load(Ordering::Acquire);
        let timeout = if idle {
            // Until the nearest timer, an I/O event, or a wake-up.
            next_timer.map(|deadline| deadline.saturating_duration_since(Instant::now()))
        } else {
            shared.reactor.cancel_park();
            // Busy: only collect the I/O events that are already there.
            if !shared.reactor.has_sources() {
                continue;
            }
            Some(Duration::ZERO)
        };
        if let Err(error) = shared.reactor.park(timeout) {
            panic!("the reactor failed to wait for events: {error}");
        }
    }
}

/// Moves freshly spawned futures where the loop owns them, each with the
/// waker it will be polled with.
fn take_spawned(shared: &Shared, core: &mut Core, local: &mut Tasks<LocalTask>) {
    core.tasks.extend(lock(&shared.inject).drain(..).map(entry));
    LOCAL.with(|spawned| local.extend(spawned.borrow_mut().spawned.drain(..).map(entry)));
}

/// A spawned task as the loop keeps it.
fn entry<T>((header, task): (Arc<Header>, T)) -> (u64, (T, Waker)) {
    (header.id(), (task, Waker::from(header)))
}

/// Polls (or, if aborted, drops) the task of `header`.
fn run_task(
    shared: &Arc<Shared>,
    core: &mut Core,
    local: &mut Tasks<LocalTask>,
    header: &Arc<Header>,
) {
    header.unschedule();
    let id = header.id();
    let budget = shared.budget();
    for attempt in 0..2 {
        let ready = if let Some((task, waker)) = core.tasks.get_mut(&id) {
            header.is_aborted()
                || coop::with_budget(budget, || {
                    task.as_mut().poll(&mut Context::from_waker(waker))
                })
                .is_ready()
        } else if let Some((task, waker)) = local.get_mut(&id) {
            header.is_aborted()
                || coop::with_budget(budget, || {
                    task.as_mut().poll(&mut Context::from_waker(waker))
                })
                .is_ready()
        } else if attempt == 0 {
            // Spawned since the loop last looked: take it, and look again.
            take_spawned(shared, core, local);
            continue;
        } else {
            return; // a stale wake of a task that has finished
        };
        if ready {
            // Finished, or aborted: dropping an unfinished future reports
            // "cancelled" to the handle.
            drop(core.tasks.remove(&id));
            drop(local.remove(&id));
        }
        return;
    }
}

//! A worker thread: its loop, and the queue it owns.
//!
//! ```text
//! until shutdown {
//!     find a task:  every 61st time, the injector first;
//!                   then my LIFO slot, my queue,
//!                   then (searching) the injector, the other workers' queues
//!     found one:    run it; every 61 tasks, fire timers and collect I/O
//!     found none:   sleep (in the reactor if no one else is there)
//! }
//! ```
//!
//! The **LIFO slot** holds the task most recently woken by a task on this
//! worker: it runs next, while what the waker just sent it is still in
//! the cache, and without waking another worker for it (message passing
//! stays on one thread). The task it displaces goes to the back of the
//! queue. A slot task cannot be stolen; after three slot tasks in a row
//! the slot goes to the back of the queue too, so two tasks that wake each
//! other cannot keep the rest waiting.

use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use super::{Queues, retry};
use crate::mutex::lock;
use crate::scheduler::context::Enter;
use crate::scheduler::{Handle, Order};
use crate::task::raw::TaskRef;

/// How many tasks a worker runs between two looks at the injector, the
/// timers and the reactor (Tokio's number).
const INTERVAL: u32 = 61;

/// How many tasks in a row may come from the LIFO slot (Tokio's number).
const LIFO_IN_A_ROW: u32 = 3;

type LocalQueue = crossbeam_deque::Worker<TaskRef>;

thread_local! {
    /// On a worker thread: its runtime and its own queue.
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

struct Local {
    /// The runtime, only compared by address: a wake on this thread for
    /// another runtime's task must not land in this queue.
    handle: *const Handle,
    queue: LocalQueue,
    lifo: Cell<Option<TaskRef>>,
}

impl Local {
    fn is_empty(&self) -> bool {
        self.queue.is_empty() && {
            let lifo = self.lifo.take();
            let empty = lifo.is_none();
            self.lifo.set(lifo);
            empty
        }
    }
}

/// What `push_local` did.
pub(super) enum Pushed {
    /// Onto this worker's queue, where another worker may steal it: wake
    /// one to do so.
    Queue,
    /// Into the empty LIFO slot: this worker runs it next.
    Slot,
    /// Not a worker of this runtime: the task is given back.
    Elsewhere(TaskRef),
}

/// Pushes `task` on this thread's worker queue (or its LIFO slot, for
/// `Order::Next`) if this is a worker of `handle`.
pub(super) fn push_local(handle: &Handle, task: TaskRef, order: Order) -> Pushed {
    LOCAL.with(|local| match &*local.borrow() {
        Some(local) if ptr::eq(local.handle, handle) => match order {
            Order::Back => {
                local.queue.push(task);
                Pushed::Queue
            }
            Order::Next => match local.lifo.replace(Some(task)) {
                Some(displaced) => {
                    local.queue.push(displaced);
                    Pushed::Queue
                }
                None => Pushed::Slot,
            },
        },
        _ => Pushed::Elsewhere(task),
    })
}

/// Calls `f` with this worker's queues.
fn with_local<R>(f: impl FnOnce(&Local) -> R) -> R {
    LOCAL.with(|local| f(local.borrow().as_ref().expect("on a worker thread")))
}

/// The running worker threads of a runtime.
pub(crate) struct Workers {
    threads: Vec<thread::JoinHandle<()>>,
}

impl Workers {
    /// Starts `count` workers; on failure, stops those already started.
    pub(super) fn start(handle: &Arc<Handle>, count: usize) -> std::io::Result<Workers> {
        let mut workers = Workers {
            threads: Vec::with_capacity(count),
        };
        for index in 0..count {
            let handle_for_worker = Arc::clone(handle);
            let spawned = thread::Builder::new()
                .name(format!("desugar-worker-{index}"))
                .spawn(move || Worker::new(&handle_for_worker, index).run());
            match spawned {
                Ok(thread) => workers.threads.push(thread),
                Err(error) => {
                    handle.begin_shutdown();
                    workers.join();
                    return Err(error);
                }
            }
        }
        Ok(workers)
    }

    /// Waits for every worker to exit (after `begin_shutdown`).
    pub(crate) fn join(&mut self) {
        for thread in self.threads.drain(..) {
            // A worker never panics on a task's account (tasks' panics are
            // caught); if one did, its tasks are still dropped at shutdown.
            let _ = thread.join();
        }
    }
}

/// One worker's loop state.
struct Worker<'a> {
    handle: &'a Arc<Handle>,
    queues: &'a Queues,
    index: usize,
    /// Tasks run so far.
    tick: u32,
    /// Tasks run from the LIFO slot in a row.
    lifo_in_a_row: u32,
    /// Whether this worker is counted as searching (see `idle`).
    searching: bool,
    /// Where stealing starts: random, so thieves spread over victims.
    seed: u32,
}

impl<'a> Worker<'a> {
    fn new(handle: &'a Arc<Handle>, index: usize) -> Self {
        Worker {
            handle,
            queues: handle.multi_thread_queues(),
            index,
            tick: 0,
            lifo_in_a_row: 0,
            searching: false,
            seed: u32::try_from(index).unwrap_or(0).wrapping_mul(0x9E37_79B9) | 1,
        }
    }

    fn run(mut self) {
        let _enter = Enter::new(self.handle);
        crate::time::driver::set_home_shard(self.index);
        let queue = lock(&self.queues.locals)[self.index]
            .take()
            .expect("each worker starts once");
        LOCAL.with(|local| {
            *local.borrow_mut() = Some(Local {
                handle: Arc::as_ptr(self.handle),
                queue,
                lifo: Cell::new(None),
            });
        });
        while !self.handle.is_shut_down() {
            match self.next_task() {
                Some(task) => {
                    if self.searching {
                        self.searching = false;
                        if self.queues.idle.stop_searching() {
                            // The last searcher found work: there may be
                            // more, so another worker should look.
                            self.queues.idle.notify_one(&self.handle.reactor);
                        }
                    }
                    self.tick = self.tick.wrapping_add(1);
                    // A multi-thread runtime has no local tasks.
                    self.handle.run_task(task, |_, _, _| true);
                    if self.tick % INTERVAL == 0 {
                        self.maintain();
                    }
                }
                None => self.park(),
            }
        }
        // Queued tasks go; their futures are dropped by shutdown.
        let local = LOCAL.with(|local| local.borrow_mut().take());
        drop(local);
    }

    fn next_task(&mut self) -> Option<TaskRef> {
        let queues = self.queues;
        with_local(|local| {
            if self.tick % INTERVAL == 0
                && let Some(task) = queues.steal_injected(&local.queue)
            {
                return Some(task);
            }
            if let Some(task) = local.lifo.take() {
                if self.lifo_in_a_row < LIFO_IN_A_ROW {
                    self.lifo_in_a_row += 1;
                    return Some(task);
                }
                local.queue.push(task);
            }
            self.lifo_in_a_row = 0;
            if let Some(task) = local.queue.pop() {
                return Some(task);
            }
            if !self.searching {
                if !queues.idle.try_start_searching() {
                    return None; // enough workers search already
                }
                self.searching = true;
            }
            queues
                .steal_injected(&local.queue)
                .or_else(|| self.steal(&local.queue))
        })
    }

    /// Steals half of another worker's queue, trying each in turn from a
    /// random one.
    fn steal(&mut self, queue: &LocalQueue) -> Option<TaskRef> {
        let stealers = &self.queues.stealers;
        // xorshift32
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        let start = self.seed as usize % stealers.len();
        (0..stealers.len())
            .map(|k| (start + k) % stealers.len())
            .filter(|&victim| victim != self.index)
            .find_map(|victim| retry(|| stealers[victim].steal_batch_and_pop(queue)))
    }

    /// Every `INTERVAL` tasks: fire due timers and collect ready I/O, if
    /// no sleeping worker is doing it already.
    fn maintain(&self) {
        if let Ok(_driver) = self.queues.driver.try_lock() {
            self.handle.timers.fire(Instant::now());
            if self.handle.reactor.has_sources()
                && let Err(error) = self.handle.reactor.poll_events()
            {
                panic!("the reactor failed to collect events: {error}");
            }
        }
    }

    /// Sleeps until woken: announces it, looks for work a last time, then
    /// waits in the reactor (if free) or on this worker's condvar.
    fn park(&mut self) {
        let idle = &self.queues.idle;
        let last_searcher = idle.announce(self.index, self.searching);
        self.searching = false;
        let work_left = last_searcher && self.queues.has_work();
        if !self.handle.is_shut_down() && !work_left {
            match self.queues.driver.try_lock() {
                Ok(_driver) => self.wait_in_reactor(),
                Err(_) => idle.sleep(self.index),
            }
        }
        self.searching = idle.withdraw(self.index);
    }

    /// Waits for I/O, a wake-up or the nearest timer; fires the timers
    /// that are due. The caller holds the driver lock.
    fn wait_in_reactor(&self) {
        let (handle, idle) = (self.handle, &self.queues.idle);
        // Fired before the reactor is marked parked, so that their wakes
        // cost no eventfd write.
        handle.timers.fire(Instant::now());
        idle.enter_driver(self.index);
        // Read after the mark: woken meanwhile, or the timers just fired
        // queued tasks here. (A task pushed elsewhere meanwhile is a
        // searcher's, or wakes us.)
        let busy = || idle.take_notified(self.index) || !with_local(Local::is_empty);
        if let Err(error) = handle
            .reactor
            .park_idle(busy, || handle.timers.next_deadline())
        {
            panic!("the reactor failed to wait for events: {error}");
        }
        idle.leave_driver(self.index);
        handle.timers.fire(Instant::now());
    }
}

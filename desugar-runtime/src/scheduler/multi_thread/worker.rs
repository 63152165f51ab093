//! A worker thread: its loop, and the queue it owns.
//!
//! ```text
//! until shutdown {
//!     find a task:  every 61st time, the injector first;
//!                   then my queue, the injector, the other workers' queues
//!     found one:    run it; every 61 tasks, fire timers and collect I/O
//!     found none:   sleep (in the reactor if no one else is there)
//! }
//! ```

use std::cell::RefCell;
use std::ptr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::{Queues, retry};
use crate::mutex::lock;
use crate::scheduler::Handle;
use crate::scheduler::context::Enter;
use crate::task::header::Header;

/// How many tasks a worker runs between two looks at the injector, the
/// timers and the reactor (Tokio's number).
const INTERVAL: u32 = 61;

type LocalQueue = crossbeam_deque::Worker<Arc<Header>>;

thread_local! {
    /// On a worker thread: its runtime and its own queue.
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

struct Local {
    /// The runtime, only compared by address: a wake on this thread for
    /// another runtime's task must not land in this queue.
    handle: *const Handle,
    queue: LocalQueue,
}

/// Pushes `header` on this thread's worker queue if this is a worker of
/// `handle`; gives it back otherwise.
pub(super) fn push_local(handle: &Handle, header: Arc<Header>) -> Option<Arc<Header>> {
    LOCAL.with(|local| match &*local.borrow() {
        Some(local) if ptr::eq(local.handle, handle) => {
            local.queue.push(header);
            None
        }
        _ => Some(header),
    })
}

/// Calls `f` with this worker's queue.
fn with_queue<R>(f: impl FnOnce(&LocalQueue) -> R) -> R {
    LOCAL.with(|local| f(&local.borrow().as_ref().expect("on a worker thread").queue))
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
            seed: u32::try_from(index).unwrap_or(0).wrapping_mul(0x9E37_79B9) | 1,
        }
    }

    fn run(mut self) {
        let _enter = Enter::new(self.handle);
        let queue = lock(&self.queues.locals)[self.index]
            .take()
            .expect("each worker starts once");
        LOCAL.with(|local| {
            *local.borrow_mut() = Some(Local {
                handle: Arc::as_ptr(self.handle),
                queue,
            });
        });
        while !self.handle.is_shut_down() {
            match self.next_task() {
                Some(header) => {
                    self.tick = self.tick.wrapping_add(1);
                    // A multi-thread runtime has no local tasks.
                    self.handle.run_task(header, |_, _| true);
                    if self.tick % INTERVAL == 0 {
                        self.maintain();
                    }
                }
                None => self.park(),
            }
        }
        // Queued headers go; their futures are dropped by shutdown.
        let local = LOCAL.with(|local| local.borrow_mut().take());
        drop(local);
    }

    fn next_task(&mut self) -> Option<Arc<Header>> {
        let queues = self.queues;
        with_queue(|queue| {
            if self.tick % INTERVAL == 0
                && let Some(header) = queues.steal_injected(queue)
            {
                return Some(header);
            }
            if let Some(header) = queue.pop() {
                return Some(header);
            }
            let header = queues.steal_injected(queue).or_else(|| self.steal(queue))?;
            if !queue.is_empty() {
                // We took a batch: another sleeper may come and take some.
                queues.idle.notify_one(&self.handle.reactor);
            }
            Some(header)
        })
    }

    /// Steals half of another worker's queue, trying each in turn from a
    /// random one.
    fn steal(&mut self, queue: &LocalQueue) -> Option<Arc<Header>> {
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
                && let Err(error) = self.handle.reactor.park(Some(Duration::ZERO))
            {
                panic!("the reactor failed to collect events: {error}");
            }
        }
    }

    /// Sleeps until woken: announces it, looks for work a last time, then
    /// waits in the reactor (if free) or on this worker's condvar.
    fn park(&self) {
        let idle = &self.queues.idle;
        idle.announce(self.index);
        if !self.handle.is_shut_down() && !self.queues.has_work() {
            match self.queues.driver.try_lock() {
                Ok(_driver) => self.wait_in_reactor(),
                Err(_) => idle.sleep(self.index),
            }
        }
        idle.withdraw(self.index);
    }

    /// Waits for I/O, a wake-up or the nearest timer; fires the timers
    /// that are due. The caller holds the driver lock.
    fn wait_in_reactor(&self) {
        let (handle, idle) = (self.handle, &self.queues.idle);
        let next_timer = handle.timers.fire(Instant::now());
        let woken = idle.enter_driver(self.index, &handle.reactor);
        if !woken {
            if with_queue(|queue| !queue.is_empty()) || self.queues.has_work() {
                // The timers just fired queued tasks, or a push raced us.
                handle.reactor.cancel_park();
            } else {
                let timeout =
                    next_timer.map(|deadline| deadline.saturating_duration_since(Instant::now()));
                if let Err(error) = handle.reactor.park(timeout) {
                    panic!("the reactor failed to wait for events: {error}");
                }
            }
        }
        idle.leave_driver(self.index);
        handle.timers.fire(Instant::now());
    }
}

//! Schedulers: who polls which task when.
//!
//! Two flavors share one [`Handle`]: the part of a runtime that every
//! thread may reach (the reactor, the timers, the registry of live tasks,
//! and the flavor's queues).
//!
//! - [`current_thread`] runs every task on the thread inside
//!   `Runtime::block_on`: the event loop of the seed.
//! - [`multi_thread`] runs them on a pool of worker threads, each with its
//!   own run queue, stealing from the others when it runs dry.
//!
//! Whatever the flavor, running one task is the same few steps
//! ([`Handle::run_task`]): take it from a queue, mark it running, poll it
//! with a fresh coop budget, then either drop its finished future or mark
//! it idle, queueing it again if it was woken meanwhile (see
//! `task::header` for the state bits).

pub(crate) mod context;
pub(crate) mod current_thread;
pub(crate) mod multi_thread;
mod owned;

use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::Context;

use crate::coop;
use crate::reactor::Reactor;
use crate::task::JoinHandle;
use crate::task::header::Header;
use crate::task::raw::{LocalTask, Polled, Task, TaskRef};
use crate::time::driver::Timers;
use owned::OwnedTasks;

/// What every thread may reach of a runtime.
pub(crate) struct Handle {
    /// Where an idle runtime waits: epoll, via mio (see `reactor`).
    pub(crate) reactor: Reactor,
    /// The timers of `time::sleep` and friends.
    pub(crate) timers: Timers,
    /// Every unfinished `Send` task, so that shutdown can drop them.
    tasks: OwnedTasks,
    next_id: AtomicU64,
    shutdown: AtomicBool,
    /// Whether tasks get a coop budget (`Builder::coop`).
    coop: bool,
    flavor: Flavor,
}

/// Where a task goes when it is queued on a worker's thread (the
/// current-thread flavor has one queue, and puts every task at its back).
#[derive(Clone, Copy)]
pub(crate) enum Order {
    /// Woken by the task running here: it runs next, as it probably needs
    /// what that task just sent it.
    Next,
    /// Spawned, or woken during its own poll (a yield): to the back.
    Back,
}

/// The run queues of each flavor.
enum Flavor {
    CurrentThread(current_thread::Queue),
    MultiThread(Box<multi_thread::Queues>),
}

impl Handle {
    pub(crate) fn current_thread(coop: bool) -> std::io::Result<Arc<Self>> {
        let flavor = Flavor::CurrentThread(current_thread::Queue::default());
        Self::new(coop, flavor, 1)
    }

    pub(crate) fn multi_thread(coop: bool, workers: usize) -> std::io::Result<Arc<Self>> {
        let flavor = Flavor::MultiThread(Box::new(multi_thread::Queues::new(workers)));
        Self::new(coop, flavor, workers)
    }

    /// A runtime with one timer shard per thread that runs tasks.
    fn new(coop: bool, flavor: Flavor, timer_shards: usize) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(Handle {
            reactor: Reactor::new()?,
            timers: Timers::new(timer_shards),
            tasks: OwnedTasks::default(),
            next_id: AtomicU64::new(1),
            shutdown: AtomicBool::new(false),
            coop,
            flavor,
        }))
    }

    /// Queues a task and wakes a thread to run it.
    pub(crate) fn schedule(&self, task: TaskRef, order: Order) {
        if self.is_shut_down() {
            return;
        }
        match &self.flavor {
            Flavor::CurrentThread(queue) => queue.push(self, task),
            Flavor::MultiThread(queues) => queues.push(self, task, order),
        }
    }

    fn new_header(self: &Arc<Self>) -> Header {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Header::new(id, Arc::downgrade(self))
    }

    /// Spawns a `Send` task, from any thread.
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = Arc::new(Task::new(self.new_header(), future));
        let task_ref: TaskRef = Arc::clone(&task) as TaskRef;
        // After shutdown the registry is closed: the future is dropped at
        // once, which reports "cancelled" to the handle.
        if self.tasks.insert(&task_ref) {
            self.schedule(task_ref, Order::Back);
        } else {
            task_ref.cancel();
        }
        JoinHandle::spawned(task)
    }

    /// A `!Send` task: the caller keeps its future.
    pub(crate) fn new_local_task(self: &Arc<Self>) -> Arc<LocalTask> {
        Arc::new(LocalTask::new(self.new_header()))
    }

    /// The coop budget a task gets for one poll.
    pub(crate) fn budget(&self) -> Option<u8> {
        self.coop.then_some(coop::BUDGET)
    }

    pub(crate) fn is_current_thread(&self) -> bool {
        matches!(self.flavor, Flavor::CurrentThread(_))
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Polls one task taken from a run queue (or drops it, if aborted).
    /// `poll_local` polls a local task's future, which this thread keeps,
    /// with the budget given, and says whether it finished.
    pub(crate) fn run_task(
        &self,
        task: TaskRef,
        poll_local: impl FnOnce(&Header, &mut Context<'_>, Option<u8>) -> bool,
    ) {
        let header = task.header();
        if !header.start_running() {
            return; // shutdown dropped it meanwhile
        }
        let budget = self.budget();
        let finished = match task.poll(&task, budget) {
            Polled::Finished => {
                self.tasks.remove(header.id());
                true
            }
            Polled::Pending => false,
            Polled::Local => {
                let waker = Arc::clone(&task).waker();
                poll_local(header, &mut Context::from_waker(&waker), budget)
            }
        };
        if finished {
            header.complete();
        } else if header.stop_running() {
            // Woken while it ran (`yield_now`, or a spent budget): to the
            // back of the queue.
            self.schedule(task, Order::Back);
        }
    }

    /// Shutdown, step 1: no task is queued or spawned from now on, and
    /// every socket's waiters are woken.
    pub(crate) fn begin_shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        self.reactor.shut_down();
        if let Flavor::MultiThread(queues) = &self.flavor {
            queues.wake_all_workers(self);
        }
    }

    /// Shutdown, step 2, once no thread polls tasks any more: drops every
    /// unfinished task's future, exactly once, and empties the queues.
    pub(crate) fn drop_tasks(&self) {
        for task in self.tasks.close() {
            // Each drop may run any code (and wake or spawn tasks, which
            // now does nothing); no lock of the runtime is held across it.
            task.cancel();
        }
        match &self.flavor {
            Flavor::CurrentThread(queue) => queue.clear(),
            Flavor::MultiThread(queues) => queues.clear(),
        }
    }

    /// The multi-thread queues (the caller knows the flavor).
    fn multi_thread_queues(&self) -> &multi_thread::Queues {
        match &self.flavor {
            Flavor::MultiThread(queues) => queues,
            Flavor::CurrentThread(_) => unreachable!("a current-thread runtime has no workers"),
        }
    }

    /// The current-thread queue (the caller knows the flavor).
    fn current_thread_queue(&self) -> &current_thread::Queue {
        match &self.flavor {
            Flavor::CurrentThread(queue) => queue,
            Flavor::MultiThread(_) => unreachable!("a multi-thread runtime has no single queue"),
        }
    }
}

/// Hashing by [`IdHasher`].
pub(crate) type IdHash = BuildHasherDefault<IdHasher>;

/// Task ids are consecutive numbers: a multiply spreads them over
/// a table's buckets, at a fraction of the cost of the default SipHash.
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

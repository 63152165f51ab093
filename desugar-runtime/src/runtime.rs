//! `Runtime` and its `Builder`: where tasks run.
//!
//! A runtime owns its tasks. [`Runtime::block_on`] runs a future on the
//! calling thread and, while it waits, every task spawned on the runtime;
//! dropping the runtime drops every task that has not finished, exactly
//! once (their `JoinHandle`s then say they were cancelled).

use std::future::Future;
use std::io;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::loom::Mutex;

use crate::mutex::lock;
use crate::scheduler::multi_thread::Workers;
use crate::scheduler::{Handle, context, current_thread, multi_thread};
use crate::task::JoinHandle;

/// Configures and builds a [`Runtime`].
///
/// # Examples
///
/// ```
/// use desugar_runtime::Builder;
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// assert_eq!(runtime.block_on(async { 7 }), 7);
///
/// let runtime = Builder::new_multi_thread().worker_threads(2).build().unwrap();
/// assert_eq!(runtime.block_on(async { 7 }), 7);
/// ```
#[derive(Debug)]
pub struct Builder {
    coop: bool,
    /// `None`: current-thread. `Some(None)`: multi-thread, one worker per
    /// core.
    workers: Option<Option<NonZeroUsize>>,
}

impl Builder {
    /// A runtime that runs every task on the thread that calls
    /// [`Runtime::block_on`].
    pub fn new_current_thread() -> Builder {
        Builder {
            coop: true,
            workers: None,
        }
    }

    /// A runtime that runs its tasks on a pool of worker threads (one per
    /// core unless [`Builder::worker_threads`] says otherwise), each with
    /// its own run queue, stealing from the others when it runs dry.
    pub fn new_multi_thread() -> Builder {
        Builder {
            coop: true,
            workers: Some(None),
        }
    }

    /// How many worker threads a multi-thread runtime starts.
    ///
    /// # Panics
    ///
    /// If `count` is 0, or on a current-thread builder.
    pub fn worker_threads(&mut self, count: usize) -> &mut Builder {
        let count = NonZeroUsize::new(count).expect("a runtime needs at least one worker thread");
        let workers = self
            .workers
            .as_mut()
            .expect("`worker_threads` is for `Builder::new_multi_thread`");
        *workers = Some(count);
        self
    }

    /// Whether tasks get a cooperative budget (on by default; see
    /// [`crate::coop`]). Turned off, a task that always finds its resources
    /// ready starves the others: the examples show it.
    pub fn coop(&mut self, enabled: bool) -> &mut Builder {
        self.coop = enabled;
        self
    }

    /// Builds the runtime (and starts its worker threads).
    ///
    /// # Errors
    ///
    /// When the reactor cannot open its `epoll` instance or its eventfd, or
    /// a worker thread cannot be started.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let (handle, flavor) = match self.workers {
            None => (
                Handle::current_thread(self.coop)?,
                Flavor::CurrentThread {
                    turn: Mutex::new(()),
                },
            ),
            Some(count) => {
                let count = count
                    .or_else(|| std::thread::available_parallelism().ok())
                    .map_or(1, NonZeroUsize::get);
                let handle = Handle::multi_thread(self.coop, count)?;
                let workers = multi_thread::start(&handle, count)?;
                (handle, Flavor::MultiThread { workers })
            }
        };
        Ok(Runtime { handle, flavor })
    }
}

/// A runtime: a scheduler and the tasks it owns.
///
/// # Examples
///
/// ```
/// use desugar_runtime::{Builder, task};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// let handle = runtime.spawn(async { "done" });
/// assert_eq!(runtime.block_on(handle).unwrap(), "done");
/// ```
pub struct Runtime {
    handle: Arc<Handle>,
    flavor: Flavor,
}

enum Flavor {
    /// Calls to `block_on` from several threads take turns.
    CurrentThread {
        turn: Mutex<()>,
    },
    MultiThread {
        workers: Workers,
    },
}

impl Runtime {
    /// Runs `future` to completion on this thread. On a current-thread
    /// runtime, the runtime's tasks run here while it waits (calls from
    /// several threads take turns); on a multi-thread one they run on the
    /// workers.
    ///
    /// # Panics
    ///
    /// When called from within a task (await the future instead), and if
    /// `future` panics.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        context::assert_not_entered();
        match &self.flavor {
            Flavor::CurrentThread { turn } => {
                let _turn = lock(turn);
                current_thread::block_on(&self.handle, future)
            }
            Flavor::MultiThread { .. } => multi_thread::block_on(&self.handle, future),
        }
    }

    /// Spawns a task, from any thread, inside the runtime or not. On a
    /// current-thread runtime it runs while some thread is in
    /// [`Runtime::block_on`]; on a multi-thread one, at once.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Inside one of its own tasks, shutdown would wait for the worker
        // that runs this very drop, and drop the future it is part of.
        let inside = context::with_current(|current| Arc::ptr_eq(current, &self.handle));
        if inside == Some(true) {
            if !std::thread::panicking() {
                panic!(
                    "a runtime was dropped from one of its own tasks: drop it outside the \
                     runtime (for example after `block_on` returns)"
                );
            }
            return; // unwinding already: leave it running rather than abort
        }
        self.handle.begin_shutdown();
        if let Flavor::MultiThread { workers } = &mut self.flavor {
            workers.join();
        }
        let _enter = context::Enter::nested(&self.handle);
        self.handle.drop_tasks();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let flavor = match self.flavor {
            Flavor::CurrentThread { .. } => "current_thread",
            Flavor::MultiThread { .. } => "multi_thread",
        };
        f.debug_struct("Runtime")
            .field("flavor", &flavor)
            .finish_non_exhaustive()
    }
}

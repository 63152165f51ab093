//! `Runtime` and its `Builder`: where tasks run.
//!
//! A runtime owns its tasks. [`Runtime::block_on`] runs a future on the
//! calling thread and, while it waits, every task spawned on the runtime;
//! dropping the runtime drops every task that has not finished, exactly
//! once (their `JoinHandle`s then say they were cancelled).

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use crate::mutex::lock;
use crate::scheduler::current_thread::{self, Core, Shared};
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
/// ```
#[derive(Debug)]
pub struct Builder {
    coop: bool,
}

impl Builder {
    /// A runtime that runs every task on the thread that calls
    /// [`Runtime::block_on`].
    pub fn new_current_thread() -> Builder {
        Builder { coop: true }
    }

    /// Whether tasks get a cooperative budget (on by default; see
    /// [`crate::coop`]). Turned off, a task that always finds its resources
    /// ready starves the others: the examples show it.
    pub fn coop(&mut self, enabled: bool) -> &mut Builder {
        self.coop = enabled;
        self
    }

    /// Builds the runtime.
    ///
    /// # Errors
    ///
    /// When the reactor cannot open its `epoll` instance or its eventfd.
    pub fn build(&mut self) -> io::Result<Runtime> {
        Ok(Runtime {
            shared: Shared::new(self.coop)?,
            core: Mutex::new(Core::default()),
        })
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
    shared: Arc<Shared>,
    core: Mutex<Core>,
}

impl Runtime {
    /// Runs `future` to completion on this thread, and the runtime's tasks
    /// while it waits. Calls from several threads take turns.
    ///
    /// # Panics
    ///
    /// When called from within a task (await the future instead), and if
    /// `future` panics.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        current_thread::assert_not_entered();
        let mut core = lock(&self.core);
        current_thread::block_on(&self.shared, &mut core, future)
    }

    /// Spawns a task, from any thread, inside the runtime or not. It runs
    /// while some thread is in [`Runtime::block_on`].
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future)
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let injected = self.shared.shut_down();
        drop(injected);
        self.core
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .drop_tasks();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

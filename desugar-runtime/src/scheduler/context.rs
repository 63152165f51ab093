//! Which runtime the current thread is running: the thread-local context
//! that `task::spawn`, `time::sleep` and sockets find their runtime by.
//!
//! It is set inside `Runtime::block_on` (either flavor) and on the worker
//! threads of a multi-thread runtime, for as long as they run. Inside it,
//! each poll of a task has a context of its own too ([`poll_scope`]).

use std::cell::RefCell;
use std::sync::Arc;

use super::Handle;
use crate::coop;
use crate::time::clock;

thread_local! {
    /// The runtime this thread runs, if any.
    static CURRENT: RefCell<Option<Arc<Handle>>> = const { RefCell::new(None) };
}

/// Calls `f` with the runtime this thread runs, if there is one.
pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<Handle>) -> R) -> Option<R> {
    CURRENT.with(|current| current.borrow().as_ref().map(f))
}

/// Panics if this thread already runs a runtime: blocking there would stop
/// that runtime's tasks (and, on the same runtime, wait for itself).
pub(crate) fn assert_not_entered() {
    let entered = CURRENT.with(|current| current.borrow().is_some());
    assert!(
        !entered,
        "cannot start a runtime from within a runtime: `block_on` was called from a task; \
         `.await` the future instead"
    );
}

/// Sets this thread's runtime until dropped, then restores the one before.
pub(crate) struct Enter {
    previous: Option<Arc<Handle>>,
}

impl Enter {
    /// To run `handle`'s tasks or its `block_on`.
    ///
    /// # Panics
    ///
    /// If this thread already runs a runtime.
    pub(crate) fn new(handle: &Arc<Handle>) -> Enter {
        assert_not_entered();
        Enter::nested(handle)
    }

    /// For a moment that may come inside another runtime: shutdown drops
    /// `handle`'s tasks in its context (so that their drops may spawn and
    /// find sockets), wherever the runtime is dropped.
    pub(crate) fn nested(handle: &Arc<Handle>) -> Enter {
        let previous = CURRENT.with(|current| current.replace(Some(Arc::clone(handle))));
        Enter { previous }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let handle = CURRENT.with(|current| current.replace(self.previous.take()));
        drop(handle);
    }
}

/// Runs `f`, one poll of a task or of `block_on`'s future, in that poll's
/// own context: a coop budget of `budget` units, and a clock of its own
/// (`time::clock`).
pub(crate) fn poll_scope<R>(budget: Option<u8>, f: impl FnOnce() -> R) -> R {
    coop::with_budget(budget, || clock::with_clock(f))
}

//! `JoinHandle`: the task's output, as a future, and the way to abort it.
//!
//! The task and its handle share a [`JoinState`]: the task writes its
//! result there (its output, its panic, or that it was cancelled) and wakes
//! the handle's waker; the handle's `poll` takes the result or stores its
//! waker. Dropping the handle detaches the task: it runs on, and its output
//! is dropped when it is written.
//!
//! For a spawned task the `JoinState` is part of the task's own allocation
//! (`raw::Task`), which the handle reaches through [`Joinable`], erasing
//! the future's type. A local task's is shared with the future its thread
//! keeps.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::loom::Mutex;
use std::task::{Context, Poll, Waker};

use super::header::Header;
use super::raw::{LocalTask, Task};
use crate::mutex::lock;

/// Why a task did not produce its output.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    /// Aborted with [`JoinHandle::abort`], or dropped with the runtime.
    Cancelled,
    /// The task panicked; the payload is the panic's.
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    pub(crate) fn cancelled() -> Self {
        JoinError {
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> Self {
        JoinError {
            repr: Repr::Panic(payload),
        }
    }

    /// The task was aborted, or the runtime shut down before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic's payload, to resume the panic with
    /// [`std::panic::resume_unwind`] or to read its message.
    ///
    /// # Panics
    ///
    /// If the task did not panic.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.repr {
            Repr::Panic(payload) => payload,
            Repr::Cancelled => panic!("`JoinError::into_panic` on a cancelled task"),
        }
    }

    /// The panic's message, when it was a string.
    fn message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic(payload) => payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            Repr::Cancelled => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.message()) {
            (Repr::Cancelled, _) => f.write_str("task was cancelled"),
            (Repr::Panic(_), Some(message)) => write!(f, "task panicked with message {message:?}"),
            (Repr::Panic(_), None) => f.write_str("task panicked"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("JoinError::Cancelled"),
            Repr::Panic(_) => write!(f, "JoinError::Panic({:?})", self.message().unwrap_or("..")),
        }
    }
}

impl std::error::Error for JoinError {}

/// What a task and its [`JoinHandle`] share.
pub(crate) struct JoinState<T> {
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    result: Option<Result<T, JoinError>>,
    /// The task has written its result (which may have been taken since).
    finished: bool,
    waker: Option<Waker>,
}

impl<T> JoinState<T> {
    pub(crate) fn new() -> Self {
        JoinState {
            inner: Mutex::new(Inner {
                result: None,
                finished: false,
                waker: None,
            }),
        }
    }

    /// Writes the task's result, once, and wakes whoever awaits the handle.
    pub(crate) fn finish(&self, result: Result<T, JoinError>) {
        let waker = {
            let mut inner = lock(&self.inner);
            if inner.finished {
                return;
            }
            inner.finished = true;
            inner.result = Some(result);
            inner.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub(crate) fn is_finished(&self) -> bool {
        lock(&self.inner).finished
    }
}

/// An owned permission to await a spawned task's output, or to abort it.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked
/// or was cancelled. Dropping it detaches the task, which runs on.
pub struct JoinHandle<T> {
    raw: Raw<T>,
}

enum Raw<T> {
    /// A `Send` task: its result slot is in the task's allocation.
    Spawned(Arc<dyn Joinable<T>>),
    /// A `!Send` task of `spawn_local`.
    Local {
        state: Arc<JoinState<T>>,
        task: Arc<LocalTask>,
    },
}

/// What a handle needs of a spawned task, whatever its future's type.
pub(crate) trait Joinable<T>: Send + Sync {
    fn join_state(&self) -> &JoinState<T>;

    fn header(&self) -> &Header;

    /// Marks the task aborted and wakes it, so that a worker drops it.
    fn abort(self: Arc<Self>);
}

impl<F> Joinable<F::Output> for Task<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn join_state(&self) -> &JoinState<F::Output> {
        Task::join_state(self)
    }

    fn header(&self) -> &Header {
        super::raw::Runnable::header(self)
    }

    fn abort(self: Arc<Self>) {
        super::raw::abort(&self);
    }
}

impl<T> JoinHandle<T> {
    pub(crate) fn spawned(task: Arc<dyn Joinable<T>>) -> Self {
        JoinHandle {
            raw: Raw::Spawned(task),
        }
    }

    pub(crate) fn local(state: Arc<JoinState<T>>, task: Arc<LocalTask>) -> Self {
        JoinHandle {
            raw: Raw::Local { state, task },
        }
    }

    fn state(&self) -> &JoinState<T> {
        match &self.raw {
            Raw::Spawned(task) => task.join_state(),
            Raw::Local { state, .. } => state,
        }
    }

    fn id(&self) -> u64 {
        match &self.raw {
            Raw::Spawned(task) => task.header().id(),
            Raw::Local { task, .. } => super::raw::Runnable::header(&**task).id(),
        }
    }

    /// Cancels the task: its future is dropped the next time the runtime
    /// looks at it (at once if it is not running), and awaiting this handle
    /// gives a cancelled [`JoinError`]. A task that already finished keeps
    /// its result.
    pub fn abort(&self) {
        match &self.raw {
            Raw::Spawned(task) => Arc::clone(task).abort(),
            Raw::Local { task, .. } => super::raw::abort(task),
        }
    }

    /// Whether the task has finished: completed, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.state().is_finished()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut inner = lock(&self.state().inner);
        if let Some(result) = inner.result.take() {
            return Poll::Ready(result);
        }
        assert!(
            !inner.finished,
            "a `JoinHandle` polled again after it returned the task's result"
        );
        crate::waker::store(&mut inner.waker, cx.waker());
        Poll::Pending
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

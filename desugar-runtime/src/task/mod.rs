//! Tasks: spawning futures onto the runtime, and awaiting or aborting them.
//!
//! A task is a future the runtime owns and polls whenever it is woken. Its
//! parts, each in its own module:
//!
//! - `header`: the id and the scheduling bits, the same for every task;
//! - `raw`: the task as queues and wakers hold it (a waker *is* an `Arc`
//!   of the task): the header, the future, polled inside a catch for its
//!   panics, and the slot for its result, in one allocation;
//! - `cell`: a `!Send` task's future, as its thread keeps it, with the
//!   same catch;
//! - `join`: [`JoinHandle`], the future of that result, and [`JoinError`].
//!
//! And the functions a task calls to cooperate with the scheduler:
//! [`yield_now`], [`consume_budget`] and [`unconstrained`] (see
//! [`crate::coop`]).

pub(crate) mod cell;
pub(crate) mod header;
mod join;
pub(crate) mod raw;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub(crate) use join::JoinState;
pub use join::{JoinError, JoinHandle};

use crate::coop;
use crate::scheduler::{context, current_thread};

/// Spawns a task on the runtime this is called from.
///
/// The future must be `Send + 'static`: the task may be polled after the
/// caller is gone, and by the design of a multi-threaded runtime on another
/// thread. Awaiting the returned handle gives the output, or a [`JoinError`]
/// if the task panics (the runtime keeps running) or is aborted.
///
/// # Panics
///
/// Outside a runtime (use [`Runtime::spawn`](crate::Runtime::spawn) there).
///
/// # Examples
///
/// ```
/// use desugar_runtime::{Builder, task};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// let sum = runtime.block_on(async {
///     let handle = task::spawn(async { 1 + 2 });
///     handle.await.unwrap()
/// });
/// assert_eq!(sum, 3);
/// ```
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::with_current(|handle| handle.spawn(future)).expect(
        "`task::spawn` called outside a runtime: use `Runtime::spawn`, or call it from a task",
    )
}

/// Spawns a `!Send` task on the current thread's runtime.
///
/// The task runs while [`Runtime::block_on`](crate::Runtime::block_on) runs
/// on this thread; any still pending when that call returns are dropped
/// (cancelled) then.
///
/// # Panics
///
/// Outside the `block_on` of a current-thread runtime (a multi-thread
/// runtime's workers may run a task on any of them, so they cannot hold a
/// `!Send` future).
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use desugar_runtime::{Builder, task};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// let len = runtime.block_on(async {
///     let shared = Rc::new(vec![1, 2, 3]); // not `Send`
///     task::spawn_local(async move { shared.len() }).await.unwrap()
/// });
/// assert_eq!(len, 3);
/// ```
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    current_thread::spawn_local(future)
        .expect("`task::spawn_local` called outside a current-thread runtime's `block_on`")
}

/// Yields to the scheduler once: the task goes to the back of the run
/// queue, so every other ready task runs before it continues.
///
/// A loop that computes without awaiting anything keeps the thread (the
/// budget of [`crate::coop`] only counts runtime operations); awaiting this
/// now and then lets the others run.
///
/// # Examples
///
/// ```
/// use desugar_runtime::{Builder, task};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// runtime.block_on(async {
///     for _ in 0..3 {
///         task::yield_now().await;
///     }
/// });
/// ```
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

/// Spends one unit of the task's cooperative budget, yielding if it is
/// spent, as a runtime operation would: for a loop of work that should count
/// against the budget without touching a runtime resource.
///
/// # Examples
///
/// ```
/// use desugar_runtime::{Builder, task};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// runtime.block_on(async {
///     for _ in 0..1000 {
///         task::consume_budget().await; // yields every 128 rounds
///     }
/// });
/// ```
pub async fn consume_budget() {
    std::future::poll_fn(coop::poll_proceed).await;
}

/// Runs `future` outside the cooperative budget: its runtime operations
/// never make it yield. It can then starve other tasks; that is the point
/// of the examples that show why the budget exists.
///
/// # Examples
///
/// ```
/// use desugar_runtime::{Builder, task};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// runtime.block_on(task::unconstrained(async {
///     for _ in 0..1000 {
///         task::consume_budget().await; // never yields
///     }
/// }));
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

pin_project_lite::pin_project! {
    /// A future polled without a cooperative budget; see [`unconstrained`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Unconstrained<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future;
        coop::with_budget(None, || future.poll(cx))
    }
}

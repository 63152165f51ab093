//! The future a thread keeps for a `!Send` task of `spawn_local`: the
//! user's future, a catch for its panics, and its [`JoinState`] to report
//! to. (A `Send` task's future lives in the task itself: `raw::Task`.)
//!
//! Polling it polls the user's future inside `catch_unwind`: a panic in a
//! task becomes that task's [`JoinError`] and the runtime goes on. When the
//! user's future is ready its output goes to the `JoinState` and the cell is
//! ready too. If the cell is dropped first (aborted, or the runtime shuts
//! down), the future is dropped and then the `JoinState` learns that the
//! task was cancelled: the fields drop in that order.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::join::{JoinError, JoinState};

pin_project_lite::pin_project! {
    /// A local task's future, as its thread holds it (boxed and erased to
    /// `dyn Future<Output = ()>`).
    pub(crate) struct TaskCell<F: Future> {
        #[pin]
        future: F,
        // Declared after `future`, so dropped after it.
        report: Report<F::Output>,
    }
}

/// Reports "cancelled" when dropped before the task finished.
struct Report<T>(Arc<JoinState<T>>);

impl<T> Drop for Report<T> {
    fn drop(&mut self) {
        // A no-op if the task finished: the result is written once.
        self.0.finish(Err(JoinError::cancelled()));
    }
}

impl<F: Future> TaskCell<F> {
    pub(crate) fn new(future: F, join: Arc<JoinState<F::Output>>) -> Self {
        TaskCell {
            future,
            report: Report(join),
        }
    }
}

impl<F: Future> Future for TaskCell<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let report = &this.report.0;
        let future = this.future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => {
                report.finish(Ok(output));
                Poll::Ready(())
            }
            Err(payload) => {
                report.finish(Err(JoinError::panic(payload)));
                Poll::Ready(())
            }
        }
    }
}

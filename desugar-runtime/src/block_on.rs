//! `block_on`: run one future to completion on the current thread.
//!
//! The loop is the whole idea of an executor in five lines: poll the future;
//! on `Ready` we are done; on `Pending` the future has stored our waker
//! somewhere (a timer, a socket, another thread), so park the thread until
//! `wake()` unparks it, then poll again. The waker is an `Arc` around the
//! thread handle, built with the safe [`std::task::Wake`] trait.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the thread that is blocked in [`block_on`].
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `future` to completion on the current thread and returns its output.
///
/// # Examples
///
/// ```
/// let answer = desugar_runtime::block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A wake-up that arrived during the poll left an unpark token, so
        // this returns at once and no wake-up is lost.
        thread::park();
    }
}

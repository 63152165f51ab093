//! A channel for a single value: the sender sends once, the receiver is a
//! future of that value.
//!
//! # Examples
//!
//! ```
//! use desugar_runtime::{Builder, sync::oneshot, task};
//!
//! let runtime = Builder::new_current_thread().build().unwrap();
//! let answer = runtime.block_on(async {
//!     let (tx, rx) = oneshot::channel();
//!     task::spawn(async move { tx.send(42).unwrap() });
//!     rx.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::loom::Mutex;
use std::task::{Context, Poll, Waker};

use super::{lock, store_waker};
use crate::coop;

/// Makes a channel for one value.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(State {
        value: None,
        sender_gone: false,
        receiver_gone: false,
        receiver: None,
    }));
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

struct State<T> {
    value: Option<T>,
    sender_gone: bool,
    receiver_gone: bool,
    receiver: Option<Waker>,
}

/// Sends the value; see [`channel`].
pub struct Sender<T> {
    shared: Arc<Mutex<State<T>>>,
}

/// The future of the value; see [`channel`].
pub struct Receiver<T> {
    shared: Arc<Mutex<State<T>>>,
}

/// The sender was dropped without sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the oneshot sender was dropped without sending")
    }
}

impl std::error::Error for RecvError {}

impl<T> Sender<T> {
    /// Sends `value`, or gives it back if the receiver is gone.
    ///
    /// # Errors
    ///
    /// `Err(value)` when the receiver was dropped.
    pub fn send(self, value: T) -> Result<(), T> {
        let waker = {
            let mut state = lock(&self.shared);
            if state.receiver_gone {
                return Err(value);
            }
            state.value = Some(value);
            state.receiver.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver was dropped, so that a send would fail.
    pub fn is_closed(&self) -> bool {
        lock(&self.shared).receiver_gone
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = lock(&self.shared);
            state.sender_gone = true;
            state.receiver.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = lock(&self.shared);
        if let Some(value) = state.value.take() {
            return Poll::Ready(Ok(value));
        }
        if state.sender_gone {
            return Poll::Ready(Err(RecvError));
        }
        store_waker(&mut state.receiver, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let value = {
            let mut state = lock(&self.shared);
            state.receiver_gone = true;
            state.value.take()
        };
        // A value sent but never received is dropped here, outside the lock.
        drop(value);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}

//! Multi-producer, single-consumer channels: [`channel`] (bounded: a send
//! waits while the buffer is full) and [`unbounded_channel`].
//!
//! One state behind a `Mutex`: the queued values, the count of live
//! senders, whether the receiver is gone, the receiver's waker and the
//! wakers of the senders waiting for room. A receive that takes a value
//! wakes every waiting sender (each tries again; one that finds the buffer
//! full again waits again), so no wake-up is lost when a woken sender is
//! dropped instead of sending. The receiver sees `None` once every sender is
//! gone and the buffer is empty.
//!
//! # Examples
//!
//! ```
//! use desugar_runtime::{Builder, sync::mpsc, task};
//!
//! let runtime = Builder::new_current_thread().build().unwrap();
//! let sum = runtime.block_on(async {
//!     let (tx, mut rx) = mpsc::channel(4);
//!     for n in 1..=3 {
//!         let tx = tx.clone();
//!         task::spawn(async move { tx.send(n).await.unwrap() });
//!     }
//!     drop(tx);
//!     let mut sum = 0;
//!     while let Some(n) = rx.recv().await {
//!         sum += n;
//!     }
//!     sum
//! });
//! assert_eq!(sum, 6);
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use crate::loom::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::{lock, store_waker};
use crate::coop;

struct Chan<T> {
    queue: VecDeque<T>,
    /// `None`: unbounded.
    capacity: Option<usize>,
    senders: usize,
    receiver_gone: bool,
    receiver: Option<Waker>,
    waiting_senders: Vec<Waker>,
}

type Shared<T> = Arc<Mutex<Chan<T>>>;

fn new_chan<T>(capacity: Option<usize>) -> Shared<T> {
    Arc::new(Mutex::new(Chan {
        queue: VecDeque::new(),
        capacity,
        senders: 1,
        receiver_gone: false,
        receiver: None,
        waiting_senders: Vec::new(),
    }))
}

/// A bounded channel with room for `buffer` values.
///
/// # Panics
///
/// If `buffer` is 0 (a rendezvous channel is not offered, as in Tokio).
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let chan = new_chan(Some(buffer));
    (
        Sender {
            chan: Arc::clone(&chan),
        },
        Receiver { chan },
    )
}

/// An unbounded channel: a send never waits.
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = new_chan(None);
    (
        UnboundedSender {
            chan: Arc::clone(&chan),
        },
        UnboundedReceiver {
            inner: Receiver { chan },
        },
    )
}

/// The receiver was dropped: the value comes back.
#[derive(PartialEq, Eq, Clone)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed: the receiver was dropped")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Sender::try_send`] did not send.
#[derive(PartialEq, Eq, Clone)]
pub enum TrySendError<T> {
    /// The buffer is full; the value comes back.
    Full(T),
    /// The receiver was dropped; the value comes back.
    Closed(T),
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("no available capacity"),
            TrySendError::Closed(_) => f.write_str("channel closed: the receiver was dropped"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// Why [`Receiver::try_recv`] got nothing.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// Nothing queued now; senders remain.
    Empty,
    /// Nothing queued, and every sender is gone.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Disconnected => f.write_str("channel closed: every sender was dropped"),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// Sends values into a bounded channel; clone it for more producers.
pub struct Sender<T> {
    chan: Shared<T>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the buffer is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value, once the receiver is gone.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut value = Some(value);
        std::future::poll_fn(|cx| {
            if coop::poll_proceed(cx).is_pending() {
                return Poll::Pending;
            }
            let mut chan = lock(&self.chan);
            let item = value.take().expect("polled after it sent");
            if chan.receiver_gone {
                return Poll::Ready(Err(SendError(item)));
            }
            if chan
                .capacity
                .is_some_and(|capacity| chan.queue.len() >= capacity)
            {
                value = Some(item);
                chan.waiting_senders.push(cx.waker().clone());
                return Poll::Pending;
            }
            push(chan, item);
            Poll::Ready(Ok(()))
        })
        .await
    }

    /// Sends `value` if there is room now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let chan = lock(&self.chan);
        if chan.receiver_gone {
            return Err(TrySendError::Closed(value));
        }
        if chan
            .capacity
            .is_some_and(|capacity| chan.queue.len() >= capacity)
        {
            return Err(TrySendError::Full(value));
        }
        push(chan, value);
        Ok(())
    }

    /// Whether the receiver is gone, so that sends fail.
    pub fn is_closed(&self) -> bool {
        lock(&self.chan).receiver_gone
    }
}

/// Sends values into an unbounded channel; clone it for more producers.
pub struct UnboundedSender<T> {
    chan: Shared<T>,
}

impl<T> UnboundedSender<T> {
    /// Sends `value` at once.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value, once the receiver is gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let chan = lock(&self.chan);
        if chan.receiver_gone {
            return Err(SendError(value));
        }
        push(chan, value);
        Ok(())
    }

    /// Whether the receiver is gone, so that sends fail.
    pub fn is_closed(&self) -> bool {
        lock(&self.chan).receiver_gone
    }
}

/// Queues `value` and wakes the receiver, after unlocking.
fn push<T>(mut chan: MutexGuard<'_, Chan<T>>, value: T) {
    chan.queue.push_back(value);
    let receiver = chan.receiver.take();
    drop(chan);
    if let Some(waker) = receiver {
        waker.wake();
    }
}

/// Takes the next value, if any, and wakes the senders waiting for room.
/// (Waking under the lock is fine: a waker only queues a task.)
fn pop<T>(chan: &mut Chan<T>) -> Option<T> {
    let value = chan.queue.pop_front()?;
    std::mem::take(&mut chan.waiting_senders)
        .into_iter()
        .for_each(Waker::wake);
    Some(value)
}

/// Counting senders: the receiver ends when the last one goes.
fn clone_sender<T>(chan: &Shared<T>) -> Shared<T> {
    lock(chan).senders += 1;
    Arc::clone(chan)
}

fn drop_sender<T>(chan: &Shared<T>) {
    let receiver = {
        let mut chan = lock(chan);
        chan.senders -= 1;
        if chan.senders > 0 {
            return;
        }
        chan.receiver.take()
    };
    if let Some(waker) = receiver {
        waker.wake();
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            chan: clone_sender(&self.chan),
        }
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender {
            chan: clone_sender(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        drop_sender(&self.chan);
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        drop_sender(&self.chan);
    }
}

/// Receives the values of a bounded channel.
pub struct Receiver<T> {
    chan: Shared<T>,
}

impl<T> Receiver<T> {
    /// The next value, or `None` once every sender is gone and nothing is
    /// left.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next value; see [`Receiver::recv`].
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut chan = lock(&self.chan);
        if let Some(value) = pop(&mut chan) {
            return Poll::Ready(Some(value));
        }
        if chan.senders == 0 {
            return Poll::Ready(None);
        }
        store_waker(&mut chan.receiver, cx.waker());
        Poll::Pending
    }

    /// The next value if one is queued now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`], or [`TryRecvError::Disconnected`] once every
    /// sender is gone and nothing is left.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut chan = lock(&self.chan);
        match pop(&mut chan) {
            Some(value) => Ok(value),
            None if chan.senders == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Closes the channel: sends fail from now on; what is queued can still
    /// be received.
    pub fn close(&mut self) {
        let senders = {
            let mut chan = lock(&self.chan);
            chan.receiver_gone = true;
            std::mem::take(&mut chan.waiting_senders)
        };
        senders.into_iter().for_each(Waker::wake);
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
        // Values never received are dropped here, outside the lock.
        let queued = std::mem::take(&mut lock(&self.chan).queue);
        drop(queued);
    }
}

/// Receives the values of an unbounded channel.
pub struct UnboundedReceiver<T> {
    inner: Receiver<T>,
}

impl<T> UnboundedReceiver<T> {
    /// The next value, or `None` once every sender is gone and nothing is
    /// left.
    pub async fn recv(&mut self) -> Option<T> {
        self.inner.recv().await
    }

    /// Polls for the next value; see [`UnboundedReceiver::recv`].
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.inner.poll_recv(cx)
    }

    /// The next value if one is queued now.
    ///
    /// # Errors
    ///
    /// As [`Receiver::try_recv`].
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.inner.try_recv()
    }

    /// Closes the channel; see [`Receiver::close`].
    pub fn close(&mut self) {
        self.inner.close();
    }
}

macro_rules! debug_as {
    ($($ty:ident),*) => {$(
        impl<T> fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(concat!("mpsc::", stringify!($ty))).finish_non_exhaustive()
            }
        }
    )*};
}

debug_as!(Sender, UnboundedSender, Receiver, UnboundedReceiver);

//! Multi-producer, single-consumer channels: [`channel`] (bounded: a send
//! waits while the buffer is full) and [`unbounded_channel`].
//!
//! One state behind a `Mutex`: the queued values, the count of live
//! senders, whether the receiver is gone, the receiver's waker, and the
//! sends waiting for room. The receiver sees `None` once every sender is
//! gone and the buffer is empty.
//!
//! # Waiting for room, first come first served
//!
//! A bounded send that finds the buffer full takes a ticket and waits in
//! line (`waiting`: one entry per send, its waker replaced, not added to,
//! when it is polled again). Room is never left free while anyone waits:
//!
//! 1. A receive that frees a slot hands it to the oldest waiting send,
//!    *reserved* (`reserved` counts such slots), and wakes that send
//!    alone: one wake-up per freed slot.
//! 2. The woken send finds its ticket gone from the line and uses its
//!    reservation. A newcomer, or `try_send`, sees no room meanwhile, so
//!    it cannot take the slot first.
//! 3. A waiting send that is dropped (cancelled) leaves the line; one that
//!    was dropped after its slot was reserved hands the slot on to the
//!    next in line, so a cancelled send never swallows a wake-up.
//!
//! This is what Tokio's fair semaphore does for its bounded channel.
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
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::{lock, store_waker};
use crate::coop;
use crate::loom::{Mutex, MutexGuard};

struct Chan<T> {
    queue: VecDeque<T>,
    /// `None`: unbounded.
    capacity: Option<usize>,
    senders: usize,
    receiver_gone: bool,
    receiver: Option<Waker>,
    /// The bounded sends waiting for room, oldest (lowest ticket) first.
    waiting: VecDeque<Waiting>,
    /// Slots handed to woken sends that have not used them yet.
    reserved: usize,
    /// The ticket of the next send to wait.
    next_ticket: u64,
}

/// A send in line for room.
struct Waiting {
    ticket: u64,
    waker: Waker,
}

type Shared<T> = Arc<Mutex<Chan<T>>>;

fn new_chan<T>(capacity: Option<usize>) -> Shared<T> {
    Arc::new(Mutex::new(Chan {
        queue: VecDeque::new(),
        capacity,
        senders: 1,
        receiver_gone: false,
        receiver: None,
        waiting: VecDeque::new(),
        reserved: 0,
        next_ticket: 0,
    }))
}

impl<T> Chan<T> {
    /// Whether a send may take a slot now. Never while a send waits: room
    /// is handed to the line as soon as it is made.
    fn has_room(&self) -> bool {
        self.capacity
            .is_none_or(|capacity| self.queue.len() + self.reserved < capacity)
    }

    /// Puts a send in line; returns its ticket.
    fn wait(&mut self, waker: &Waker) -> u64 {
        debug_assert!(!self.has_room() || !self.waiting.is_empty());
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.waiting.push_back(Waiting {
            ticket,
            waker: waker.clone(),
        });
        ticket
    }

    /// Where the send with `ticket` stands in line; `None` once it was
    /// given a slot (the line only ever loses its head that way, and a
    /// send leaves it otherwise only by being dropped).
    fn place(&self, ticket: u64) -> Option<usize> {
        self.waiting
            .binary_search_by_key(&ticket, |waiting| waiting.ticket)
            .ok()
    }

    /// Hands a free slot, if there is one, to the oldest waiting send;
    /// returns its waker, to be woken after unlocking.
    fn grant(&mut self) -> Option<Waker> {
        if !self.has_room() {
            return None;
        }
        let next = self.waiting.pop_front()?;
        self.reserved += 1;
        Some(next.waker)
    }
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
        Sending {
            chan: &self.chan,
            value: Some(value),
            ticket: None,
        }
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
        if !chan.has_room() {
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

/// The future of [`Sender::send`]: the value, and the send's place in
/// line once it waits for room.
struct Sending<'a, T> {
    chan: &'a Shared<T>,
    value: Option<T>,
    /// Its ticket, while it waits or holds a reserved slot.
    ticket: Option<u64>,
}

// Never pinned inside: the value is moved out, never polled in place.
impl<T> Unpin for Sending<'_, T> {}

impl<T> Future for Sending<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let this = &mut *self;
        let mut chan = lock(this.chan);
        if chan.receiver_gone {
            // Nothing to reserve or hand on any more.
            this.ticket = None;
            let value = this.value.take().expect("polled after it sent");
            return Poll::Ready(Err(SendError(value)));
        }
        match this.ticket.map(|ticket| (ticket, chan.place(ticket))) {
            // Still in line: the newest waker only.
            Some((_, Some(place))) => {
                let waiting = &mut chan.waiting[place];
                if !waiting.waker.will_wake(cx.waker()) {
                    waiting.waker.clone_from(cx.waker());
                }
                return Poll::Pending;
            }
            // Its slot was reserved: use it.
            Some((_, None)) => {
                chan.reserved -= 1;
                this.ticket = None;
            }
            None if chan.has_room() => {}
            None => {
                this.ticket = Some(chan.wait(cx.waker()));
                return Poll::Pending;
            }
        }
        push(chan, this.value.take().expect("polled after it sent"));
        Poll::Ready(Ok(()))
    }
}

impl<T> Drop for Sending<'_, T> {
    fn drop(&mut self) {
        let Some(ticket) = self.ticket else {
            return; // sent, failed, or never waited
        };
        let mut chan = lock(self.chan);
        if chan.receiver_gone {
            return; // the line was dissolved, and slots go to no one
        }
        let next = match chan.place(ticket) {
            Some(place) => {
                chan.waiting.remove(place);
                None
            }
            // Dropped with a reserved slot: the next in line gets it.
            None => {
                chan.reserved -= 1;
                chan.grant()
            }
        };
        drop(chan);
        if let Some(waker) = next {
            waker.wake();
        }
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

/// Takes the next value and hands the slot it frees to the oldest waiting
/// send, woken after unlocking; gives the lock back if nothing is queued.
fn pop<T>(mut chan: MutexGuard<'_, Chan<T>>) -> Result<T, MutexGuard<'_, Chan<T>>> {
    let Some(value) = chan.queue.pop_front() else {
        return Err(chan);
    };
    let sender = chan.grant();
    drop(chan);
    if let Some(waker) = sender {
        waker.wake();
    }
    Ok(value)
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
        let mut chan = match pop(lock(&self.chan)) {
            Ok(value) => return Poll::Ready(Some(value)),
            Err(chan) => chan,
        };
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
        match pop(lock(&self.chan)) {
            Ok(value) => Ok(value),
            Err(chan) if chan.senders == 0 => Err(TryRecvError::Disconnected),
            Err(_) => Err(TryRecvError::Empty),
        }
    }

    /// Closes the channel: sends fail from now on; what is queued can still
    /// be received.
    pub fn close(&mut self) {
        let waiting = {
            let mut chan = lock(&self.chan);
            chan.receiver_gone = true;
            std::mem::take(&mut chan.waiting)
        };
        waiting.into_iter().for_each(|send| send.waker.wake());
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn poll<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    fn line_length<T>(tx: &Sender<T>) -> usize {
        lock(&tx.chan).waiting.len()
    }

    #[test]
    fn a_send_polled_again_and_again_keeps_one_place_in_line() {
        let (tx, _rx) = channel(1);
        tx.try_send(0).unwrap();
        let mut send = std::pin::pin!(tx.send(1));
        for _ in 0..1_000 {
            assert!(poll(send.as_mut()).is_pending());
        }
        assert_eq!(line_length(&tx), 1);
    }

    #[test]
    fn a_cancelled_send_leaves_the_line_and_its_reserved_slot_to_the_next() {
        let (tx, mut rx) = channel(1);
        tx.try_send(0).unwrap();
        let mut first = Box::pin(tx.send(1));
        let mut second = Box::pin(tx.send(2));
        let mut third = Box::pin(tx.send(3));
        assert!(poll(first.as_mut()).is_pending());
        assert!(poll(second.as_mut()).is_pending());
        assert!(poll(third.as_mut()).is_pending());
        drop(second); // waiting: leaves the line
        assert_eq!(line_length(&tx), 2);
        assert_eq!(rx.try_recv(), Ok(0)); // the slot is reserved for `first`
        assert_eq!(lock(&tx.chan).reserved, 1);
        drop(first); // ... which hands it on to `third`
        assert_eq!(lock(&tx.chan).reserved, 1);
        assert_eq!(line_length(&tx), 0);
        assert_eq!(poll(third.as_mut()), Poll::Ready(Ok(())));
        assert_eq!(lock(&tx.chan).reserved, 0);
        assert_eq!(rx.try_recv(), Ok(3));
    }

    #[test]
    fn a_send_dropped_after_the_receiver_closed_the_line_changes_nothing() {
        let (tx, mut rx) = channel(1);
        tx.try_send(0).unwrap();
        let mut send = Box::pin(tx.send(1));
        assert!(poll(send.as_mut()).is_pending());
        rx.close();
        drop(send);
        assert_eq!(lock(&tx.chan).reserved, 0);
        assert_eq!(rx.try_recv(), Ok(0));
    }
}

//! One registered I/O source: its readiness, and who waits for it.
//!
//! mio is edge-triggered: it reports that a socket *became* readable once,
//! not that it *is* readable each time we ask. So readiness is kept here:
//! the reactor sets bits when events arrive; an operation runs while its
//! bit is set, and only when the operation hits `WouldBlock` is the bit
//! cleared, and the task waits for the next event.
//!
//! An event that arrives between the `WouldBlock` and the clearing must not
//! be lost. The word that holds the bits also holds a *tick*, bumped by
//! every event: clearing is a compare-and-swap against the tick the
//! operation saw, so a newer event survives it (Tokio does the same).

use crate::loom::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use crate::mutex::lock;
use crate::waker;

/// Readiness bits.
pub(crate) const READABLE: usize = 0b0_0001;
pub(crate) const WRITABLE: usize = 0b0_0010;
pub(crate) const READ_CLOSED: usize = 0b0_0100;
pub(crate) const WRITE_CLOSED: usize = 0b0_1000;
pub(crate) const ERROR: usize = 0b1_0000;
const READINESS_MASK: usize = 0b1_1111;
const TICK_SHIFT: u32 = 16;

/// Which way an operation goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The bits that let an operation in this direction proceed (a closed
    /// or failed socket does too: the operation then reports it).
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }
}

/// Readiness seen by an operation: its bits and the tick they were set at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    ready: usize,
}

pub(crate) struct ScheduledIo {
    /// Tick (high bits) and readiness (low bits).
    readiness: AtomicUsize,
    reader: Mutex<Option<Waker>>,
    writer: Mutex<Option<Waker>>,
}

impl ScheduledIo {
    pub(crate) fn new() -> Self {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            reader: Mutex::new(None),
            writer: Mutex::new(None),
        }
    }

    /// Records an event from the reactor and wakes who waits for it.
    pub(crate) fn dispatch(&self, ready: usize) {
        let mut current = self.readiness.load(Ordering::Acquire);
        loop {
            let tick = (current >> TICK_SHIFT).wrapping_add(1) & (usize::MAX >> TICK_SHIFT);
            let next = (tick << TICK_SHIFT) | (current & READINESS_MASK) | ready;
            match self.readiness.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        if ready & Direction::Read.mask() != 0 {
            waker::wake(&self.reader);
        }
        if ready & Direction::Write.mask() != 0 {
            waker::wake(&self.writer);
        }
    }

    /// Ready to go `direction`, or `Pending` with the task's waker stored.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<ReadyEvent> {
        if let Some(event) = self.ready(direction) {
            return Poll::Ready(event);
        }
        let slot = match direction {
            Direction::Read => &self.reader,
            Direction::Write => &self.writer,
        };
        waker::store(&mut lock(slot), cx.waker());
        // An event may have come between the check and the store.
        match self.ready(direction) {
            Some(event) => Poll::Ready(event),
            None => Poll::Pending,
        }
    }

    fn ready(&self, direction: Direction) -> Option<ReadyEvent> {
        let current = self.readiness.load(Ordering::Acquire);
        let ready = current & direction.mask();
        (ready != 0).then_some(ReadyEvent {
            tick: current >> TICK_SHIFT,
            ready,
        })
    }

    /// The operation hit `WouldBlock`: forget the readiness it saw, unless
    /// a newer event came since.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        // Closed states stay: they do not go away. An error does: the
        // operation that would block has consumed it (a UDP socket's
        // "connection refused" is reported once), and epoll reports the
        // next one.
        let clear = event.ready & (READABLE | WRITABLE | ERROR);
        let mut current = self.readiness.load(Ordering::Acquire);
        while current >> TICK_SHIFT == event.tick {
            let next = current & !clear;
            match self.readiness.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// Wakes both directions: the source is going away, or the reactor is.
    pub(crate) fn wake_all(&self) {
        waker::wake(&self.reader);
        waker::wake(&self.writer);
    }
}

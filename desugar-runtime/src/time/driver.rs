//! The timers of a runtime: deadlines in a min-heap, each with the waker of
//! the task that waits for it.
//!
//! A [`Sleep`](super::Sleep) registers its deadline and waker; the event
//! loop fires what is due each time round and, when it has nothing to run,
//! parks until the nearest deadline (or an earlier wake-up). Dropping a
//! `Sleep` deregisters it: its waker goes at once, and its heap entry is
//! skipped when it comes up (lazy deletion keeps both operations
//! logarithmic).
//!
//! (A binary heap, not Tokio's hierarchical timing wheel: simpler to read,
//! `O(log n)` per timer instead of `O(1)`; the benchmarks will say whether
//! it matters.)

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;
use std::task::Waker;
use std::time::Instant;

use crate::mutex::lock;
use crate::scheduler::IdHash;

/// A registered timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TimerId(u64);

#[derive(Default)]
pub(crate) struct Timers {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    heap: BinaryHeap<Reverse<(Instant, TimerId)>>,
    /// The live timers: deadline and waker.
    wakers: HashMap<TimerId, (Instant, Waker), IdHash>,
    next_id: u64,
}

impl Timers {
    /// Registers a timer, or updates one (its deadline, or its waker).
    /// Also says whether it is now the earliest: a thread waiting in the
    /// reactor until the former earliest must then be woken to wait less.
    pub(crate) fn register(
        &self,
        id: Option<TimerId>,
        deadline: Instant,
        waker: &Waker,
    ) -> (TimerId, bool) {
        let mut inner = lock(&self.inner);
        let id = id.unwrap_or_else(|| {
            inner.next_id += 1;
            TimerId(inner.next_id)
        });
        let moved = match inner.wakers.get_mut(&id) {
            Some((at, stored)) => {
                if !stored.will_wake(waker) {
                    stored.clone_from(waker);
                }
                std::mem::replace(at, deadline) != deadline
            }
            None => {
                inner.wakers.insert(id, (deadline, waker.clone()));
                true
            }
        };
        // Compared with the heap's top, which may be a deleted timer: that
        // can only wake the reactor's waiter early, never late.
        let earliest = moved
            && inner
                .heap
                .peek()
                .is_none_or(|Reverse((first, _))| deadline < *first);
        if moved {
            inner.heap.push(Reverse((deadline, id)));
        }
        (id, earliest)
    }

    /// Forgets a timer.
    pub(crate) fn deregister(&self, id: TimerId) {
        lock(&self.inner).wakers.remove(&id);
    }

    /// Wakes every timer due at `now`; returns the next deadline.
    pub(crate) fn fire(&self, now: Instant) -> Option<Instant> {
        let mut due = Vec::new();
        let next = {
            let mut inner = lock(&self.inner);
            loop {
                let Some(&Reverse((deadline, id))) = inner.heap.peek() else {
                    break None;
                };
                let live = inner.wakers.get(&id).is_some_and(|(at, _)| *at == deadline);
                if !live {
                    inner.heap.pop(); // deregistered, or moved to another deadline
                    continue;
                }
                if deadline > now {
                    break Some(deadline);
                }
                inner.heap.pop();
                if let Some((_, waker)) = inner.wakers.remove(&id) {
                    due.push(waker);
                }
            }
        };
        due.into_iter().for_each(Waker::wake);
        next
    }
}

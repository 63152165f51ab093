//! The timers of a runtime: deadlines in min-heaps, each with the waker of
//! the task that waits for it.
//!
//! A [`Sleep`](super::Sleep) registers its deadline and waker; the event
//! loop fires what is due each time round and, when it has nothing to run,
//! parks until the nearest deadline (or an earlier wake-up). Dropping a
//! `Sleep` deregisters it: its waker goes at once, and its heap entry is
//! skipped when it comes up (lazy deletion keeps both operations
//! logarithmic).
//!
//! - **Storage.** A timer's deadline and waker sit in a slab slot; its id
//!   is the slot's index and generation, so a stale id (a timer that fired
//!   or was dropped, its slot reused) is told apart without a hash map.
//! - **Shards.** A multi-thread runtime has one shard (heap and slab, under
//!   its own lock) per worker, and each worker registers its tasks' timers
//!   in its own, so workers do not contend for one lock. Firing looks at
//!   every shard.
//!
//! (Binary heaps, not Tokio's hierarchical timing wheel: simpler to read,
//! `O(log n)` per timer instead of `O(1)`; the benchmarks say what it
//! costs.)

use crate::loom::Mutex;
use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;
use std::time::Instant;

use crate::mutex::lock;

thread_local! {
    /// The shard this thread registers timers in: its worker index on a
    /// multi-thread runtime's worker, 0 elsewhere.
    static HOME: Cell<usize> = const { Cell::new(0) };
}

/// Makes this thread register its timers in shard `index` (a worker's).
pub(crate) fn set_home_shard(index: usize) {
    HOME.with(|home| home.set(index));
}

/// A registered timer: where it is, and which use of that slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerId {
    shard: u32,
    slot: u32,
    generation: u32,
}

pub(crate) struct Timers {
    shards: Box<[Mutex<Shard>]>,
}

#[derive(Default)]
struct Shard {
    /// Deadline, slot and generation: the generation tells a live entry
    /// from one whose timer has gone.
    heap: BinaryHeap<Reverse<(Instant, u32, u32)>>,
    slots: Vec<Slot>,
    /// Slots whose timer has gone, to reuse.
    free: Vec<u32>,
}

#[derive(Default)]
struct Slot {
    /// Bumped each time the slot's timer goes.
    generation: u32,
    timer: Option<(Instant, Waker)>,
}

impl Timers {
    /// Timers with `shards` shards (one per worker).
    pub(crate) fn new(shards: usize) -> Self {
        Timers {
            shards: (0..shards.max(1)).map(|_| Mutex::default()).collect(),
        }
    }

    /// Registers a timer, or updates one (its deadline, or its waker).
    /// Also says whether it is now the earliest of its shard: a thread
    /// waiting in the reactor until a later deadline must then be woken to
    /// wait less.
    pub(crate) fn register(
        &self,
        id: Option<TimerId>,
        deadline: Instant,
        waker: &Waker,
    ) -> (TimerId, bool) {
        let home = HOME.with(Cell::get) % self.shards.len();
        let shard_index = id.map_or(home, |id| id.shard as usize);
        let mut shard = lock(&self.shards[shard_index]);
        let live = id.filter(|id| shard.is_live(*id));
        let (id, moved) = match live {
            Some(id) => {
                let (at, stored) = shard.slots[id.slot as usize]
                    .timer
                    .as_mut()
                    .expect("a live timer");
                stored.clone_from(waker); // nothing if it wakes the same task
                (id, std::mem::replace(at, deadline) != deadline)
            }
            None => (shard.insert(shard_index, deadline, waker), true),
        };
        // Compared with the heap's top, which may be a deleted timer: that
        // can only wake the reactor's waiter early, never late.
        let earliest = moved
            && shard
                .heap
                .peek()
                .is_none_or(|Reverse((first, _, _))| deadline < *first);
        if moved {
            shard.heap.push(Reverse((deadline, id.slot, id.generation)));
        }
        (id, earliest)
    }

    /// Forgets a timer.
    pub(crate) fn deregister(&self, id: TimerId) {
        let mut shard = lock(&self.shards[id.shard as usize]);
        if shard.is_live(id) {
            drop(shard.remove(id.slot));
        }
    }

    /// Wakes every timer due at `now`.
    pub(crate) fn fire(&self, now: Instant) {
        let mut due = Vec::new();
        for shard in &self.shards {
            lock(shard).take_due(now, &mut due);
        }
        due.into_iter().for_each(Waker::wake);
    }

    /// The nearest deadline, without firing anything: what a loop about
    /// to park reads after it marked itself parked (`reactor::parking`).
    /// It may be a timer dropped since, which only wakes the loop early.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.shards
            .iter()
            .filter_map(|shard| lock(shard).heap.peek().map(|Reverse((at, _, _))| *at))
            .min()
    }
}

impl Shard {
    fn is_live(&self, id: TimerId) -> bool {
        self.slots
            .get(id.slot as usize)
            .is_some_and(|slot| slot.generation == id.generation && slot.timer.is_some())
    }

    fn insert(&mut self, shard: usize, deadline: Instant, waker: &Waker) -> TimerId {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(Slot::default());
            u32::try_from(self.slots.len() - 1).expect("fewer than 4 billion timers")
        });
        let entry = &mut self.slots[slot as usize];
        entry.timer = Some((deadline, waker.clone()));
        TimerId {
            shard: u32::try_from(shard).expect("fewer than 4 billion shards"),
            slot,
            generation: entry.generation,
        }
    }

    /// Empties a slot for reuse; returns its waker.
    fn remove(&mut self, slot: u32) -> Option<Waker> {
        let entry = &mut self.slots[slot as usize];
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(slot);
        entry.timer.take().map(|(_, waker)| waker)
    }

    /// Moves the wakers of the timers due at `now` to `due`, dropping the
    /// heap entries of timers that went as they come up, so that the top
    /// is then a live timer.
    fn take_due(&mut self, now: Instant, due: &mut Vec<Waker>) {
        while let Some(&Reverse((deadline, slot, generation))) = self.heap.peek() {
            let entry = &self.slots[slot as usize];
            let live = entry.generation == generation
                && entry.timer.as_ref().is_some_and(|(at, _)| *at == deadline);
            if live && deadline > now {
                return;
            }
            // Due, or deregistered, or moved to another deadline.
            self.heap.pop();
            if live {
                due.extend(self.remove(slot));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_stale_id_does_not_reach_the_timer_that_reuses_its_slot() {
        let timers = Timers::new(1);
        let now = Instant::now();
        let (first, _) = timers.register(None, now, Waker::noop());
        timers.fire(now);
        assert_eq!(timers.next_deadline(), None, "fired, and its slot freed");
        let later = now + Duration::from_secs(1);
        let (second, _) = timers.register(None, later, Waker::noop());
        assert_eq!(second.slot, first.slot, "the slot is reused");
        timers.deregister(first);
        let (again, _) = timers.register(Some(first), later, Waker::noop());
        assert_ne!(again, first, "a stale id registers a new timer");
        timers.fire(now);
        assert_eq!(
            timers.next_deadline(),
            Some(later),
            "the second timer is still there"
        );
    }

    #[test]
    fn a_moved_deadline_leaves_its_old_heap_entry_behind() {
        let timers = Timers::new(1);
        let now = Instant::now();
        let (id, earliest) = timers.register(None, now, Waker::noop());
        assert!(earliest);
        let later = now + Duration::from_secs(1);
        let (same, earliest) = timers.register(Some(id), later, Waker::noop());
        assert_eq!(same, id);
        assert!(!earliest, "the old entry, earlier, is still at the top");
        timers.fire(now);
        assert_eq!(
            timers.next_deadline(),
            Some(later),
            "not fired at the old deadline"
        );
    }
}

//! Leaf futures: the awaits at the bottom of every case.
//!
//! A real future returns `Pending` when it has to wait, and wakes its waker
//! when it can make progress. A leaf imitates that deterministically. When it
//! is first polled it draws, from a seeded schedule, how many times it will
//! return `Pending` (zero to two). Each time it does, it first wakes the
//! waker it was given, sometimes with `wake_by_ref` and sometimes by cloning
//! it and calling `wake` (again drawn from the schedule), so an executor that
//! waits for a wake-up polls it again. Then it is ready.
//!
//! The schedule is a xorshift generator in a thread-local, seeded by the
//! executor at the start of each run. Leaves draw from it in the order they
//! are polled, which is the same for any correct lowering, so both twins of a
//! case see the same interleaving for the same seed. A wrong lowering that
//! polls in a different order sees a different schedule, which only makes
//! the difference easier to spot.
//!
//! Events: `poll NAME` on every poll, `ready NAME` when it returns `Ready`,
//! `drop leaf NAME` when it is dropped. Polling a leaf again after it
//! returned `Ready` panics, as many real futures do.

use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::log::log;

thread_local! {
    static SCHEDULE: Cell<u64> = const { Cell::new(0x9e37_79b9_7f4a_7c15) };
}

/// Restarts this thread's schedule from `seed`; the executor calls this at
/// the start of each run.
pub(crate) fn seed_schedule(seed: u64) {
    // splitmix64 spreads small seeds over the whole state; xorshift needs a
    // state that is not zero.
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    SCHEDULE.set((z ^ (z >> 31)) | 1);
}

/// The next number of the schedule (xorshift64).
fn draw() -> u64 {
    let mut x = SCHEDULE.get();
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    SCHEDULE.set(x);
    x
}

/// A future that is ready with `value` after zero to two `Pending`s drawn from
/// the schedule; see the module docs.
pub(crate) fn leaf<T>(name: impl Into<String>, value: T) -> Leaf<T> {
    Leaf {
        name: name.into(),
        value: Some(value),
        pendings_left: None,
    }
}

/// A leaf that is ready at its first poll; it does not draw from the schedule.
pub(crate) fn ready_leaf<T>(name: impl Into<String>, value: T) -> Leaf<T> {
    Leaf {
        name: name.into(),
        value: Some(value),
        pendings_left: Some(0),
    }
}

/// A future that is never ready and never wakes its waker: the executor sees
/// it stall, and a case can only end by being cancelled (or by the executor
/// giving up on it).
pub(crate) fn pending_forever<T>(name: impl Into<String>) -> PendingForever<T> {
    PendingForever {
        name: name.into(),
        output: PhantomData,
    }
}

/// The future returned by [`leaf`] and [`ready_leaf`].
pub(crate) struct Leaf<T> {
    name: String,
    /// `None` once it has returned `Ready`.
    value: Option<T>,
    /// Drawn at the first poll, so the schedule follows the order of polls.
    pendings_left: Option<u64>,
}

// A leaf never pins its value: it only moves it out, so it can be `Unpin`
// whatever `T` is.
impl<T> Unpin for Leaf<T> {}

impl<T> Future for Leaf<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        log(format!("poll {}", this.name));
        assert!(
            this.value.is_some(),
            "leaf `{}` polled after it returned `Ready`",
            this.name
        );
        let pendings_left = this.pendings_left.get_or_insert_with(|| draw() % 3);
        if *pendings_left > 0 {
            *pendings_left -= 1;
            if draw() % 2 == 0 {
                cx.waker().wake_by_ref();
            } else {
                // Some futures store a clone of the waker and wake it later.
                #[allow(clippy::waker_clone_wake, reason = "exercises the waker's `wake`")]
                cx.waker().clone().wake();
            }
            return Poll::Pending;
        }
        log(format!("ready {}", this.name));
        Poll::Ready(this.value.take().expect("checked above"))
    }
}

impl<T> Drop for Leaf<T> {
    fn drop(&mut self) {
        log(format!("drop leaf {}", self.name));
    }
}

/// The future returned by [`pending_forever`].
pub(crate) struct PendingForever<T> {
    name: String,
    /// Its output type only: it is `Send`, `Sync` and `Unpin` whatever `T` is.
    output: PhantomData<fn() -> T>,
}

impl<T> Future for PendingForever<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        log(format!("poll {}", self.name));
        Poll::Pending
    }
}

impl<T> Drop for PendingForever<T> {
    fn drop(&mut self) {
        log(format!("drop leaf {}", self.name));
    }
}

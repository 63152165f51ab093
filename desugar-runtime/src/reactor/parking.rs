//! Parking the event loop without losing a wake-up.
//!
//! When the loop has nothing to run it waits in `epoll_wait`, with a
//! timeout no later than its nearest timer. Other threads have news that
//! must cut that wait short: a task queued, a timer registered earlier
//! than the timeout, a worker told to search. The eventfd that interrupts
//! the wait costs a system call, so a waker writes it only while the loop
//! is marked **parked**, and the two sides go in this order:
//!
//! ```text
//!   the loop                               a waker (any thread)
//!   1. parked = true; fence                a. publish the news: queue the task,
//!   2. look: anything to run?                 register the timer (each under its
//!      the nearest deadline?                  lock), or set a flag, then fence
//!   3. epoll_wait(until that deadline)     b. if parked: parked = false, and
//!                                             write the eventfd
//! ```
//!
//! Either the loop's look (2) comes after the news (a) and sees it, or the
//! waker's check (b) comes after the mark (1), finds the loop parked, and
//! writes the eventfd, so the wait (3) returns at once. For news behind a
//! lock the loop's look takes the same lock, which orders the two; news
//! in an atomic flag needs a `SeqCst` fence on both sides.
//!
//! What the loop must never do is base its wait on anything it read
//! before step 1. It once read the nearest deadline first: a timer
//! registered from another thread between that read and the mark found
//! the loop not yet parked and wrote nothing, and the loop slept on the
//! stale deadline, for ever if there was no other (issue 9). The loom
//! models below check the order, and show the old one losing the timer.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::loom::{AtomicBool, fence};

/// Whether the loop is parked, or about to be, so that news must wake it.
pub(crate) struct ParkFlag {
    parked: AtomicBool,
}

/// What the loop does after looking (step 2).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// There is work, or a timer is due: do not wait.
    StayAwake,
    /// Wait for an event or a wake-up, at most this long (`None`: for ever).
    Wait(Option<Duration>),
}

impl ParkFlag {
    pub(crate) fn new() -> Self {
        ParkFlag {
            parked: AtomicBool::new(false),
        }
    }

    /// Steps 1 and 2 of the loop: marks it parked, then asks whether it
    /// has work (`busy`) and when its nearest timer is due. Staying awake
    /// clears the mark again; waiting leaves it for [`ParkFlag::resume`].
    pub(crate) fn prepare(
        &self,
        busy: impl FnOnce() -> bool,
        next_deadline: impl FnOnce() -> Option<Instant>,
    ) -> Decision {
        self.parked.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let decision = if busy() {
            Decision::StayAwake
        } else {
            match next_deadline() {
                None => Decision::Wait(None),
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(timeout) if !timeout.is_zero() => Decision::Wait(Some(timeout)),
                    _ => Decision::StayAwake, // due already: fire it first
                },
            }
        };
        if decision == Decision::StayAwake {
            self.resume();
        }
        decision
    }

    /// The loop is awake again: its wait returned, or it did not wait.
    pub(crate) fn resume(&self) {
        self.parked.store(false, Ordering::SeqCst);
    }

    /// Step b of a waker, after it published its news: whether the loop is
    /// parked and this caller is the one to write the eventfd.
    pub(crate) fn unpark(&self) -> bool {
        // A load first: the common case (the loop is busy) writes nothing.
        self.parked.load(Ordering::SeqCst) && self.parked.swap(false, Ordering::SeqCst)
    }
}

/// The handshake under loom: a loop parking while another thread
/// registers a timer earlier than any the loop knows of, with the real
/// `Timers` and the real flag; the eventfd is a flag the model reads.
#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::time::driver::Timers;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicBool;
    use std::task::Waker;

    /// The shared pieces: the timers, the flag, and the eventfd.
    struct Runtime {
        timers: Timers,
        flag: ParkFlag,
        eventfd: AtomicBool,
    }

    impl Runtime {
        /// What `Sleep::poll` does: register, and wake the loop if the
        /// timer is now the earliest.
        fn sleep_until(&self, deadline: Instant) {
            let (_, earliest) = self.timers.register(None, deadline, Waker::noop());
            if earliest && self.flag.unpark() {
                self.eventfd.store(true, Ordering::SeqCst);
            }
        }
    }

    /// Runs the loop's side `park` against a timer registered from
    /// another thread, and checks that the loop either waits no later than
    /// that timer or finds its eventfd written.
    fn check(park: fn(&Runtime) -> Decision) {
        loom::model(move || {
            let now = Instant::now();
            let (soon, late) = (
                now + Duration::from_secs(60),
                now + Duration::from_secs(3600),
            );
            let runtime = Arc::new(Runtime {
                timers: Timers::new(2),
                flag: ParkFlag::new(),
                eventfd: AtomicBool::new(false),
            });
            runtime.sleep_until(late); // a timer the loop knows of
            let other = {
                let runtime = Arc::clone(&runtime);
                loom::thread::spawn(move || runtime.sleep_until(soon))
            };
            let decision = park(&runtime);
            other.join().unwrap();
            let woken = runtime.eventfd.load(Ordering::SeqCst);
            // Saw the new timer: waits at most until it (the loop measured
            // its timeout from a later instant than `now`).
            let in_time = match decision {
                Decision::StayAwake => true,
                Decision::Wait(timeout) => timeout.is_some_and(|t| now + t <= soon),
            };
            assert!(woken || in_time, "the timer registered meanwhile is lost");
        });
    }

    /// The loop's side as the runtime does it.
    fn park_now(runtime: &Runtime) -> Decision {
        runtime.timers.fire(Instant::now());
        runtime
            .flag
            .prepare(|| false, || runtime.timers.next_deadline())
    }

    /// The order before issue 9: the deadline read, then the loop marked.
    fn park_before_issue_9(runtime: &Runtime) -> Decision {
        let deadline = runtime.timers.next_deadline();
        runtime.flag.prepare(|| false, || deadline)
    }

    /// News in an atomic flag (the main future's `woken`, a worker's
    /// `notified`): set it, fence (or not), unpark; the loop reads it as
    /// its `busy`.
    fn check_flag(fenced: bool) {
        loom::model(move || {
            let runtime = Arc::new(Runtime {
                timers: Timers::new(1),
                flag: ParkFlag::new(),
                eventfd: AtomicBool::new(false),
            });
            let news = Arc::new(AtomicBool::new(false));
            let other = {
                let (runtime, news) = (Arc::clone(&runtime), Arc::clone(&news));
                loom::thread::spawn(move || {
                    news.store(true, Ordering::Release);
                    if fenced {
                        fence(Ordering::SeqCst);
                    }
                    if runtime.flag.unpark() {
                        runtime.eventfd.store(true, Ordering::SeqCst);
                    }
                })
            };
            let decision = runtime
                .flag
                .prepare(|| news.load(Ordering::Acquire), || None);
            other.join().unwrap();
            let woken = runtime.eventfd.load(Ordering::SeqCst);
            assert!(woken || decision == Decision::StayAwake, "the news is lost");
        });
    }

    #[test]
    fn news_in_a_flag_set_before_a_fence_is_never_lost() {
        check_flag(true);
    }

    #[test]
    #[should_panic(expected = "the news is lost")]
    fn news_in_a_flag_without_the_fence_can_be_lost() {
        check_flag(false);
    }

    #[test]
    fn a_timer_registered_while_the_loop_parks_is_never_lost() {
        check(park_now);
    }

    #[test]
    #[should_panic(expected = "the timer registered meanwhile is lost")]
    fn the_order_before_issue_9_loses_it() {
        check(park_before_issue_9);
    }
}

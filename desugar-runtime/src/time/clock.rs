//! The clock of one poll.
//!
//! Every timer decision made while a task is polled (is this `Sleep` due?
//! when does this new `sleep` or `timeout` end?) reads one instant: the
//! system clock the first time the poll asks, the same instant after that.
//! So timers compare as their deadlines do, whatever the thread did in
//! between. Without it, `timeout(d, sleep(d))` could time out: the inner
//! sleep reads the clock ("not yet"), the thread stalls, and the timeout's
//! own sleep reads it again ("due"). Tokio's timers get the same from their
//! driver, which reads the clock once per tick.
//!
//! Outside a poll (a `sleep` made before `block_on`), `now` is the system
//! clock. A poll that never asks reads no clock at all.

use std::cell::Cell;
use std::time::Instant;

/// The clock of the poll running on this thread.
#[derive(Clone, Copy)]
enum Clock {
    /// No poll of a runtime's task runs here.
    Outside,
    /// A poll runs, and has not asked for the time yet.
    Unread,
    /// A poll runs, and its time is this.
    Read(Instant),
}

thread_local! {
    static CLOCK: Cell<Clock> = const { Cell::new(Clock::Outside) };
}

/// Runs `f` (one poll of a task) with a clock of its own, then restores
/// the one before (polls may nest: a task's poll inside `block_on`'s).
pub(crate) fn with_clock<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Clock);
    impl Drop for Restore {
        fn drop(&mut self) {
            CLOCK.with(|clock| clock.set(self.0));
        }
    }
    let _restore = Restore(CLOCK.with(|clock| clock.replace(Clock::Unread)));
    f()
}

/// The time, as the poll running on this thread sees it.
pub(crate) fn now() -> Instant {
    CLOCK.with(|clock| match clock.get() {
        Clock::Read(now) => now,
        Clock::Unread => {
            let now = Instant::now();
            clock.set(Clock::Read(now));
            now
        }
        Clock::Outside => Instant::now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_poll_reads_the_clock_once() {
        with_clock(|| {
            let first = now();
            std::thread::sleep(Duration::from_millis(2));
            assert_eq!(now(), first);
        });
    }

    #[test]
    fn each_poll_reads_it_anew_and_outside_a_poll_is_the_system_clock() {
        let first = with_clock(now);
        std::thread::sleep(Duration::from_millis(2));
        assert!(with_clock(now) > first);
        let outside = now();
        std::thread::sleep(Duration::from_millis(2));
        assert!(now() > outside);
    }

    #[test]
    fn a_nested_poll_restores_the_outer_clock() {
        with_clock(|| {
            let outer = now();
            std::thread::sleep(Duration::from_millis(2));
            assert!(with_clock(now) > outer);
            assert_eq!(now(), outer);
        });
    }
}

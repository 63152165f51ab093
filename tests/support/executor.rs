//! A deterministic executor that writes down everything it does.
//!
//! It is the `block_on` loop with the waiting taken out: everything runs on
//! the test thread, so by the time a poll returns `Pending`, any wake-up the
//! future arranged has already happened. The executor uses that to check the
//! waker protocol strictly:
//!
//! 1. Before each poll it logs `poll #n` (n counts from 1).
//! 2. Its waker counts wake-ups and logs `wake` for each one.
//! 3. After `Pending` it requires at least one wake-up during that poll. A
//!    future that returns `Pending` without arranging to be woken would hang
//!    a real runtime (a lost wake-up); [`run`] panics with [`STALLED`] and
//!    [`cancel_after`] logs `stalled` and cancels it.
//! 4. After [`MAX_POLLS`] polls [`run`] gives up with a panic, so a lowering
//!    that wakes itself forever fails instead of hanging the test suite.
//!
//! Each run starts a fresh log and reseeds the leaf schedule, so a run's
//! events depend only on the seed and the future.

use std::any::Any;
use std::cell::Cell;
use std::fmt::Debug;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::task::{Context, Poll, Wake, Waker};

use super::leaf::seed_schedule;
use super::log::{log, take_log};

/// How many polls [`run`] allows before it gives up.
pub(crate) const MAX_POLLS: usize = 10_000;

/// The panic message of [`run`] when a future returns `Pending` without
/// waking its waker: a real executor would never poll it again.
pub(crate) const STALLED: &str =
    "the future returned `Pending` without waking its waker (a lost wake-up)";

/// Runs `future` to completion and returns its output and the events logged
/// while it ran (creating the future happens before, so it is not included).
///
/// # Panics
///
/// If the future panics, stalls (see [`STALLED`]) or needs more than
/// [`MAX_POLLS`] polls. The future is dropped while the panic unwinds, so the
/// log then holds the drops it caused.
pub(crate) fn run<F: Future>(seed: u64, future: F) -> (F::Output, Vec<String>) {
    let mut executor = Executor::start(seed);
    let mut future = Box::pin(future);
    let output = loop {
        if let Poll::Ready(output) = executor.poll(future.as_mut()) {
            break output;
        }
        assert!(executor.woken_during_last_poll(), "{}", STALLED);
        assert!(
            executor.polls < MAX_POLLS,
            "gave up after {} polls: the future never finished",
            MAX_POLLS
        );
    };
    drop(future);
    (output, take_log())
}

/// Polls `future` at most `polls` times, then logs `cancel` and drops it, and
/// returns the events. If the future finishes first, its output and then the
/// future itself are dropped and nothing is cancelled; if it stalls (returns
/// `Pending` without a wake-up), `stalled` is logged and it is cancelled then.
///
/// `polls == 0` drops a future that was never polled.
pub(crate) fn cancel_after<F: Future>(seed: u64, future: F, polls: usize) -> Vec<String> {
    let mut executor = Executor::start(seed);
    let mut future = Box::pin(future);
    while executor.polls < polls {
        if let Poll::Ready(output) = executor.poll(future.as_mut()) {
            drop(output);
            drop(future);
            return take_log();
        }
        if !executor.woken_during_last_poll() {
            log("stalled");
            break;
        }
    }
    log("cancel");
    drop(future);
    take_log()
}

/// Drives `future` like [`run`] until it returns `Ready` (its output is
/// dropped) or panics (the panic is caught), then polls it once more and
/// reports what that extra poll did: `Ok("Pending")`, `Ok("Ready(..)")`, or
/// `Err` with its panic message. Returns the events of the whole drive.
///
/// # Panics
///
/// Like [`run`], if the future stalls or needs more than [`MAX_POLLS`] polls.
pub(crate) fn poll_after_end<F>(seed: u64, future: F) -> (Result<String, String>, Vec<String>)
where
    F: Future<Output: Debug>,
{
    let mut executor = Executor::start(seed);
    let mut future = Box::pin(future);
    loop {
        match catch_quietly(|| executor.poll(future.as_mut())) {
            Ok(Poll::Ready(output)) => {
                drop(output);
                break;
            }
            Ok(Poll::Pending) => {
                assert!(executor.woken_during_last_poll(), "{}", STALLED);
                assert!(
                    executor.polls < MAX_POLLS,
                    "gave up after {} polls",
                    MAX_POLLS
                );
            }
            Err(_) => break,
        }
    }
    let again = match catch_quietly(|| executor.poll(future.as_mut())) {
        Ok(Poll::Ready(output)) => Ok(format!("Ready({output:?})")),
        Ok(Poll::Pending) => Ok("Pending".to_owned()),
        Err(message) => Err(message),
    };
    drop(future);
    (again, take_log())
}

/// Runs `f` and returns the message it panicked with, or `None` if it did not
/// panic. The panic is not printed.
pub(crate) fn panic_message(f: impl FnOnce()) -> Option<String> {
    catch_quietly(f).err()
}

/// Runs `f`, catching a panic and returning its message; while `f` runs, the
/// panic hook prints nothing for panics on this thread.
///
/// The hook is replaced once per process by one that consults a thread-local
/// flag and otherwise hands over to the previous hook, so tests on other
/// threads still report their panics as usual.
pub(crate) fn catch_quietly<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    static QUIET_HOOK: Once = Once::new();
    thread_local! {
        static QUIET: Cell<usize> = const { Cell::new(0) };
    }
    QUIET_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.try_with(Cell::get).unwrap_or(0) == 0 {
                previous(info);
            }
        }));
    });
    QUIET.set(QUIET.get() + 1);
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.set(QUIET.get() - 1);
    result.map_err(|payload| message_of(payload.as_ref()))
}

/// The message of a panic payload (`panic!` makes a `&str` or a `String`).
fn message_of(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "<a panic payload that is not a string>".to_owned()
    }
}

/// The executor's state during one run.
struct Executor {
    wakes: Arc<WakeCounter>,
    waker: Waker,
    /// Polls made so far.
    polls: usize,
    /// Wake-ups counted when the last poll started.
    wakes_before_last_poll: usize,
}

impl Executor {
    /// A fresh executor: clears the log and seeds the leaf schedule.
    fn start(seed: u64) -> Self {
        take_log();
        seed_schedule(seed);
        let wakes = Arc::new(WakeCounter(AtomicUsize::new(0)));
        Executor {
            waker: Waker::from(Arc::clone(&wakes)),
            wakes,
            polls: 0,
            wakes_before_last_poll: 0,
        }
    }

    fn poll<F: Future + ?Sized>(&mut self, future: Pin<&mut F>) -> Poll<F::Output> {
        self.polls += 1;
        log(format!("poll #{}", self.polls));
        self.wakes_before_last_poll = self.wakes.count();
        future.poll(&mut Context::from_waker(&self.waker))
    }

    fn woken_during_last_poll(&self) -> bool {
        self.wakes.count() > self.wakes_before_last_poll
    }
}

/// The waker: counts wake-ups and logs `wake` for each.
struct WakeCounter(AtomicUsize);

impl WakeCounter {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
        log("wake");
    }
}

//! Time: [`sleep`], [`sleep_until`], [`timeout`] and [`interval`].
//!
//! A [`Sleep`] is a leaf future like a socket read: on its first poll it
//! registers its deadline and the task's waker with the runtime's timers
//! (`driver`), and returns `Pending`. The event loop wakes it when the
//! deadline has passed, parking in between with a timeout no later than
//! the nearest deadline. Each poll spends a unit of the coop budget.
//!
//! # Examples
//!
//! ```
//! use std::time::{Duration, Instant};
//! use desugar_runtime::{Builder, time};
//!
//! let runtime = Builder::new_current_thread().build().unwrap();
//! let started = Instant::now();
//! runtime.block_on(time::sleep(Duration::from_millis(10)));
//! assert!(started.elapsed() >= Duration::from_millis(10));
//! ```

pub(crate) mod clock;
pub(crate) mod driver;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::coop;
use crate::scheduler::{Handle, context};
use driver::TimerId;

/// Waits until `duration` has passed.
///
/// The timer belongs to the runtime that first polls the future (so it may
/// be made anywhere, and passed to `block_on`). Made inside a task, it
/// counts from the time of the task's current poll, which every timer of
/// that poll shares (`time::clock`).
///
/// # Panics
///
/// When polled before its deadline outside a runtime's `block_on`.
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(clock::now() + duration)
}

/// Waits until `deadline`; see [`sleep`].
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        timer: None,
    }
}

/// A future that is ready at its deadline; see [`sleep`].
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    deadline: Instant,
    /// Once polled while pending: the runtime's timers, and its timer there.
    timer: Option<(Arc<Handle>, TimerId)>,
}

impl Sleep {
    /// The instant this is ready at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed (as the current poll sees the
    /// time, inside a task).
    pub fn is_elapsed(&self) -> bool {
        clock::now() >= self.deadline
    }

    /// Moves the deadline, as if this were a new `sleep_until(deadline)`.
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        self.deregister();
    }

    fn deregister(&mut self) {
        if let Some((handle, timer)) = self.timer.take() {
            handle.timers.deregister(timer);
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        if self.is_elapsed() {
            self.deregister();
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        let (handle, timer) = match self.timer.take() {
            Some((handle, timer)) => (handle, Some(timer)),
            None => (
                context::with_current(Arc::clone).expect(
                    "a `time::sleep` polled outside a runtime: timers need `Runtime::block_on`",
                ),
                None,
            ),
        };
        let (timer, earliest) = handle.timers.register(timer, deadline, cx.waker());
        if earliest {
            // On a multi-thread runtime a worker may wait in the reactor
            // until a later deadline.
            handle.reactor.unpark();
        }
        self.timer = Some((handle, timer));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// The deadline of a [`timeout`] passed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `future` for at most `duration`: its output, or [`Elapsed`] (and
/// the future is dropped, cancelled, when the timeout is).
///
/// `future` is polled first, and every timer of one poll reads the same
/// time, so a future that waits on a timer due no later than the timeout
/// always wins, however late the task is polled.
///
/// # Panics
///
/// As [`sleep`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use desugar_runtime::{Builder, time};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// let result = runtime.block_on(time::timeout(
///     Duration::from_millis(5),
///     std::future::pending::<()>(),
/// ));
/// assert!(result.is_err());
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

pin_project_lite::pin_project! {
    /// A future with a deadline; see [`timeout`].
    #[must_use = "futures do nothing unless polled"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // The deadline is checked even when the budget is spent: a future
        // that keeps its task busy must still time out.
        let sleep = Pin::new(this.sleep);
        match coop::with_budget(None, || sleep.poll(cx)) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed(()))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Ticks every `period`, the first tick at once.
///
/// A tick that comes late (the task was busy) is followed by the missed
/// ones at once, to catch up: Tokio's default, `MissedTickBehavior::Burst`.
///
/// # Panics
///
/// If `period` is zero; and as [`sleep`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use desugar_runtime::{Builder, time};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// runtime.block_on(async {
///     let mut interval = time::interval(Duration::from_millis(2));
///     for _ in 0..3 {
///         interval.tick().await;
///     }
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "`time::interval` needs a period above zero"
    );
    let now = clock::now();
    Interval {
        period,
        sleep: sleep_until(now),
    }
}

/// Ticks at a fixed period; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was due.
    pub async fn tick(&mut self) -> Instant {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; see [`Interval::tick`].
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let due = self.sleep.deadline();
        match Pin::new(&mut self.sleep).poll(cx) {
            Poll::Ready(()) => {
                self.sleep.reset(due + self.period);
                Poll::Ready(due)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}

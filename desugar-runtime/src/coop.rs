//! Cooperative scheduling: a budget of work per task per poll.
//!
//! A task that always finds its resources ready (a channel that never runs
//! dry, a socket that always has data) never returns `Pending`, so without
//! help it would keep the thread forever and starve every other task. Tokio's
//! answer, reproduced here: each time the scheduler polls a task it gives
//! the task a *budget* of [`BUDGET`] units. Every runtime resource spends one
//! unit per operation ([`poll_proceed`]); once the budget is spent, the
//! resource returns `Pending` instead of its ready value, after waking the
//! task, so the task yields and goes to the back of the run queue. The
//! value is not lost: it is still there at the next poll.
//!
//! The budget lives in a thread-local set around each task poll
//! (`with_budget`). Outside a task (a plain `block_on` of some other
//! executor, or inside [`unconstrained`](crate::task::unconstrained)) there
//! is no budget and nothing is ever refused.
//!
//! A CPU-bound loop that awaits nothing spends no budget: cooperative
//! scheduling cannot preempt it. [`yield_now`](crate::task::yield_now)
//! gives the thread back by hand.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Units of work a task may do in one poll: Tokio's number.
pub const BUDGET: u8 = 128;

thread_local! {
    /// The budget of the task being polled on this thread; `None` when no
    /// budget applies.
    static CURRENT: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` (a task's poll) with `budget` units, then restores the budget
/// that was there before (polls may nest: `block_on` inside a task).
pub(crate) fn with_budget<R>(budget: Option<u8>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|current| current.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|current| current.replace(budget)));
    f()
}

/// Spends one unit of the current task's budget, or, when it is spent,
/// wakes the task and returns `Pending` so that it yields.
///
/// Every runtime resource calls this before doing its work.
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    CURRENT.with(|current| match current.get() {
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(left) => {
            current.set(Some(left - 1));
            Poll::Ready(())
        }
        None => Poll::Ready(()),
    })
}

/// The units left to the task being polled, `None` outside a budget.
pub fn remaining() -> Option<u8> {
    CURRENT.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn a_spent_budget_refuses_until_the_next_poll() {
        let mut cx = Context::from_waker(Waker::noop());
        with_budget(Some(2), || {
            assert!(poll_proceed(&mut cx).is_ready());
            assert!(poll_proceed(&mut cx).is_ready());
            assert!(poll_proceed(&mut cx).is_pending());
        });
        assert_eq!(remaining(), None, "the budget ends with the poll");
        assert!(poll_proceed(&mut cx).is_ready(), "no budget outside a task");
    }

    #[test]
    fn nested_budgets_restore_the_outer_one() {
        with_budget(Some(5), || {
            with_budget(None, || assert_eq!(remaining(), None));
            assert_eq!(remaining(), Some(5));
        });
    }
}

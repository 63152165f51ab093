//! The two shapes of the machine (see `desugar-macro/src/lower/inline.rs`),
//! each against rustc's own lowering.
//!
//! Polled in place, an `.await` stores its future and polls it where the
//! running code stands: the code goes on if it is ready, and the locals go
//! into the state only when it is pending. The arm that resumes there runs
//! the rest of the body, loops included, so code after an `.await` is
//! written in several arms. These cases press on what that changes: a
//! future whose poll panics while the running code holds the locals, the
//! values evaluated before an `.await` in the same expression, bindings of
//! a `while let` chain re-entered in its condition, and a loop written again
//! in the arm of each of its `.await`s. A body with a closure after its
//! first `.await` keeps the other shape; the last cases are the same bodies
//! with one.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use support::*;

/// Ready with `value` at its first poll, unless `fail`: then its poll
/// panics. It holds a `Noisy`, so the log shows when it is dropped.
struct Explode {
    held: Noisy,
    fail: bool,
    value: u32,
}

fn explode(name: &str, fail: bool, value: u32) -> Explode {
    Explode {
        held: Noisy::new(name),
        fail,
        value,
    }
}

impl Future for Explode {
    type Output = u32;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        let this = self.get_mut();
        log(format!("poll {}", this.held.name()));
        assert!(!this.fail, "{} exploded", this.held.name());
        Poll::Ready(this.value)
    }
}

/// Consumes a `Noisy` and a number.
fn consume(noisy: Noisy, n: u32) -> u32 {
    noisy.touch();
    n
}

mod polled_in_place {
    use super::*;

    differential! {
        /// A future whose poll panics while the running code holds `outer`,
        /// `inner` and `total`: rustc drops the future first, then the
        /// locals, innermost first; on the first poll and after a resume.
        async fn panic_in_an_awaited_future(fail_at: u32) -> u32 {
            let outer = Noisy::new("outer");
            let mut total = 0;
            let mut i = 0;
            while i < 3 {
                let inner = Noisy::new(format!("inner {i}"));
                total += leaf("step", i).await;
                total += explode("explode", i == fail_at, i).await;
                inner.touch();
                i += 1;
            }
            outer.touch();
            total
        }
        with (0), (2), (5);

        /// A value evaluated before an `.await` in the same call stays in the
        /// frame while the future is pending, and is read once it is ready.
        async fn value_in_flight_before_an_await(n: u32) -> u32 {
            let mut sum = 0;
            let mut i = 0;
            while i < n {
                sum += consume(Noisy::new(format!("in flight {i}")), leaf("value", i).await);
                i += 1;
            }
            sum
        }
        with (0), (3);

        /// A `while let` chain re-entered in its condition: the binding it
        /// made is dropped at the end of that iteration, before the loop
        /// tests its condition again.
        async fn while_let_binding_dropped_before_the_next_test(n: usize) -> usize {
            let mut stack = Vec::new();
            for i in 0..n {
                stack.push(Noisy::new(format!("item {i}")));
            }
            let mut seen = 0;
            while let Some(item) = stack.pop()
                && leaf("go on", true).await
            {
                item.touch();
                seen += leaf("count", 1).await;
            }
            seen
        }
        with (0), (3);

        /// Two loops, each written again in the arms of their `.await`s,
        /// with a labelled exit from the inner one and values that live
        /// across both.
        async fn nested_loops_written_again(rows: u32, cols: u32) -> u32 {
            let tag = Noisy::new("tag");
            let mut total = 0;
            let mut r = 0;
            'rows: loop {
                if r == rows {
                    break;
                }
                let row = Noisy::new(format!("row {r}"));
                let mut c = 0;
                while c < cols {
                    if leaf("cell", r * 10 + c).await == 12 {
                        r += 1;
                        continue 'rows;
                    }
                    total += c;
                    c += 1;
                }
                row.touch();
                r += 1;
            }
            tag.touch();
            total + leaf("end", r).await
        }
        with (0, 2), (2, 3), (3, 3);

        /// A closure made before the first `.await` is made once, in the
        /// `Start` arm, so the body is still polled in place; the state holds
        /// it, with what it borrows, across the awaits of the loop.
        async fn closure_made_before_the_first_await(n: u32) -> u32 {
            let tag = Noisy::new("tag");
            let weigh = |k: u32| {
                tag.touch();
                k * 3
            };
            let mut total = 0;
            let mut i = 0;
            while i < n {
                total += weigh(leaf("item", i).await);
                i += 1;
            }
            total
        }
        with (0), (3);

        /// `std`'s integer arithmetic on a local held across the awaits
        /// (`wrapping_*`, `checked_*`, ...) copies it, so it stays in place.
        async fn integer_arithmetic_on_held_locals(n: u32) -> Option<u32> {
            let mut sum = 0_u32;
            let mut left = n;
            while left > 0 {
                sum = sum.wrapping_add(leaf("add", left).await);
                left = left.saturating_sub(1);
            }
            sum.checked_mul(leaf("times", 2).await)
        }
        with (0), (3);

        /// A loop whose value comes from a `break` after an `.await`.
        async fn loop_value_after_an_await(limit: u32) -> u32 {
            let mut i = 0;
            let found = loop {
                let next = leaf("next", i).await;
                if next >= limit {
                    break next * 2;
                }
                i += 1;
            };
            found + leaf("after", 1).await
        }
        with (0), (3);
    }
}

mod with_a_closure {
    use super::*;

    // The same bodies with a closure after the first `.await`: written with
    // transit points.
    differential! {
        /// `panic_in_an_awaited_future`, with a closure.
        async fn panic_in_an_awaited_future(fail_at: u32) -> u32 {
            let outer = Noisy::new("outer");
            let mut total = 0;
            let mut i = 0;
            while i < 3 {
                let inner = Noisy::new(format!("inner {i}"));
                let step = leaf("step", i).await;
                total = Some(step).map(|s| s + total).unwrap_or(0);
                total += explode("explode", i == fail_at, i).await;
                inner.touch();
                i += 1;
            }
            outer.touch();
            total
        }
        with (0), (2), (5);

        /// `nested_loops_written_again`, with a closure.
        async fn nested_loops(rows: u32, cols: u32) -> u32 {
            let tag = Noisy::new("tag");
            let mut total = 0;
            let mut r = 0;
            'rows: loop {
                if r == rows {
                    break;
                }
                let row = Noisy::new(format!("row {r}"));
                let mut c = 0;
                while c < cols {
                    let cell = |r: u32, c: u32| r * 10 + c;
                    if leaf("cell", cell(r, c)).await == 12 {
                        r += 1;
                        continue 'rows;
                    }
                    total += c;
                    c += 1;
                }
                row.touch();
                r += 1;
            }
            tag.touch();
            total + leaf("end", r).await
        }
        with (0, 2), (2, 3), (3, 3);
    }
}

/// Sizes of the futures above, native and desugared: polled in place, a
/// state's locals are `MaybeUninit` fields, which give the enum no niche.
#[test]
fn size_summary() {
    let sections = [polled_in_place::all_sizes(), with_a_closure::all_sizes()];
    print_size_table(&sections.concat());
}

//! Differential tests for futures that borrow locals of the function.
//!
//! The commonest `.await` borrows: `rx.recv().await` borrows `rx`,
//! `read(&mut buf).await` borrows `buf`, `async { x + 1 }.await` borrows
//! `x`. The awaited future holds those references while the function is
//! suspended, so the locals must stay where they are until it is dropped.
//! `#[desugar]` stores them in the state first and makes the future from
//! them where they lie (see `codegen::states`); each case here checks that
//! this behaves exactly as rustc's lowering: same output, same events, same
//! drops on cancellation at every poll.
//!
//! A borrow held across an `.await` by something other than the awaited
//! future (a reference kept in a local, an iterator over a borrowed vector)
//! is not supported yet; those cases wait at the end, commented out.

mod support;

use support::*;

/// Touches a borrowed `Noisy` around an await.
async fn borrow_across(noisy: &Noisy) -> u32 {
    noisy.touch();
    leaf("borrowed", 1).await
}

mod awaitee_borrows {
    use super::*;

    differential! {
        /// The same buffer is borrowed mutably by two awaits in turn, then returned.
        async fn buffer_filled_twice() -> Vec<u32> {
            let mut buf = Vec::new();
            fill(&mut buf, 1).await;
            fill(&mut buf, 2).await;
            buf
        }
        with ();

        /// A method whose future borrows its receiver, awaited in a loop.
        async fn receiver_borrowed_in_loop() -> u32 {
            let mut counter = Counter { name: "tick", count: 0 };
            let mut total = 0;
            while total < 6 {
                total += counter.next().await;
            }
            total + counter.peek().await
        }
        with ();

        /// A `Noisy` borrowed by the awaited future, cancelled at every poll.
        async fn reference_passed_to_async_fn() -> u32 {
            let local = Noisy::new("local");
            let other = Noisy::new("other");
            let n = borrow_across(&local).await;
            other.touch();
            n + borrow_across(&other).await
        }
        with ();

        /// An `async` block (not `move`) that borrows locals.
        async fn async_block_borrowing_locals(n: u32) -> u32 {
            let base = Noisy::new("base");
            let offset = n + 1;
            let total = async {
                base.touch();
                leaf("inner", offset).await + n
            }
            .await;
            base.touch();
            total
        }
        with (3);

        /// A method chain whose second future borrows the first one's output.
        async fn chained_borrow_of_output() -> u32 {
            let value = leaf("make", Counter { name: "made", count: 10 }).await.peek().await;
            value + 1
        }
        with ();

        /// Two locals borrowed by one future, one of them mutably.
        async fn two_locals_borrowed() -> usize {
            let mut buf = vec![0];
            let extra = Noisy::new("extra");
            let n = async {
                extra.touch();
                fill(&mut buf, 5).await
            }
            .await;
            n + buf.len()
        }
        with ();
    }
}

mod held_borrows {
    use super::*;

    differential! {
        /// `for` over a borrowed vector awaits with the borrow live.
        async fn for_over_borrowed_vec() -> u32 {
            let items = vec![1, 2, 3];
            let mut sum = 0;
            for x in &items {
                sum += leaf("item", *x).await;
            }
            sum
        }
        with ();

        /// A reference taken before an await is used after it.
        async fn reference_used_after_await() -> usize {
            let text = String::from("hello");
            let view = &text;
            leaf("x", ()).await;
            view.len()
        }
        with ();
    }
}

/// Sizes of the futures above, native and desugared.
#[test]
fn size_summary() {
    let mut sizes = awaitee_borrows::all_sizes();
    sizes.extend(held_borrows::all_sizes());
    println!(
        "{:<40} {:>7} {:>10} {:>6}",
        "case", "native", "desugared", "ratio"
    );
    for (name, native, desugared) in sizes {
        println!(
            "{name:<40} {native:>7} {desugared:>10} {:>6.2}",
            desugared as f64 / native as f64
        );
    }
}

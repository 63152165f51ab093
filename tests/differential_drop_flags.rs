//! Drop flags: a local moved on some paths only is dropped at the end of
//! its scope when it was not moved, as rustc's drop flags decide.
//!
//! A local kept in its slot carries a drop flag (see `codegen::pinned`):
//! moving it out (passing it by value, a consuming method, a `move`
//! closure or `async move` block taking it) sets the flag, and the end of
//! its scope drops it only if the flag is clear, after the `.await`s that
//! follow, exactly where the native future drops it. Each case takes both
//! paths, with logged drops, on completion and on cancellation at every
//! poll.

mod support;

use support::*;

/// Takes a `Noisy` and drops it.
fn consume(noisy: Noisy) {
    noisy.touch();
}

mod moved_on_one_path {
    use super::*;

    differential! {
        /// Seed 45 of `scripts/fuzz`: a parameter moved into a `move` closure in a
        /// branch, not used after the await: dropped at the end of the function
        /// when the branch did not run (the macro dropped it at the await).
        async fn into_a_move_closure(p: Noisy, flag: bool) -> u32 {
            if flag {
                let f = move |k: u32| {
                    p.touch();
                    k
                };
                f(1);
            }
            leaf("after", 2).await
        }
        with (Noisy::new("p"), false), (Noisy::new("p"), true);

        /// A local passed by value in one branch.
        async fn by_a_call(flag: bool) -> u32 {
            let local = Noisy::new("local");
            if flag {
                consume(local);
            }
            let n = leaf("after", 3).await;
            log("end of scope");
            n
        }
        with (false), (true);

        /// A local moved into an `async move` block in one branch, the block
        /// awaited there.
        async fn into_an_async_move_block(flag: bool) -> u32 {
            let local = Noisy::new("local");
            let mut n = 0;
            if flag {
                n = async move {
                    local.touch();
                    leaf("inner", 4).await
                }
                .await;
            }
            n + leaf("after", 5).await
        }
        with (false), (true);

        /// An `Rc` dropped on one path only may still be held at the await, so
        /// the native future is not `Send`, nor is the desugared one (an `Rc`
        /// dropped on every path is not held: tests/ui/pass/spawn_fixes.rs).
        async fn rc_dropped_on_one_path(flag: bool) -> u32 {
            let shared = std::rc::Rc::new(Noisy::new("shared"));
            if flag {
                drop(shared);
            }
            leaf("after", 7).await
        }
        with (false), (true);

        /// Borrowed across an await, then moved whole into an `async move` block
        /// once the borrow has ended (the macro refused this; rustc does not).
        async fn borrowed_then_moved_into_an_async_move_block() -> usize {
            let items = vec![1, 2, 3];
            let view = &items;
            leaf("tick", ()).await;
            let n = view.len();
            let task = async move { items.len() };
            n + task.await
        }
        with ();

        /// A local moved in one branch and given a new value after the await.
        async fn reassigned_after_a_possible_move(flag: bool) -> u32 {
            let mut local = Noisy::new("first");
            if flag {
                drop(local);
                local = Noisy::new("second");
            }
            let n = leaf("after", 6).await;
            local.touch();
            n
        }
        with (false), (true);
    }
}

/// Sizes of the futures above, native and desugared.
#[test]
fn size_summary() {
    print_size_table(&moved_on_one_path::all_sizes());
}

//! Differential tests: `#[desugar]` must be indistinguishable from rustc.
//!
//! Each case below is an `async fn` written once and compiled twice, natively
//! and through `#[desugar]`; `differential!` (see `support/compare.rs`) then
//! checks that the two futures produce the same output, the same events (every
//! poll, wake-up, use and drop, in order) under eight schedules of `Pending`s,
//! the same events when cancelled at each suspension point, the same auto
//! traits, and the same panic when polled after the end.
//!
//! The cases are grouped by construct, one module per group, from straight-
//! line code to panics. Awaits sit in every position the construct allows.
//! Borrows of locals held across an `.await` come later (see the end).
//!
//! Vocabulary, all from `support`: `leaf(name, value)` is an await that is
//! ready with `value` after zero to two `Pending`s; `ready_leaf` is ready at
//! once; `pending_forever` never is; `Noisy::new(name)` logs `touch` when used
//! and `drop` when dropped; `log(event)` writes any event.

mod support;

use std::cell::Cell;
use std::rc::Rc;

use support::*;

/// Adds two numbers and logs it, to show when a call happens relative to the
/// awaits in its arguments.
fn add(a: u32, b: u32) -> u32 {
    log(format!("add {a} {b}"));
    a + b
}

/// Parses a number; the error path feeds the `?` cases.
fn parse(text: &str) -> Result<u32, String> {
    text.parse().map_err(|_| format!("not a number: {text:?}"))
}

/// Takes a `Noisy` by value (dropping it at the end) and returns `n`.
fn consume(noisy: Noisy, n: u32) -> u32 {
    noisy.touch();
    n
}

/// The length of a string, through a reference.
fn length(text: &str) -> usize {
    text.len()
}

/// An identity function that is `unsafe` to call only so that a case has an
/// `unsafe` block to hold an await.
///
/// # Safety
///
/// Always safe to call.
unsafe fn trusted(n: u32) -> u32 {
    n
}

/// An ordinary async fn for cases to await; it is native in both twins.
async fn helper(n: u32) -> u32 {
    leaf("helper", n).await * 2
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    x: u32,
    y: u32,
}

#[derive(Debug)]
#[allow(dead_code, reason = "the fields are read through `Debug` only")]
struct Pair {
    first: Noisy,
    second: Noisy,
}

// --- straight-line awaits ---------------------------------------------------

/// Straight-line code: awaits one after another.
mod straight_line {
    use super::*;

    differential! {
        /// Two awaits in sequence: the output of one feeds the next.
        async fn seed_example(n: u32) -> u32 {
            let data = leaf("fetch", n).await;
            let result = data + 1;
            leaf("save", result).await
        }
        with (5);

        /// A body without awaits runs at the first poll, not when the fn is called.
        async fn no_await(n: u32) -> u32 {
            log("body runs");
            n * 2
        }
        with (21);

        /// A fn without an output type returns `()` after its last await.
        async fn unit_output() {
            leaf("first", ()).await;
            log("between");
            ready_leaf("second", ()).await;
        }
        with ();

        /// An await whose output is discarded by `;` drops that output at once.
        async fn output_dropped_as_statement() -> u32 {
            leaf("make", Noisy::new("output")).await;
            log("after the statement");
            leaf("next", 1).await
        }
        with ();

        /// A local held across several awaits stays alive and is dropped last.
        async fn local_held_across_awaits() -> usize {
            let held = Noisy::new("held");
            let a = leaf("one", 1).await;
            held.touch();
            let b = leaf("two", 2).await;
            held.touch();
            leaf("three", a + b).await + held.name().len()
        }
        with ();

        /// Awaiting another (native) async fn polls through it.
        async fn awaits_another_async_fn(n: u32) -> u32 {
            helper(n).await + helper(n + 1).await
        }
        with (3);
    }
}

// --- let --------------------------------------------------------------------

/// `let` statements whose initializer awaits.
mod lets {
    use super::*;

    differential! {
        /// Shadowing: each `let` awaits with the previous binding's value.
        async fn let_shadowing(n: u32) -> u32 {
            let x = leaf("a", n).await;
            let x = leaf("b", x + 1).await;
            let x = x * 10;
            x + 1
        }
        with (1);

        /// `let else` awaits the scrutinee; the `else` block diverges with `return`.
        async fn let_else(input: Option<u32>) -> u32 {
            let guard = Noisy::new("guard");
            let Some(value) = leaf("maybe", input).await else {
                log("no value");
                return 0;
            };
            guard.touch();
            value + leaf("more", 1).await
        }
        with (Some(3)), (None);

        /// A binding declared first and assigned in one branch after an await.
        #[allow(clippy::needless_late_init, reason = "deferred initialization is the point")]
        async fn deferred_initialization(flag: bool) -> u32 {
            let x;
            if flag {
                x = leaf("a", 1).await;
            } else {
                x = 2;
            }
            x + leaf("b", 10).await
        }
        with (true), (false);

        /// A destructuring pattern binds the parts of an awaited tuple and struct.
        async fn let_destructure() -> u32 {
            let (a, Point { x, y }) = leaf("pair", (1, Point { x: 2, y: 3 })).await;
            a + x + y
        }
        with ();
    }
}

// --- awaits inside expressions ----------------------------------------------

/// Awaits as operands: evaluation order and temporaries.
mod expressions {
    use super::*;

    differential! {
        /// Awaits in call arguments run left to right, before the call.
        async fn call_arguments() -> u32 {
            add(leaf("a", 1).await, leaf("b", 2).await)
        }
        with ();

        /// A method chain continues on the output of an await.
        async fn method_chain() -> usize {
            let text = leaf("text", String::from("abc")).await.to_uppercase();
            let count = leaf("items", vec![3, 1, 2])
                .await
                .into_iter()
                .map(|x| x * 2)
                .filter(|x| *x > 2)
                .count();
            text.len() + count
        }
        with ();

        /// Binary operators evaluate their awaited operands left to right.
        async fn binary_operators() -> i64 {
            leaf("a", 2).await * leaf("b", 3).await - leaf("c", 4).await / 2
        }
        with ();

        /// `&&` and `||` do not evaluate (or poll) their right side when short-circuited.
        async fn short_circuit() -> (bool, bool) {
            let and = leaf("left of &&", false).await && leaf("right of &&", true).await;
            let or = leaf("left of ||", true).await || leaf("right of ||", false).await;
            (and, or)
        }
        with ();

        /// `&` and `*` applied to awaited values, with no borrow across an await.
        #[allow(clippy::deref_addrof, reason = "`*&` around an await is the point")]
        async fn reference_and_deref() -> usize {
            let doubled = *&leaf("a", 5_usize).await * 2;
            let boxed = *Box::new(leaf("b", 6_usize).await);
            let len = length(&leaf("c", String::from("four")).await);
            doubled + boxed + len
        }
        with ();

        /// `as` casts of awaited values.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "truncating casts are the point"
        )]
        async fn casts() -> (u8, u32, f64) {
            (
                leaf("a", 300_u32).await as u8,
                leaf("b", -1_i32).await as u32,
                f64::from(leaf("c", 7_u8).await),
            )
        }
        with ();

        /// Field access, tuple field and indexing on awaited values.
        async fn field_and_index() -> u32 {
            leaf("point", Point { x: 1, y: 2 }).await.y
                + leaf("list", vec![10, 20, 30]).await[1]
                + leaf("tuple", (7, 8)).await.0
        }
        with ();

        /// Struct, tuple and array literals with awaited fields and elements.
        async fn literals() -> (Point, (u32, &'static str), [u32; 3]) {
            let point = Point { x: leaf("x", 1).await, y: leaf("y", 2).await };
            let tuple = (leaf("t0", 3).await, leaf("t1", "four").await);
            let array = [leaf("a0", 5).await, 6, leaf("a2", 7).await];
            (point, tuple, array)
        }
        with ();
    }
}

// --- if and match -----------------------------------------------------------

/// Conditions, scrutinees, branches and arms that await.
mod branches {
    use super::*;

    differential! {
        /// The condition and the taken branch await; the other branch never runs.
        async fn if_condition_and_branches(n: u32) -> u32 {
            if leaf("condition", n > 2).await {
                leaf("then", 1).await
            } else {
                leaf("else", 2).await
            }
        }
        with (3), (1);

        /// `if let` awaits its scrutinee and binds from it.
        async fn if_let(input: Option<u32>) -> u32 {
            if let Some(x) = leaf("scrutinee", input).await {
                leaf("some", x * 2).await
            } else {
                log("none");
                0
            }
        }
        with (Some(4)), (None);

        /// An `else if` chain awaits conditions until one holds.
        async fn else_if_chain(n: u32) -> &'static str {
            if leaf("small?", n < 3).await {
                "small"
            } else if leaf("medium?", n < 10).await {
                leaf("medium", "medium").await
            } else {
                "large"
            }
        }
        with (1), (7), (20);

        /// `match` awaits its scrutinee and the chosen arm awaits.
        async fn match_scrutinee_and_arms(n: u32) -> u32 {
            match leaf("which", n).await {
                0 => leaf("zero", 100).await,
                1 | 2 => leaf("one or two", 200).await + n,
                other => other,
            }
        }
        with (0), (2), (9);

        /// A local that must be dropped later is shadowed before an await.
        #[allow(unused_variables, reason = "the shadowed local lives only to be dropped")]
        async fn shadowed_local_dropped_at_scope_end() -> u32 {
            let guard = Noisy::new("first");
            let guard = Noisy::new("second");
            let n = leaf("work", 1).await;
            guard.touch();
            n
        }
        with ();

        /// A match arm rebinds the name of a local the later arms still test.
        async fn arm_rebinds_live_name(n: u32) -> u32 {
            let kept = Noisy::new("kept");
            let result = match n {
                n if leaf("guard", n > 2).await => n * 2,
                _ => n,
            };
            kept.touch();
            result
        }
        with (1), (5);

        /// A match guard awaits; a failed guard falls through to the next arm.
        async fn match_guard_with_await(n: u32) -> &'static str {
            match n {
                x if leaf("big?", x > 5).await => "big",
                x if leaf("odd?", x % 2 == 1).await => "odd",
                _ => "small and even",
            }
        }
        with (8), (3), (2);

        /// A guard awaits on a temporary scrutinee that holds a `Noisy`.
        async fn match_guard_on_temporary(n: u32) -> u32 {
            match (Noisy::new("scrutinee"), n) {
                (_, 0) => 0,
                (_, x) if leaf("check", x > 1).await => leaf("big", x).await,
                (_, x) => x,
            }
        }
        with (0), (1), (5);

        /// A match scrutinee temporary lives through the arms, across their awaits.
        async fn scrutinee_temporary_lives_through_arms() -> u32 {
            let value = match leaf("get", (Noisy::new("scrutinee"), 2)).await {
                (_, 2) => leaf("arm", 20).await,
                _ => 0,
            };
            log("after the match");
            value
        }
        with ();
    }
}

// --- loops ------------------------------------------------------------------

/// `loop`, `while`, `while let` and `for` with awaits in their bodies.
mod loops {
    use super::*;

    differential! {
        /// `loop` awaits on each iteration and exits with `break value`.
        async fn loop_break_value() -> u32 {
            let mut total = 0;
            let result = loop {
                total += leaf("step", 1).await;
                if total == 3 {
                    break total * 10;
                }
            };
            result + 1
        }
        with ();

        /// `while` awaits its condition on every iteration.
        async fn while_await_in_condition() -> u32 {
            let mut i = 0;
            while leaf(format!("more? {i}"), i < 3).await {
                i += 1;
            }
            i
        }
        with ();

        /// `while let` awaits its scrutinee and its body.
        async fn while_let() -> u32 {
            let mut stack = vec![1, 2, 3];
            let mut sum = 0;
            while let Some(x) = leaf("pop", stack.pop()).await {
                sum += leaf(format!("add {x}"), x).await;
            }
            sum
        }
        with ();

        /// `for` over an owned vector holds the iterator, and the rest of the items, across awaits.
        async fn for_over_owned_items() {
            let items = vec![Noisy::new("item 1"), Noisy::new("item 2"), Noisy::new("item 3")];
            for item in items {
                leaf(format!("work on {}", item.name()), ()).await;
                item.touch();
            }
            log("done");
        }
        with ();

        /// Labelled `continue` and `break` leave nested loops from inside after awaits.
        async fn labelled_break_and_continue() -> u32 {
            let mut visited = 0;
            'outer: for i in 0..4 {
                for j in 0..3 {
                    if leaf(format!("skip? {i} {j}"), j == 1).await {
                        continue 'outer;
                    }
                    if i == 2 {
                        break 'outer;
                    }
                    visited += leaf(format!("visit {i} {j}"), 1).await;
                }
            }
            visited
        }
        with ();

        /// A labelled block exits early with `break 'label value`.
        async fn labelled_block(flag: bool) -> u32 {
            let value = 'block: {
                if leaf("exit early?", flag).await {
                    break 'block 1;
                }
                leaf("late", 2).await
            };
            value * 10
        }
        with (true), (false);

        /// A local per iteration is dropped at the end of each iteration.
        async fn local_per_iteration() {
            for i in 0..3 {
                let local = Noisy::new(format!("local {i}"));
                leaf(format!("work {i}"), i).await;
                local.touch();
            }
        }
        with ();
    }
}

// --- ?, return --------------------------------------------------------------

/// Leaving the body early: `?` and `return`, dropping what is alive.
mod early_exit {
    use super::*;

    differential! {
        /// `?` on `Result`: the error returns early and drops the locals.
        async fn try_result(text: &'static str) -> Result<u32, String> {
            let guard = Noisy::new("guard");
            let a = leaf("a", parse("1")).await?;
            let b = leaf("b", parse(text)).await?;
            guard.touch();
            Ok(a + b)
        }
        with ("2"), ("x");

        /// `?` on `Option`.
        async fn try_option(a: Option<u32>, b: Option<u32>) -> Option<u32> {
            let first = leaf("a", a).await?;
            let second = leaf("b", b).await?;
            Some(first + second)
        }
        with (Some(1), Some(2)), (Some(1), None), (None, Some(2));

        /// `return` after an await drops the locals of every open scope.
        async fn early_return(n: u32) -> u32 {
            let outer = Noisy::new("outer");
            if leaf("check", n > 5).await {
                let inner = Noisy::new("inner");
                leaf("before return", ()).await;
                inner.touch();
                return 0;
            }
            outer.touch();
            leaf("rest", n).await
        }
        with (9), (1);

        /// `return` from inside a loop.
        async fn return_from_loop(limit: u32) -> u32 {
            let mut i = 0;
            loop {
                let value = leaf(format!("value {i}"), i).await;
                if value >= limit {
                    return value * 100;
                }
                i += 1;
            }
        }
        with (2);
    }
}

// --- blocks, closures, async blocks -----------------------------------------

/// Block expressions, `unsafe` blocks, closures and `async` blocks in a body.
mod blocks {
    use super::*;

    differential! {
        /// A block expression awaits inside and yields a value.
        async fn block_expression() -> u32 {
            let value = {
                let inner = Noisy::new("inner");
                let a = leaf("a", 1).await;
                inner.touch();
                a + leaf("b", 2).await
            };
            value * 2
        }
        with ();

        /// An `unsafe` block may hold an await.
        async fn unsafe_block() -> u32 {
            // SAFETY: `trusted` is always safe to call.
            let value = unsafe { trusted(leaf("a", 1).await) };
            value + 1
        }
        with ();

        /// A `move` closure is created before an await and called after it.
        async fn closure_in_body(n: u32) -> u32 {
            let add_n = move |x: u32| x + n;
            let a = leaf("a", 1).await;
            let b = add_n(a);
            add_n(b) + leaf("b", 2).await
        }
        with (10);

        /// An `async` block is awaited in place; another is held and awaited later.
        async fn async_blocks(n: u32) -> u32 {
            let now = async move { leaf("inner", n).await + 1 }.await;
            let later = async {
                log("later starts");
                leaf("later", 10).await
            };
            let first = leaf("first", 1).await;
            now + first + later.await
        }
        with (5);
    }
}

// --- drop order and auto traits ---------------------------------------------

/// Drop order at completion, on cancellation, of parameters and temporaries;
/// and auto traits that follow what is held across an await.
mod drops {
    use super::*;

    differential! {
        /// Locals are dropped in reverse order of declaration at the end of the body.
        async fn drop_order_at_completion() {
            let a = Noisy::new("a");
            let b = Noisy::new("b");
            leaf("x", ()).await;
            let c = Noisy::new("c");
            leaf("y", ()).await;
            a.touch();
            b.touch();
            c.touch();
            log("end of body");
        }
        with ();

        /// Parameters, named or `_`, are dropped after the body's locals.
        async fn noisy_parameters(a: Noisy, _: Noisy, _unused: Noisy, b: Noisy) {
            let local = Noisy::new("local");
            leaf("work", ()).await;
            b.touch();
            a.touch();
            local.touch();
        }
        with (Noisy::new("a"), Noisy::new("ignored"), Noisy::new("unused"), Noisy::new("b"));

        /// A temporary argument built before an await lives across it, even when cancelled.
        async fn temporary_argument_across_await() -> u32 {
            consume(Noisy::new("temporary"), leaf("x", 1).await)
        }
        with ();

        /// A half-built struct literal drops its finished fields when cancelled.
        async fn partially_built_struct() -> Pair {
            Pair {
                first: leaf("first", Noisy::new("first")).await,
                second: leaf("second", Noisy::new("second")).await,
            }
        }
        with ();

        /// A future stuck forever is only ever cancelled: it drops what it holds.
        async fn stuck_forever() -> u32 {
            let a = Noisy::new("a");
            leaf("x", ()).await;
            let b = Noisy::new("b");
            let value: u32 = pending_forever("stuck").await;
            a.touch();
            b.touch();
            value
        }
        with ();

        /// An `Rc` held across an await makes the future `!Send`.
        async fn rc_held_across_await() -> usize {
            let shared = Rc::new(Noisy::new("shared"));
            leaf("x", ()).await;
            shared.touch();
            Rc::strong_count(&shared)
        }
        with ();

        /// A `Cell` held across an await makes the future `Send` but `!Sync`.
        async fn cell_held_across_await() -> u32 {
            let counter = Cell::new(1);
            leaf("x", ()).await;
            counter.set(counter.get() + 1);
            counter.get()
        }
        with ();
    }
}

// --- panics -----------------------------------------------------------------

/// Panicking bodies: same message, same drops while unwinding, and the future
/// refuses to be polled again.
mod panics {
    use super::*;

    differential! {
        /// `panic!` after an await unwinds, dropping the locals and parameter.
        async fn panicking_body(n: u32, param: Noisy) -> u32 {
            let _guard = Noisy::new("guard");
            leaf("before", ()).await;
            param.touch();
            if n > 0 {
                panic!("boom {n}");
            }
            leaf("after", n).await
        }
        with (1, Noisy::new("param")), (0, Noisy::new("param"));

        /// An operator that panics on awaited operands (division by zero).
        async fn panicking_operator() -> u32 {
            let _guard = Noisy::new("guard");
            leaf("a", 1).await / leaf("zero", 0).await
        }
        with ();
    }
}

// --- code written once: joins and loop heads --------------------------------

/// Code that can run after more than one state (after a branch that awaits,
/// or a loop body that awaits) is written once, in a state of its own, so an
/// async block or closure there has a single type.
mod joins_and_loops {
    use super::*;

    differential! {
        /// An async block awaited in every iteration of a `for` loop.
        async fn async_block_in_loop(n: u32) -> u32 {
            let mut total = 0;
            for i in 0..n {
                total += async move { leaf("inner", i).await * 2 }.await;
            }
            total
        }
        with (3);

        /// An async block awaited after an `if` whose branch awaits.
        async fn async_block_after_conditional_await(flag: bool) -> u32 {
            if flag {
                leaf("maybe", ()).await;
            }
            let offset = 1;
            async move { leaf("after", 10).await + offset }.await
        }
        with (true), (false);

        /// A closure kept across an await inside a `while` loop.
        async fn closure_across_await_in_loop() -> u32 {
            let mut sum = 0;
            let mut i = 0;
            while i < 3 {
                let scale = move |x: u32| x * (i + 1);
                let value = leaf("value", i).await;
                sum += scale(value);
                i += 1;
            }
            sum
        }
        with ();

        /// A `match` whose arms await, followed by more awaits.
        async fn match_then_await(n: u32) -> u32 {
            let base = match n {
                0 => leaf("zero", 5).await,
                _ => n,
            };
            async move { leaf("then", base).await }.await
        }
        with (0), (4);

        /// `&&` with an await on the right, then another await.
        async fn lazy_and_then_await(flag: bool) -> bool {
            let both = flag && leaf("right", true).await;
            async move { leaf("then", both).await }.await
        }
        with (true), (false);

        /// A loop that breaks with the value of an async block.
        async fn loop_break_value_from_async_block() -> u32 {
            let mut n = 0;
            let found = loop {
                n += 1;
                if leaf("check", n == 3).await {
                    break async move { n * 100 }.await;
                }
            };
            found + async move { leaf("last", 1).await }.await
        }
        with ();

        /// Nested loops, each awaiting, with a `Noisy` per outer iteration.
        async fn nested_loops_with_locals() -> u32 {
            let mut count = 0;
            for i in 0..2 {
                let guard = Noisy::new(if i == 0 { "outer 0" } else { "outer 1" });
                let mut j = 0;
                while j < 2 {
                    count += leaf("inner", 1).await;
                    j += 1;
                }
                guard.touch();
                leaf("outer", ()).await;
            }
            count
        }
        with ();
    }
}

// --- later: borrows across awaits -------------------------------------------
//
// These hold a borrow of a local across an `.await`: the frame must not move
// once polled, which is a later milestone of the macro. Uncomment them then,
// and add `borrows::all_sizes()` to `size_summary`.
//
// mod borrows {
//     use super::*;
//
//     differential! {
//         /// `for` over a borrowed vector awaits with the borrow live.
//         async fn for_over_borrowed_vec() -> u32 {
//             let items = vec![1, 2, 3];
//             let mut sum = 0;
//             for x in &items {
//                 sum += leaf("item", *x).await;
//             }
//             sum
//         }
//         with ();
//
//         /// A reference to a local is passed to an async fn and held while it runs.
//         async fn reference_passed_to_async_fn() -> u32 {
//             let local = Noisy::new("local");
//             borrow_across(&local).await
//         }
//         with ();
//
//         /// A reference taken before an await is used after it.
//         async fn reference_used_after_await() -> usize {
//             let text = String::from("hello");
//             let view = &text;
//             leaf("x", ()).await;
//             view.len()
//         }
//         with ();
//
//         /// A two-phase borrow: the receiver is borrowed while the argument awaits.
//         async fn method_receiver_across_await() -> Vec<u32> {
//             let mut items = Vec::new();
//             items.push(leaf("a", 1).await);
//             items.push(leaf("b", 2).await);
//             items
//         }
//         with ();
//     }
// }
//
// /// Touches a borrowed `Noisy` around an await.
// async fn borrow_across(noisy: &Noisy) -> u32 {
//     noisy.touch();
//     leaf("borrowed", 1).await
// }

// --- the harness itself -----------------------------------------------------

/// Checks of the harness, so a passing differential test means something.
mod harness {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;

    #[test]
    fn a_run_logs_polls_wakes_and_drops_in_order() {
        let (output, events) = run(0, async {
            let a = leaf("a", 1).await;
            a + ready_leaf("b", 2).await
        });
        assert_eq!(output, 3);
        let polls = events
            .iter()
            .filter(|event| event.starts_with("poll #"))
            .count();
        let wakes = events.iter().filter(|event| *event == "wake").count();
        assert_eq!(
            polls,
            wakes + 1,
            "one wake-up before every poll but the first"
        );
        assert_eq!(events.first().map(String::as_str), Some("poll #1"));
        assert_eq!(events.last().map(String::as_str), Some("drop leaf b"));
    }

    #[test]
    fn seeds_choose_different_schedules() {
        let polls = |seed| {
            let (_, events) = run(seed, async {
                for i in 0..4 {
                    leaf(format!("leaf {i}"), ()).await;
                }
            });
            events
                .iter()
                .filter(|event| event.starts_with("poll #"))
                .count()
        };
        let counts: Vec<usize> = SEEDS.map(polls).collect();
        assert!(counts.iter().any(|&count| count != counts[0]), "{counts:?}");
        assert_eq!(polls(3), polls(3), "the same seed gives the same schedule");
    }

    #[test]
    fn a_future_that_does_not_wake_is_reported_as_stalled() {
        let message = panic_message(|| {
            run(0, pending_forever::<()>("stuck"));
        });
        assert!(message.is_some_and(|message| message.contains("without waking")));
    }

    #[test]
    fn a_future_that_wakes_itself_forever_is_given_up() {
        struct Spin;
        impl Future for Spin {
            type Output = ();
            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
        let message = panic_message(|| {
            run(0, Spin);
        });
        assert!(message.is_some_and(|message| message.contains("gave up")));
    }

    #[test]
    fn a_leaf_polled_after_ready_panics() {
        let message = repoll_outcome(0, || ready_leaf("done", 1)).result;
        assert_eq!(
            message,
            Err("leaf `done` polled after it returned `Ready`".to_owned())
        );
    }

    #[test]
    fn cancelling_drops_what_the_future_holds() {
        let never_polled = cancel_after(0, drops::stuck_forever::native::stuck_forever(), 0);
        assert_eq!(never_polled, ["cancel"]);
        let stuck = cancel_after(0, drops::stuck_forever::native::stuck_forever(), 100);
        let tail = &stuck[stuck.len() - 6..];
        assert_eq!(
            tail,
            [
                "poll stuck",
                "stalled",
                "cancel",
                "drop leaf stuck",
                "drop b",
                "drop a"
            ]
        );
    }

    #[test]
    fn cancelling_after_the_end_returns_the_whole_run() {
        let events = cancel_after(0, async { ready_leaf("a", Noisy::new("output")).await }, 5);
        assert!(!events.contains(&"cancel".to_owned()));
        assert_eq!(events.last().map(String::as_str), Some("drop output"));
    }

    #[test]
    fn native_futures_panic_when_polled_after_completion() {
        let outcome = repoll_outcome(0, || straight_line::no_await::native::no_await(1));
        assert_eq!(
            outcome.result,
            Err("`async fn` resumed after completion".to_owned())
        );
    }

    #[test]
    fn probes_see_through_opaque_futures() {
        let plain = straight_line::seed_example::native::seed_example(1);
        let holds_rc = drops::rc_held_across_await::native::rc_held_across_await();
        let holds_cell = drops::cell_held_across_await::native::cell_held_across_await();
        assert_eq!(
            auto_traits!(plain),
            AutoTraits {
                send: true,
                sync: true,
                unpin: false
            }
        );
        assert!(!is_send!(holds_rc) && !is_sync!(holds_rc));
        assert!(is_send!(holds_cell) && !is_sync!(holds_cell));
        assert!(is_unpin!(1_u32) && is_sync!(1_u32));
    }

    #[test]
    fn a_difference_is_reported_with_the_first_differing_event() {
        let message = panic_message(|| {
            same_runs("example", || ready_leaf("a", 1), || ready_leaf("b", 1));
        });
        let message = message.expect("the twins differ");
        assert!(message.contains("events differ at index 1"), "{message}");
        assert!(message.contains(r#"native Some("poll a"), desugared Some("poll b")"#));
    }
}

// --- size summary -----------------------------------------------------------

/// Prints the sizes of all cases; see `cargo test --test differential
/// size_summary -- --nocapture`. It never fails on sizes.
#[test]
fn size_summary() {
    let sections = [
        straight_line::all_sizes(),
        lets::all_sizes(),
        expressions::all_sizes(),
        branches::all_sizes(),
        loops::all_sizes(),
        early_exit::all_sizes(),
        blocks::all_sizes(),
        drops::all_sizes(),
        panics::all_sizes(),
        joins_and_loops::all_sizes(),
    ];
    print_size_table(&sections.concat());
}

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
//! The file also builds as edition 2018 and 2021 crates (see `Cargo.toml`);
//! the cases that need edition 2024 are at the end.
//!
//! Vocabulary, all from `support`: `leaf(name, value)` is an await that is
//! ready with `value` after zero to two `Pending`s; `ready_leaf` is ready at
//! once; `pending_forever` never is; `Noisy::new(name)` logs `touch` when used
//! and `drop` when dropped; `log(event)` writes any event.

#![allow(
    clippy::uninlined_format_args,
    reason = "this file also builds as edition 2018, where `panic!` with one literal does not \
              format it"
)]

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

        /// A pattern parameter between plain ones: each is dropped in the order declared, reversed.
        async fn pattern_parameter_between_plain_ones(
            first: Noisy,
            (a, _, b): (Noisy, Noisy, Noisy),
            last: Noisy,
        ) {
            leaf("work", ()).await;
            a.touch();
            last.touch();
            b.touch();
            first.touch();
        }
        with (
            Noisy::new("first"),
            (Noisy::new("a"), Noisy::new("ignored"), Noisy::new("b")),
            Noisy::new("last"),
        );

        /// Parameters, named or `_`, are dropped after the body's locals.
        async fn noisy_parameters(a: Noisy, _: Noisy, _unused: Noisy, b: Noisy) {
            let local = Noisy::new("local");
            leaf("work", ()).await;
            b.touch();
            a.touch();
            local.touch();
        }
        with (Noisy::new("a"), Noisy::new("ignored"), Noisy::new("unused"), Noisy::new("b"));

        /// rust-lang/rust#62958: a parameter used after an await is stored twice by rustc
        /// (as the captured argument and as the body's local); the desugared state holds it once.
        async fn parameter_used_after_await(block: [u8; 64], n: u32) -> u32 {
            leaf("first", ()).await;
            let sum = block.iter().map(|&b| u32::from(b)).sum::<u32>();
            sum + leaf("second", n).await
        }
        with ([1; 64], 2);

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
                panic!("boom {}", n);
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

// --- adversarial: control-flow corners ----------------------------------------
/// Control-flow corners written to find differences: labelled breaks with
/// values, `continue` and `?` in loops, `let else` that awaits, deferred
/// initialization, temporaries that outlive an await, evaluation order, and
/// many `Noisy` values to pin down drop order. Cases the macro gets wrong
/// are kept, commented out, at the end of the module.
mod adversarial {
    use std::num::ParseIntError;

    use super::*;

    /// An error built by `?` through `From`; the conversion logs.
    #[derive(Debug)]
    #[allow(dead_code, reason = "the field is read through `Debug` only")]
    struct AppError(String);

    impl From<ParseIntError> for AppError {
        fn from(error: ParseIntError) -> Self {
            log(format!("convert {error}"));
            AppError(error.to_string())
        }
    }

    /// A struct with a `Noisy` field and a plain one, for `..base`.
    #[derive(Debug)]
    #[allow(dead_code, reason = "the fields are read through `Debug` only")]
    struct Mixed {
        label: Noisy,
        count: u32,
        other: Noisy,
    }

    /// Loops and labels: `break` with values, `continue`, early exits from loop bodies.
    mod loops_and_labels {
        use super::*;

        differential! {
            /// `break 'outer value` leaves two nested loops after awaits, dropping both iterations' locals.
            async fn break_outer_with_value(limit: u32) -> u32 {
                let outer_guard = Noisy::new("outer guard");
                let mut i = 0;
                let found = 'outer: loop {
                    let per_outer = Noisy::new(format!("outer {i}"));
                    let mut j = 0;
                    loop {
                        let per_inner = Noisy::new(format!("inner {i} {j}"));
                        let v = leaf(format!("v {i} {j}"), i * 10 + j).await;
                        if v >= limit {
                            per_inner.touch();
                            break 'outer v * 2;
                        }
                        if j == 2 {
                            break;
                        }
                        j += 1;
                    }
                    per_outer.touch();
                    i += 1;
                };
                outer_guard.touch();
                found + leaf("after", 1).await
            }
            with (12), (0);

            /// `continue` in a `while` whose condition awaits re-evaluates the condition.
            async fn continue_in_while_awaiting_condition() -> u32 {
                let mut i = 0;
                let mut sum = 0;
                while leaf(format!("cond {i}"), i < 5).await {
                    let local = Noisy::new(format!("local {i}"));
                    i += 1;
                    if i % 2 == 0 {
                        continue;
                    }
                    sum += leaf(format!("body {i}"), i).await;
                    local.touch();
                }
                sum
            }
            with ();

            /// A `match` inside a loop inside an `if`, all awaiting.
            async fn match_in_loop_in_if(flag: bool, n: u32) -> u32 {
                let mut acc = 0;
                if leaf("flag", flag).await {
                    let guard = Noisy::new("if guard");
                    let mut i = 0;
                    loop {
                        match leaf(format!("step {i}"), i % 3).await {
                            0 => acc += leaf("zero", 1).await,
                            1 => {
                                let arm = Noisy::new(format!("arm {i}"));
                                acc += leaf("one", 10).await;
                                arm.touch();
                            }
                            _ => {
                                if i >= n {
                                    break;
                                }
                            }
                        }
                        i += 1;
                    }
                    guard.touch();
                } else {
                    acc = leaf("else", 1000).await;
                }
                acc + leaf("end", 0).await
            }
            with (true, 4), (false, 0), (true, 0);

            /// A `loop` whose body starts with a `break` test, before any await.
            async fn loop_starts_with_break_test(limit: u32) -> u32 {
                let mut i = 0;
                let mut sum = 0;
                loop {
                    if i >= limit {
                        break;
                    }
                    let local = Noisy::new(format!("iteration {i}"));
                    sum += leaf(format!("step {i}"), i).await;
                    local.touch();
                    i += 1;
                }
                sum
            }
            with (0), (3);

            /// A `Noisy` per iteration and one outside the loop, with awaits before and after the inner one.
            async fn noisy_inside_and_outside_loop() -> u32 {
                let outside = Noisy::new("outside");
                let mut count = 0;
                while count < 3 {
                    leaf(format!("before {count}"), ()).await;
                    let inside = Noisy::new(format!("inside {count}"));
                    count += leaf(format!("after {count}"), 1).await;
                    inside.touch();
                }
                outside.touch();
                count
            }
            with ();

            /// `while let` over `Vec::pop` of `Noisy` values, awaiting with each popped value alive.
            async fn while_let_pop_noisy() -> usize {
                let mut stack = vec![Noisy::new("one"), Noisy::new("two"), Noisy::new("three")];
                let mut seen = 0;
                while let Some(item) = stack.pop() {
                    leaf(format!("got {}", item.name()), ()).await;
                    item.touch();
                    seen += 1;
                }
                seen + stack.len()
            }
            with ();

            /// A labelled block with `break 'b` before any await, between awaits and after them.
            async fn labelled_block_breaks(n: u32) -> u32 {
                let outer = Noisy::new("outer");
                let v = 'b: {
                    let first = Noisy::new("first");
                    if n == 0 {
                        break 'b 100;
                    }
                    let a = leaf("a", n).await;
                    if a == 1 {
                        first.touch();
                        break 'b a + 200;
                    }
                    let second = Noisy::new("second");
                    let b = leaf("b", a * 2).await;
                    if b == 4 {
                        break 'b b + 300;
                    }
                    second.touch();
                    b + leaf("c", 1).await
                };
                outer.touch();
                v
            }
            with (0), (1), (2), (3);

            /// A `for` loop over an awaited range, breaking early with the rest of owned items dropped.
            async fn for_break_drops_rest() -> u32 {
                let items = leaf("items", vec![Noisy::new("i0"), Noisy::new("i1"), Noisy::new("i2")]).await;
                let mut n = 0;
                for item in items {
                    if leaf(format!("stop at {}?", item.name()), n == 1).await {
                        break;
                    }
                    item.touch();
                    n += 1;
                }
                log("after loop");
                for i in leaf("lo", 0).await..leaf("hi", 2).await {
                    n += leaf(format!("range {i}"), i).await;
                }
                n
            }
            with ();

            /// `continue 'outer` and `break` from a `while let` inside a `loop`, after awaits.
            async fn continue_outer_from_while_let() -> u32 {
                let mut rounds = 0;
                let mut total = 0;
                'outer: loop {
                    let round = Noisy::new(format!("round {rounds}"));
                    rounds += 1;
                    if rounds > 3 {
                        break;
                    }
                    let mut stack = vec![1, 2, 3];
                    while let Some(x) = stack.pop() {
                        let item = Noisy::new(format!("item {x}"));
                        total += leaf(format!("item {rounds} {x}"), x).await;
                        if x == rounds {
                            continue 'outer;
                        }
                        item.touch();
                    }
                    round.touch();
                }
                total
            }
            with ();

            /// `break` with a value from a `loop` inside a `match` arm inside a `while`.
            async fn break_value_in_arm_in_while() -> u32 {
                let mut i = 0;
                let mut sum = 0;
                while i < 3 {
                    let w = Noisy::new(format!("while {i}"));
                    sum += match leaf(format!("which {i}"), i).await {
                        1 => {
                            let mut k = 0;
                            loop {
                                k += leaf(format!("k {k}"), 1).await;
                                if k == 2 {
                                    break k * 100;
                                }
                            }
                        }
                        _ => leaf("other", 1).await,
                    };
                    w.touch();
                    i += 1;
                }
                sum
            }
            with ();

            /// An `if` without `else` that awaits, then more awaits, with locals on both sides.
            async fn if_without_else_then_awaits(flag: bool) -> u32 {
                let before = Noisy::new("before");
                let mut n = leaf("start", 1).await;
                if flag {
                    let inside = Noisy::new("inside");
                    n += leaf("inside", 10).await;
                    inside.touch();
                }
                let after = Noisy::new("after");
                n += leaf("after 1", 100).await;
                before.touch();
                n += leaf("after 2", 1000).await;
                after.touch();
                n
            }
            with (true), (false);

            /// `return` from a `while let` body after awaits drops the body's and the outer locals.
            async fn return_from_while_let(mut items: Vec<u32>) -> u32 {
                let outer = Noisy::new("outer");
                while let Some(x) = items.pop() {
                    let local = Noisy::new(format!("local {x}"));
                    let v = leaf(format!("item {x}"), x).await;
                    if v == 2 {
                        return v + leaf("returning", 100).await;
                    }
                    local.touch();
                }
                outer.touch();
                0
            }
            with (vec![1, 2, 3]), (vec![5]);

            /// A `let else` in a loop whose `else` awaits and then `continue`s.
            async fn let_else_continue_in_loop() -> u32 {
                let mut sum = 0;
                for i in 0..4 {
                    let local = Noisy::new(format!("local {i}"));
                    let Some(v) = leaf(format!("get {i}"), (i % 2 == 0).then_some(i)).await else {
                        leaf(format!("skip {i}"), ()).await;
                        continue;
                    };
                    local.touch();
                    sum += v;
                }
                sum
            }
            with ();

            /// `break 'outer` out of nested `for` loops over owned `Noisy` items drops both iterators' rest.
            async fn nested_for_break_outer() -> u32 {
                let outer = vec![Noisy::new("o0"), Noisy::new("o1")];
                let mut n = 0;
                'outer: for o in outer {
                    let name = o.name().to_owned();
                    let inner = vec![Noisy::new(format!("{name} i0")), Noisy::new(format!("{name} i1"))];
                    for i in inner {
                        n += leaf(format!("visit {}", i.name()), 1).await;
                        if n == 3 {
                            break 'outer;
                        }
                    }
                    o.touch();
                }
                n
            }
            with ();
        }
    }

    /// `?`, `return`, `let else`, guards, deferred initialization and panics in branches.
    mod exits_and_branches {
        use super::*;

        differential! {
            /// `?` inside a `for` loop after an await drops the iteration's and the outer locals.
            async fn try_inside_loop(texts: Vec<&'static str>) -> Result<u32, String> {
                let outer = Noisy::new("outer");
                let mut total = 0;
                for text in texts {
                    let local = Noisy::new(format!("item {text}"));
                    let n = leaf(format!("parse {text}"), parse(text)).await?;
                    local.touch();
                    total += n;
                }
                outer.touch();
                Ok(total)
            }
            with (vec!["1", "2"]), (vec!["1", "x", "3"]);

            /// A `let else` whose `else` block awaits before returning.
            async fn let_else_awaits_in_else(input: Result<u32, &'static str>) -> u32 {
                let guard = Noisy::new("guard");
                let Ok(value) = leaf("get", input).await else {
                    let in_else = Noisy::new("in else");
                    let fallback = leaf("fallback", 7).await;
                    in_else.touch();
                    return fallback;
                };
                guard.touch();
                value + leaf("after", 1).await
            }
            with (Ok(3)), (Err("no"));

            /// Several guarded arms that await, with `&&` in a guard.
            async fn guards_await_several_arms(n: u32, m: u32) -> u32 {
                let guard = Noisy::new("guard");
                let r = match (n, m) {
                    (0, _) => 0,
                    (a, b) if leaf("sum big?", a + b > 10).await => leaf("big", a + b).await,
                    (a, _) if a % 2 == 0 && leaf("even and?", m > 2).await => a * 100,
                    (a, b) if leaf("equal?", a == b).await => a,
                    _ => leaf("fallback", 7).await,
                };
                guard.touch();
                r
            }
            with (0, 1), (6, 6), (2, 3), (3, 3), (3, 4), (2, 1);

            /// A `Noisy` built from awaited parts is returned early from a nested block.
            async fn early_return_of_noisy(n: u32) -> Noisy {
                let other = Noisy::new("other");
                let name = leaf("name", format!("result {n}")).await;
                let result = Noisy::new(name);
                if leaf("early?", n > 1).await {
                    let extra = Noisy::new("extra");
                    leaf("before return", ()).await;
                    extra.touch();
                    return result;
                }
                other.touch();
                leaf("wrap", result).await
            }
            with (2), (0);

            /// `?` on `Option` in a `while` condition after an await.
            async fn try_in_while_condition(values: Vec<Option<u32>>) -> Option<u32> {
                let guard = Noisy::new("guard");
                let mut iter = values.into_iter();
                let mut sum = 0;
                while leaf("next", iter.next()).await?? > 0 {
                    sum += leaf("add", 1).await;
                }
                guard.touch();
                Some(sum)
            }
            with (vec![Some(2), Some(1), Some(0)]), (vec![Some(3), None]), (vec![Some(4)]);

            /// A `match` that binds a `Noisy` by move from an awaited value, its arms awaiting.
            async fn match_binds_noisy_by_move(flag: bool) -> usize {
                let pick = if flag { Ok(Noisy::new("ok")) } else { Err(Noisy::new("err")) };
                match leaf("pick", pick).await {
                    Ok(n) => {
                        leaf("ok arm", ()).await;
                        n.touch();
                        n.name().len()
                    }
                    Err(e) => {
                        let len = e.name().len();
                        leaf("err arm", len).await
                    }
                }
            }
            with (true), (false);

            /// A borrowed `&str` parameter with an elided lifetime, used after awaits.
            async fn elided_lifetime_parameter(text: &str) -> usize {
                let before = leaf("a", text.len()).await;
                before + text.trim().len() + leaf("b", 1).await
            }
            with ("  abc ");

            /// `?` in a match arm after the arm's await, and before it in an arm that does not await.
            async fn try_in_match_arm_after_await(kind: u32, text: &'static str) -> Result<u32, String> {
                let guard = Noisy::new("guard");
                let value = match leaf("kind", kind).await {
                    0 => {
                        let arm = Noisy::new("arm");
                        let n = leaf("parse", parse(text)).await?;
                        arm.touch();
                        n
                    }
                    1 => leaf("one", 1).await + parse(text)?,
                    _ => parse(text)?,
                };
                guard.touch();
                Ok(value)
            }
            with (0, "5"), (0, "x"), (1, "7"), (1, "y"), (2, "3"), (2, "z");

            /// `?` converts a `ParseIntError` with `From`, after awaits, in a loop and in match arms.
            async fn try_from_conversion_after_await(texts: Vec<&'static str>) -> Result<u32, AppError> {
                let guard = Noisy::new("guard");
                let mut sum = 0;
                for text in texts {
                    let local = Noisy::new(format!("local {text}"));
                    sum += match leaf(format!("kind {text}"), text.len()).await {
                        1 => leaf(format!("parse {text}"), text.parse::<u32>()).await?,
                        _ => leaf("scale", 10).await * text.parse::<u32>()?,
                    };
                    local.touch();
                }
                guard.touch();
                Ok(sum)
            }
            with (vec!["1", "23"]), (vec!["1", "x"]), (vec!["yy", "2"]);

            /// `let x;` assigned in every branch, the awaiting branch first, with a `Noisy` assigned late.
            #[allow(clippy::needless_late_init, reason = "deferred initialization is the point")]
            async fn deferred_init_awaiting_branch_first(n: u32) -> u32 {
                let x;
                let guard;
                match n {
                    0 => {
                        x = leaf("zero", 1).await;
                        guard = Noisy::new("zero");
                    }
                    _ => {
                        x = 3;
                        guard = Noisy::new("other");
                    }
                }
                let y: u32;
                if x > 1 {
                    y = leaf("big", x * 10).await;
                } else {
                    y = x;
                }
                guard.touch();
                x + y + leaf("end", 0).await
            }
            with (0), (1);

            /// `return`, `?` and `break` inside an operand, with a `Noisy` temporary argument pending.
            async fn exits_inside_operands(flag: bool, text: &'static str) -> Result<u32, String> {
                let outer = Noisy::new("outer");
                let mut i = 0;
                let mut s = 0;
                loop {
                    i += 1;
                    s += consume(Noisy::new(format!("t {i}")), if leaf("stop?", i == 2).await { break } else { i });
                }
                let v = consume(Noisy::new("ret temp"), if leaf("return?", flag).await { return Ok(7) } else { 1 });
                let w = consume(Noisy::new("try temp"), leaf("parse", parse(text)).await?);
                outer.touch();
                Ok(s + v + w)
            }
            with (true, "1"), (false, "2"), (false, "x");

            /// A panic in a guarded arm (out-of-bounds index) while the scrutinee's `Noisy` temporary is alive.
            async fn panic_in_guarded_arm(n: u32) -> u32 {
                let guard = Noisy::new("guard");
                let r = match (Noisy::new("scrutinee"), leaf("n", n).await) {
                    (_, 0) => 0,
                    (_, x) if x == 1 && leaf("check", x).await > 0 => [1_u32][x as usize],
                    (_, x) => x,
                };
                guard.touch();
                r
            }
            with (0), (1), (2);

            /// An `if` whose `else` panics, and `return;` from a loop of a unit fn.
            async fn diverging_branches(flag: bool) -> u32 {
                let keep = Noisy::new("keep");
                let x = if flag { leaf("a", 1).await } else { panic!("no flag") };
                keep.touch();
                let mut i = 0;
                loop {
                    let it = Noisy::new(format!("it {i}"));
                    if leaf("stop?", i == 2).await {
                        break;
                    }
                    it.touch();
                    i += 1;
                }
                x + leaf("b", 1).await
            }
            with (true), (false);

            /// `if let` and `while let` with awaited scrutinees whose bodies hoist a call before an await.
            async fn let_scrutinee_then_hoisted_call(input: Option<u32>) -> u32 {
                let mut s = 0;
                if let Some(k) = leaf("kind", input).await {
                    s += add(k, 2) + leaf("one", 1).await;
                }
                let mut stack = vec![1, 2];
                while let Some(k) = leaf("pop", stack.pop()).await {
                    s += add(k, 2) + leaf("two", 1).await;
                }
                s
            }
            with (Some(1)), (None);
        }
    }

    /// Temporaries, discarded outputs, shadowing, closures, `async` blocks and panics.
    mod temporaries_and_drops {
        use super::*;

        differential! {
            /// Struct literals with awaited fields and a `..base`, itself awaited and holding `Noisy` fields.
            async fn struct_update_syntax() -> (Point, Mixed) {
                let base = Point { x: 1, y: 2 };
                let p = Point { x: leaf("x", 10).await, ..base };
                let q = Point { y: leaf("y", 20).await, ..leaf("base", p).await };
                let mixed = Mixed {
                    label: leaf("label", Noisy::new("new label")).await,
                    ..leaf(
                        "mixed base",
                        Mixed { label: Noisy::new("old label"), count: 3, other: Noisy::new("other") },
                    )
                    .await
                };
                (q, mixed)
            }
            with ();

            /// An array repeat of an awaited `Copy` value.
            async fn array_repeat() -> ([u32; 3], [Option<u32>; 2]) {
                let a = [leaf("x", 7).await; 3];
                let b = [leaf("y", Some(1)).await; 2];
                (a, b)
            }
            with ();

            /// Awaited outputs holding `Noisy` values discarded as statements and by `let _`.
            async fn discarded_outputs() -> u32 {
                let keep = Noisy::new("keep");
                leaf("tuple", (Noisy::new("t0"), Noisy::new("t1"))).await;
                let _ = leaf("underscore", Noisy::new("underscore")).await;
                let _named = leaf("named", Noisy::new("named")).await;
                for i in 0..2 {
                    leaf(format!("loop {i}"), Noisy::new(format!("loop value {i}"))).await;
                }
                keep.touch();
                leaf("end", 5).await
            }
            with ();

            /// A live `Noisy` shadowed by others across awaits: all are dropped at the end, newest first.
            async fn shadowing_live_noisy() -> usize {
                let guard = Noisy::new("first");
                leaf("a", ()).await;
                guard.touch();
                let guard = Noisy::new("second");
                leaf("b", ()).await;
                guard.touch();
                let guard = leaf("third", Noisy::new("third")).await;
                leaf("c", ()).await;
                guard.name().len()
            }
            with ();

            /// A `Noisy` shadowed in an inner block that awaits; the outer one is used after it.
            async fn shadowing_in_inner_block() -> u32 {
                let x = Noisy::new("outer x");
                {
                    let x = Noisy::new("inner x");
                    leaf("inner", ()).await;
                    x.touch();
                }
                leaf("outer", ()).await;
                x.touch();
                1
            }
            with ();

            /// A panic after an await inside a loop, with locals inside and outside the loop.
            async fn panic_inside_loop(limit: u32) -> u32 {
                let outer = Noisy::new("outer");
                let mut i = 0;
                loop {
                    let local = Noisy::new(format!("local {i}"));
                    let v = leaf(format!("step {i}"), i).await;
                    if v == limit {
                        panic!("limit {} reached", v);
                    }
                    local.touch();
                    i += 1;
                    if i > 3 {
                        break;
                    }
                }
                outer.touch();
                i
            }
            with (2), (10);

            /// A panic (out-of-bounds index) while a `Noisy` temporary argument waits for the call.
            async fn panic_with_temporary_alive(index: usize) -> u32 {
                let list = vec![1, 2];
                consume(Noisy::new("temporary"), leaf("a", 1).await + list[index])
            }
            with (1), (5);

            /// A `while` condition's temporary is dropped before the body runs.
            async fn while_condition_temporary() -> u32 {
                let mut i = 0;
                while leaf(format!("c {i}"), (Noisy::new(format!("cond {i}")), i < 2)).await.1 {
                    leaf(format!("body {i}"), ()).await;
                    i += 1;
                }
                i
            }
            with ();

            /// A tuple pattern with `_` leaves that part in the temporary, dropped at the statement's end.
            async fn let_pattern_with_wildcard() -> u32 {
                let (a, _) = leaf("pair", (1, Noisy::new("ignored"))).await;
                let (_, b) = leaf("pair 2", (Noisy::new("ignored 2"), 2)).await;
                let (c, _rest) = leaf("pair 3", (3, Noisy::new("kept"))).await;
                leaf("after", ()).await;
                a + b + c
            }
            with ();

            /// Unary operators, a closure called with awaited arguments, and constructors.
            #[allow(clippy::redundant_closure_call, reason = "a closure called in place is the point")]
            async fn unary_and_calls() -> (bool, i32, u32, Option<u32>) {
                let not = !leaf("bool", false).await;
                let neg = -leaf("int", 5).await;
                let sum = (move |a: u32, b: u32| a + b)(leaf("a", 1).await, leaf("b", 2).await);
                let some = Some(leaf("some", 9).await);
                (not, neg, sum, some)
            }
            with ();

            /// A `move` closure owning a `Noisy` built in its own block, made before awaits and called after.
            async fn move_closure_built_in_block() -> usize {
                let describe = {
                    let owned = Noisy::new("captured");
                    move |n: usize| {
                        owned.touch();
                        owned.name().len() + n
                    }
                };
                let a = leaf("a", 1).await;
                let first = describe(a);
                let b = leaf("b", 2).await;
                first + describe(b)
            }
            with ();

            /// `async move` blocks that build a `Noisy` inside, awaited in a loop, then one held across a join.
            async fn async_move_blocks_owning_noisy(flag: bool) -> u32 {
                let mut total = 0;
                for i in 0..3 {
                    total += async move {
                        let noisy = Noisy::new(format!("inner {i}"));
                        let v = leaf(format!("inner {i}"), i).await;
                        noisy.touch();
                        v
                    }
                    .await;
                }
                if flag {
                    total += leaf("join", 10).await;
                }
                let held = async move { leaf("held", total).await + 1 };
                let extra = leaf("extra", 100).await;
                held.await + extra
            }
            with (true), (false);

            /// A `Noisy` reassigned in a loop after awaits, then from an awaited value: each old value drops at the assignment.
            async fn reassign_noisy_across_awaits() -> usize {
                let mut current = Noisy::new("start");
                for i in 0..3 {
                    leaf(format!("work {i}"), ()).await;
                    current.touch();
                    current = Noisy::new(format!("value {i}"));
                }
                current = leaf("last", Noisy::new("awaited")).await;
                leaf("end", ()).await;
                current.name().len()
            }
            with ();

            /// An await whose operand awaits, and an await of an awaited future.
            async fn nested_awaits() -> u32 {
                let a = leaf("outer", leaf("inner", 1).await).await;
                let b = leaf("future", leaf("inside", 2)).await.await;
                a + b
            }
            with ();
        }
    }

    /// Operands that branch and await, and names that collide with the machine's.
    mod operands_and_names {
        use super::*;

        differential! {
            /// `match`, `if` and labelled-block operands that await, next to a `Noisy` temporary argument.
            async fn branching_operands(n: u32) -> u32 {
                let x = consume(
                    Noisy::new("temp"),
                    match n {
                        0 => leaf("zero", 10).await,
                        _ => {
                            let inner = Noisy::new("inner");
                            let v = leaf("other", 20).await;
                            inner.touch();
                            v
                        }
                    },
                );
                let y = consume(Noisy::new("block temp"), 'b: {
                    if leaf("early?", n == 1).await {
                        break 'b 1;
                    }
                    leaf("late", 2).await
                });
                add(if n > 1 { leaf("if", 1).await } else { 2 }, leaf("second", 3).await) + x + y
            }
            with (0), (1), (2);

            /// A match arm binds the name of a live outer `Noisy`; the outer one is used after the match.
            #[allow(clippy::match_single_binding, reason = "the arm's own binding is the point")]
            async fn arm_binding_shadows_outer_noisy() -> usize {
                let x = Noisy::new("outer");
                let n = match leaf("v", Noisy::new("inner")).await {
                    x => {
                        leaf("arm", ()).await;
                        x.touch();
                        x.name().len()
                    }
                };
                x.touch();
                n
            }
            with ();

            /// Locals named like the machine's internals (`__state`, `__output`, `__tmp0`, ...).
            async fn locals_named_like_internals(__state: u32) -> u32 {
                let __output = leaf("a", 1).await;
                let __tmp0 = 10;
                let __cx = 100;
                let __value = if __output > 0 { leaf("b", 1000).await } else { 0 };
                let __awaitee = add(__tmp0, leaf("c", 1).await);
                let __scrutinee0 = match leaf("d", 2).await {
                    2 => leaf("e", 5).await,
                    _ => 0,
                };
                __state + __output + __tmp0 + __cx + __value + __awaitee + __scrutinee0
            }
            with (10000);
        }
    }

    /// The name, native size and desugared size of every adversarial case.
    pub(crate) fn all_sizes() -> Vec<(&'static str, usize, usize)> {
        [
            loops_and_labels::all_sizes(),
            exits_and_branches::all_sizes(),
            temporaries_and_drops::all_sizes(),
            operands_and_names::all_sizes(),
            regressions::all_sizes(),
        ]
        .concat()
    }

    /// Cases that exposed macro bugs, kept as regressions once fixed.
    mod regressions {
        use super::*;

        differential! {
         /// Parameter patterns: a tuple parameter with a `_` part and a `mut` parameter.
         async fn parameter_patterns((a, _): (Noisy, Noisy), mut count: u32) -> u32 {
             let local = Noisy::new("local");
             count += leaf("add", 1).await;
             a.touch();
             local.touch();
             count
         }
         with ((Noisy::new("a"), Noisy::new("ignored")), 1);

         /// Assignment evaluates the assigned value before the place; `+=` on primitives too.
         async fn assignment_evaluation_order() -> Vec<u32> {
             let mut v = vec![0, 0, 0];
             v[leaf("index", 1).await] = leaf("value", 5).await;
             v[leaf("index 2", 2).await] += leaf("value 2", 7).await;
             v
         }
         with ();

         /// Awaits in both operands of comparisons, one with a `Noisy` temporary.
         async fn awaits_in_comparisons() -> (bool, bool, bool) {
             let lt = leaf("left", 1).await < leaf("right", 2).await;
             let eq = leaf("a", Noisy::new("a")).await.name().len()
                 == leaf("b", Noisy::new("b")).await.name().len();
             let ge = leaf("c", 3).await >= helper(1).await;
             (lt, eq, ge)
         }
         with ();

         /// A temporary in a `let` initializer lives across a later await in the same statement.
         async fn let_statement_temporary() -> usize {
             let before = Noisy::new("before");
             let n = leaf("a", Noisy::new("temp a")).await.name().len() + leaf("b", 1).await;
             before.touch();
             n + leaf("c", 1).await
         }
         with ();

         /// A `match` on an awaited scrutinee whose arm calls a function before an await.
         async fn match_scrutinee_then_hoisted_call(kind: u32) -> u32 {
             match leaf("kind", kind).await {
                 1 => add(add(1, 2), leaf("one", 1).await),
                 _ => 0,
             }
         }
         with (1), (0);

         /// `?` in match arms, before and after an await, with a local in the arm.
         async fn try_in_match_arm(kind: u32, text: &'static str) -> Result<u32, String> {
             let guard = Noisy::new("guard");
             let value = match leaf("kind", kind).await {
                 0 => {
                     let arm = Noisy::new("arm");
                     let n = leaf("parse", parse(text)).await?;
                     arm.touch();
                     n
                 }
                 1 => parse(text)? + leaf("one", 1).await,
                 _ => 0,
             };
             guard.touch();
             Ok(value)
         }
         with (0, "5"), (0, "x"), (1, "7"), (1, "y"), (2, "z");

         /// `?` converts a `ParseIntError` with `From`, in a loop and in match arms.
         async fn try_with_from_conversion(texts: Vec<&'static str>) -> Result<u32, AppError> {
             let guard = Noisy::new("guard");
             let mut sum = 0;
             for text in texts {
                 let local = Noisy::new(format!("local {text}"));
                 sum += match leaf(format!("kind {text}"), text.len()).await {
                     1 => leaf(format!("parse {text}"), text.parse::<u32>()).await?,
                     _ => text.parse::<u32>()? * leaf("scale", 10).await,
                 };
                 local.touch();
             }
             guard.touch();
             Ok(sum)
         }
         with (vec!["1", "23"]), (vec!["1", "x"]), (vec!["yy", "2"]);

         /// `let x;` assigned in each arm of a `match` and an `if`, some arms awaiting.
         #[allow(clippy::needless_late_init, reason = "deferred initialization is the point")]
         async fn deferred_init_in_branches(n: u32) -> u32 {
             let x;
             let guard;
             match n {
                 0 => {
                     guard = Noisy::new("zero");
                     x = leaf("zero", 1).await;
                 }
                 1 => {
                     x = 2;
                     guard = leaf("one", Noisy::new("one")).await;
                 }
                 _ => {
                     guard = Noisy::new("other");
                     x = 3;
                 }
             }
             let y: u32;
             if x > 1 {
                 y = leaf("big", x * 10).await;
             } else {
                 y = x;
             }
             guard.touch();
             x + y + leaf("end", 0).await
         }
         with (0), (1), (2);

         /// `let x;` assigned after an await inside a `loop`, then read after the loop.
         async fn deferred_init_in_loop() -> u32 {
             let x;
             let mut i = 0;
             loop {
                 i += 1;
                 if leaf("ready?", i == 2).await {
                     x = leaf("value", i * 10).await;
                     break;
                 }
             }
             x + i
         }
         with ();

         /// `move` closures capturing `Noisy` values are built before awaits and called after them.
         async fn closures_capturing_noisy() -> usize {
             let owned = Noisy::new("captured");
             let describe = move |n: usize| {
                 owned.touch();
                 owned.name().len() + n
             };
             let once = {
                 let other = Noisy::new("once");
                 move || other
             };
             let a = leaf("a", 1).await;
             let first = describe(a);
             let taken = once();
             let b = leaf("b", 2).await;
             taken.touch();
             first + describe(b)
         }
         with ();

         /// `async move` blocks holding a `Noisy` awaited in a loop, then one held across a join.
         async fn async_move_blocks_in_loop(flag: bool) -> u32 {
             let mut total = 0;
             for i in 0..3 {
                 let noisy = Noisy::new(format!("moved {i}"));
                 total += async move {
                     let v = leaf(format!("inner {i}"), i).await;
                     noisy.touch();
                     v
                 }
                 .await;
             }
             if flag {
                 total += leaf("join", 10).await;
             }
             let held = async move { leaf("held", total).await + 1 };
             let extra = leaf("extra", 100).await;
             held.await + extra
         }
         with (true), (false);

         /// An `async move` block holding a `Noisy` is created, not awaited, and dropped after an await.
         async fn unawaited_async_block_dropped() -> u32 {
             let noisy = Noisy::new("captured");
             let future = async move {
                 noisy.touch();
                 1
             };
             let n = leaf("a", 1).await;
             drop(future);
             n + leaf("b", 2).await
         }
         with ();

         /// A closure borrowing a `Noisy`, last called before an await; the `Noisy` is used after it.
         async fn closure_borrow_ends_before_await() -> u32 {
             let x = Noisy::new("x");
             let f = || x.touch();
             f();
             leaf("a", ()).await;
             x.touch();
             1
         }
         with ();

         /// A `match` on a reference to a parameter whose arm awaits after its last use of the binding.
         async fn match_on_reference_then_await(opt: Option<u32>) -> u32 {
             match &opt {
                 Some(n) => leaf("some", *n).await,
                 None => 0,
             }
         }
         with (Some(1)), (None);

         /// Items (a `const` and a `fn`) declared in the body and used after an await.
         async fn items_declared_in_body() -> u32 {
             const K: u32 = 3;
             fn double(n: u32) -> u32 {
                 n * 2
             }
             let a = leaf("a", 1).await;
             double(a) + K
         }
         with ();
        }
    }

    // --- known failures (macro bugs) ---
    //
    // None at the moment: a case that differs from rustc goes here, commented
    // out, with a `// BUG:` note, until the macro is fixed; then it moves to
    // `regressions` above.
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
        assert!(
            counts.iter().any(|&count| count != counts[0]),
            "{:?}",
            counts
        );
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
        assert!(message.contains("events differ at index 1"), "{}", message);
        assert!(message.contains(r#"native Some("poll a"), desugared Some("poll b")"#));
    }
}

// --- edition 2024 only -----------------------------------------------------

edition_2024! {
    /// Edition 2024 syntax and drop order, so the builds of this file in
    /// older editions leave these cases out (see `support/editions.rs`):
    /// `let` chains, and temporaries of a tail expression or of an `if let`
    /// scrutinee, which edition 2024 drops sooner. `#[desugar]` drops them
    /// as edition 2024 does in every edition (README, Limitations).
    mod edition_2024_only {
        use super::*;

        differential! {
         /// A temporary in the tail expression lives across its awaits and drops before the locals.
         async fn tail_expression_temporary() -> usize {
             let local = Noisy::new("local");
             leaf("a", ()).await;
             local.touch();
             leaf("tail", Noisy::new("tail temp")).await.name().len() + leaf("b", 1).await
         }
         with ();

         /// `if let` scrutinee temporaries live through the then-branch's awaits, not the else's.
         async fn if_let_scrutinee_temporary(flag: bool) -> u32 {
             if let Some(n) = leaf("get", (Noisy::new("temp"), flag.then_some(3))).await.1 {
                 leaf("then", n).await
             } else {
                 leaf("else", 0).await
             }
         }
         with (true), (false);

         /// A `let` chain (edition 2024) whose conditions await, with a `Noisy` bound in it.
         async fn let_chain_with_awaits(input: Option<u32>) -> u32 {
             let guard = Noisy::new("guard");
             let value = if let Some(x) = leaf("first", input).await
                 && leaf("check", x > 1).await
                 && let Some(y) = leaf("second", x.checked_sub(1)).await
             {
                 leaf("then", x + y).await
             } else {
                 0
             };
             guard.touch();
             value
         }
         with (Some(3)), (Some(1)), (None);
        }

        /// The sizes of these cases, printed with the file's `size_summary`
        /// (the filter `size_summary` runs both).
        #[test]
        fn size_summary() {
            print_size_table(&all_sizes());
        }
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
        adversarial::all_sizes(),
    ];
    print_size_table(&sections.concat());
}

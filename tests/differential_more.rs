//! More adversarial differential cases for the newest features: futures that
//! borrow locals (inside loops, branches, match arms and after joins), let
//! chains and `&&`/`||` chains that await, match guards that await, parameter
//! patterns, nested loops with labelled exits, and `?` inside all of them.

mod support;

use support::*;

/// Parses a number, or says why not.
fn parse(text: &str) -> Result<u32, String> {
    text.parse().map_err(|_| format!("bad number {text:?}"))
}

/// Parses `text` across an await and pushes the number onto a borrowed vector.
async fn try_fill(buf: &mut Vec<u32>, text: &'static str) -> Result<usize, String> {
    let n = leaf("try fill", parse(text)).await?;
    buf.push(n);
    Ok(buf.len())
}

/// Pops a `Noisy` off a borrowed stack across an await.
async fn pop(stack: &mut Vec<Noisy>) -> Option<Noisy> {
    leaf("pop", ()).await;
    stack.pop()
}

/// Reads a borrowed `Counter` across an await: is its count below `limit`?
async fn below(counter: &Counter, limit: u32) -> bool {
    leaf("below", counter.count < limit).await
}

/// A pair of `Noisy` fields, for struct parameter patterns.
#[derive(Debug)]
struct NoisyPoint {
    x: Noisy,
    y: Noisy,
}

mod borrowing_futures {
    use super::*;

    differential! {
        /// The future of an outer `.await` is made once its operand's own
        /// `.await`s are done: a local that only such a part names (moved
        /// into an `async move` block there) is not lent to it (fuzz seed
        /// 1544).
        async fn named_only_where_the_operand_awaits(flag: bool) -> u32 {
            let (text, n) = leaf("pair", (String::from("text"), 1)).await;
            leaf("outer", if leaf("flag", flag).await {
                n
            } else {
                let _block = async move {
                    log(format!("len {}", text.len()));
                };
                n + 1
            })
            .await
        }
        with (true), (false);

        /// A receiver with `Drop` polled in a `loop` that breaks with a value after an await.
        async fn recv_in_loop_breaking_with_value() -> u32 {
            let mut rx = Counter::new("rx");
            let guard = Noisy::new("guard");
            let mut total = 0;
            loop {
                let item = Noisy::new("item");
                let n = rx.next().await;
                if n > 3 {
                    break total + n;
                }
                item.touch();
                total += n;
                guard.touch();
            }
        }
        with ();

        /// Borrowing futures in different match arms, one an `async` block borrowing two locals.
        async fn borrowing_futures_in_match_arms(kind: u32) -> u32 {
            let mut rx = Counter::new("rx");
            let mut buf = Vec::new();
            let r = match leaf("kind", kind).await {
                0 => rx.next().await + rx.next().await,
                1 => fill(&mut buf, 7).await as u32 + rx.peek().await,
                _ => {
                    let arm = Noisy::new("arm");
                    let n = async {
                        arm.touch();
                        rx.count + buf.len() as u32 + leaf("block", 1).await
                    }
                    .await;
                    arm.touch();
                    n
                }
            };
            r + buf.len() as u32
        }
        with (0), (1), (2);

        /// Borrowing futures as `if` and `match` scrutinees.
        async fn borrowing_future_as_scrutinee(flag: bool) -> u32 {
            let mut rx = Counter::new("rx");
            let local = Noisy::new("local");
            if flag {
                rx.next().await;
            }
            let a = if rx.next().await > 1 { leaf("big", 10).await } else { 1 };
            local.touch();
            let b = match rx.peek().await {
                0 => 0,
                n if below(&rx, 3).await => n * 2,
                n => n + 100,
            };
            a + b + leaf("after", 1).await
        }
        with (true), (false);

        /// A borrowing future in a `while` condition, with `continue`.
        async fn borrowing_future_in_while_condition() -> u32 {
            let mut rx = Counter::new("rx");
            let mut buf = Vec::new();
            while rx.next().await < 6 {
                let it = Noisy::new("it");
                if rx.count % 2 == 0 {
                    continue;
                }
                let count = rx.count;
                fill(&mut buf, count).await;
                it.touch();
            }
            buf.iter().sum::<u32>() + rx.count
        }
        with ();

        /// `while let` over a stack popped by a future that borrows it.
        async fn while_let_pop_borrowing_future() -> usize {
            let mut stack = vec![Noisy::new("a"), Noisy::new("b"), Noisy::new("c")];
            let mut seen = 0;
            while let Some(item) = pop(&mut stack).await {
                leaf("between", ()).await;
                item.touch();
                seen += 1;
            }
            seen
        }
        with ();

        /// The same buffer borrowed twice in one expression, then after a join of branches.
        async fn same_buffer_twice_in_one_expression(flag: bool) -> usize {
            let mut buf = Vec::new();
            let n = fill(&mut buf, 1).await + fill(&mut buf, 2).await;
            let extra = if flag { leaf("then", 3).await } else { 4 };
            n + fill(&mut buf, extra).await
        }
        with (true), (false);

        /// `?` on a borrowing future's output, in a loop, with `Noisy` locals.
        async fn try_on_borrowing_future(texts: Vec<&'static str>) -> Result<usize, String> {
            let guard = Noisy::new("guard");
            let mut buf = Vec::new();
            for text in texts {
                let local = Noisy::new(text);
                try_fill(&mut buf, text).await?;
                local.touch();
            }
            guard.touch();
            Ok(buf.len())
        }
        with (vec!["1", "2"]), (vec!["1", "x", "3"]), (vec![]);

        /// `?` on an `Option` returned by a borrowing method, inside a loop.
        async fn try_option_on_receiver(limit: u32) -> Option<u32> {
            let mut rx = Counter::new("rx");
            let mut total = 0;
            for _ in 0..3 {
                let it = Noisy::new("it");
                total += rx.next_until(limit).await?;
                it.touch();
            }
            Some(total)
        }
        with (5), (2);

        /// A shadowed receiver stays alive until the end of the scope.
        async fn shadowed_receiver_lives_on() -> u32 {
            let mut rx = Counter::new("first");
            let a = rx.next().await;
            let mut rx = Counter::new("second");
            let b = rx.next().await + rx.next().await;
            a + b
        }
        with ();

        /// A parameter receiver and a field receiver.
        async fn parameter_and_field_receivers(mut rx: Counter, n: u32) -> u32 {
            let mut pair = (Counter::new("field"), Noisy::new("pair"));
            let a = rx.next().await;
            let b = pair.0.next().await;
            pair.1.touch();
            a + b + n
        }
        with (Counter::new("param"), 3);

        /// A receiver bound in a match arm, with a guard reading a local.
        async fn receiver_bound_in_arm(flag: bool) -> u32 {
            let limit = 1;
            match leaf("opt", flag.then(|| Counter::new("bound"))).await {
                Some(mut c) if limit > 0 => c.next().await + c.next().await,
                Some(_) => 0,
                None => leaf("none", 9).await,
            }
        }
        with (true), (false);

        /// A receiver declared in a block expression, the block's value its awaited output.
        async fn receiver_in_block_expression() -> u32 {
            let outer = Noisy::new("outer");
            let x = {
                let mut c = Counter::new("block");
                let inner = Noisy::new("inner");
                inner.touch();
                c.next().await
            };
            outer.touch();
            x + leaf("after", 1).await
        }
        with ();

        /// An argument that awaits after a mutable borrow of a local was taken for the call.
        async fn argument_awaits_after_borrow() -> usize {
            let mut buf = Vec::new();
            let n = fill(&mut buf, leaf("value", 3).await).await;
            n + buf.len()
        }
        with ();

        /// A borrowing future cancelled inside a nested branch, with locals on both levels.
        async fn borrowing_future_in_nested_branches(a: bool, b: bool) -> u32 {
            let top = Noisy::new("top");
            let mut rx = Counter::new("rx");
            let r = if a {
                let mid = Noisy::new("mid");
                if b {
                    let low = Noisy::new("low");
                    let n = rx.next().await;
                    low.touch();
                    n
                } else {
                    mid.touch();
                    async { rx.count + leaf("block", 5).await }.await
                }
            } else {
                rx.peek().await
            };
            top.touch();
            r
        }
        with (true, true), (true, false), (false, false);

        /// A panic inside a future that borrows locals.
        async fn panic_inside_borrowing_future(n: u32) -> u32 {
            let mut rx = Counter::new("rx");
            let local = Noisy::new("local");
            let r = async {
                local.touch();
                let v = rx.next().await;
                if v + n > 2 {
                    panic!("too big");
                }
                v
            }
            .await;
            r + rx.count
        }
        with (0), (5);
    }
}

mod chains {
    use super::*;

    differential! {
        /// `&&` and `||` chains mixing awaits and `Noisy` temporaries.
        async fn and_or_chains(a: bool, b: bool, c: bool) -> (bool, bool) {
            let mut rx = Counter::new("rx");
            let left = leaf("a", a).await || leaf("b", b).await && rx.next().await > 0;
            let first = leaf("c", Noisy::new("t")).await.name().len() > 5 || c;
            let right = first && !(!below(&rx, 1).await && !leaf("d", !a).await);
            (left, right)
        }
        with (true, true, true), (false, true, false), (false, false, true), (true, false, false);

        /// An `||` in an `if` condition where the right side awaits a borrowing future.
        async fn or_condition_with_borrowing_future(flag: bool) -> u32 {
            let mut rx = Counter::new("rx");
            let guard = Noisy::new("guard");
            if flag || rx.next().await > 0 {
                guard.touch();
                rx.next().await
            } else {
                0
            }
        }
        with (true), (false);
    }
}

edition_2024! {
    /// `let` chains are edition 2024 syntax, so the builds of this file in
    /// older editions leave these cases out (see `support/editions.rs`).
    mod let_chains {
        use super::*;

        differential! {
            /// A let chain whose `let`s await borrowing futures.
            async fn let_chain_with_borrowing_futures(limit: u32, text: &'static str) -> u32 {
                let mut rx = Counter::new("rx");
                let mut buf = Vec::new();
                let guard = Noisy::new("guard");
                let r = if let Some(x) = rx.next_until(limit).await
                    && x >= 1
                    && let Ok(y) = try_fill(&mut buf, text).await
                {
                    let inner = Noisy::new("inner");
                    inner.touch();
                    x + y as u32 + leaf("then", 1).await
                } else {
                    leaf("else", 0).await
                };
                guard.touch();
                r
            }
            with (1, "4"), (0, "4"), (1, "x");

            /// A let chain binding `Noisy` values, failing at each link.
            async fn let_chain_binding_noisy(a: Option<u32>, b: bool) -> usize {
                let outer = Noisy::new("outer");
                let r = if let Some(n) = leaf("a", a.map(|n| (Noisy::new("first"), n))).await
                    && n.1 > 1
                    && let (second, true) = leaf("b", (Noisy::new("second"), b)).await
                    && leaf("c", n.1 > 2).await
                {
                    second.touch();
                    n.0.name().len() + leaf("then", 1).await
                } else {
                    outer.touch();
                    0
                };
                r + leaf("after", 1).await
            }
            with (Some(3), true), (Some(1), true), (None, true), (Some(2), true);

            /// `?` inside a let chain, on `Result` and on an awaited `Option` inside.
            async fn try_inside_let_chain(
                first: Result<Option<u32>, String>,
                text: &'static str,
            ) -> Result<u32, String> {
                let guard = Noisy::new("guard");
                let r = if let Some(x) = leaf("first", first).await?
                    && parse(text)? > x
                    && let Ok(y) = leaf("second", parse(text)).await
                {
                    x + y
                } else {
                    0
                };
                guard.touch();
                Ok(r)
            }
            with (Ok(Some(1)), "5"), (Ok(Some(9)), "5"), (Ok(None), "5"), (Err("e".into()), "5"), (Ok(Some(1)), "x");

            /// A `while let` chain that pops `Noisy` values and stops on a condition.
            async fn while_let_chain(limit: usize) -> usize {
                let mut stack = vec![Noisy::new("a"), Noisy::new("bb"), Noisy::new("ccc")];
                let mut seen = 0;
                while let Some(item) = pop(&mut stack).await
                    && item.name().len() > limit
                    && leaf("go on", true).await
                {
                    let body = Noisy::new("body");
                    item.touch();
                    body.touch();
                    seen += 1;
                }
                seen + stack.len()
            }
            with (0), (1), (5);

            /// A `while let` chain with `?` and `continue`.
            async fn while_let_chain_with_try(texts: Vec<&'static str>) -> Result<u32, String> {
                let mut texts = texts;
                let mut sum = 0;
                while let Some(text) = leaf("next", texts.pop()).await
                    && let n = parse(text)?
                    && n < 100
                {
                    let it = Noisy::new(text);
                    if n % 2 == 0 {
                        continue;
                    }
                    sum += leaf("add", n).await;
                    it.touch();
                }
                Ok(sum)
            }
            with (vec!["1", "2", "3"]), (vec!["1", "x", "3"]), (vec!["1", "200", "3"]);

            /// A let chain failing at an await drops its bindings before the `else` block.
            async fn let_chain_binding_dropped_before_else(b: bool) -> u32 {
                let outer = Noisy::new("outer");
                if let Some(x) = Some(Noisy::new("x")) && leaf("b", b).await {
                    x.touch();
                    1
                } else {
                    outer.touch();
                    0
                }
            }
            with (true), (false);
        }

        /// The sizes of these cases, printed with the file's `size_summary`
        /// (the filter `size_summary` runs both).
        #[test]
        fn size_summary() {
            print_size_table(&all_sizes());
        }
    }
}

mod guards {
    use super::*;

    differential! {
        /// A guard whose only `.await` is inside `matches!` (fuzz seed 1402).
        async fn await_inside_matches_in_a_guard(n: Option<u32>) -> u32 {
            match n {
                Some(k) if matches!(leaf("check", Some(k)).await, Some(v) if v > 1) => k,
                Some(_) => 1,
                None => 0,
            }
        }
        with (Some(1)), (Some(5)), (None);

        /// A guard's `matches!` names the arm's binding, which its body holds
        /// across an `.await` (fuzz seed 1541): the guard runs before the body
        /// moves it into its slot.
        async fn matches_in_a_guard_names_the_arm_binding(n: u32) -> u32 {
            match n {
                0 => 0,
                k if matches!(Some(3), Some(v) if v > k) => {
                    let s = leaf("body", Noisy::new("s")).await;
                    s.touch();
                    k
                }
                k => k,
            }
        }
        with (0), (1), (7);

        /// Several guarded arms that await, on a scrutinee holding a `Noisy`.
        async fn guards_on_noisy_scrutinee(n: u32) -> usize {
            let guard = Noisy::new("guard");
            let r = match leaf("pair", (Noisy::new("scrutinee"), n)).await {
                (_, k) if leaf("g1", k > 5).await => k as usize + 100,
                (_, k) if k > 2 && leaf("g2", k > 3).await => k as usize,
                (a, 0) => {
                    a.touch();
                    0
                }
                (_, k) => leaf("fallback", k as usize).await,
            };
            guard.touch();
            r
        }
        with (0), (1), (3), (9);

        /// Guards awaiting futures that borrow locals, some with `?`.
        async fn guards_borrowing_locals(n: u32, text: &'static str) -> Result<u32, String> {
            let mut rx = Counter::new("rx");
            let mut buf = vec![1];
            let r: u32 = match leaf("n", n).await {
                0 => 0,
                k if rx.next().await == k => 10,
                k if try_fill(&mut buf, text).await? > k as usize => 20,
                k if below(&rx, k).await => 30 + rx.peek().await,
                _ => buf.len() as u32,
            };
            Ok(r + rx.count)
        }
        with (0, "1"), (1, "1"), (2, "1"), (2, "x"), (5, "1"), (1, "x");

        /// A guarded match in a loop, with `break` and `continue` in arms.
        async fn guards_in_loop() -> u32 {
            let mut total = 0;
            let mut i = 0;
            loop {
                i += 1;
                let it = Noisy::new("it");
                match leaf("i", i).await {
                    k if leaf("stop?", k > 4).await => break total,
                    k if k % 2 == 0 => continue,
                    k if leaf("odd", k).await > 2 => {
                        it.touch();
                        total += k * 10;
                    }
                    k => total += k,
                }
            }
        }
        with ();

        /// Seed 650: a temporary of the scrutinee (the `Noisy` whose name is
        /// measured) lives to the end of the `match`, across a guard's await.
        async fn scrutinee_temporary_across_a_guard_that_awaits() -> usize {
            let n = match Noisy::new("scrutinee").name().len() {
                0 => 0,
                k if leaf("guard", k > 3).await => k,
                k => k + 1,
            };
            leaf("after", n).await
        }
        with ();
    }
}

mod parameters {
    use super::*;

    differential! {
        /// Pattern parameters mixed with plain ones, all dropped in order.
        async fn pattern_parameters_mixed(
            first: Noisy,
            (a, _): (Noisy, Noisy),
            NoisyPoint { x, y }: NoisyPoint,
            mut n: u32,
            _: Noisy,
            last: Noisy,
        ) -> u32 {
            first.touch();
            n += leaf("n", 1).await;
            y.touch();
            x.touch();
            a.touch();
            let local = Noisy::new("local");
            n += leaf("m", 1).await;
            local.touch();
            last.touch();
            n
        }
        with (
            Noisy::new("first"),
            (Noisy::new("a"), Noisy::new("a ignored")),
            NoisyPoint { x: Noisy::new("x"), y: Noisy::new("y") },
            1,
            Noisy::new("wild"),
            Noisy::new("last"),
        );

        /// A struct pattern with a renamed field, a tuple with `mut`, and a parameter dropped late.
        async fn struct_renamed_and_mut_tuple(
            NoisyPoint { y, x: ex }: NoisyPoint,
            (mut count, label): (u32, Noisy),
            unused: Noisy,
        ) -> u32 {
            count += leaf("c", 2).await;
            label.touch();
            y.touch();
            ex.touch();
            drop(unused);
            count
        }
        with (
            NoisyPoint { x: Noisy::new("x"), y: Noisy::new("y") },
            (1, Noisy::new("label")),
            Noisy::new("unused"),
        );

        /// A pattern parameter borrowed by an awaited future, and `?` returning early.
        async fn pattern_parameter_borrowed(
            (mut rx, tag): (Counter, Noisy),
            text: &'static str,
        ) -> Result<u32, String> {
            let n = rx.next().await;
            let m = leaf("parse", parse(text)).await?;
            tag.touch();
            Ok(n + m + rx.next().await)
        }
        with ((Counter::new("rx"), Noisy::new("tag")), "2"), ((Counter::new("rx"), Noisy::new("tag")), "x");
    }
}

mod nested_loops {
    use super::*;

    differential! {
        /// `break 'outer value` from after an await in a `while` inside a `loop`.
        #[allow(clippy::never_loop, reason = "the outer loop exits by its labelled breaks")]
        async fn break_outer_value_after_await(limit: u32) -> u32 {
            let guard = Noisy::new("guard");
            let r = 'outer: loop {
                let o = Noisy::new("outer");
                let mut i = 0;
                while i < 3 {
                    let inner = Noisy::new("inner");
                    let v = leaf("v", i).await;
                    if v == limit {
                        break 'outer v * 10 + leaf("exit", 1).await;
                    }
                    i += 1;
                    inner.touch();
                }
                o.touch();
                break 99;
            };
            guard.touch();
            r
        }
        with (1), (7);

        /// `continue` inside a `while` whose condition awaits, and `continue 'outer`.
        async fn continue_in_awaiting_while(limit: u32) -> u32 {
            let mut total = 0;
            let mut rounds = 0;
            'outer: for round in 0..3 {
                let r = Noisy::new("round");
                let mut i = 0;
                while leaf("cond", i < limit).await {
                    i += 1;
                    let it = Noisy::new("it");
                    if i % 2 == 0 {
                        continue;
                    }
                    if i + round > 4 {
                        continue 'outer;
                    }
                    total += leaf("add", i).await;
                    it.touch();
                }
                r.touch();
                rounds += 1;
            }
            total * 100 + rounds
        }
        with (3), (6);

        /// `?` in the value of `break 'outer` and in a nested `while` condition.
        #[allow(clippy::never_loop, reason = "the outer loop exits by its labelled breaks")]
        async fn try_in_break_value(texts: Vec<&'static str>) -> Result<u32, String> {
            let guard = Noisy::new("guard");
            let r = 'outer: loop {
                let mut i = 0;
                while parse(leaf("cond", texts[i]).await)? < 5 {
                    let it = Noisy::new("it");
                    i += 1;
                    if i == texts.len() - 1 {
                        it.touch();
                        break 'outer leaf("last", parse(texts[i])).await?;
                    }
                }
                break i as u32;
            };
            guard.touch();
            Ok(r)
        }
        with (vec!["1", "2", "3"]), (vec!["1", "x", "3"]), (vec!["1", "2", "y"]), (vec!["9", "1"]);

        /// Borrowing futures in nested loops with labelled `break` and `continue`.
        async fn borrowing_futures_in_nested_loops() -> u32 {
            let mut rx = Counter::new("rx");
            let mut buf = Vec::new();
            let mut outer = 0;
            'outer: loop {
                outer += 1;
                let o = Noisy::new("o");
                loop {
                    let n = rx.next().await;
                    if n % 3 == 0 {
                        continue 'outer;
                    }
                    if fill(&mut buf, n).await > 4 {
                        break 'outer;
                    }
                    o.touch();
                }
            }
            outer * 1000 + buf.iter().sum::<u32>()
        }
        with ();

        /// An `Option`-returning loop: `?` inside a labelled block inside a loop.
        async fn try_option_in_labelled_block(values: Vec<Option<u32>>) -> Option<u32> {
            let mut sum = 0;
            for v in values {
                let it = Noisy::new("it");
                let x = 'block: {
                    let got = leaf("v", v).await?;
                    if got > 5 {
                        break 'block got * 2;
                    }
                    got + leaf("small", 1).await
                };
                it.touch();
                sum += x;
            }
            Some(sum)
        }
        with (vec![Some(1), Some(9)]), (vec![Some(1), None, Some(2)]);
    }
}

// --- `.await` inside std macros ---------------------------------------------

/// The arguments of `format!`, `vec!`, `assert!`, `assert_eq!`, `matches!`,
/// `write!` and `panic!` are expressions: their awaits are lowered like a
/// call's, in order, and `assert!` still names its condition as written.
/// An `assert!` whose message awaits is written out as `if !cond { panic!(..) }`.
mod std_macros {
    use super::*;

    differential! {
        /// `format!` with positional and named arguments that await.
        async fn format_arguments() -> String {
            let keep = Noisy::new("keep");
            let text = format!("{} and {named}", leaf("a", 1).await, named = leaf("b", 2).await);
            keep.touch();
            text
        }
        with ();

        /// A macro inside a call's argument, and `vec!` with awaits.
        async fn nested_macro_and_vec() -> Vec<u32> {
            log(format!("logged {}", leaf("first", 1).await));
            vec![leaf("x", 1).await, 2, leaf("y", 3).await]
        }
        with ();

        /// An `async move` block that names locals kept in place whole in a
        /// macro's arguments takes them whole, as rustc does (fuzz seed
        /// 1879); they were borrowed across an earlier `.await`.
        async fn move_block_names_kept_locals_in_a_macro(n: u32) -> usize {
            let counter = Counter::new("counter");
            let seen = below(&counter, 3).await && leaf("seen", [1].contains(&n)).await;
            let items = async move { vec![(counter, n)] }.await;
            let after = Noisy::new("after");
            after.touch();
            items.len() + usize::from(seen)
        }
        with (1), (2);

        /// A method that may take its receiver by value, inside `format!`,
        /// on a local and on a temporary evaluated before an `.await` (fuzz
        /// seed 1468): rustc decides whether it moves.
        async fn consuming_method_inside_format(fail: bool) -> String {
            let r: Result<u32, String> = if fail { Err(String::from("e")) } else { Ok(1) };
            let first = format!("local {}", r.unwrap_or(leaf("default", 7).await));
            let second = format!(
                "temporary {}",
                parse("2").unwrap_or(leaf("other", 8).await)
            );
            first + &second
        }
        with (true), (false);

        /// A `vec!` element that is a block awaiting after a statement (fuzz
        /// seed 1425): its `.await`s stay after that statement, in the block.
        async fn vec_element_block_awaiting_after_a_statement() -> Vec<usize> {
            let keep = Noisy::new("keep");
            let nested = vec![{ leaf("outer", leaf("inner", 1_usize).await).await }];
            let written = vec![{
                let t = leaf("t", Noisy::new("t")).await;
                leaf("u", t.name().len()).await
            }];
            keep.touch();
            vec![nested[0], written[0]]
        }
        with ();

        /// `assert!` and `assert_eq!` with awaits, passing or failing.
        async fn assertions(n: u32) -> u32 {
            assert!(leaf("positive?", n > 0).await);
            assert_eq!(leaf("left", n).await, leaf("right", 1).await, "n is {}", n);
            n
        }
        with (1), (0), (2);

        /// `assert_eq!`/`assert_ne!` whose message awaits: the message runs
        /// only on failure, and the panic reads as `core` writes it.
        async fn assert_eq_with_awaited_message(n: u32) -> u32 {
            let guard = Noisy::new("guard");
            let expected = 2;
            assert_eq!(
                leaf("left", n).await,
                expected,
                "message {}",
                leaf("message", n).await,
            );
            assert_ne!(n, leaf("right", 3).await, "never {}", leaf("ne message", n).await);
            debug_assert_eq!(Some(n), leaf("debug", Some(2)).await, "{}", leaf("d", 0).await);
            guard.touch();
            n
        }
        with (2), (3), (4);

        /// `vec![element; count]` with awaits on either side, in order.
        async fn vec_repeat(n: usize) -> (Vec<String>, Vec<u32>) {
            let words = vec![format!("w{}", leaf("element", n).await); leaf("count", n).await];
            let zeros = vec![0; leaf("zeros", n + 1).await];
            (words, zeros)
        }
        with (0), (2);

        /// `assert!` whose message awaits: the message runs only when the
        /// check fails, and a comparison is negated as a whole.
        async fn assert_with_awaited_message(n: u32) -> u32 {
            let guard = Noisy::new("guard");
            assert!(leaf("cond", n).await < 5, "too big: {}", leaf("msg", n).await);
            debug_assert!(n != 3, "three: {}", leaf("debug msg", n).await);
            guard.touch();
            n
        }
        with (2), (3), (7);

        /// `matches!` on an awaited value, with a guard.
        async fn matches_awaited(value: Option<u32>) -> bool {
            matches!(leaf("value", value).await, Some(n) if n > 2)
        }
        with (Some(3)), (Some(1)), (None);

        /// `matches!` whose guard awaits: the guard runs only when the
        /// pattern matches.
        async fn matches_awaiting_guard(value: Option<u32>) -> bool {
            let keep = Noisy::new("keep");
            let hit = matches!(leaf("s", value).await, Some(k) if k > leaf("g", 2).await);
            keep.touch();
            hit
        }
        with (Some(3)), (Some(1)), (None);

        /// `write!` into a `String`, and `panic!` with an awaited message.
        async fn write_and_panic(fail: bool) -> String {
            use std::fmt::Write as _;
            let mut out = String::new();
            write!(out, "{}-{}", leaf("w", 1).await, leaf("x", 2).await).unwrap();
            if fail {
                panic!("failed after {}", leaf("why", out.len()).await);
            }
            out
        }
        with (false), (true);

        /// A macro whose argument awaits inside another macro (fuzz seed 64):
        /// the arguments before it are evaluated first, as written.
        async fn await_in_a_macro_inside_a_macro_argument(n: u32) -> usize {
            log(format!("{:?}-{:?}", Noisy::new("first"), vec![leaf("inner", n).await]));
            sum_of(noisy_len("before"), vec![leaf("element", n).await])
        }
        with (1);
    }
}

/// The length of a `Noisy`'s name, made and dropped here.
fn noisy_len(name: &str) -> usize {
    Noisy::new(name).name().len()
}

/// A number and the sum of a vector.
fn sum_of(n: usize, items: Vec<u32>) -> usize {
    n + items.iter().sum::<u32>() as usize
}

// --- former known failures, fixed: regressions ----------------------------

#[allow(path_statements, reason = "`x;` on a kept local is one of the cases")]
mod regressions {
    use super::*;

    differential! {
        /// `for x in f().await`: the awaited collection is iterated (fuzz
        /// seed 39: "`!` is not an iterator").
        async fn for_over_an_awaited_collection(items: Vec<u32>) -> u32 {
            let mut total = 0;
            for x in leaf("items", items).await {
                total += x;
            }
            if let Some(k) = Some(1) {
                for x in leaf("again", vec![k, 2]).await {
                    total += x;
                }
            }
            total
        }
        with (vec![]), (vec![1, 2, 3]);

        /// A binding lent to the awaited block, named in a macro there: the
        /// macro's tokens reach it where it lies (`vec![k, k]` moved the
        /// reference twice: E0382).
        async fn binding_lent_to_an_awaited_block_named_in_a_macro(n: u32) -> usize {
            match n {
                0 => 0,
                k if k < 10 => async { vec![k, k].len() + noisy_len("inner") }.await,
                k => k as usize,
            }
        }
        with (0), (3), (12);

        /// `x;` moves a local kept across an await out, and drops it there
        /// (fuzz seed 13: E0507).
        async fn path_statement_drops_a_kept_local() -> u32 {
            let kept = Noisy::new("kept");
            let n = leaf("tick", 1).await;
            kept;
            log("after");
            n
        }
        with ();

         /// A `match` whose guard awaits and whose other arm awaits too, its value used after.
        async fn guard_await_then_awaiting_arm(n: u32) -> u32 {
             let b = match n {
                 k if leaf("guard", k > 1).await => k * 2,
                 k => leaf("else", k).await,
             };
             b + 1
         }
         with (1), (3);

         /// A field of a held local passed by value to a future that borrows another local.
        async fn field_argument_to_borrowing_future() -> usize {
             let mut buf = Vec::new();
             let pair = (3, Noisy::new("pair"));
             fill(&mut buf, pair.0).await;
             pair.1.touch();
             buf.len()
         }
         with ();

         /// A method future that borrows the temporary it is called on.
        async fn temporary_receiver() -> u32 {
             Counter::new("temp").next().await
         }
         with ();

         #[allow(clippy::let_and_return, reason = "the `let` is the statement under test")]
        /// A parenthesized `||` after an awaited `&&` operand.
        async fn parenthesized_or_after_and(c: bool) -> bool {
             let x = leaf("a", true).await && (leaf("b", false).await || c);
             x
         }
         with (true);

         /// A shorthand field next to `field: _` in a parameter pattern.
        async fn shorthand_next_to_wildcard_field(NoisyPoint { y, x: _ }: NoisyPoint) {
             leaf("c", ()).await;
             y.touch();
         }
         with (NoisyPoint { x: Noisy::new("x"), y: Noisy::new("y") });

        /// A `..` in a tuple parameter: the skipped part drops with the parameters.
        async fn rest_pattern_parameter((a, ..): (Noisy, Noisy)) {
            leaf("c", ()).await;
            a.touch();
        }
        with ((Noisy::new("a"), Noisy::new("b")));

        /// A `..` in a struct parameter, with a later parameter and a `mut` binding.
        async fn rest_in_struct_parameter(NoisyPoint { mut y, .. }: NoisyPoint, after: Noisy) -> usize {
            leaf("c", ()).await;
            y.touch();
            after.touch();
            y = Noisy::new("new y");
            leaf("d", ()).await;
            y.name().len()
        }
        with (NoisyPoint { x: Noisy::new("x"), y: Noisy::new("y") }, Noisy::new("after"));

        /// A `..` in a nested pattern, next to a `_`.
        async fn rest_nested_with_wildcard(((a, ..), _): ((Noisy, Noisy, Noisy), Noisy)) {
            a.touch();
            leaf("c", ()).await;
        }
        with (((Noisy::new("a"), Noisy::new("b"), Noisy::new("c")), Noisy::new("d")));

        /// Seed 649: a field copied out in a branch leaves the local whole;
        /// it is dropped at the end of its scope, after the await.
        async fn field_copied_in_a_branch_before_an_await(flag: bool) -> usize {
            let counted = Counted { count: 1, name: Noisy::new("counted") };
            let n = if flag { counted.count } else { 0 };
            leaf("after", n).await
        }
        with (true), (false);

        /// Seed 611: the same for a parameter, in a `match` arm inside the
        /// awaited expression.
        async fn field_of_a_parameter_copied_in_a_match_arm(counted: Counted) -> bool {
            leaf("a", match counted.count {
                0 => 0,
                _ => counted.count,
            } < 1).await
        }
        with (Counted { count: 2, name: Noisy::new("param") });

        /// Seed 779: a destructuring `let` binds from its initializer, a
        /// temporary: what the pattern leaves is dropped at the end of the
        /// `let`, here after a join of an `if` that awaits.
        async fn destructuring_let_of_a_joined_value_drops_the_rest(flag: bool) -> usize {
            let Counted { count, .. } = if flag {
                leaf("then", Counted { count: 1, name: Noisy::new("then") }).await
            } else {
                Counted { count: 2, name: Noisy::new("else") }
            };
            log(format!("count {count}"));
            leaf("after", count).await
        }
        with (true), (false);

        /// The same straight from an await, with `_` parts and a `_` pattern.
        async fn destructuring_let_of_an_awaited_value_drops_the_rest() -> usize {
            let (kept, _) = leaf("pair", (Noisy::new("kept"), Noisy::new("ignored"))).await;
            let _ = leaf("whole", Noisy::new("whole")).await;
            log("before".to_owned());
            leaf("after", ()).await;
            kept.name().len()
        }
        with ();

        /// Fuzz seed 746: a destructuring `let` from a local that copies a
        /// field out and leaves the rest (`..`) leaves the local whole, to
        /// be dropped at the end of its scope.
        async fn destructuring_let_from_a_local_leaves_the_rest(counted: Counted) -> usize {
            let Counted { count, .. } = counted;
            leaf("after", count).await
        }
        with (Counted { count: 4, name: Noisy::new("param") });

        /// A destructuring `let` that binds every part moves the local out.
        async fn destructuring_let_from_a_local_that_binds_every_part() -> usize {
            let pair = (Noisy::new("a"), Noisy::new("b"));
            let (a, b) = pair;
            leaf("after", ()).await;
            a.name().len() + b.name().len()
        }
        with ();

        /// Fuzz seed 60: the same for a field read in a macro's arguments.
        async fn field_copied_in_a_macro_argument(counted: Counted) -> usize {
            let items = leaf("items", vec![counted.count, 1]).await;
            let after = Noisy::new("after");
            items.len() + after.name().len()
        }
        with (Counted { count: 5, name: Noisy::new("param") });

        /// A field copied out in straight-line code, then an await.
        async fn field_copied_before_an_await() -> usize {
            let counted = Counted { count: 3, name: Noisy::new("counted") };
            let n = counted.count;
            leaf("after", n).await + counted.name.name().len()
        }
        with ();
    }
}

/// A count with a logged name.
#[derive(Debug)]
struct Counted {
    count: usize,
    name: Noisy,
}

/// Sizes of the futures above, native and desugared.
#[test]
fn size_summary() {
    let sections = [
        borrowing_futures::all_sizes(),
        chains::all_sizes(),
        guards::all_sizes(),
        parameters::all_sizes(),
        nested_loops::all_sizes(),
        regressions::all_sizes(),
        std_macros::all_sizes(),
    ];
    print_size_table(&sections.concat());
}

//! Temporaries that live across an `.await`, by rustc's rules.
//!
//! rustc keeps the temporaries of a statement until the statement ends, so
//! one made in an awaited expression lives across the `.await`, and the
//! future may borrow it: `total(&[a, b]).await`, `name_len(&Noisy::new("t"))
//! .await`. The desugared function names each such temporary as a local
//! of the statement, declared in evaluation order, which lives exactly as
//! long and stays in place (see `lower::normalize`). Each case logs the
//! temporaries' drops, so the events compare where they are dropped too,
//! on completion and on cancellation at every poll.

mod support;

use std::cell::RefCell;
use std::sync::Mutex;

use support::*;

/// The sum of a borrowed slice, after an await.
async fn total(items: &[u32]) -> u32 {
    leaf("total", items.iter().sum::<u32>()).await
}

/// The length of a borrowed `Noisy`'s name, touching it around an await.
async fn name_len(noisy: &Noisy) -> usize {
    noisy.touch();
    let n = leaf("len", noisy.name().len()).await;
    noisy.touch();
    n
}

/// The length of a borrowed string, after an await.
async fn str_len(text: &str) -> usize {
    leaf("str", text.len()).await
}

/// Something with a method that borrows its argument across an await.
struct Store(Noisy);

impl Store {
    async fn lookup(&self, key: &Noisy) -> usize {
        self.0.touch();
        name_len(key).await
    }
}

mod in_the_awaited_expression {
    use super::*;

    differential! {
        /// An array temporary lent to the future.
        async fn array_lent_to_the_future(a: u32, b: u32) -> u32 {
            total(&[a, b]).await
        }
        with (1, 2);

        /// A `Noisy` temporary lent to the future, in a `let`: dropped at the
        /// end of the statement, after the await.
        async fn noisy_lent_in_a_let() -> usize {
            let outer = Noisy::new("outer");
            let n = name_len(&Noisy::new("temporary")).await;
            outer.touch();
            n
        }
        with ();

        /// A temporary lent to a method's future, beside the receiver.
        async fn temporary_lent_to_a_method() -> usize {
            let store = Store(Noisy::new("store"));
            store.lookup(&Noisy::new("key")).await + 1
        }
        with ();

        /// A temporary lent in the tail expression: dropped before the locals, as
        /// edition 2024 drops a tail's temporaries.
        async fn temporary_lent_in_the_tail() -> usize {
            let local = Noisy::new("local");
            local.touch();
            name_len(&Noisy::new("tail")).await
        }
        with ();

        /// The value a borrowing method chain starts from, inside an argument.
        async fn chain_root_inside_an_argument() -> usize {
            str_len(String::from("abc").as_str()).await
        }
        with ();

        /// Operands evaluated before a lent temporary keep their order.
        async fn operands_before_a_lent_temporary_keep_their_order() -> usize {
            let first = Noisy::new("first");
            first.touch();
            (log("second"), name_len(&Noisy::new("third")).await).1
        }
        with ();

        /// Two temporaries in one awaited call: created in order, dropped in reverse.
        async fn two_temporaries_in_one_call() -> usize {
            pair_len(&Noisy::new("left"), &Noisy::new("right")).await
        }
        with ();
    }
}

/// A borrowed `Noisy` and a number, as a struct literal holds them.
struct Holder<'a> {
    count: usize,
    noisy: &'a Noisy,
}

mod extended_by_a_let {
    use super::*;

    differential! {
        /// `let r = &make();`: the temporary lives to the end of the block,
        /// across the awaits after it, and drops after `r`'s block ends.
        async fn borrowed_temporary_across_an_await() -> usize {
            let r = &Noisy::new("extended");
            let after = Noisy::new("after");
            leaf("tick", ()).await;
            r.touch();
            after.touch();
            r.name().len()
        }
        with ();

        /// A temporary borrowed in a struct literal's field is extended too;
        /// the field computed before it is evaluated first.
        async fn temporary_in_a_struct_literal() -> usize {
            let holder = Holder {
                count: {
                    log("count first");
                    2
                },
                noisy: &Noisy::new("in struct"),
            };
            leaf("tick", ()).await;
            holder.noisy.touch();
            holder.count
        }
        with ();

        /// Temporaries in a tuple of borrows, each extended, in order.
        async fn temporaries_in_a_tuple_of_borrows() -> usize {
            let (a, b) = (&Noisy::new("a"), &Noisy::new("b"));
            leaf("tick", ()).await;
            a.touch();
            b.name().len()
        }
        with ();

        /// `pin!` holds its future in an extended temporary: it stays in place
        /// while the function awaits something else, then is awaited.
        async fn pinned_future_across_an_await(n: u32) -> u32 {
            let pinned = std::pin::pin!(leaf("pinned", n));
            let first = leaf("first", 1).await;
            pinned.await + first
        }
        with (3);

        /// Fuzz seed 717: a pattern that binds by reference extends the
        /// initializer, an await's output here, to the end of the block:
        /// the part bound by `_` lives across the next await too.
        async fn ref_binding_extends_an_awaited_value() -> usize {
            let (ref mut count, _) = leaf("pair", (1_usize, Noisy::new("ignored"))).await;
            *count += 1;
            leaf("after", ()).await;
            *count
        }
        with ();
    }
}

/// Awaits a tick, then logs whether `cell` is still borrowed by the
/// statement that awaits this, and returns `n`.
async fn check_borrowed(cell: &RefCell<Vec<u32>>, n: usize) -> usize {
    leaf("tick", ()).await;
    log(if cell.try_borrow_mut().is_ok() {
        "cell free"
    } else {
        "cell borrowed"
    });
    n
}

/// Temporaries with something to drop (a `RefCell` or `Mutex` guard, a
/// `Noisy`) made before an `.await` of their statement and not lent to
/// the future: rustc still keeps them to the end of the statement, so the
/// guard is held while the function is suspended, and the future is
/// `!Send` if the guard is. Conditions (of `if`, `while`, and the operands
/// of `&&`) drop theirs where they end.
#[allow(
    clippy::await_holding_refcell_ref,
    clippy::await_holding_lock,
    reason = "holding a guard across an await, as these statements do, is what is tested"
)]
mod held_by_the_statement {
    use super::*;

    differential! {
        /// A guard made in an awaited call's argument (fuzz seed 68).
        async fn guard_in_an_awaited_argument() -> usize {
            let cell = RefCell::new(vec![1]);
            check_borrowed(&cell, cell.borrow().len()).await
        }
        with ();

        /// A guard in an operand evaluated before the `.await`.
        async fn guard_in_an_operand_before_the_await() -> usize {
            let cell = RefCell::new(vec![1, 2]);
            let n = cell.borrow().len() + check_borrowed(&cell, 0).await;
            cell.borrow_mut().push(3);
            n
        }
        with ();

        /// A guard behind a `Mutex`, taken through `unwrap`: the future holds
        /// the lock across the `.await`, and is not `Send`.
        async fn mutex_guard_in_an_awaited_argument() -> usize {
            let m = Mutex::new(vec![1, 2, 3]);
            leaf("m", m.lock().unwrap().len()).await
        }
        with ();

        /// A guard in a `match` scrutinee lives through the arms' awaits (fuzz
        /// seed 152).
        async fn guard_in_a_scrutinee_lives_through_the_arms(n: usize) -> usize {
            let cell = RefCell::new(vec![1; n]);
            match cell.borrow().len() {
                0 => 0,
                k => check_borrowed(&cell, k).await,
            }
        }
        with (0), (2);

        /// A guard in a `for` loop's iterator lives through the loop.
        async fn guard_in_a_for_iterator_lives_through_the_loop() -> usize {
            let cell = RefCell::new(vec![1, 2]);
            let mut total = 0;
            for i in 0..cell.borrow().len() {
                total += check_borrowed(&cell, i).await;
            }
            cell.borrow_mut().push(3);
            total
        }
        with ();

        /// A `while` condition drops its guard before the body runs.
        async fn guard_in_a_while_condition_is_dropped_before_the_body() -> usize {
            let cell = RefCell::new(vec![1]);
            while cell.borrow().len() < check_borrowed(&cell, 3).await {
                cell.borrow_mut().push(1);
            }
            cell.borrow().len()
        }
        with ();

        /// An `if` condition drops its guard before the branch runs.
        async fn guard_in_an_if_condition_is_dropped_before_the_branch() -> usize {
            let cell = RefCell::new(vec![1]);
            if cell.borrow().len() < check_borrowed(&cell, 3).await {
                cell.borrow_mut().push(1);
            }
            cell.borrow().len()
        }
        with ();

        /// The left operand of `&&` drops its guard before the right one runs.
        async fn guard_in_a_lazy_operand_is_dropped_where_it_ends() -> bool {
            let cell = RefCell::new(vec![1]);
            !cell.borrow().is_empty() && check_borrowed(&cell, 1).await == 1
        }
        with ();

        /// A value read through a guard: the guard is kept (fuzz seed 91).
        async fn value_read_through_a_guard_keeps_the_guard() -> u32 {
            let m = Mutex::new(5);
            leaf("read", *m.lock().unwrap()).await
        }
        with ();

        /// `format!` puts its arguments in a statement of its own: their
        /// temporaries are dropped before the value is used (fuzz seed 118).
        async fn format_arguments_end_with_the_macro() -> bool {
            log(format!("{}-{:?}", Noisy::new("r").name().to_owned(), leaf("a", 1).await));
            true
        }
        with ();

        /// A temporary in an `if` condition lives across an await in a macro
        /// statement of a block later in the condition (fuzz seed 93).
        async fn temporary_in_a_condition_across_an_await_in_a_macro() -> u32 {
            if (Noisy::new("r").name().len() as u32)
                <= {
                    assert_ne!(leaf("a", 1).await, 7);
                    1
                }
            {
                log("then");
            }
            1
        }
        with ();

        /// An owned value made by a method (`to_vec`) and borrowed by the next
        /// one is a temporary of the statement too.
        async fn owned_result_of_a_method_in_an_operand(items: Vec<u32>) -> usize {
            let cell = RefCell::new(items);
            cell.borrow().to_vec().len() + check_borrowed(&cell, 1).await
        }
        with (vec![1, 2]);

        /// Fuzz seed 960: an `if let` scrutinee's temporaries (the `RefCell`
        /// guard, a `Noisy`) live through the `then` branch, across its
        /// await (so the future is not `Send`), and are dropped before `else`.
        async fn if_let_scrutinee_temporaries_live_through_the_then_branch(flag: bool) -> usize {
            let cell = RefCell::new(vec![1_u32]);
            if let Some(n) = Some(cell.borrow().len() + Noisy::new("temporary").name().len()).filter(|_| flag) {
                leaf("then", n).await;
                log(format!("then: borrowed {}", cell.try_borrow_mut().is_err()));
                n
            } else {
                log(format!("else: borrowed {}", cell.try_borrow_mut().is_err()));
                leaf("else", 0).await
            }
        }
        with (true), (false);

        /// Fuzz seed 853: a `for` loop's iterator keeps its temporaries to
        /// the end of the loop, inside a `vec!` too.
        async fn for_iterator_vec_element_temporary_lives_through_the_loop() -> usize {
            let mut total = 0;
            for n in vec![Noisy::new("element temporary").name().len(); 2] {
                total += leaf("n", n).await;
            }
            total
        }
        with ();
    }
}

/// Regressions found by `scripts/fuzz`, each named after its construct.
mod regressions {
    use super::*;

    differential! {
        /// Seed 32 (a double free): a temporary hoisted out of `format!`'s
        /// arguments, before an await in a block argument, shared its slot's
        /// storage with the local the `format!` initializes; the rewrite that
        /// fills that local moved the block, so the temporary's handle outlived
        /// it, the local overwrote it, and both dropped it.
        async fn format_argument_block_awaiting_beside_a_hoisted_temporary() -> String {
            let text: String = format!("{:?}-{}", Noisy::new("r"), {
                let _x = leaf("a", 1).await;
                "s"
            });
            let done = leaf("b", String::from("s")).await;
            log(text);
            done
        }
        with ();

        /// Seed 761: `format!` borrows its arguments in place, so a field of a
        /// temporary made after the await is not moved out of it; the
        /// temporaries drop at the end of the statement, the later one first.
        async fn format_argument_field_of_a_temporary_after_an_await() -> String {
            let text = format!("{:?}", Counter::new("outer", leaf("a", Noisy::new("r")).await.name().len()).name);
            text
        }
        with ();

        /// The same with a `vec!`, which takes its elements by value.
        async fn vec_element_field_of_a_temporary_after_an_await() -> usize {
            let items = vec![Counter::new("outer", leaf("a", Noisy::new("r")).await.name().len()).count];
            items.len()
        }
        with ();

        /// Slots of a destructuring `let` are filled just after it: the
        /// statements after it (a block whose local lives across an await)
        /// must keep their places.
        async fn destructuring_let_before_a_block_that_awaits() -> usize {
            let (a, b) = (Noisy::new("a"), Noisy::new("b"));
            let n = {
                let inner = Noisy::new("inner");
                leaf("x", ()).await;
                inner.name().len()
            };
            let c = Noisy::new("c");
            leaf("y", ()).await;
            a.touch();
            b.touch();
            c.touch();
            n
        }
        with ();
    }
}

/// Operands evaluated before an operand that *may* await: one whose
/// `.await` sits in a branch (an `if` or `match` arm, the right of `&&`).
/// When the branch awaits, rustc keeps the values already evaluated (a
/// moved local, a temporary) in the frame across the suspension; when it
/// does not, the call simply goes on. The desugared function evaluates the
/// branching operand into a temporary of its own first, so that nothing is
/// in flight when it suspends.
mod before_a_branch_that_awaits {
    use super::*;

    differential! {
        /// Seed 738 (a double free): a temporary argument before a block
        /// whose `match` awaits in one arm.
        async fn temporary_argument_before_a_match_arm_that_awaits(flag: bool) -> Noisy {
            pick(true, Noisy::new("first"), {
                match flag.then_some(1) {
                    Some(k) => {
                        leaf("arm", Noisy::new("awaited")).await;
                        log(format!("k {k}"));
                    }
                    None => log("none".to_owned()),
                }
                Noisy::new("second")
            })
        }
        with (true), (false);

        /// A local moved into the argument list before an `if` that awaits.
        async fn moved_local_argument_before_an_if_that_awaits(flag: bool) -> Noisy {
            let local = Noisy::new("local");
            pick(false, local, if flag { leaf("then", Noisy::new("then")).await } else { Noisy::new("else") })
        }
        with (true), (false);

        /// A receiver taken by value before an argument that awaits in a branch.
        async fn receiver_by_value_before_a_branch_that_awaits(flag: bool) -> usize {
            let text = String::from("text");
            text.into_bytes().len()
                + Vec::from([1_u8]).into_iter().chain(if flag { vec![leaf("v", 2_u8).await] } else { vec![] }).count()
        }
        with (true), (false);

        /// `String + &str` with the right side awaiting in a `match` arm.
        async fn left_operand_before_a_right_that_awaits(n: u32) -> String {
            let left = String::from("left-");
            left + match n {
                0 => "zero",
                _ => leaf("str", "many").await,
            }
        }
        with (0), (3);

        /// A tuple whose second field awaits on the right of `&&`.
        async fn tuple_field_before_a_lazy_operand_that_awaits(flag: bool) -> (Noisy, bool) {
            (Noisy::new("field"), flag && leaf("rhs", true).await)
        }
        with (true), (false);

        /// A struct literal whose second field awaits in an `if`.
        async fn struct_field_before_an_if_that_awaits(flag: bool) -> usize {
            let acc = Pair {
                first: Noisy::new("first"),
                second: if flag { leaf("second", Noisy::new("awaited")).await } else { Noisy::new("plain") },
            };
            acc.first.name().len() + acc.second.name().len()
        }
        with (true), (false);

        /// `format!` with an argument that awaits in a `match` arm.
        async fn format_argument_before_a_match_arm_that_awaits(n: u32) -> String {
            format!("{:?} {}", Noisy::new("shown"), match n {
                0 => 0,
                _ => leaf("n", n).await,
            })
        }
        with (0), (2);

        /// Fuzz seed 736: the argument is evaluated into a temporary of its
        /// own only when something is in flight (a function is not), and
        /// its temporaries still live to the end of the statement.
        async fn temporaries_of_a_branching_argument_live_to_the_statement_end(n: u32) -> usize {
            let got = logged(match n {
                0 => leaf("zero", Some(3)).await,
                _ => None,
            }
            .unwrap_or(Noisy::new("fallback").name().len()));
            got + 1
        }
        with (0), (1);

        /// The same beside a value in flight.
        async fn temporaries_of_a_branching_argument_beside_a_value(n: u32) -> usize {
            pick(n > 1, Noisy::new("first").name().len(), match n {
                0 => leaf("zero", Some(3)).await,
                _ => None,
            }
            .unwrap_or(Noisy::new("fallback").name().len()))
        }
        with (0), (2);

        /// `vec!` with an element that awaits in a branch.
        async fn vec_element_before_a_branch_that_awaits(flag: bool) -> usize {
            let items = vec![Noisy::new("a"), if flag { leaf("b", Noisy::new("b")).await } else { Noisy::new("c") }];
            items.len()
        }
        with (true), (false);
    }
}

/// `n`, logged.
fn logged(n: usize) -> usize {
    log(format!("logged {n}"));
    n
}

/// One of two values, by `flag`, logging the choice.
fn pick<T>(flag: bool, a: T, b: T) -> T {
    log(format!("pick {flag}"));
    if flag { a } else { b }
}

/// A count with a logged name.
#[derive(Debug)]
struct Counter {
    name: Noisy,
    count: usize,
}

impl Counter {
    fn new(name: &'static str, count: usize) -> Counter {
        log(format!("new counter {name}"));
        Counter {
            name: Noisy::new(name),
            count,
        }
    }
}

/// Two owned fields, built in order.
struct Pair {
    first: Noisy,
    second: Noisy,
}

/// Both names' lengths.
async fn pair_len(left: &Noisy, right: &Noisy) -> usize {
    name_len(left).await + name_len(right).await
}

/// Sizes of the futures above, native and desugared.
#[test]
fn size_summary() {
    let mut sizes = in_the_awaited_expression::all_sizes();
    sizes.extend(extended_by_a_let::all_sizes());
    sizes.extend(held_by_the_statement::all_sizes());
    sizes.extend(regressions::all_sizes());
    sizes.extend(before_a_branch_that_awaits::all_sizes());
    print_size_table(&sizes);
}

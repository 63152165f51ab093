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

/// Both names' lengths.
async fn pair_len(left: &Noisy, right: &Noisy) -> usize {
    name_len(left).await + name_len(right).await
}

/// Sizes of the futures above, native and desugared.
#[test]
fn size_summary() {
    let mut sizes = in_the_awaited_expression::all_sizes();
    sizes.extend(extended_by_a_let::all_sizes());
    sizes.extend(regressions::all_sizes());
    print_size_table(&sizes);
}

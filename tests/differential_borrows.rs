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
//! `held_borrows` goes further: a borrow kept across an `.await` by a local
//! (`for x in &v`, a slice, a guard, an output that borrows a local). The
//! borrowed local must not move, so it stays in its slot in the pinned
//! future (see `codegen::pinned`); the cases check that this, too, is
//! rustc's behaviour, cancellation at every poll included.

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

/// Locals bound by a pattern, borrowed across an `.await`: each is kept in
/// place from where its scope begins, like one declared alone.
mod pattern_bindings_kept_in_place {
    use super::*;

    differential! {
        /// A destructuring `let`, one part borrowed across the await.
        async fn destructured_let_borrowed() -> usize {
            let (items, count) = (vec![1, 2, 3], Noisy::new("count"));
            let view = &items;
            leaf("tick", ()).await;
            count.touch();
            view.len()
        }
        with ();

        /// A `match` arm's binding lent to the awaited future, as a command
        /// handler lends its key (`Command::Get(key) => db.get(&key).await`).
        async fn match_binding_lent_to_the_future(command: Option<String>) -> usize {
            let guard = Noisy::new("guard");
            let n = match command {
                Some(key) => {
                    let first = &key[..1];
                    leaf("get", first.len()).await + key.len()
                }
                None => 0,
            };
            guard.touch();
            n
        }
        with (Some(String::from("abc"))), (None);

        /// An `if let` binding whose borrow lives across two awaits.
        async fn if_let_binding_borrowed(items: Option<Vec<u32>>) -> u32 {
            if let Some(list) = items {
                let head = &list[0];
                leaf("a", ()).await;
                let more = leaf("b", 1).await;
                *head + more
            } else {
                0
            }
        }
        with (Some(vec![7, 8])), (None);

        /// A `while let` binding borrowed across the await in the body.
        async fn while_let_binding_borrowed() -> usize {
            let mut stack = vec![String::from("x"), String::from("yz")];
            let mut total = 0;
            while let Some(word) = stack.pop() {
                let view = word.as_str();
                leaf("step", ()).await;
                total += view.len();
            }
            total
        }
        with ();

        /// A `for` loop's pattern binding borrowed across the await.
        async fn for_pattern_binding_borrowed() -> usize {
            let words = vec![(1, String::from("a")), (2, String::from("bc"))];
            let mut total = 0;
            for (n, word) in words {
                let view = &word;
                total += leaf("n", n).await + view.len();
            }
            total
        }
        with ();

        /// A `ref mut` binding written through after an await.
        async fn ref_mut_binding_written_after_an_await() -> usize {
            let mut pair = (vec![1_u32], Noisy::new("pair"));
            let (ref mut list, ref name) = pair;
            leaf("tick", ()).await;
            list.push(2);
            name.touch();
            list.len()
        }
        with ();

        /// Seed 127 of `scripts/fuzz` (the macro panicked): a guard whose
        /// block declares a local, on an arm whose binding is kept in place
        /// and whose body awaits a `match` with guards of its own. The
        /// binding is filled where its arm begins, not after the guard's
        /// `let`.
        async fn guard_block_declaring_a_local_on_a_kept_binding(n: u32) -> u32 {
            match n {
                0 => 0,
                k if {
                    let limit = move |x: u32| x < 10;
                    limit(k)
                } => {
                    let view = &k;
                    match leaf("inner", k).await {
                        1 => *view,
                        j if j % 2 == 0 => j + *view,
                        j => j * 2,
                    }
                }
                k => k + 100,
            }
        }
        with (0), (1), (4), (5), (12);
    }
}

/// Kept-in-place locals in the places a type is written or coerced to.
mod kept_locals_and_types {
    use super::*;

    differential! {
        /// A local kept in place beside `return`s whose values coerce to the declared
        /// output, as a native `async fn`'s do (`Box<usize>`, `Box<&str>` to `Box<dyn Debug>`):
        /// the body's never-run native twin must take that type too.
        async fn returns_that_coerce_beside_a_kept_local(flag: bool) -> Box<dyn std::fmt::Debug> {
            let items = vec![1_u32, 2, 3];
            let first = &items[0];
            leaf("tick", ()).await;
            if flag {
                return Box::new(*first);
            }
            Box::new("short")
        }
        with (true), (false);

        /// A kept-in-place local declared with its type (`let v: Vec<u64> = ..`).
        async fn typed_let_of_a_kept_local() -> u64 {
            let v: Vec<u64> = (1..4).collect();
            let mut sum = 0;
            for x in v.iter() {
                sum += leaf("item", *x).await;
            }
            sum
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

        /// A slice of a local `String`, held across an await.
        async fn slice_held_across_await() -> usize {
            let text = String::from("hello");
            let tail = &text[1..];
            leaf("tick", ()).await;
            tail.len() + text.len()
        }
        with ();

        /// `iter_mut` over a local vector, writing through each item after an await.
        async fn iter_mut_across_await() -> u32 {
            let mut items = vec![1, 2, 3];
            for item in items.iter_mut() {
                *item += leaf("add", 10).await;
            }
            items.iter().sum()
        }
        with ();

        /// A `RefCell` guard held across an await, dropped after it.
        #[allow(
            clippy::await_holding_refcell_ref,
            clippy::let_and_return,
            reason = "the guard across the await is the case; the tail's guard drops before the local"
        )]
        async fn refcell_guard_across_await() -> usize {
            let cell = std::cell::RefCell::new(vec![1]);
            let mut guard = cell.borrow_mut();
            guard.push(leaf("push", 2).await);
            drop(guard);
            let len = cell.borrow().len();
            len
        }
        with ();

        /// A `Mutex` guard held across an await, then the mutex locked again.
        #[allow(
            clippy::await_holding_lock,
            clippy::let_and_return,
            reason = "the guard across the await is the case; the tail's guard drops before the local"
        )]
        async fn mutex_guard_across_await() -> u32 {
            let mutex = std::sync::Mutex::new(5);
            let mut guard = mutex.lock().unwrap();
            *guard += leaf("add", 1).await;
            drop(guard);
            let value = *mutex.lock().unwrap();
            value
        }
        with ();

        /// Cancelled with a borrowed `Noisy` between two others: dropped in native order.
        async fn borrowed_noisy_between_others() -> u32 {
            let first = Noisy::new("first");
            let borrowed = Noisy::new("borrowed");
            let view = &borrowed;
            let last = Noisy::new("last");
            let n = leaf("one", 1).await;
            view.touch();
            let m = leaf("two", 2).await;
            first.touch();
            last.touch();
            n + m
        }
        with ();

        /// A `&mut` borrow held across an await, then the vector used again.
        async fn mut_borrow_across_await() -> usize {
            let mut items = vec![1];
            let view = &mut items;
            view.push(leaf("push", 2).await);
            view.push(3);
            items.len()
        }
        with ();

        /// `for` over a borrowed parameter.
        async fn for_over_borrowed_param(items: Vec<u32>) -> u32 {
            let mut sum = 0;
            for x in &items {
                sum += leaf("item", *x).await;
            }
            sum
        }
        with (vec![1, 2, 3]);

        /// Nested loops over a borrowed grid, the inner one over a borrowed row.
        async fn nested_loops_over_borrowed_grid() -> u32 {
            let grid = vec![vec![1, 2], vec![3]];
            let mut sum = 0;
            for row in &grid {
                for x in row {
                    sum += leaf("cell", *x).await;
                }
            }
            sum
        }
        with ();

        /// A pinned local declared in a loop body: a fresh value in the slot each time.
        async fn pinned_local_in_loop_body() -> usize {
            let mut total = 0;
            for i in 0..3 {
                let text = Noisy::new(format!("text{i}"));
                let view = &text;
                leaf("tick", i).await;
                view.touch();
                total += 1;
            }
            total
        }
        with ();

        /// An early `return` while a pinned local is borrowed.
        async fn early_return_while_borrowed(limit: usize) -> usize {
            let text = String::from("hello");
            let view = &text;
            leaf("tick", ()).await;
            if view.len() > limit {
                return 0;
            }
            leaf("again", ()).await;
            view.len()
        }
        with (3), (10);

        /// A closure and an iterator over the same pinned vector.
        async fn closure_over_pinned_local() -> usize {
            let items = vec![1, 2, 3];
            let iter = items.iter();
            leaf("tick", ()).await;
            let len = || items.len();
            len() + iter.count()
        }
        with ();

        /// A pinned local named in a format string.
        async fn pinned_local_in_format_string() -> String {
            let text = String::from("hello");
            let tail = &text[1..];
            leaf("tick", ()).await;
            format!("{text}/{tail}/{}", text.len())
        }
        with ();

        /// The borrowed vector is returned by value once the loop is done.
        async fn borrowed_then_returned() -> Vec<u32> {
            let mut items = vec![1, 2, 3];
            for x in &items {
                leaf("item", *x).await;
            }
            items.push(4);
            items
        }
        with ();

        /// A borrowed `Noisy` moved into a call after the borrow ends.
        async fn borrowed_then_moved() -> u32 {
            let noisy = Noisy::new("moved");
            let view = &noisy;
            let n = leaf("tick", 1).await;
            view.touch();
            drop(noisy);
            n + leaf("after", 1).await
        }
        with ();

        /// A panic while a pinned local is borrowed: unwinding drops it in its slot.
        async fn panic_while_borrowed(fail: bool) -> u32 {
            let text = Noisy::new("text");
            let view = &text;
            let other = Noisy::new("other");
            leaf("tick", ()).await;
            if fail {
                panic!("boom");
            }
            view.touch();
            other.touch();
            1
        }
        with (false), (true);

        /// A `Copy` local kept in place, read by value and assigned after its borrow ends.
        async fn copy_local_read_and_assigned() -> u32 {
            let mut n = 5;
            let view = &n;
            leaf("tick", ()).await;
            let m = *view + n;
            n = 7;
            leaf("again", ()).await;
            m + n
        }
        with ();

        /// A local kept in place, moved out, then given a new value.
        async fn moved_out_then_reassigned() -> usize {
            let mut text = Noisy::new("first");
            let view = &text;
            leaf("tick", ()).await;
            view.touch();
            drop(text);
            text = Noisy::new("second");
            leaf("again", ()).await;
            text.touch();
            text.name().len()
        }
        with ();

        /// A conditional move out of a kept local: its drop flag decides the drop.
        async fn conditionally_moved(consume: bool) -> u32 {
            let text = Noisy::new("text");
            let view = &text;
            leaf("tick", ()).await;
            view.touch();
            if consume {
                drop(text);
            }
            leaf("again", 1).await
        }
        with (false), (true);

        /// A `while let` over a borrowed iterator, broken out of after an await.
        #[allow(clippy::while_let_on_iterator, reason = "the `while let` is the case")]
        async fn while_let_over_borrowed_iter() -> u32 {
            let items = vec![1, 2, 3, 4];
            let mut iter = items.iter();
            let mut sum = 0;
            while let Some(x) = iter.next() {
                sum += leaf("item", *x).await;
                if sum > 4 {
                    break;
                }
            }
            sum + iter.count() as u32
        }
        with ();

        /// A method named like a borrow (`first`) on a local bound by a pattern, whose
        /// result is copied: no borrow is kept, so the local need not stay in place.
        async fn method_guess_dropped_for_pattern_local() -> u32 {
            let (items, extra) = (vec![3, 1, 2], 1);
            let first = items.first().copied();
            leaf("tick", ()).await;
            first.unwrap_or(0) + extra + items.len() as u32
        }
        with ();

        /// A closure that borrows a local, kept across an await.
        async fn closure_kept_across_await() -> usize {
            let items = vec![1, 2, 3];
            let count = || items.len();
            leaf("tick", ()).await;
            count() + items.len()
        }
        with ();

        /// An `async` block that borrows a local, made before an await and awaited after.
        async fn async_block_kept_across_await() -> u32 {
            let base = Noisy::new("base");
            let later = async { base.touch(); leaf("inner", 2).await };
            leaf("tick", ()).await;
            later.await + 1
        }
        with ();

        /// The output borrows the local it was given, and is used at once.
        async fn output_borrows_local_used_at_once() -> u32 {
            let items = vec![7, 8];
            let first = first_of(&items).await;
            *first
        }
        with ();

        /// The future's output borrows the local it was given.
        async fn output_borrows_local() -> u32 {
            let items = vec![4, 5, 6];
            let first = first_of(&items).await;
            leaf("tick", ()).await;
            *first
        }
        with ();
    }
}

/// A receiver whose field is borrowed across awaits.
struct Basket {
    items: Vec<u32>,
    tag: Noisy,
}

impl Basket {
    /// `for` over a field of `self`, taken by value.
    #[desugar::desugar]
    async fn total_desugared(self) -> u32 {
        let mut sum = 0;
        for x in &self.items {
            sum += leaf("item", *x).await;
        }
        self.tag.touch();
        sum
    }

    /// The same, native.
    async fn total_native(self) -> u32 {
        let mut sum = 0;
        for x in &self.items {
            sum += leaf("item", *x).await;
        }
        self.tag.touch();
        sum
    }
}

fn basket() -> Basket {
    Basket {
        items: vec![1, 2, 3],
        tag: Noisy::new("tag"),
    }
}

#[test]
fn self_by_value_borrowed_across_awaits() {
    same_runs(
        "Basket::total",
        || basket().total_native(),
        || basket().total_desugared(),
    );
    same_cancellations(
        "Basket::total",
        || basket().total_native(),
        || basket().total_desugared(),
    );
}

/// A closure or `async` block that is not `move` captures each local by
/// the strongest use it makes of it: one it uses by value is moved in when
/// it is made (a `Copy` one is borrowed, which reads the same), one it
/// assigns is borrowed mutably, any other is borrowed. Each local here is
/// kept in place, since the closure or block lives across an await.
mod captured_by_use {
    use super::*;

    differential! {
        /// Fuzz seed 635's shape: an `async` block that moves a local into
        /// the future it awaits, awaited at once.
        async fn async_block_moves_a_local_in(n: u32) -> usize {
            let items = vec![Noisy::new("item")];
            let named = Noisy::new("named");
            let count = async {
                let got = leaf("items", items).await;
                named.touch();
                got.len() + n as usize
            }
            .await;
            leaf("after", count).await
        }
        with (1);

        /// A `Copy` local used by value: borrowed, and read where it is.
        async fn async_block_copies_a_local(n: u32) -> u32 {
            let base = n * 2;
            let doubled = async { leaf("base", base).await + base }.await;
            doubled + base
        }
        with (4);

        /// A local the closure assigns and also reads by value: borrowed
        /// mutably, so the change is seen after the closure.
        async fn closure_assigns_a_local_it_reads(n: u32) -> u32 {
            let mut count = n;
            let mut bump = || {
                count += 1;
                count
            };
            let first = bump();
            leaf("between", ()).await;
            let second = bump();
            first + second + count
        }
        with (3);

        /// Fuzz seed 757: a block that assigns one parameter from another,
        /// then a destructuring `let` of its output whose bindings are kept
        /// in place. (The rewrite that keeps them once took a name it had
        /// just made for a name of the body, found at a reused address.)
        async fn async_block_assigning_a_parameter_then_destructured(mut flag: bool, other: bool) -> usize {
            let shadowed = Counted { count: 1, name: Noisy::new("shadowed") };
            let Counted { count, name } = async {
                flag = other;
                Counted { count: 2, name: Noisy::new("made") }
            }
            .await;
            leaf("after", count + usize::from(flag)).await + name.name().len() + shadowed.count
        }
        with (true, false);

        /// Fuzz seed 24: a `Copy` local the block both copies and lends in
        /// its output stays borrowed, not copied in: the output borrows the
        /// local itself.
        async fn async_block_copies_and_lends_a_local(n: u32) -> u32 {
            let base = n + 1;
            let lent: &u32 = async {
                let copied = base * 2;
                leaf("lent", &base).await;
                log(format!("copied {copied}"));
                &base
            }
            .await;
            *lent + leaf("after", 1).await
        }
        with (2);

        /// Fuzz seed 1117: a `let` inside the awaited block shadows the
        /// local the block borrows; the shadowing local is the block's own.
        async fn awaited_block_shadows_a_borrowed_local(first: &u32, items: Vec<u32>) -> u32 {
            let got: u32 = async {
                let first = { *first };
                let inner: u32 = async move {
                    log(format!("len {}", items.len()));
                    first
                }
                .await;
                let doubled = |first: u32| first * 2;
                doubled(inner)
            }
            .await;
            got + *first
        }
        with (&3, vec![3, 4]);

        /// A block that is made and dropped without being polled still owns
        /// what it moved in: the local is dropped with the block.
        async fn unpolled_async_block_drops_what_it_moved(flag: bool) -> u32 {
            let owned = Noisy::new("owned");
            let block = async { owned.name().len() };
            leaf("between", ()).await;
            if flag {
                drop(block);
                log("dropped the block".to_owned());
                0
            } else {
                block.await as u32
            }
        }
        with (true), (false);
    }
}

/// A count with a logged name.
struct Counted {
    count: usize,
    name: Noisy,
}

/// The first item, after an await: the output borrows the argument.
async fn first_of(items: &[u32]) -> &u32 {
    leaf("first", ()).await;
    &items[0]
}

/// Sizes of the futures above, native and desugared.
#[test]
fn size_summary() {
    let mut sizes = awaitee_borrows::all_sizes();
    sizes.extend(held_borrows::all_sizes());
    sizes.extend(kept_locals_and_types::all_sizes());
    sizes.extend(pattern_bindings_kept_in_place::all_sizes());
    sizes.extend(captured_by_use::all_sizes());
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

//! The differential harness: every case is compiled twice, once by rustc as
//! a native `async fn` and once through `#[desugar]`, and the two futures must
//! be indistinguishable.
//!
//! An `async fn` shows much more than its output. It polls its sub-futures in
//! an order, passes its waker down, drops its locals at particular moments,
//! drops whatever it holds when it is cancelled halfway, is `Send` or not,
//! fails in a particular way and refuses to be polled after it has finished.
//! The harness turns all of that into a list of events and compares the lists
//! of the two twins, event by event.
//!
//! The pieces, bottom up:
//!
//! 1. [`log`] keeps the event list (a thread-local `Vec<String>`) and defines
//!    [`Noisy`], a value that logs when it is used and when it is dropped.
//! 2. [`leaf`] holds the futures at the bottom of every case. A leaf logs each
//!    poll and returns `Pending` zero to two times, on a seeded schedule,
//!    before it is ready, so every case is tried with several interleavings.
//! 3. [`executor`] is a deterministic single-threaded executor. It logs every
//!    poll and every wake-up, refuses to poll a future that did not arrange
//!    to be woken, and can cancel a future after any number of polls.
//! 4. [`probe`] answers "is this concrete type `Send`?" (and `Sync`, `Unpin`)
//!    with a `bool`, by autoref specialization.
//! 5. [`compare`] holds the `differential!` macro, which writes a case once
//!    and generates the twins and their tests, and the comparisons those
//!    tests make.
//!
//! A case, as `tests/differential.rs` writes it:
//!
//! ```ignore
//! differential! {
//!     /// Two awaits in sequence: the output of one feeds the next.
//!     async fn seed_example(n: u32) -> u32 {
//!         let data = leaf("fetch", n).await;
//!         let result = data + 1;
//!         leaf("save", result).await
//!     }
//!     with (5);
//! }
//! ```
//!
//! For one seed its event log reads `poll #1`, `poll fetch`, `wake`, `poll #2`,
//! `poll fetch`, `ready fetch`, `drop leaf fetch`, `poll save`, `ready save`,
//! `drop leaf save` (the number of `Pending`s depends on the seed), and the
//! desugared twin must produce exactly the same list.

#![allow(
    dead_code,
    unused_imports,
    reason = "every test file includes the whole harness and uses part of it"
)]
#![allow(
    clippy::uninlined_format_args,
    reason = "the harness also builds as edition 2018, where `panic!` and `assert!` with \
              one literal do not format it"
)]

mod borrowing;
mod compare;
mod editions;
mod executor;
mod leaf;
mod log;
pub(crate) mod probe;
mod twins;

pub(crate) use borrowing::{Counter, fill};
pub(crate) use compare::{
    AutoTraits, Outcome, SEEDS, cancel_outcome, differential, print_size_table, repoll_outcome,
    run_outcome, same_auto_traits, same_cancellations, same_repolls, same_runs,
};
pub(crate) use editions::edition_2024;
pub(crate) use executor::{MAX_POLLS, STALLED, cancel_after, panic_message, poll_after_end, run};
pub(crate) use leaf::{Leaf, PendingForever, leaf, pending_forever, ready_leaf, seed_schedule};
pub(crate) use log::{Noisy, log, take_log};
pub(crate) use probe::{auto_traits, is_send, is_sync, is_unpin};
pub(crate) use twins::{same, twins};

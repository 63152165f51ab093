//! `differential!`: write a case once, compile it twice, compare the twins.
//!
//! A case is an `async fn` followed by the argument lists to call it with:
//!
//! ```ignore
//! differential! {
//!     /// What this case shows (becomes the doc of the case's module).
//!     async fn name(n: u32, input: Option<u32>) -> u32 { /* body */ }
//!     with (5, Some(1)), (0, None);
//! }
//! ```
//!
//! Several cases may follow each other in one invocation. Each becomes a
//! module `name` holding:
//!
//! - `native::name`, the function exactly as written, and
//!   `desugared::name`, the same tokens under `#[desugar::desugar]`. Both
//!   modules glob-import the module that invoked `differential!`, so helpers
//!   in scope there are in scope in the body.
//! - `sizes()`: the case's name and the sizes of its two futures.
//! - Tests, each run for every argument list:
//!   - `same_output_and_events`: for each seed in [`SEEDS`], run both to the
//!     end; the output (its `Debug`) or the panic message must be equal, and
//!     so must the whole event log (see [`Outcome`]).
//!   - `same_events_when_cancelled_at_each_poll`: for each seed, and each
//!     number of polls from 0 to the number the native run needed, poll both
//!     that often, then drop them: the logs must be equal. This cancels at
//!     every suspension point and before the first poll.
//!   - `same_auto_traits`: `Send`, `Sync` and `Unpin` must agree.
//!   - `same_behaviour_when_polled_after_the_end`: once a future has returned
//!     `Ready` (or panicked), polling it again must do the same in both
//!     (rustc panics with "`async fn` resumed after completion").
//!   - `size`: prints `size NAME native N desugared M` (see `--nocapture`).
//!
//! After the cases, the invocation defines `all_sizes()`, which lists the
//! `sizes()` of all of them for the size summary.
//!
//! Arguments are expressions, evaluated afresh for every run. The output type
//! must implement `Debug`. Tokens reach `#[desugar]` as the user wrote them:
//! the body and the signature are passed on token by token, never as `ty` or
//! `block` fragments (which would wrap them in invisible groups).

use std::fmt::{Debug, Write as _};
use std::future::Future;
use std::ops::Range;

use super::executor::{cancel_after, catch_quietly, poll_after_end, run};
use super::log::take_log;

/// The seeds every case is run with: each gives its leaves a different
/// pattern of `Pending`s.
pub(crate) const SEEDS: Range<u64> = 0..8;

/// What one future did under the executor.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// `Ok` with the output's `Debug` (or a word for how the executor
    /// returned), `Err` with the message it panicked with.
    pub(crate) result: Result<String, String>,
    /// Every event, from the creation of the future to the end of the run,
    /// including the drops of the output and of the future itself.
    pub(crate) events: Vec<String>,
}

impl Outcome {
    /// How many times the executor polled the future.
    pub(crate) fn polls(&self) -> usize {
        self.events
            .iter()
            .filter(|event| event.starts_with("poll #"))
            .count()
    }
}

/// Creates a future with `make` and runs it to the end with [`run`].
pub(crate) fn run_outcome<F>(seed: u64, make: impl FnOnce() -> F) -> Outcome
where
    F: Future<Output: Debug>,
{
    observe(make, |future| {
        let (output, events) = run(seed, future);
        (Ok(format!("{output:?}")), events)
    })
}

/// Creates a future with `make` and cancels it with [`cancel_after`].
pub(crate) fn cancel_outcome<F: Future>(
    seed: u64,
    make: impl FnOnce() -> F,
    polls: usize,
) -> Outcome {
    observe(make, |future| {
        (Ok("returned".to_owned()), cancel_after(seed, future, polls))
    })
}

/// Creates a future with `make` and polls it once after its end with
/// [`poll_after_end`]; the result is what that extra poll did.
pub(crate) fn repoll_outcome<F>(seed: u64, make: impl FnOnce() -> F) -> Outcome
where
    F: Future<Output: Debug>,
{
    observe(make, |future| poll_after_end(seed, future))
}

/// Makes a future, drives it, and collects everything that was logged:
/// while it was created (a future must not run any of its body before its
/// first poll), while it was driven, and afterwards (the drop of the output).
/// A panic out of `drive` becomes the result.
fn observe<F>(
    make: impl FnOnce() -> F,
    drive: impl FnOnce(F) -> (Result<String, String>, Vec<String>),
) -> Outcome {
    take_log();
    let future = make();
    let mut events = take_log();
    let result = match catch_quietly(|| drive(future)) {
        Ok((result, during)) => {
            events.extend(during);
            result
        }
        Err(message) => Err(message),
    };
    events.extend(take_log());
    Outcome { result, events }
}

/// Runs both twins to the end with every seed and compares them.
pub(crate) fn same_runs<N, D>(label: &str, native: impl Fn() -> N, desugared: impl Fn() -> D)
where
    N: Future<Output: Debug>,
    D: Future<Output: Debug>,
{
    for seed in SEEDS {
        assert_same(
            label,
            &format!("seed {seed}, run to the end"),
            &run_outcome(seed, &native),
            &run_outcome(seed, &desugared),
        );
    }
}

/// Cancels both twins after every number of polls the native run needed.
pub(crate) fn same_cancellations<N, D>(
    label: &str,
    native: impl Fn() -> N,
    desugared: impl Fn() -> D,
) where
    N: Future<Output: Debug>,
    D: Future<Output: Debug>,
{
    for seed in SEEDS {
        let polls = run_outcome(seed, &native).polls();
        for cancel_at in 0..=polls {
            assert_same(
                label,
                &format!("seed {seed}, cancelled after {cancel_at} of {polls} polls"),
                &cancel_outcome(seed, &native, cancel_at),
                &cancel_outcome(seed, &desugared, cancel_at),
            );
        }
    }
}

/// Polls both twins once more after they ended.
pub(crate) fn same_repolls<N, D>(label: &str, native: impl Fn() -> N, desugared: impl Fn() -> D)
where
    N: Future<Output: Debug>,
    D: Future<Output: Debug>,
{
    for seed in SEEDS {
        assert_same(
            label,
            &format!("seed {seed}, polled again after the end"),
            &repoll_outcome(seed, &native),
            &repoll_outcome(seed, &desugared),
        );
    }
}

/// Whether a type is `Send`, `Sync` and `Unpin`; made by `auto_traits!`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AutoTraits {
    pub(crate) send: bool,
    pub(crate) sync: bool,
    pub(crate) unpin: bool,
}

/// Compares the auto traits of the two twins' futures.
pub(crate) fn same_auto_traits(label: &str, native: AutoTraits, desugared: AutoTraits) {
    assert_eq!(
        native, desugared,
        "{label}: the auto traits of the desugared future differ from the native one"
    );
}

/// Panics with a readable report unless the two outcomes are equal.
fn assert_same(label: &str, situation: &str, native: &Outcome, desugared: &Outcome) {
    if native == desugared {
        return;
    }
    let mut report =
        format!("{label}, {situation}: the desugared future differs from the native one\n");
    if native.result != desugared.result {
        let _ = writeln!(report, "  native ended with    {:?}", native.result);
        let _ = writeln!(report, "  desugared ended with {:?}", desugared.result);
    }
    let first_difference = native
        .events
        .iter()
        .zip(&desugared.events)
        .position(|(native, desugared)| native != desugared)
        .or_else(|| {
            (native.events.len() != desugared.events.len())
                .then(|| native.events.len().min(desugared.events.len()))
        });
    if let Some(at) = first_difference {
        let _ = writeln!(
            report,
            "  events differ at index {at}: native {:?}, desugared {:?}",
            native.events.get(at),
            desugared.events.get(at),
        );
    }
    let _ = writeln!(report, "  native events:    {:?}", native.events);
    let _ = write!(report, "  desugared events: {:?}", desugared.events);
    panic!("{}", report);
}

/// Prints a table of case sizes with the ratio desugared / native, and the
/// largest and median ratio. It only prints: sizes are for reading, not a
/// pass/fail criterion.
pub(crate) fn print_size_table(rows: &[(&str, usize, usize)]) {
    let ratio = |native: usize, desugared: usize| desugared as f64 / native.max(1) as f64;
    let width = rows.iter().map(|row| row.0.len()).max().unwrap_or(4).max(4);
    println!(
        "{:width$}  {:>6}  {:>9}  {:>5}",
        "case", "native", "desugared", "ratio"
    );
    for &(name, native, desugared) in rows {
        let ratio = ratio(native, desugared);
        println!("{name:width$}  {native:>6}  {desugared:>9}  {ratio:>5.2}");
    }
    let mut ratios: Vec<(f64, &str)> = rows
        .iter()
        .map(|&(name, native, desugared)| (ratio(native, desugared), name))
        .collect();
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(&(max, max_case)) = ratios.last() else {
        println!("no cases");
        return;
    };
    let middle = ratios.len() / 2;
    let median = if ratios.len() % 2 == 0 {
        (ratios[middle - 1].0 + ratios[middle].0) / 2.0
    } else {
        ratios[middle].0
    };
    println!(
        "{} cases; max ratio {max:.2} ({max_case}); median ratio {median:.2}",
        rows.len()
    );
}

/// See the module docs.
macro_rules! differential {
    // All cases are emitted: list them for the size summary.
    (@cases [$($done:ident)*]) => {
        /// The name, native size and desugared size of every case above.
        pub(crate) fn all_sizes() -> ::std::vec::Vec<(&'static str, usize, usize)> {
            ::std::vec![$($done::sizes()),*]
        }
    };
    // The next case: take its attributes, name and parameters, then collect
    // the rest of its signature token by token.
    (@cases [$($done:ident)*]
        $(#[$attr:meta])* async fn $name:ident ( $($params:tt)* ) $($rest:tt)*
    ) => {
        $crate::support::differential!(
            @signature [$($done)*] [$(#[$attr])*] $name [$($params)*] [] $($rest)*
        );
    };
    (@cases [$($done:ident)*] $($unexpected:tt)+) => {
        ::std::compile_error!(
            "expected a case: `/// doc`, `async fn name(params) -> Output { body }`, \
             `with (args), (more args);`"
        );
    };
    // The body is reached: what was collected is the rest of the signature.
    (@signature [$($done:ident)*] $attrs:tt $name:ident $params:tt [$($signature:tt)*]
        { $($body:tt)* } with $($args:tt),+ ; $($rest:tt)*
    ) => {
        $crate::support::differential!(
            @case $attrs $name $params [$($signature)*] { $($body)* } [$($args)+]
        );
        $crate::support::differential!(@cases [$($done)* $name] $($rest)*);
    };
    (@signature $done:tt $attrs:tt $name:ident $params:tt [$($signature:tt)*]
        $next:tt $($rest:tt)*
    ) => {
        $crate::support::differential!(
            @signature $done $attrs $name $params [$($signature)* $next] $($rest)*
        );
    };
    (@signature $done:tt $attrs:tt $name:ident $($unexpected:tt)*) => {
        ::std::compile_error!(::std::concat!(
            "case `", ::std::stringify!($name), "`: expected `with (args);` after the body"
        ));
    };
    // One case: the twins and their tests.
    (@case [$($attr:tt)*] $name:ident [$($params:tt)*] [$($signature:tt)*] $body:tt
        [$($args:tt)+]
    ) => {
        $($attr)*
        pub(crate) mod $name {
            // The arguments are written in the invoking module's scope.
            #[allow(unused_imports)]
            use super::*;

            /// The case as rustc lowers it.
            pub(crate) mod native {
                #[allow(unused_imports)]
                use super::super::*;

                pub(crate) async fn $name($($params)*) $($signature)* $body
            }

            /// The same case as `#[desugar]` lowers it.
            pub(crate) mod desugared {
                #[allow(unused_imports)]
                use super::super::*;

                #[::desugar::desugar]
                pub(crate) async fn $name($($params)*) $($signature)* $body
            }

            /// The case's name and the sizes of its native and desugared futures.
            pub(crate) fn sizes() -> (&'static str, usize, usize) {
                let [(native, desugared), ..] = [$((
                    ::std::mem::size_of_val(&native::$name $args),
                    ::std::mem::size_of_val(&desugared::$name $args),
                )),+];
                (::std::stringify!($name), native, desugared)
            }

            #[test]
            fn same_output_and_events() {
                $($crate::support::same_runs(
                    ::std::concat!(::std::stringify!($name), ::std::stringify!($args)),
                    || native::$name $args,
                    || desugared::$name $args,
                );)+
            }

            #[test]
            fn same_events_when_cancelled_at_each_poll() {
                $($crate::support::same_cancellations(
                    ::std::concat!(::std::stringify!($name), ::std::stringify!($args)),
                    || native::$name $args,
                    || desugared::$name $args,
                );)+
            }

            #[test]
            fn same_auto_traits() {
                $({
                    let native = native::$name $args;
                    let desugared = desugared::$name $args;
                    $crate::support::same_auto_traits(
                        ::std::concat!(::std::stringify!($name), ::std::stringify!($args)),
                        $crate::support::auto_traits!(native),
                        $crate::support::auto_traits!(desugared),
                    );
                })+
            }

            #[test]
            fn same_behaviour_when_polled_after_the_end() {
                $($crate::support::same_repolls(
                    ::std::concat!(::std::stringify!($name), ::std::stringify!($args)),
                    || native::$name $args,
                    || desugared::$name $args,
                );)+
            }

            #[test]
            fn size() {
                let (name, native, desugared) = sizes();
                ::std::println!("size {name} native {native} desugared {desugared}");
            }
        }
    };
    // The entry point: zero or more cases.
    ($($cases:tt)*) => {
        $crate::support::differential!(@cases [] $($cases)*);
    };
}

pub(crate) use differential;

//! What polling a `#[desugar]`ed future costs, against its native twin.
//!
//! `cargo bench --bench poll_cost` compiles each case twice in this one
//! binary, as the `async fn` rustc lowers itself (`native`) and through
//! `#[desugar::desugar]` (`desugared`); the `twins!` macro writes both from
//! one text. Both are run by the same busy-poll executor ([`run`]: a no-op
//! waker, poll again at once after `Pending`), interleaved (native,
//! desugared, native, ...) so that drift hits both, and it prints one line
//! per case:
//!
//! ```text
//! CASE: native T1 desugared T2 ratio R size native N desugared D
//! ```
//!
//! T is the median, over the samples, of the time one iteration of the
//! case's loop takes (each future runs [`ITERATIONS`] of them, and a sample
//! runs as many futures, one after the other, as fill 12-24 ms). R = T1 / T2: 1 means the
//! desugared future costs what rustc's does, below 1 that it is slower (the
//! project aims at R >= 0.9). N and D are the sizes of the two futures
//! before their first poll (`size_of_val`), in bytes. Before timing, each
//! case checks that both twins give the same output after the same number
//! of polls, so the two sides do the same work.
//!
//! Pass a filter to run some cases (`cargo bench --bench poll_cost --
//! loop`) and `--quick` to take one sample of each instead of seven.

use std::fmt::Debug;
use std::future::{Future, ready};
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// The iterations of each case's loop, in one run of its future.
const ITERATIONS: u64 = 1_000;

/// A sample runs futures until it takes at least this long (so 12-24 ms
/// with the doubling in [`calibrate`], give or take the noise).
const SAMPLE_TIME: Duration = Duration::from_millis(12);

/// A leaf that returns `Pending` once, waking its waker first as a real
/// future would, then is ready with its value.
struct PendOnce<T> {
    value: Option<T>,
    pended: bool,
}

/// Never pinned through: the value is moved out, not borrowed in place.
impl<T> Unpin for PendOnce<T> {}

/// See [`PendOnce`].
fn pend_once<T>(value: T) -> PendOnce<T> {
    PendOnce {
        value: Some(value),
        pended: false,
    }
}

impl<T> Future for PendOnce<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        if this.pended {
            Poll::Ready(
                this.value
                    .take()
                    .expect("`PendOnce` polled after it was ready"),
            )
        } else {
            this.pended = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// An `Ok` the optimizer cannot see is never an `Err`, after one `Pending`.
fn checked(value: u64) -> PendOnce<Result<u64, u64>> {
    pend_once(if black_box(value) == u64::MAX {
        Err(value)
    } else {
        Ok(value)
    })
}

/// Writes the items once in `native` and once, each under `#[desugar]`, in
/// `desugared`, like `tests/support/twins.rs`.
macro_rules! twins {
    ($($item:item)*) => {
        /// The cases as rustc lowers them.
        mod native {
            use super::*;
            $($item)*
        }
        /// The cases as `#[desugar]` writes them.
        mod desugared {
            use super::*;
            $(#[::desugar::desugar] $item)*
        }
    };
}

twins! {
    /// Awaits an always-ready future `n` times.
    pub(crate) async fn ready_loop(n: u64) -> u64 {
        let mut sum = 0_u64;
        let mut i = 0;
        while i < n {
            sum = sum.wrapping_add(ready(black_box(i)).await);
            i += 1;
        }
        sum
    }

    /// Awaits `n` futures that are each `Pending` once.
    pub(crate) async fn pend_once_loop(n: u64) -> u64 {
        let mut sum = 0_u64;
        let mut i = 0;
        while i < n {
            sum = sum.wrapping_add(pend_once(black_box(i)).await);
            i += 1;
        }
        sum
    }

    /// `pend_once_loop` with a 4 KiB local written before each `.await` and
    /// read after it: a state that moves its locals would copy it twice.
    pub(crate) async fn big_local_loop(n: u64) -> u64 {
        let mut buf = [0_u8; 4096];
        black_box(&mut buf);
        let mut sum = 0_u64;
        let mut i = 0;
        while i < n {
            buf[black_box(i as usize) % 4096] = i as u8;
            let got = pend_once(black_box(i)).await;
            sum = sum.wrapping_add(got + u64::from(buf[black_box(got as usize * 7) % 4096]));
            i += 1;
        }
        sum
    }

    /// `for x in v.iter()` with a `Pending` once in each iteration: the
    /// iterator is held across the `.await`.
    pub(crate) async fn for_iter(v: &[u64]) -> u64 {
        let mut sum = 0_u64;
        for x in v.iter() {
            sum = sum.wrapping_add(pend_once(*x).await);
        }
        sum
    }

    /// `for_iter` over a `Vec` of its own, which the iterator borrows across
    /// the `.await`: the `Vec` stays in place (a slot of the future).
    pub(crate) async fn for_iter_owned(n: u64) -> u64 {
        // Not `let v: Vec<u64> = ..`: a kept-in-place local with a type
        // annotation does not compile through `#[desugar]` yet (E0107, the
        // macro writes `__Pinned<Vec<u64>>` for its two-parameter handle).
        let v = (0..n).collect::<Vec<u64>>();
        let mut sum = 0_u64;
        for x in v.iter() {
            sum = sum.wrapping_add(pend_once(*x).await);
        }
        sum
    }

    /// The innermost of `nested`'s three levels: a leaf `Pending` once.
    pub(crate) async fn nested_inner(i: u64) -> u64 {
        pend_once(black_box(i)).await + 1
    }

    /// The middle level of `nested`.
    pub(crate) async fn nested_middle(i: u64) -> u64 {
        nested_inner(i).await.wrapping_mul(3)
    }

    /// Awaits `n` calls of `nested_middle`, which awaits `nested_inner`.
    pub(crate) async fn nested(n: u64) -> u64 {
        let mut sum = 0_u64;
        let mut i = 0;
        while i < n {
            sum = sum.wrapping_add(nested_middle(i).await);
            i += 1;
        }
        sum
    }

    /// A `match` with guards in a loop; three of its four arms await.
    pub(crate) async fn match_guards(n: u64) -> u64 {
        let mut sum = 0_u64;
        let mut i = 0;
        while i < n {
            match black_box(i) % 7 {
                x if x < 2 => sum = sum.wrapping_add(pend_once(x).await),
                x if x % 2 == 0 => sum = sum.wrapping_add(ready(x * 3).await),
                3 => sum = sum.wrapping_add(1),
                x => sum = sum.wrapping_add(pend_once(x).await * 2),
            }
            i += 1;
        }
        sum
    }

    /// `?` on the output of `n` awaited `Result`s, each `Pending` once.
    pub(crate) async fn try_loop(n: u64) -> Result<u64, u64> {
        let mut sum = 0_u64;
        let mut i = 0;
        while i < n {
            sum = sum.wrapping_add(checked(i).await?);
            i += 1;
        }
        Ok(sum)
    }
}

/// Polls `future` until it is ready and returns its output and how many
/// polls that took. The waker does nothing: a leaf wakes it before each
/// `Pending`, and the loop polls again at once.
#[inline(never)]
fn run<F: Future>(future: F) -> (F::Output, u64) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 1;
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
        polls += 1;
    }
}

/// Times `reps` runs of the futures `make` returns.
fn sample<F: Future>(make: &impl Fn() -> F, reps: u64) -> Duration {
    let started = Instant::now();
    for _ in 0..reps {
        black_box(run(make()));
    }
    started.elapsed()
}

/// Measures one case, written once for both twins: `$module` names the twin
/// in `$make`, a future for one run.
macro_rules! case {
    ($bench:expr, $name:literal, $module:ident => $make:expr) => {
        $bench.compare(
            $name,
            || {
                use native as $module;
                $make
            },
            || {
                use desugared as $module;
                $make
            },
        )
    };
}

/// What to run: the name filter and the number of samples.
struct Bench {
    filter: Option<String>,
    samples: usize,
}

impl Bench {
    /// Checks that both twins do the same work, then times them
    /// interleaved and prints the case's line.
    fn compare<F1, F2>(&self, name: &str, native: impl Fn() -> F1, desugared: impl Fn() -> F2)
    where
        F1: Future,
        F2: Future<Output = F1::Output>,
        F1::Output: PartialEq + Debug,
    {
        if self
            .filter
            .as_ref()
            .is_some_and(|filter| !name.contains(filter.as_str()))
        {
            return;
        }
        let sizes = (size_of_val(&native()), size_of_val(&desugared()));
        assert_eq!(run(native()), run(desugared()), "{name}: the twins differ");
        let (reps_native, reps_desugared) = (calibrate(&native), calibrate(&desugared));
        let (mut times_native, mut times_desugared) = (Vec::new(), Vec::new());
        for _ in 0..self.samples {
            times_native.push(sample(&native, reps_native));
            times_desugared.push(sample(&desugared, reps_desugared));
        }
        let per_iteration = |times: &mut [Duration], reps: u64| {
            median(times).as_secs_f64() * 1e9 / (reps * ITERATIONS) as f64
        };
        let t1 = per_iteration(&mut times_native, reps_native);
        let t2 = per_iteration(&mut times_desugared, reps_desugared);
        println!(
            "{name}: native {t1:.2}ns desugared {t2:.2}ns ratio {:.2} size native {} desugared {}",
            t1 / t2,
            sizes.0,
            sizes.1
        );
    }
}

/// How many runs of a twin make a sample: doubled until a sample takes
/// [`SAMPLE_TIME`] (which also warms it up). Each twin has its own count, so
/// the slower one's samples are not many times longer.
fn calibrate<F: Future>(make: &impl Fn() -> F) -> u64 {
    let mut reps = 1;
    while sample(make, reps) < SAMPLE_TIME {
        reps *= 2;
    }
    reps
}

/// The median of `times` (the upper one of an even count).
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let bench = Bench {
        filter: args.iter().find(|arg| !arg.starts_with("--")).cloned(),
        samples: if args.iter().any(|arg| arg == "--quick") {
            1
        } else {
            7
        },
    };
    let samples = match bench.samples {
        1 => "one sample".to_owned(),
        n => format!("median of {n} interleaved samples"),
    };
    println!(
        "#[desugar] vs native async fn, one busy-poll executor: time per loop iteration, \
         {samples}; ratio = native / desugared"
    );
    let n = ITERATIONS;
    let data: Vec<u64> = (0..n).collect();
    case!(bench, "ready_loop", twin => twin::ready_loop(black_box(n)));
    case!(bench, "pend_once_loop", twin => twin::pend_once_loop(black_box(n)));
    case!(bench, "big_local_loop", twin => twin::big_local_loop(black_box(n)));
    case!(bench, "for_iter", twin => twin::for_iter(black_box(&data)));
    case!(bench, "for_iter_owned", twin => twin::for_iter_owned(black_box(n)));
    case!(bench, "nested", twin => twin::nested(black_box(n)));
    case!(bench, "match_guards", twin => twin::match_guards(black_box(n)));
    case!(bench, "try_loop", twin => twin::try_loop(black_box(n)));
}

//! A tour of one `async fn`: its source, the state machine `#[desugar]`
//! writes for it, and that machine running under an executor that says what
//! it does. Run it with `cargo run --example tour`.
//!
//! What to watch for:
//!
//! 1. The state enum has one variant per `.await`, and each holds only what
//!    lives across that `.await`. The function's body becomes a closure that
//!    resumes whichever state the future is in.
//! 2. Creating the future runs none of the body: `fetch()` is not even
//!    called until the first poll.
//! 3. The future has a fixed size, known at compile time, close to rustc's
//!    own for the same body; it is `Send` and `!Unpin`, like rustc's.
//! 4. Each poll runs the body up to the next `.await` that is not ready, then
//!    returns `Pending`. The executor sleeps until a waker calls `wake()`
//!    (here from another thread, as an I/O driver would), then polls again.
//!    The `[example]` lines are printed by the generated `poll` itself,
//!    because the function says `#[desugar::desugar(trace)]`.
//! 5. A local held across an `.await` does not move between states: it
//!    lives in a slot inside the pinned future, at the same address before
//!    and after the `.await`, so it can be borrowed across it. This is what
//!    `Pin` is for.
//! 6. On a real runtime (`desugar::runtime`, multi-thread), each task is
//!    polled by whichever worker thread is free when its waker fires: the
//!    state machine moves between threads, which is why `spawn` asks for
//!    `Send + 'static`.
//! 7. The scheduler cannot take the thread back from a task; the task must
//!    return `Pending`. The cooperative budget makes a task that always
//!    finds its channel ready yield every 128 operations, so a timer beside
//!    it fires on time; without the budget it starves.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use desugar::runtime::sync::mpsc;
use desugar::runtime::{Builder, task, time};

// The seed example, exactly as the file the snapshot test expands: the text
// printed below and the code that runs are one and the same.
include!("../tests/expand/seed.rs");

/// The source of `example`, printed in section 1.
const SOURCE: &str = include_str!("../tests/expand/seed.rs");

/// What `#[desugar]` writes for it, printed in section 2. A snapshot test
/// (`desugar-macro/src/snapshots.rs`) keeps this text equal to the real
/// expansion, and `tests/expand_compiles.rs` compiles and runs it.
const EXPANDED: &str = include_str!("../tests/expand/seed.expanded.rs");

/// The same body, compiled by rustc's own lowering, to compare with.
async fn example_native() {
    let data = fetch().await;
    let result = process(data);
    save(result).await;
}

fn main() {
    section("1. The async fn (tests/expand/seed.rs)");
    println!("`fetch` and `save` return futures that are not ready on their first poll;");
    println!("`process` is ordinary synchronous code.\n");
    print_code(SOURCE);

    section("2. What #[desugar] writes for it (tests/expand/seed.expanded.rs)");
    show_expansion(EXPANDED);

    section("3. Futures are lazy");
    println!("let future = example();");
    let future = example();
    println!(
        "`fetch()` has been called {} times: nothing of the body ran.",
        FETCH_CALLS.load(Ordering::SeqCst)
    );
    println!("The future is a value in state `Start`; only `poll` moves it on.");

    section("4. What the type says");
    let native = example_native();
    assert_send(&future); // a compile-time check: this line would not build otherwise
    let rc = holds_rc_across_await();
    let rc_native = holds_rc_across_await_native();
    let (native_size, size) = (
        std::mem::size_of_val(&native),
        std::mem::size_of_val(&future),
    );
    println!("                                      rustc's async fn   #[desugar]");
    row("size_of_val, in bytes", native_size, size);
    row("Unpin", is_unpin!(native), is_unpin!(future));
    row("Send", is_send!(native), is_send!(future));
    row(
        "Send, with an Rc held across .await",
        is_send!(rc_native),
        is_send!(rc),
    );
    drop((native, rc, rc_native));

    println!("\nSize: fixed when the future is created, and known at compile time: room for the");
    println!("largest state plus the state number. Here the largest state holds the future");
    println!(
        "`fetch()` returns ({} bytes; save's is {}).",
        std::mem::size_of::<Leaf<String>>(),
        std::mem::size_of::<Leaf<()>>()
    );
    if native_size != size {
        println!("The two layouts differ a little: a plain enum can keep its tag in spare bits of");
        println!("a field, while rustc's layout keeps it apart, among other choices.");
    }
    println!("\nUnpin: neither is. Once polled, a future must stay where it is (`Pin`): a state");
    println!("may hold a future that points into itself. The executor pins it before polling.");
    println!(
        "By contrast `std::future::ready(1)`, written by hand and holding no such pointer,\n\
         is Unpin: {}.",
        is_unpin!(std::future::ready(1))
    );
    println!("\nSend: the future may move to another thread (what `tokio::spawn` requires)");
    println!("exactly when all it holds across an `.await` is `Send`; an `Rc` is not.");

    section("5. Polling it to the end");
    println!("The executor polls; `[example]` lines come from the generated `poll`; indented");
    println!("lines from the leaf futures and the helper threads that wake the task.\n");
    run(future);
    println!(
        "\n`fetch()` has now been called {} time, during the first poll.",
        FETCH_CALLS.load(Ordering::SeqCst)
    );
    println!("The three polls match the sketch of an event loop: poll, park on Pending, wake");
    println!("when the event fires, poll again. `desugar::block_on` is this loop, silent.");

    section("6. A borrow across an .await: where Pin earns its place");
    println!("Here `tail` points into `text`, and both live across the second `.await`:\n");
    print_code(BORROW_SOURCE);
    println!();
    println!(
        "Moving `text` from state to state would leave `tail` dangling. rustc never moves\n\
         a local of a suspended `async fn`, and neither does `#[desugar]`: each local a state\n\
         holds gets a slot inside the future (`__TailLenSlots`) and stays there for its whole\n\
         scope; the state suspended at the `.await` holds a marker in its place:\n"
    );
    print_code(&item_text(BORROW_EXPANDED, "enum __TailLenState"));
    println!();
    println!(
        "A reference into a slot has a lifetime no Rust type can name (\"as long as this\n\
         future\"), so the macro also compiles the body as a native `async` block that never\n\
         runs, and rustc checks every borrow there (tests/expand/borrow_across_await.expanded.rs\n\
         shows all of it). Watch the address of `text` across the `.await`:\n"
    );
    let mut future = pin!(tail_len());
    let start = std::ptr::from_ref(&*future) as usize;
    let size = std::mem::size_of_val(&*future);
    let (before, after, len) = run(future.as_mut());
    println!(
        "\nThe future is {size} bytes at {start:#x}. `text` was at byte {} of it before the\n\
         `.await` and at byte {} after: {}. Once polled, the future itself must not move\n\
         either, or `tail` would point into the old place: that is the promise `Pin` asks\n\
         of whoever polls it. (`tail.len()` = {len}.)",
        before - start,
        after - start,
        if before == after {
            "it did not move"
        } else {
            "it moved!"
        },
    );

    section("7. Tasks on a work-stealing runtime");
    on_worker_threads();

    section("8. Cooperative scheduling: a task that never waits");
    starvation();
}

// --- sections 7 and 8: desugar::runtime ------------------------------------

/// Section 7: three desugared tasks on two worker threads.
fn on_worker_threads() {
    println!(
        "`desugar::runtime` is a real runtime. Here it has two worker threads, each with its\n\
         own run queue; a worker whose queue is empty steals from the other's. Three tasks\n\
         run `nap`, a `#[desugar(trace)]` fn that sleeps twice; all three wake from the\n\
         first sleep at once, so both workers get some:\n"
    );
    print_code(NAP_SOURCE);
    println!();
    let runtime = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a runtime");
    let total = runtime.block_on(async {
        let tasks: Vec<_> = (1..=3).map(|id| task::spawn(nap(id))).collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("nap does not panic");
        }
        total
    });
    println!(
        "\nAll three finished (ids summed: {total}). Between two polls a task is only its\n\
         state, parked in whatever holds its waker (here the runtime's timers); when the\n\
         deadline passes the waker puts it in a queue and the first free worker polls it,\n\
         so one task may run on both threads. That is why `spawn` requires `Send + 'static`:\n\
         the state, with every local it holds across an `.await`, crosses threads. Section\n\
         4's `holds_rc_across_await` is `!Send`; `task::spawn(holds_rc_across_await())` does\n\
         not compile, and rustc's error points at the `Rc` held across the `.await`."
    );
}

// Section 7's task: the text printed and the code that runs are one.
include!("parts/nap.rs");

/// The source of `nap`, printed in section 7.
const NAP_SOURCE: &str = include_str!("parts/nap.rs");

/// Prints what task `id` does, and on which thread.
fn say(id: u64, what: &str) {
    let thread = thread::current();
    println!("    task {id} {what} on {}", thread.name().unwrap_or("?"));
}

/// How many messages section 8's busy task receives.
const MESSAGES: u32 = 1_000_000;

/// Section 8: a task that always finds its channel ready, beside a timer,
/// with the cooperative budget and without.
fn starvation() {
    println!(
        "A task receives {MESSAGES} messages that are all waiting in its channel: every\n\
         `recv().await` is ready at once, so the task never returns `Pending` by itself.\n\
         Beside it, on the same thread (a current-thread runtime), a 1 ms `sleep`.\n"
    );
    for coop in [true, false] {
        let (late, polls) = busy_beside_a_timer(coop);
        let budget = if coop {
            "with the budget (default)"
        } else {
            "without (`.coop(false)`)"
        };
        println!(
            "{budget:<26} the 1 ms timer fired {late:>9.3?} late; the busy task was polled {polls} times"
        );
    }
    println!(
        "\nWith the budget, each channel operation spends one of the task's 128 units per\n\
         poll; when they are spent, `recv` returns `Pending` (having woken the task), so\n\
         the task goes to the back of the queue: about {MESSAGES} / 128 polls. The loop\n\
         looks at its timers every 61 polls, so the timer fires within 61 x 128 receives of\n\
         its deadline. Without the budget, one poll runs the whole loop and the timer waits\n\
         for all of it. A loop that awaits nothing at all is not helped by the budget:\n\
         only an explicit `task::yield_now().await` gives the thread back there."
    );
}

/// Runs section 8's pair once: how late the timer fired, and how often the
/// busy task was polled.
fn busy_beside_a_timer(coop: bool) -> (Duration, u32) {
    let runtime = Builder::new_current_thread()
        .coop(coop)
        .build()
        .expect("a runtime");
    let polls = Arc::new(AtomicU32::new(0));
    let late = runtime.block_on({
        let polls = Arc::clone(&polls);
        async move {
            let (sender, mut receiver) = mpsc::unbounded_channel();
            for n in 0..MESSAGES {
                sender.send(n).expect("the receiver is here");
            }
            drop(sender);
            let timer = task::spawn(async {
                let deadline = Instant::now() + Duration::from_millis(1);
                time::sleep_until(deadline).await;
                deadline.elapsed()
            });
            // Let the timer register before the busy task starts.
            task::yield_now().await;
            let busy = task::spawn(counting_polls(polls, async move {
                while receiver.recv().await.is_some() {}
            }));
            let late = timer.await.expect("the timer does not panic");
            busy.await.expect("the busy task does not panic");
            late
        }
    });
    (late, polls.load(Ordering::SeqCst))
}

/// `future`, counting its polls in `polls`.
fn counting_polls<F: Future + Send + 'static>(
    polls: Arc<AtomicU32>,
    future: F,
) -> impl Future<Output = F::Output> + Send + 'static {
    let mut future = Box::pin(future);
    std::future::poll_fn(move |cx| {
        polls.fetch_add(1, Ordering::SeqCst);
        future.as_mut().poll(cx)
    })
}

// --- the executor ----------------------------------------------------------

/// Runs `future` to completion on this thread, printing every poll.
///
/// This is `desugar::block_on` with a running commentary: poll; on `Ready`
/// stop; on `Pending` the future has handed our waker to whoever will make
/// progress possible, so sleep until that someone calls `wake()`.
fn run<F: Future>(future: F) -> F::Output
where
    F::Output: std::fmt::Debug,
{
    // A future must not move once polled: pin it here, on our stack.
    let mut future = pin!(future);
    let signal = Arc::new(Signal {
        woken: AtomicBool::new(false),
        thread: thread::current(),
    });
    let waker = Waker::from(Arc::clone(&signal));
    let mut cx = Context::from_waker(&waker);
    let mut polls = 0;
    loop {
        polls += 1;
        println!("executor: poll #{polls}");
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            println!("executor: poll #{polls} -> Ready({output:?})");
            return output;
        }
        println!("executor: poll #{polls} -> Pending: the thread sleeps until wake() is called");
        // `park` may return spuriously; only a real wake-up counts.
        while !signal.woken.swap(false, Ordering::SeqCst) {
            thread::park();
        }
        println!("executor: woken up, polling again");
    }
}

/// The waker's insides: a flag and the thread to unpark.
struct Signal {
    woken: AtomicBool,
    thread: Thread,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.thread.unpark();
    }
}

// --- the leaf futures --------------------------------------------------------

/// How long a leaf's helper thread waits before the value "arrives".
const DELAY: Duration = Duration::from_millis(100);

/// How often `fetch()` has been called, to show that creating a future runs
/// nothing.
static FETCH_CALLS: AtomicUsize = AtomicUsize::new(0);

/// A future at the bottom of the tree, standing in for a socket read or a
/// timer: on its first poll it is not ready, so it hands the waker to a
/// helper thread that sleeps, marks the value ready and calls `wake()`.
///
/// (A real leaf would keep the waker of its latest poll, since a task may
/// move between executors; this executor always passes the same one.)
struct Leaf<T> {
    name: &'static str,
    value: Option<T>,
    ready: Arc<AtomicBool>,
    started: bool,
}

impl<T> Leaf<T> {
    fn new(name: &'static str, value: T) -> Self {
        Leaf {
            name,
            value: Some(value),
            ready: Arc::new(AtomicBool::new(false)),
            started: false,
        }
    }
}

impl<T: Unpin> Future for Leaf<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        if this.ready.load(Ordering::SeqCst) {
            println!("    {}: ready", this.name);
            return Poll::Ready(this.value.take().expect("a leaf is not polled after Ready"));
        }
        if !this.started {
            this.started = true;
            let (name, ready, waker) = (this.name, Arc::clone(&this.ready), cx.waker().clone());
            println!("    {name}: not ready; a helper thread will call wake() in {DELAY:?}");
            thread::spawn(move || {
                thread::sleep(DELAY);
                println!("    [helper thread] {name} is ready: waker.wake()");
                ready.store(true, Ordering::SeqCst);
                waker.wake();
            });
        }
        Poll::Pending
    }
}

/// Starts fetching some data.
fn fetch() -> Leaf<String> {
    FETCH_CALLS.fetch_add(1, Ordering::SeqCst);
    println!("    fetch() called: it returns a future");
    Leaf::new("fetch", "hello".to_owned())
}

/// Synchronous work between the two awaits: no state transition.
fn process(data: String) -> String {
    println!("    process({data:?}): plain code, in the same poll");
    data.to_uppercase()
}

/// Starts saving a result.
fn save(result: String) -> Leaf<()> {
    println!("    save({result:?}) called: it returns a future");
    Leaf::new("save", ())
}

// Section 6's function, exactly as the snapshot test expands it.
include!("../tests/expand/borrow_across_await.rs");

/// The source of `tail_len`, printed in section 6.
const BORROW_SOURCE: &str = include_str!("../tests/expand/borrow_across_await.rs");

/// What `#[desugar]` writes for it; section 6 prints its state enum.
const BORROW_EXPANDED: &str = include_str!("../tests/expand/borrow_across_await.expanded.rs");

/// An `Rc` held across an `.await`: the future cannot be `Send`.
#[desugar::desugar]
async fn holds_rc_across_await() -> usize {
    let shared = Rc::new(1);
    fetch().await;
    Rc::strong_count(&shared)
}

/// The same, compiled by rustc.
async fn holds_rc_across_await_native() -> usize {
    let shared = Rc::new(1);
    fetch().await;
    Rc::strong_count(&shared)
}

// --- printing ------------------------------------------------------------------

/// Prints a section header.
fn section(title: &str) {
    println!(
        "\n=== {title} {}\n",
        "=".repeat(76_usize.saturating_sub(title.len()))
    );
}

/// Prints code, indented to set it apart from the commentary.
fn print_code(code: &str) {
    for line in code.lines() {
        println!("    {line}");
    }
}

/// Prints one row of the table in section 4.
fn row(what: &str, native: impl std::fmt::Display, desugared: impl std::fmt::Display) {
    println!("{what:<38}{native:<19}{desugared}");
}

/// Prints the expansion in three parts, each with a word on what to look
/// for. The parts are found by their first lines; if the generated code ever
/// changes shape so that they are not found, the whole text is printed.
fn show_expansion(expanded: &str) {
    // Skip the snapshot's header comment: the section title says where it is.
    let lines: Vec<&str> = expanded
        .lines()
        .skip_while(|line| line.starts_with("//"))
        .collect();
    let plumbing = find_item(&lines, "enum __ExampleStateProj");
    let body = lines
        .iter()
        .position(|line| line.trim_start().starts_with("__ExampleFuture::new("))
        .map(|at| {
            // Include a `println!` that announces the creation, if any.
            let created = lines[..at]
                .iter()
                .rposition(|l| l.contains("created in state Start"));
            created.map_or(at, |c| c.saturating_sub(1))
        });
    let (Some(plumbing), Some(body)) = (plumbing, body) else {
        print_code(expanded);
        return;
    };
    if plumbing >= body {
        print_code(expanded);
        return;
    }

    println!("(a) The state enum. The seed's sketch has State0, State1 {{ data }} and Done;");
    println!("    here they are Await0, Await1 and Done, plus Start (created, not yet polled)");
    println!("    and Poisoned (a poll panicked). Await1 holds no `data`: `process(data)` has");
    println!("    consumed it before the second .await, so only the future `save(result)`");
    println!("    returned is kept (it owns `result`).\n");
    print_code(&lines[..plumbing].join("\n"));

    println!("\n(b) The plumbing: the pin projection (only the awaited future is pinned);");
    println!("    for each .await, `awaitN` (store its future and poll it where it lies),");
    println!("    `hold_awaitN` (hand the state the locals if it is pending) and");
    println!("    `resume_awaitN` (take them back once it is ready); the future type pairing");
    println!("    the state with the closure that resumes it, its `poll`, and the `Drop`");
    println!("    that cancels.\n");
    print_code(&lines[plumbing..body].join("\n"));

    println!("\n(c) The body: this closure is what `poll` runs. The Start arm is your code,");
    println!("    each .await polled where it stands: if the future is ready the code goes on,");
    println!("    as rustc's does; if it is Pending the locals go into the state and the arm");
    println!("    returns Pending. The arm of AwaitN polls the stored future; once it is ready");
    println!("    it takes the locals back and runs the rest of the body from that .await.\n");
    print_code(&lines[body..].join("\n"));
}

/// The text of the item declared on the line containing `marker`, with its
/// docs, up to its closing brace, unindented; the whole text if not found.
fn item_text(expanded: &str, marker: &str) -> String {
    let lines: Vec<&str> = expanded.lines().collect();
    let found = find_item(&lines, marker).and_then(|start| {
        let declared = start + lines[start..].iter().position(|l| l.contains(marker))?;
        let indent = lines[declared].len() - lines[declared].trim_start().len();
        let end = declared
            + lines[declared..]
                .iter()
                .position(|l| l.trim_end() == format!("{}}}", " ".repeat(indent)))?;
        let text: Vec<&str> = lines[start..=end]
            .iter()
            .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
            .collect();
        Some(text.join("\n"))
    });
    found.unwrap_or_else(|| expanded.to_owned())
}

/// The index of the first line of the item declared on the line containing
/// `marker`, counting the doc comments and attributes above it.
fn find_item(lines: &[&str], marker: &str) -> Option<usize> {
    let mut at = lines.iter().position(|line| line.contains(marker))?;
    while at > 0 {
        let above = lines[at - 1].trim_start();
        if above.starts_with("///") || above.starts_with("#[") {
            at -= 1;
        } else {
            break;
        }
    }
    Some(at)
}

// --- asking the type system ----------------------------------------------------

/// Compiles only if the future is `Send`.
fn assert_send<T: Send>(_: &T) {}

/// Stands for the type of a value; used by `is_send!` and `is_unpin!`.
struct Probe<T>(PhantomData<T>);

impl<T> Probe<T> {
    fn of(_: &T) -> Self {
        Probe(PhantomData)
    }
}

// "Is this type Send?" as a `bool`, by autoref specialization: method lookup
// on `&Probe<T>` first tries the impl for `Probe<T>`, which exists only when
// `T: Send`, and otherwise falls back to the one for `&Probe<T>`.
trait YesSend {
    fn is_send(&self) -> bool {
        true
    }
}
impl<T: Send> YesSend for Probe<T> {}
trait NoSend {
    fn is_send(&self) -> bool {
        false
    }
}
impl<T> NoSend for &Probe<T> {}

trait YesUnpin {
    fn is_unpin(&self) -> bool {
        true
    }
}
impl<T: Unpin> YesUnpin for Probe<T> {}
trait NoUnpin {
    fn is_unpin(&self) -> bool {
        false
    }
}
impl<T> NoUnpin for &Probe<T> {}

/// `"yes"` if the value's type is `Send`.
macro_rules! is_send {
    ($value:expr) => {
        if (&Probe::of(&$value)).is_send() {
            "yes"
        } else {
            "no"
        }
    };
}

/// `"yes"` if the value's type is `Unpin`.
macro_rules! is_unpin {
    ($value:expr) => {
        if (&Probe::of(&$value)).is_unpin() {
            "yes"
        } else {
            "no"
        }
    };
}
use {is_send, is_unpin};

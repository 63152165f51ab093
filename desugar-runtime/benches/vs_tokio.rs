//! desugar-runtime against Tokio, side by side.
//!
//! `cargo bench -p desugar-runtime --bench vs_tokio` runs each workload on
//! both runtimes, interleaved (ours, Tokio's, ours, ...) so that drift hits
//! both, with the same allocator, profile and thread count, and prints one
//! line per workload:
//!
//! ```text
//! WORKLOAD: desugar-runtime T1 tokio T2 ratio R
//! ```
//!
//! T is the median time of a run (or, where named, a latency or CPU time),
//! and R = T2 / T1: above 1 means desugar-runtime is faster. The workloads
//! are written once (the `workloads!` macro) and compiled against each
//! runtime's API, which name their parts alike.
//!
//! Two rounds: every workload on both current-thread runtimes, then most
//! of them again on both multi-thread runtimes with two workers each (their
//! lines start with `mt/`; `parallel_cpu` is there only). Pass a filter to
//! run some: `cargo bench -p desugar-runtime --bench vs_tokio -- tcp`;
//! `--current-thread` or `--multi-thread` to run one round; `--quick` to
//! run each workload once; `--only-ours` or `--only-tokio` to run one
//! side (to profile it, or count its system calls with `strace -c -f`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The workloads, written once against whichever runtime's names are in
/// scope: `spawn`, `yield_now`, `oneshot`, `mpsc`, `sleep`, `timeout`,
/// `TcpListener`, `TcpStream`.
macro_rules! workloads {
    () => {
        /// 64 tasks of 1 ms of computing each: only threads make it faster.
        pub(crate) async fn parallel_cpu() {
            let handles: Vec<_> = (0..64u64)
                .map(|seed| {
                    spawn(async move {
                        let started = Instant::now();
                        let mut x = seed;
                        while started.elapsed() < Duration::from_millis(1) {
                            for _ in 0..1_000 {
                                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                            }
                        }
                        x
                    })
                })
                .collect();
            for handle in handles {
                std::hint::black_box(handle.await.unwrap());
            }
        }

        /// 10k tasks spawned from a task, every handle awaited.
        pub(crate) async fn spawn_many() {
            let handles: Vec<_> = (0..10_000).map(|n| spawn(async move { n })).collect();
            for handle in handles {
                std::hint::black_box(handle.await.unwrap());
            }
        }

        /// A chain of 1k tasks, each spawning the next.
        pub(crate) async fn chained_spawn() {
            fn link(left: usize, done: oneshot::Sender<()>) {
                if left == 0 {
                    done.send(()).unwrap();
                } else {
                    spawn(async move { link(left - 1, done) });
                }
            }
            let (tx, rx) = oneshot::channel();
            link(1_000, tx);
            rx.await.unwrap();
        }

        /// 200 tasks yielding 1k times each.
        pub(crate) async fn yield_many() {
            let handles: Vec<_> = (0..200)
                .map(|_| {
                    spawn(async {
                        for _ in 0..1_000 {
                            yield_now().await;
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        }

        /// 1k times: spawn a task, send it a ping on a oneshot, get a pong back.
        pub(crate) async fn ping_pong() {
            for _ in 0..1_000 {
                let (ping_tx, ping_rx) = oneshot::channel::<()>();
                let (pong_tx, pong_rx) = oneshot::channel::<()>();
                spawn(async move {
                    ping_rx.await.unwrap();
                    pong_tx.send(()).unwrap();
                });
                ping_tx.send(()).unwrap();
                pong_rx.await.unwrap();
            }
        }

        /// 300 tasks in a ring of bounded(1) channels, a token passed 300 rounds.
        pub(crate) async fn channel_ring() {
            const TASKS: usize = 300;
            let (first_tx, mut first_rx) = mpsc::channel::<usize>(1);
            let mut next_tx = first_tx.clone();
            for _ in 1..TASKS {
                let (tx, mut rx) = mpsc::channel::<usize>(1);
                let forward = std::mem::replace(&mut next_tx, tx);
                spawn(async move {
                    while let Some(token) = rx.recv().await {
                        if forward.send(token + 1).await.is_err() {
                            return;
                        }
                    }
                });
            }
            let mut token = 0;
            for _ in 0..300 {
                next_tx.send(token).await.unwrap();
                token = first_rx.recv().await.unwrap();
            }
            std::hint::black_box(token);
        }

        /// 5 producers sending 10k messages each over a bounded(1024) channel.
        pub(crate) async fn mpsc_bounded() {
            let (tx, mut rx) = mpsc::channel::<usize>(1024);
            for _ in 0..5 {
                let tx = tx.clone();
                spawn(async move {
                    for n in 0..10_000 {
                        tx.send(n).await.unwrap();
                    }
                });
            }
            drop(tx);
            let mut count = 0;
            while rx.recv().await.is_some() {
                count += 1;
            }
            assert_eq!(count, 50_000);
        }

        /// The same over an unbounded channel.
        pub(crate) async fn mpsc_unbounded() {
            let (tx, mut rx) = mpsc::unbounded_channel::<usize>();
            for _ in 0..5 {
                let tx = tx.clone();
                spawn(async move {
                    for n in 0..10_000 {
                        tx.send(n).unwrap();
                    }
                });
            }
            drop(tx);
            let mut count = 0;
            while rx.recv().await.is_some() {
                count += 1;
            }
            assert_eq!(count, 50_000);
        }

        /// 100k sleeps of 1-2 ms, half cut short by a 1 ms timeout.
        pub(crate) async fn timers() {
            let handles: Vec<_> = (0..100_000_u64)
                .map(|n| {
                    spawn(async move {
                        let nap = Duration::from_micros(500 + (n % 2) * 2_000);
                        timeout(Duration::from_millis(1), sleep(nap)).await.is_ok()
                    })
                })
                .collect();
            let mut in_time = 0;
            for handle in handles {
                in_time += usize::from(handle.await.unwrap());
            }
            std::hint::black_box(in_time);
        }

        /// An echo server on loopback; `connections` clients each make
        /// `rounds` round trips of 1 KiB.
        pub(crate) async fn tcp_echo(connections: usize, rounds: usize) {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            spawn(async move {
                loop {
                    let Ok((mut stream, _)) = listener.accept().await else {
                        return;
                    };
                    spawn(async move {
                        let mut buf = vec![0; 4096];
                        loop {
                            match stream.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => {
                                    if stream.write_all(&buf[..n]).await.is_err() {
                                        return;
                                    }
                                }
                            }
                        }
                    });
                }
            });
            let clients: Vec<_> = (0..connections)
                .map(|_| {
                    spawn(async move {
                        // With thousands of connects at once the kernel
                        // may reset one (a full accept queue): that client
                        // starts again, and the run says how many did.
                        while let Err(_reset) = echo_client(address, rounds).await {
                            RESETS.fetch_add(1, Ordering::Relaxed);
                        }
                    })
                })
                .collect();
            for client in clients {
                client.await.unwrap();
            }
        }

        /// One client of `tcp_echo`: `rounds` round trips of 1 KiB.
        async fn echo_client(address: std::net::SocketAddr, rounds: usize) -> std::io::Result<()> {
            #[allow(unused_mut, reason = "Tokio's streams read through `&mut`")]
            let mut stream = TcpStream::connect(address).await?;
            let message = vec![7_u8; 1024];
            let mut back = vec![0_u8; 1024];
            for _ in 0..rounds {
                stream.write_all(&message).await?;
                let mut got = 0;
                while got < back.len() {
                    match stream.read(&mut back[got..]).await? {
                        0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                        n => got += n,
                    }
                }
            }
            Ok(())
        }

        /// The worst lateness of a 1 ms ticker beside a task draining an
        /// always-ready channel, over 50 ms.
        pub(crate) async fn starvation() -> Duration {
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let busy = {
                let stop = Arc::clone(&stop);
                spawn(async move {
                    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
                    tx.send(()).unwrap();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        rx.recv().await.unwrap();
                        tx.send(()).unwrap();
                    }
                })
            };
            let mut worst = Duration::ZERO;
            let started = Instant::now();
            let mut due = started;
            while started.elapsed() < Duration::from_millis(50) {
                due += Duration::from_millis(1);
                sleep(due.saturating_duration_since(Instant::now())).await;
                worst = worst.max(Instant::now().saturating_duration_since(due));
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            busy.await.unwrap();
            worst
        }

        /// 10k tasks parked on oneshots that never fire, for a second.
        pub(crate) async fn idle_tasks(park: Duration) {
            let mut senders = Vec::new();
            for _ in 0..10_000 {
                let (tx, rx) = oneshot::channel::<()>();
                senders.push(tx);
                spawn(async move {
                    let _ = rx.await;
                });
            }
            yield_now().await; // every task parks
            sleep(park).await;
            drop(senders);
        }
    };
}

#[allow(
    unused_mut,
    reason = "the shared workloads say `let mut stream`, which Tokio's `read` needs and ours does not"
)]
mod ours {
    use super::*;
    use desugar_runtime::net::{TcpListener, TcpStream};
    use desugar_runtime::sync::{mpsc, oneshot};
    use desugar_runtime::task::{spawn, yield_now};
    use desugar_runtime::time::{sleep, timeout};

    workloads!();

    pub(crate) fn runtime() -> desugar_runtime::Runtime {
        match WORKERS.load(Ordering::Relaxed) {
            0 => desugar_runtime::Builder::new_current_thread().build(),
            workers => desugar_runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .build(),
        }
        .unwrap()
    }

    /// 10k tasks spawned from another thread, every handle awaited.
    pub(crate) fn spawn_remote(runtime: &Arc<desugar_runtime::Runtime>) {
        let remote = Arc::clone(runtime);
        let handles = std::thread::spawn(move || {
            (0..10_000)
                .map(|n| remote.spawn(async move { n }))
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap();
        runtime.block_on(async {
            for handle in handles {
                std::hint::black_box(handle.await.unwrap());
            }
        });
    }
}

mod theirs {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::spawn;
    use tokio::sync::{mpsc, oneshot};
    use tokio::task::yield_now;
    use tokio::time::{sleep, timeout};

    workloads!();

    pub(crate) fn runtime() -> tokio::runtime::Runtime {
        match WORKERS.load(Ordering::Relaxed) {
            0 => tokio::runtime::Builder::new_current_thread(),
            workers => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                builder.worker_threads(workers);
                builder
            }
        }
        .enable_all()
        .build()
        .unwrap()
    }

    /// 10k tasks spawned from another thread, every handle awaited.
    pub(crate) fn spawn_remote(runtime: &Arc<tokio::runtime::Runtime>) {
        let handle = runtime.handle().clone();
        let handles = std::thread::spawn(move || {
            (0..10_000)
                .map(|n| handle.spawn(async move { n }))
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap();
        runtime.block_on(async {
            for handle in handles {
                std::hint::black_box(handle.await.unwrap());
            }
        });
    }
}

/// Echo clients that the kernel reset and that started again (see
/// `tcp_echo`); printed when not zero.
static RESETS: AtomicUsize = AtomicUsize::new(0);

/// The runtimes' worker threads: 0 for current-thread ones.
static WORKERS: AtomicUsize = AtomicUsize::new(0);

/// How many connections `tcp_10k` can open here: 10k, unless the file
/// descriptor limit (two per connection, both ends in this process) is lower.
fn tcp_many_connections() -> usize {
    let limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| line.split_whitespace().nth(3)?.parse::<usize>().ok())
        })
        .unwrap_or(1024);
    10_000.min(limit.saturating_sub(256) / 2)
}

/// CPU time used by this process so far (user + system), from /proc.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields 14 and 15 (utime, stime), in clock ticks, after the `(comm)`.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    Duration::from_millis(fields.iter().sum::<u64>() * 10) // 100 ticks a second
}

struct Bench {
    filter: Option<String>,
    runs: usize,
    /// `--only-ours` / `--only-tokio`: run one side (to profile it, or to
    /// count its system calls); its line then shows the other as zero.
    only: Option<Side>,
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Ours,
    Tokio,
}

impl Bench {
    /// Runs `ours` and `theirs` interleaved, `runs` times each, and prints
    /// the medians of what they return.
    fn compare(
        &self,
        name: &str,
        mut ours: impl FnMut() -> Duration,
        mut theirs: impl FnMut() -> Duration,
    ) {
        if self
            .filter
            .as_ref()
            .is_some_and(|f| !name.contains(f.as_str()))
        {
            return;
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..self.runs {
            if self.only != Some(Side::Tokio) {
                a.push(ours());
            }
            if self.only != Some(Side::Ours) {
                b.push(theirs());
            }
        }
        a.resize(a.len().max(1), Duration::ZERO);
        b.resize(b.len().max(1), Duration::ZERO);
        let (t1, t2) = (median(&mut a), median(&mut b));
        // Two zeros (an idle runtime within the clock's 10 ms ticks) are
        // equal; a zero against more is infinitely better (printed `inf`).
        let ratio = if t1 == t2 {
            1.0
        } else {
            t2.as_secs_f64() / t1.as_secs_f64()
        };
        println!(
            "{name}: desugar-runtime {} tokio {} ratio {ratio:.2}",
            show(t1),
            show(t2)
        );
    }

    /// Times `workload` on a fresh runtime of each kind.
    fn time<F1, F2>(
        &self,
        name: &str,
        ours_workload: impl Fn() -> F1,
        theirs_workload: impl Fn() -> F2,
    ) where
        F1: std::future::Future,
        F2: std::future::Future,
    {
        self.compare(
            name,
            || {
                let runtime = ours::runtime();
                let started = Instant::now();
                runtime.block_on(ours_workload());
                started.elapsed()
            },
            || {
                let runtime = theirs::runtime();
                let started = Instant::now();
                runtime.block_on(theirs_workload());
                started.elapsed()
            },
        );
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn show(time: Duration) -> String {
    if time < Duration::from_millis(1) {
        format!("{:.1}us", time.as_secs_f64() * 1e6)
    } else {
        format!("{:.2}ms", time.as_secs_f64() * 1e3)
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let quick = args.iter().any(|a| a == "--quick");
    let bench = Bench {
        filter: args.iter().find(|a| !a.starts_with("--")).cloned(),
        runs: if quick { 1 } else { 7 },
        only: if args.iter().any(|a| a == "--only-ours") {
            Some(Side::Ours)
        } else if args.iter().any(|a| a == "--only-tokio") {
            Some(Side::Tokio)
        } else {
            None
        },
    };
    let only = |flag: &str| args.iter().any(|a| a == flag);
    if !only("--multi-thread") {
        println!(
            "desugar-runtime vs tokio (both current-thread), median of {} interleaved runs each",
            bench.runs
        );
        current_thread_round(&bench);
    }
    if !only("--current-thread") {
        WORKERS.store(2, Ordering::Relaxed);
        println!(
            "desugar-runtime vs tokio (both multi-thread, 2 workers), median of {} interleaved runs each",
            bench.runs
        );
        multi_thread_round(&bench);
    }
    let resets = RESETS.load(Ordering::Relaxed);
    if resets > 0 {
        println!("(tcp: the kernel reset {resets} echo connections, which started again)");
    }
}

/// `spawn_remote` on a fresh runtime of each kind: it needs the runtime
/// itself, to spawn from another thread.
fn spawn_remote(bench: &Bench, name: &str) {
    bench.compare(
        name,
        || {
            let runtime = Arc::new(ours::runtime());
            let started = Instant::now();
            ours::spawn_remote(&runtime);
            started.elapsed()
        },
        || {
            let runtime = Arc::new(theirs::runtime());
            let started = Instant::now();
            theirs::spawn_remote(&runtime);
            started.elapsed()
        },
    );
}

/// The same workloads on two workers each.
fn multi_thread_round(bench: &Bench) {
    bench.time("mt/parallel_cpu", ours::parallel_cpu, theirs::parallel_cpu);
    bench.time("mt/spawn_many", ours::spawn_many, theirs::spawn_many);
    spawn_remote(bench, "mt/spawn_remote");
    bench.time("mt/yield_many", ours::yield_many, theirs::yield_many);
    bench.time("mt/ping_pong", ours::ping_pong, theirs::ping_pong);
    bench.time("mt/channel_ring", ours::channel_ring, theirs::channel_ring);
    bench.time("mt/mpsc_bounded", ours::mpsc_bounded, theirs::mpsc_bounded);
    bench.time("mt/timers", ours::timers, theirs::timers);
    bench.time(
        "mt/tcp_echo_16",
        || ours::tcp_echo(16, 200),
        || theirs::tcp_echo(16, 200),
    );
}

/// Every workload, on one thread each.
fn current_thread_round(bench: &Bench) {
    bench.time("spawn_many", ours::spawn_many, theirs::spawn_many);
    spawn_remote(bench, "spawn_remote");
    bench.time("chained_spawn", ours::chained_spawn, theirs::chained_spawn);
    bench.time("yield_many", ours::yield_many, theirs::yield_many);
    bench.time("ping_pong", ours::ping_pong, theirs::ping_pong);
    bench.time("channel_ring", ours::channel_ring, theirs::channel_ring);
    bench.time("mpsc_bounded", ours::mpsc_bounded, theirs::mpsc_bounded);
    bench.time(
        "mpsc_unbounded",
        ours::mpsc_unbounded,
        theirs::mpsc_unbounded,
    );
    bench.time("timers", ours::timers, theirs::timers);
    bench.time(
        "tcp_echo_1",
        || ours::tcp_echo(1, 2_000),
        || theirs::tcp_echo(1, 2_000),
    );
    bench.time(
        "tcp_echo_16",
        || ours::tcp_echo(16, 200),
        || theirs::tcp_echo(16, 200),
    );
    bench.time(
        "tcp_echo_256",
        || ours::tcp_echo(256, 20),
        || theirs::tcp_echo(256, 20),
    );
    let many = tcp_many_connections();
    bench.time(
        &format!("tcp_10k ({many} connections)"),
        || ours::tcp_echo(many, 3),
        || theirs::tcp_echo(many, 3),
    );
    bench.compare(
        "starvation (worst lateness of a 1 ms ticker)",
        || ours::runtime().block_on(ours::starvation()),
        || theirs::runtime().block_on(theirs::starvation()),
    );
    bench.compare(
        "idle_cpu (CPU time, 10k parked tasks, 1 s)",
        || {
            let runtime = ours::runtime();
            let before = cpu_time();
            runtime.block_on(ours::idle_tasks(Duration::from_secs(1)));
            cpu_time().saturating_sub(before)
        },
        || {
            let runtime = theirs::runtime();
            let before = cpu_time();
            runtime.block_on(theirs::idle_tasks(Duration::from_secs(1)));
            cpu_time().saturating_sub(before)
        },
    );
}

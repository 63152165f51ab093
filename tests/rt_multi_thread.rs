//! The multi-thread runtime: tasks run on several workers at once, work is
//! stolen, wake-ups are never lost, timers and sockets work from any
//! worker, and shutdown drops every task once.
//!
//! Tests that could hang on a lost wake-up run under the runtime's own
//! `timeout`, so a bug fails them instead.

mod rt_support;

use std::collections::HashSet;
use std::future::pending;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use desugar::runtime::net::{TcpListener, TcpStream};
use desugar::runtime::sync::{mpsc, oneshot};
use desugar::runtime::{Builder, Runtime, task, time};
use rt_support::{
    DropCounter, assert_all_cancelled, assert_runtime_closes_descriptors, panic_message,
};

/// A multi-thread runtime with `workers` workers.
fn multi_thread(workers: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("a runtime")
}

/// Long enough that only a lost wake-up or a stuck worker reaches it.
const PATIENCE: Duration = Duration::from_secs(20);

#[test]
fn tasks_spawned_from_outside_run_on_two_workers_at_once() {
    let runtime = multi_thread(2);
    // Each task blocks its worker until the other arrives: they pass only
    // if both run at the same time, on different threads.
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            runtime.spawn(async move {
                barrier.wait();
                thread::current().id()
            })
        })
        .collect();
    let threads: HashSet<_> = handles
        .into_iter()
        .map(|handle| runtime.block_on(handle).unwrap())
        .collect();
    assert_eq!(threads.len(), 2);
}

#[test]
fn an_idle_worker_steals_from_a_busy_one() {
    let runtime = multi_thread(2);
    let barrier = Arc::new(Barrier::new(2));
    let threads = runtime.block_on(async move {
        task::spawn(async move {
            // Spawned from a worker, so both go to that worker's own queue,
            // and that worker then blocks in the first: the other worker
            // can only have the second by stealing it.
            let first = {
                let barrier = Arc::clone(&barrier);
                task::spawn(async move {
                    barrier.wait();
                    thread::current().id()
                })
            };
            let second = task::spawn(async move {
                barrier.wait();
                thread::current().id()
            });
            [first.await.unwrap(), second.await.unwrap()]
        })
        .await
        .unwrap()
    });
    assert_ne!(threads[0], threads[1]);
}

#[test]
fn ten_thousand_tasks_spawned_from_a_task_all_give_their_outputs() {
    let runtime = multi_thread(2);
    let total = runtime.block_on(async {
        task::spawn(async {
            let handles: Vec<_> = (0..10_000u64)
                .map(|n| task::spawn(async move { n }))
                .collect();
            let mut total = 0;
            for handle in handles {
                total += handle.await.unwrap();
            }
            total
        })
        .await
        .unwrap()
    });
    assert_eq!(total, (0..10_000).sum::<u64>());
}

#[test]
fn messages_bounce_between_workers_without_a_lost_wake_up() {
    let runtime = multi_thread(2);
    let rounds = runtime.block_on(time::timeout(PATIENCE, async {
        // 50 pairs, each bouncing a counter 200 times over bounded(1)
        // channels: every hop is a wake that may cross threads.
        let pairs: Vec<_> = (0..50)
            .map(|_| {
                let (to_b, mut from_a) = mpsc::channel::<u32>(1);
                let (to_a, mut from_b) = mpsc::channel::<u32>(1);
                let b = task::spawn(async move {
                    while let Some(n) = from_a.recv().await {
                        if to_a.send(n + 1).await.is_err() {
                            break;
                        }
                    }
                });
                task::spawn(async move {
                    let mut n = 0;
                    for _ in 0..200 {
                        to_b.send(n).await.unwrap();
                        n = from_b.recv().await.unwrap();
                    }
                    drop(to_b);
                    b.await.unwrap();
                    n
                })
            })
            .collect();
        let mut rounds = 0;
        for pair in pairs {
            rounds += pair.await.unwrap();
        }
        rounds
    }));
    assert_eq!(rounds, Ok(50 * 200));
}

#[test]
fn ping_pong_over_oneshots_from_the_block_on_thread() {
    let runtime = multi_thread(2);
    runtime.block_on(async {
        for n in 0..1_000 {
            let (ping, ping_rx) = oneshot::channel();
            let (pong, pong_rx) = oneshot::channel();
            task::spawn(async move {
                let n: u32 = ping_rx.await.unwrap();
                pong.send(n + 1).unwrap();
            });
            ping.send(n).unwrap();
            assert_eq!(pong_rx.await.unwrap(), n + 1);
        }
    });
}

#[test]
fn a_panicking_task_is_a_join_error_and_the_workers_go_on() {
    let runtime = multi_thread(2);
    let error = runtime
        .block_on(runtime.spawn(async { panic!("boom on a worker") }))
        .unwrap_err();
    assert!(error.is_panic());
    assert_eq!(panic_message(&*error.into_panic()), "boom on a worker");
    // Both workers still run tasks.
    let outputs: Vec<_> = (0..100)
        .map(|n| runtime.spawn(async move { n }))
        .map(|handle| runtime.block_on(handle).unwrap())
        .collect();
    assert_eq!(outputs, (0..100).collect::<Vec<_>>());
}

/// Spawns a task that holds `value` and waits for ever; returns once the
/// task has started, so that `value` is in its state.
fn parked_with<T: Send + 'static>(runtime: &Runtime, value: T) -> task::JoinHandle<()> {
    let (started, has_started) = oneshot::channel();
    let handle = runtime.spawn(async move {
        let _value = value;
        started.send(()).unwrap();
        pending::<()>().await;
    });
    runtime.block_on(has_started).unwrap();
    handle
}

#[test]
fn a_future_that_panics_when_dropped_does_not_stop_the_runtime() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("dropped");
        }
    }
    let runtime = multi_thread(1);
    // Finished: its locals drop as its body ends, inside its last poll,
    // so that is a panic of the task.
    let finished = runtime.spawn(async {
        let _bomb = PanicOnDrop;
        task::yield_now().await;
        7
    });
    let error = runtime.block_on(finished).unwrap_err();
    assert_eq!(panic_message(&*error.into_panic()), "dropped");
    // Aborted while parked: the worker drops the future, and the panic.
    let parked = parked_with(&runtime, PanicOnDrop);
    parked.abort();
    assert!(runtime.block_on(parked).unwrap_err().is_cancelled());
    // The worker is still there; and shutdown drops a third one.
    assert_eq!(runtime.block_on(runtime.spawn(async { 8 })).unwrap(), 8);
    let _at_shutdown = parked_with(&runtime, PanicOnDrop);
    drop(runtime);
}

#[test]
fn an_aborted_task_is_cancelled_and_dropped_once() {
    let runtime = multi_thread(2);
    let drops = Arc::new(AtomicUsize::new(0));
    let counter = DropCounter(Arc::clone(&drops));
    let handle = runtime.spawn(async move {
        let _counter = counter;
        pending::<()>().await;
    });
    handle.abort();
    assert!(runtime.block_on(handle).unwrap_err().is_cancelled());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_task_woken_from_a_plain_thread_runs_again() {
    let runtime = multi_thread(2);
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let sum = runtime.spawn(async move {
        let mut sum = 0;
        while let Some(n) = receiver.recv().await {
            sum += n;
        }
        sum
    });
    let producer = thread::spawn(move || {
        for n in 1..=1_000u64 {
            sender.send(n).unwrap();
            if n % 100 == 0 {
                thread::sleep(Duration::from_millis(1)); // let the task park
            }
        }
    });
    producer.join().unwrap();
    assert_eq!(runtime.block_on(sum).unwrap(), 500_500);
}

#[test]
fn dropping_the_runtime_drops_every_unfinished_task_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let runtime = multi_thread(2);
    let mut handles = Vec::new();
    runtime.block_on(async {
        for _ in 0..50 {
            let counter = DropCounter(Arc::clone(&drops));
            // Waiting on a channel whose sender it holds itself: only
            // shutdown can end it (a reference cycle through its waker).
            let (sender, mut receiver) = mpsc::channel::<()>(1);
            handles.push(task::spawn(async move {
                let _counter = counter;
                let _sender = sender;
                receiver.recv().await;
            }));
        }
        time::sleep(Duration::from_millis(10)).await;
    });
    for _ in 0..50 {
        let counter = DropCounter(Arc::clone(&drops));
        handles.push(runtime.spawn(async move {
            let _counter = counter;
            pending::<()>().await;
        }));
    }
    drop(runtime);
    assert_eq!(drops.load(Ordering::SeqCst), 100);
    assert_all_cancelled(handles);
}

#[test]
fn dropping_the_runtime_closes_every_socket_and_its_own_descriptors() {
    // 21 sockets; with the runtime's epoll and eventfd, all must close.
    assert_runtime_closes_descriptors(21, || {
        let runtime = multi_thread(2);
        runtime.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let clients: Vec<_> = (0..10)
                .map(|_| task::spawn(async move { TcpStream::connect(address).await.unwrap() }))
                .collect();
            let mut pairs = Vec::new();
            for client in clients {
                let client = client.await.unwrap();
                pairs.push((client, listener.accept().await.unwrap().0));
            }
            // Parked on both workers, holding every socket.
            for (client, server) in pairs {
                task::spawn(async move {
                    let mut buffer = [0; 8];
                    let _ = client.read(&mut buffer).await;
                    drop(server);
                });
            }
            task::spawn(async move {
                let _listener = listener;
                pending::<()>().await;
            });
            task::yield_now().await;
        });
        runtime
    });
}

#[test]
fn a_runtime_dropped_while_its_workers_are_busy_stops_them() {
    let runtime = multi_thread(2);
    for _ in 0..4 {
        runtime.spawn(async {
            loop {
                task::yield_now().await;
            }
        });
    }
    thread::sleep(Duration::from_millis(20));
    drop(runtime); // returns: the workers saw the shutdown between polls
}

#[test]
fn a_spawn_after_shutdown_began_is_cancelled() {
    let runtime = multi_thread(1);
    let (sender, receiver) = std::sync::mpsc::channel();
    let (started, has_started) = oneshot::channel();
    let _spawner = runtime.spawn(async move {
        // Its drop, at shutdown, spawns: that task must not run or leak.
        struct SpawnOnDrop(std::sync::mpsc::Sender<bool>);
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                let handle = task::spawn(async {});
                self.0.send(handle.is_finished()).unwrap();
            }
        }
        let _guard = SpawnOnDrop(sender);
        started.send(()).unwrap();
        pending::<()>().await;
    });
    runtime.block_on(has_started).unwrap();
    drop(runtime);
    assert!(receiver.recv().unwrap(), "cancelled at once");
}

#[test]
fn timers_fire_on_time_from_any_worker() {
    let runtime = multi_thread(2);
    let late = runtime.block_on(async {
        let handles: Vec<_> = (1..=20u64)
            .map(|n| {
                task::spawn(async move {
                    let deadline = Instant::now() + Duration::from_millis(n * 2);
                    time::sleep_until(deadline).await;
                    Instant::now() - deadline
                })
            })
            .collect();
        let mut late = Vec::new();
        for handle in handles {
            late.push(handle.await.unwrap());
        }
        late
    });
    assert!(late.iter().all(|late| *late < Duration::from_millis(500)));
}

#[test]
fn an_earlier_timer_wakes_a_worker_that_waits_for_a_later_one() {
    let runtime = multi_thread(2);
    // A worker waits in the reactor until the 10 s timer...
    let _far = runtime.spawn(time::sleep(Duration::from_secs(10)));
    thread::sleep(Duration::from_millis(20));
    // ... a new 10 ms timer, registered from a task, must shorten its wait.
    let started = Instant::now();
    runtime
        .block_on(runtime.spawn(time::sleep(Duration::from_millis(10))))
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn an_always_ready_loop_does_not_starve_a_timer_on_one_worker() {
    let runtime = multi_thread(1);
    let fired = runtime.block_on(time::timeout(PATIENCE, async {
        let (sender, mut receiver) = mpsc::unbounded_channel::<()>();
        sender.send(()).unwrap();
        let busy = task::spawn(async move {
            // Always ready: it sends itself the next message.
            while receiver.recv().await.is_some() {
                if sender.send(()).is_err() {
                    break;
                }
            }
        });
        let timer = task::spawn(time::sleep(Duration::from_millis(1)));
        timer.await.unwrap();
        busy.abort();
        true
    }));
    assert_eq!(fired, Ok(true));
}

#[test]
fn two_tasks_that_wake_each_other_do_not_starve_a_third_on_one_worker() {
    let runtime = multi_thread(1);
    // All on the worker, so that every task is in its own queue (tasks
    // from outside come through the injector, looked at every 61 tasks).
    let on_the_worker = runtime.spawn(async {
        // A and B bounce a message for ever: each wake puts the other in
        // the worker's LIFO slot, and neither spends its budget.
        let (to_b, mut from_a) = mpsc::unbounded_channel::<()>();
        let (to_a, mut from_b) = mpsc::unbounded_channel::<()>();
        to_b.send(()).unwrap();
        let a = task::spawn(async move {
            while from_b.recv().await.is_some() {
                let _ = to_b.send(());
            }
        });
        let b = task::spawn(async move {
            while from_a.recv().await.is_some() {
                let _ = to_a.send(());
            }
        });
        task::yield_now().await;
        // C waits in the queue behind the slot.
        let ran = task::spawn(async { "C ran" }).await.unwrap();
        a.abort();
        b.abort();
        ran
    });
    let ran = runtime.block_on(time::timeout(PATIENCE, on_the_worker));
    assert_eq!(ran.map(Result::unwrap), Ok("C ran"));
}

#[test]
fn tcp_echo_between_tasks_on_different_workers() {
    let runtime = multi_thread(2);
    let echoed = runtime.block_on(time::timeout(PATIENCE, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        task::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                task::spawn(async move {
                    let mut buffer = [0; 1024];
                    loop {
                        let n = stream.read(&mut buffer).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        stream.write_all(&buffer[..n]).await.unwrap();
                    }
                });
            }
        });
        let clients: Vec<_> = (0..16u8)
            .map(|id| {
                task::spawn(async move {
                    let stream = TcpStream::connect(address).await.unwrap();
                    let mut total = 0;
                    for round in 0..20u8 {
                        let message = [id ^ round; 512];
                        stream.write_all(&message).await.unwrap();
                        let mut echoed = [0; 512];
                        let mut read = 0;
                        while read < echoed.len() {
                            read += stream.read(&mut echoed[read..]).await.unwrap();
                        }
                        assert_eq!(echoed, message);
                        total += read;
                    }
                    total
                })
            })
            .collect();
        let mut total = 0;
        for client in clients {
            total += client.await.unwrap();
        }
        total
    }));
    assert_eq!(echoed, Ok(16 * 20 * 512));
}

#[test]
fn spawn_local_on_a_multi_thread_runtime_panics_with_a_clear_message() {
    let runtime = multi_thread(1);
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async { drop(task::spawn_local(async {})) })
    }))
    .unwrap_err();
    assert!(
        panic_message(&*payload).contains("current-thread"),
        "{}",
        panic_message(&*payload)
    );
}

#[test]
fn block_on_from_a_worker_panics_with_a_clear_message() {
    let runtime = multi_thread(1);
    let error = runtime
        .block_on(runtime.spawn(async { futures::executor::block_on(async {}) }))
        .map(|()| "ran");
    // A foreign executor is fine on a worker (it blocks that worker only)...
    assert_eq!(error.unwrap(), "ran");
    // ... but starting a runtime there is refused.
    let inner = Arc::new(Mutex::new(Some(multi_thread(1))));
    let error = runtime
        .block_on(runtime.spawn(async move {
            let inner = inner.lock().unwrap().take().unwrap();
            inner.block_on(async {});
        }))
        .unwrap_err();
    assert!(panic_message(&*error.into_panic()).contains("within a runtime"));
}

#[test]
fn dropping_a_runtime_from_its_own_task_is_a_clear_panic() {
    let runtime = Arc::new(multi_thread(1));
    let inner = Arc::clone(&runtime);
    let (sender, receiver) = std::sync::mpsc::channel();
    // The task holds the last reference once the test lets go of its own.
    let handle = runtime.spawn(async move {
        let _ = receiver.recv();
        drop(inner);
    });
    let handle = std::thread::spawn(move || {
        let outcome = futures::executor::block_on(handle);
        outcome.map_err(|error| panic_message(&*error.into_panic()))
    });
    drop(runtime);
    sender.send(()).unwrap();
    let message = handle.join().unwrap().unwrap_err();
    assert!(
        message.contains("dropped from one of its own tasks"),
        "{message}"
    );
}

#[test]
#[should_panic(expected = "at least one worker thread")]
fn zero_worker_threads_is_refused() {
    Builder::new_multi_thread().worker_threads(0);
}

/// Runs `scenario` on its own thread and fails if it has not finished
/// within `patience`. The watchdog is a plain thread, not the runtime's
/// `timeout`: the bugs it guards against (a lost wake-up, a timer never
/// fired) would stop that timeout too.
fn within<T: Send + 'static>(
    patience: Duration,
    scenario: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, finished) = std::sync::mpsc::channel();
    thread::spawn(move || done.send(scenario()));
    finished.recv_timeout(patience).unwrap_or_else(|_| {
        panic!("still running after {patience:?}: a lost wake-up or a timer that never fired")
    })
}

/// A small deterministic generator (xorshift64*), so a failing round can
/// be run again.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Four servers each take a command, spin a little, sleep 0–300 µs and
/// reply; `block_on` sends 1–4 commands a round and awaits the replies.
/// Timers are registered from every worker while others go to sleep in
/// the reactor or on their condvars: the shape that once lost a timer
/// (issue 9: a timer registered while the driver computed its timeout).
fn sleepy_servers(workers: usize, rounds: u32, seed: u64) {
    let runtime = multi_thread(workers);
    runtime.block_on(async move {
        let (reply, mut replies) = mpsc::unbounded_channel::<u32>();
        let servers: Vec<_> = (0..4u64)
            .map(|server| {
                let (command, mut commands) = mpsc::unbounded_channel::<(u64, u64)>();
                let reply = reply.clone();
                task::spawn(async move {
                    while let Some((spin, sleep)) = commands.recv().await {
                        let until = Instant::now() + Duration::from_nanos(spin);
                        while Instant::now() < until {
                            std::hint::spin_loop();
                        }
                        time::sleep(Duration::from_nanos(sleep)).await;
                        reply.send(u32::try_from(server).unwrap()).unwrap();
                    }
                });
                command
            })
            .collect();
        let mut rng = Rng(seed | 1);
        for _ in 0..rounds {
            let count = 1 + rng.below(4) as usize;
            for command in &servers[..count] {
                let spin = rng.below(40_000);
                let sleep = if rng.below(8) == 0 {
                    0
                } else {
                    1_000 + rng.below(299_000)
                };
                command.send((spin, sleep)).unwrap();
            }
            for _ in 0..count {
                replies.recv().await.unwrap();
            }
        }
    });
}

#[test]
fn timers_registered_while_a_worker_parks_are_never_lost_on_two_workers() {
    within(Duration::from_secs(60), || sleepy_servers(2, 5_000, 2));
}

#[test]
fn timers_registered_while_a_worker_parks_are_never_lost_on_four_workers() {
    within(Duration::from_secs(60), || sleepy_servers(4, 5_000, 4));
}

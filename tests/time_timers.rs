//! Timers: `sleep`, `timeout`, `interval`, and a timer beside a busy task.

mod rt_support;

use std::future::{Future, pending};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use desugar::runtime::sync::{mpsc, oneshot};
use desugar::runtime::{Builder, Runtime, task, time};
use rt_support::{panic_message, runtime};

#[test]
fn sleep_waits_at_least_its_duration() {
    let started = Instant::now();
    runtime().block_on(time::sleep(Duration::from_millis(20)));
    assert!(started.elapsed() >= Duration::from_millis(20));
}

#[test]
fn sleeping_tasks_wake_in_deadline_order() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&order);
    runtime().block_on(async move {
        // Deadlines from one instant, and far enough ahead that every task
        // has registered its timer before the first is due, however long
        // the tasks take to start (long, under valgrind).
        let start = Instant::now() + Duration::from_millis(200);
        let handles: Vec<_> = [30_u64, 10, 40, 20, 0]
            .into_iter()
            .map(|ms| {
                let seen = Arc::clone(&seen);
                task::spawn(async move {
                    time::sleep_until(start + Duration::from_millis(ms)).await;
                    seen.lock().unwrap().push(ms);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(*order.lock().unwrap(), [0, 10, 20, 30, 40]);
}

#[test]
fn timeout_gives_the_output_in_time_and_elapsed_after() {
    let runtime = runtime();
    let quick = runtime.block_on(time::timeout(Duration::from_secs(5), async { 3 }));
    assert_eq!(quick, Ok(3));
    let slow = runtime.block_on(time::timeout(Duration::from_millis(5), pending::<()>()));
    assert_eq!(slow.unwrap_err().to_string(), "deadline has elapsed");
}

/// Polls `inner`, and the first time it is pending, keeps the thread
/// busy until `until`: a stall (a preempted thread, a slow neighbour task)
/// between `inner`'s look at the clock and whatever is polled after it.
struct StallAfter<F> {
    inner: Pin<Box<F>>,
    until: Option<Instant>,
}

impl<F: Future> Future for StallAfter<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let poll = self.inner.as_mut().poll(cx);
        if poll.is_pending()
            && let Some(until) = self.until.take()
        {
            while Instant::now() < until {
                std::hint::spin_loop();
            }
        }
        poll
    }
}

/// `timeout(limit, sleep(inner))` with a stall after the inner sleep's
/// first poll that carries the clock past both deadlines.
fn timeout_of_a_sleep_after_a_stall(runtime: &Runtime, inner: Duration, limit: Duration) {
    let result = runtime.block_on(runtime.spawn(async move {
        let sleep = time::sleep(inner);
        let until = sleep.deadline().max(Instant::now() + limit) + Duration::from_millis(5);
        let stalled = StallAfter {
            inner: Box::pin(sleep),
            until: Some(until),
        };
        time::timeout(limit, stalled).await
    }));
    assert_eq!(
        result.unwrap(),
        Ok(()),
        "the inner sleep ({inner:?}) was due no later than the timeout ({limit:?})"
    );
}

#[test]
fn a_future_due_no_later_than_its_timeout_wins_however_late_it_is_polled() {
    let runtimes = [
        runtime(),
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    ];
    for runtime in &runtimes {
        let ms = Duration::from_millis;
        timeout_of_a_sleep_after_a_stall(runtime, ms(2), ms(2));
        timeout_of_a_sleep_after_a_stall(runtime, ms(1), ms(3));
        timeout_of_a_sleep_after_a_stall(runtime, Duration::ZERO, ms(1));
    }
}

#[test]
fn a_timed_out_future_is_dropped() {
    struct Dropped(Arc<AtomicBool>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = Dropped(Arc::clone(&dropped));
    let result = runtime().block_on(time::timeout(Duration::from_millis(5), async move {
        let _flag = flag;
        pending::<()>().await;
    }));
    assert!(result.is_err());
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn an_interval_ticks_once_per_period_the_first_at_once() {
    let (first, span) = runtime().block_on(async {
        let mut interval = time::interval(Duration::from_millis(10));
        let first = interval.tick().await;
        interval.tick().await;
        let third = interval.tick().await;
        (first, third - first)
    });
    assert!(first <= Instant::now());
    assert_eq!(
        span,
        Duration::from_millis(20),
        "ticks are due a period apart"
    );
}

#[test]
fn a_sleep_polled_outside_a_runtime_panics_with_a_clear_message() {
    let panic = std::panic::catch_unwind(|| {
        desugar::block_on(time::sleep(Duration::from_millis(50)));
    })
    .unwrap_err();
    let message = panic_message(&*panic);
    assert!(message.contains("outside a runtime"), "{message}");
}

/// How many receives a task on an always-ready channel had done when a
/// 1 ms timer beside it fired; the busy task stops once it has, or at `CAP`.
fn busy_receives_before_a_timer_fires(coop: bool) -> usize {
    const CAP: usize = 1_000_000;
    let runtime = Builder::new_current_thread().coop(coop).build().unwrap();
    runtime.block_on(async {
        let fired = Arc::new(AtomicBool::new(false));
        let receives = Arc::new(AtomicUsize::new(0));
        // The timer starts once the busy task runs, so that however slowly
        // the tasks start (valgrind), the timer is never due before it.
        let (started, busy_started) = oneshot::channel::<()>();
        let timer = {
            let fired = Arc::clone(&fired);
            task::spawn(async move {
                busy_started.await.unwrap();
                time::sleep(Duration::from_millis(1)).await;
                fired.store(true, Ordering::SeqCst);
            })
        };
        let busy = {
            let (fired, receives) = (Arc::clone(&fired), Arc::clone(&receives));
            task::spawn(async move {
                started.send(()).unwrap();
                let (tx, mut rx) = mpsc::unbounded_channel();
                tx.send(()).unwrap();
                while !fired.load(Ordering::SeqCst) && receives.load(Ordering::SeqCst) < CAP {
                    rx.recv().await.unwrap();
                    tx.send(()).unwrap();
                    receives.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        busy.await.unwrap();
        timer.await.unwrap();
        let done = receives.load(Ordering::SeqCst);
        if done < CAP { done } else { usize::MAX }
    })
}

#[test]
fn a_timer_fires_beside_a_task_on_an_always_ready_channel() {
    assert_ne!(busy_receives_before_a_timer_fires(true), usize::MAX);
}

#[test]
fn without_the_budget_the_busy_task_starves_the_timer() {
    assert_eq!(busy_receives_before_a_timer_fires(false), usize::MAX);
}

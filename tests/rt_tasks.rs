//! The current-thread runtime's tasks: spawning, joining, panics, aborts,
//! wake-ups from other threads, and shutdown.

mod rt_support;

use std::future::{Future, pending};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use desugar::runtime::task;
use rt_support::{DropCounter, assert_all_cancelled, panic_message, runtime};

/// Whether a [`Gate`] is open, and the waker of the task waiting at it.
type GateState = Arc<Mutex<(bool, Option<Waker>)>>;

/// A future that is pending until its state says open, and hands its waker out.
struct Gate {
    state: GateState,
}

impl Future for Gate {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.state.lock().unwrap();
        if state.0 {
            Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

fn gate() -> (Gate, GateState) {
    let state = Arc::new(Mutex::new((false, None)));
    (
        Gate {
            state: Arc::clone(&state),
        },
        state,
    )
}

#[test]
fn spawned_tasks_run_and_their_handles_give_the_outputs() {
    let outputs = runtime().block_on(async {
        let handles: Vec<_> = (0..100)
            .map(|n| task::spawn(async move { n * 2 }))
            .collect();
        let mut outputs = Vec::new();
        for handle in handles {
            outputs.push(handle.await.unwrap());
        }
        outputs
    });
    assert_eq!(outputs, (0..100).map(|n| n * 2).collect::<Vec<_>>());
}

#[test]
fn a_panicking_task_is_a_join_error_and_the_runtime_goes_on() {
    let runtime = runtime();
    let (error, after) = runtime.block_on(async {
        let failing = task::spawn(async {
            panic!("task failed on purpose");
        });
        let fine = task::spawn(async { 5 });
        (failing.await.unwrap_err(), fine.await.unwrap())
    });
    assert!(error.is_panic());
    assert_eq!(
        error.to_string(),
        "task panicked with message \"task failed on purpose\""
    );
    assert_eq!(after, 5);
    assert_eq!(
        runtime.block_on(async { task::spawn(async { 1 }).await.unwrap() }),
        1
    );
}

#[test]
fn an_aborted_task_is_cancelled_and_its_future_dropped_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let counter = DropCounter(Arc::clone(&drops));
    let error = runtime().block_on(async move {
        let handle = task::spawn(async move {
            let _counter = counter;
            pending::<()>().await;
        });
        task::yield_now().await; // let it start and park
        handle.abort();
        handle.await.unwrap_err()
    });
    assert!(error.is_cancelled());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn aborting_a_finished_task_keeps_its_output() {
    let output = runtime().block_on(async {
        let handle = task::spawn(async { 9 });
        while !handle.is_finished() {
            task::yield_now().await;
        }
        handle.abort();
        handle.await
    });
    assert_eq!(output.unwrap(), 9);
}

#[test]
fn a_dropped_handle_detaches_the_task_which_runs_on() {
    let ran = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&ran);
    runtime().block_on(async move {
        drop(task::spawn(async move {
            seen.fetch_add(1, Ordering::SeqCst);
        }));
        task::yield_now().await;
    });
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[test]
fn a_task_woken_from_another_thread_runs_again() {
    let output = runtime().block_on(async {
        let (gate, state) = gate();
        let handle = task::spawn(async move {
            gate.await;
            "opened"
        });
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            let waker = {
                let mut state = state.lock().unwrap();
                state.0 = true;
                state.1.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        handle.await.unwrap()
    });
    assert_eq!(output, "opened");
}

#[test]
fn tasks_spawned_from_another_thread_run() {
    let runtime = Arc::new(runtime());
    let remote = Arc::clone(&runtime);
    let handles = thread::spawn(move || {
        (0..10)
            .map(|n| remote.spawn(async move { n + 1 }))
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    let total = runtime.block_on(async {
        let mut total = 0;
        for handle in handles {
            total += handle.await.unwrap();
        }
        total
    });
    assert_eq!(total, 55);
}

#[test]
fn dropping_the_runtime_drops_every_unfinished_task_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let runtime = runtime();
    let mut handles = Vec::new();
    // Started and parked...
    runtime.block_on(async {
        for _ in 0..5 {
            let counter = DropCounter(Arc::clone(&drops));
            handles.push(task::spawn(async move {
                let _counter = counter;
                pending::<()>().await;
            }));
        }
        task::yield_now().await;
    });
    // ... and spawned but never polled.
    for _ in 0..3 {
        let counter = DropCounter(Arc::clone(&drops));
        handles.push(runtime.spawn(async move {
            let _counter = counter;
        }));
    }
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(runtime);
    assert_eq!(drops.load(Ordering::SeqCst), 8);
    assert_all_cancelled(handles);
}

#[test]
fn a_waker_used_after_the_runtime_is_gone_does_nothing() {
    let runtime = runtime();
    let (gate, state) = gate();
    let _handle = runtime.spawn(gate);
    runtime.block_on(task::yield_now());
    drop(runtime);
    let waker = state
        .lock()
        .unwrap()
        .1
        .take()
        .expect("the task stored its waker");
    thread::spawn(move || waker.wake()).join().unwrap();
}

#[test]
fn spawn_local_runs_futures_that_are_not_send() {
    let len = runtime().block_on(async {
        let shared = std::rc::Rc::new(vec![1, 2, 3]);
        let other = std::rc::Rc::clone(&shared);
        task::spawn_local(async move { other.len() }).await.unwrap() + shared.len()
    });
    assert_eq!(len, 6);
}

#[test]
fn block_on_inside_a_task_panics_with_a_clear_message() {
    let runtime = Arc::new(runtime());
    let inner = Arc::clone(&runtime);
    let error = runtime.block_on(async move {
        task::spawn_local(async move { inner.block_on(async {}) })
            .await
            .unwrap_err()
    });
    assert!(
        error
            .to_string()
            .contains("cannot start a runtime from within a runtime")
    );
}

#[test]
fn spawn_outside_a_runtime_panics_with_a_clear_message() {
    let message = std::panic::catch_unwind(|| {
        task::spawn(async {});
    })
    .unwrap_err();
    let message = panic_message(&*message);
    assert!(message.contains("outside a runtime"), "{message}");
}

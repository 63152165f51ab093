//! Cooperative scheduling: the 128-unit budget that keeps a busy task from
//! starving the others, what it cannot do (a loop that awaits nothing), and
//! the ways out (`yield_now`) and around it (`unconstrained`).
//!
//! Each test spawns a busy task A and a watcher B, and records how far A had
//! got when B first ran. Both are queued at once, A first.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use desugar::runtime::sync::mpsc;
use desugar::runtime::{Builder, coop, task};

const ROUNDS: usize = 10_000;

/// How far `busy` had got (it counts its rounds in the counter it is
/// given) when a task spawned after it first ran.
fn progress_seen_by_another_task<F, Fut>(coop: bool, busy: F) -> usize
where
    F: FnOnce(Arc<AtomicUsize>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let runtime = Builder::new_current_thread().coop(coop).build().unwrap();
    let progress = Arc::new(AtomicUsize::new(0));
    let busy = busy(Arc::clone(&progress));
    runtime.block_on(async move {
        let busy = task::spawn(busy);
        let watcher = task::spawn(async move { progress.load(Ordering::SeqCst) });
        let seen = watcher.await.unwrap();
        busy.await.unwrap();
        seen
    })
}

/// An always-ready runtime resource, used `ROUNDS` times.
async fn always_ready_loop(progress: Arc<AtomicUsize>) {
    for _ in 0..ROUNDS {
        task::consume_budget().await;
        progress.fetch_add(1, Ordering::SeqCst);
    }
}

/// A receive loop on a channel that is never empty: every `recv` is ready.
async fn always_ready_channel(progress: Arc<AtomicUsize>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for n in 0..ROUNDS {
        tx.send(n).unwrap();
    }
    for _ in 0..ROUNDS {
        rx.recv().await.expect("queued");
        progress.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_task_on_an_always_ready_channel_does_not_starve_the_others() {
    let seen = progress_seen_by_another_task(true, always_ready_channel);
    assert_eq!(seen, usize::from(coop::BUDGET));
}

#[test]
fn without_the_budget_a_task_on_an_always_ready_channel_starves_the_others() {
    let seen = progress_seen_by_another_task(false, always_ready_channel);
    assert_eq!(seen, ROUNDS);
}

#[test]
fn an_always_ready_loop_yields_once_its_budget_is_spent() {
    let seen = progress_seen_by_another_task(true, always_ready_loop);
    assert_eq!(seen, usize::from(coop::BUDGET));
}

#[test]
fn without_the_budget_an_always_ready_loop_starves_the_others() {
    let seen = progress_seen_by_another_task(false, always_ready_loop);
    assert_eq!(seen, ROUNDS);
}

#[test]
fn unconstrained_lets_a_task_ignore_its_budget() {
    let seen = progress_seen_by_another_task(true, |progress| {
        task::unconstrained(always_ready_loop(progress))
    });
    assert_eq!(seen, ROUNDS);
}

#[test]
fn a_loop_that_awaits_nothing_starves_the_others_even_with_the_budget() {
    let seen = progress_seen_by_another_task(true, |progress| async move {
        for _ in 0..ROUNDS {
            std::hint::black_box(progress.fetch_add(1, Ordering::SeqCst));
        }
    });
    assert_eq!(seen, ROUNDS);
}

#[test]
fn yield_now_in_such_a_loop_lets_the_others_run() {
    let seen = progress_seen_by_another_task(true, |progress| async move {
        for round in 1..=ROUNDS {
            progress.fetch_add(1, Ordering::SeqCst);
            if round % 100 == 0 {
                task::yield_now().await;
            }
        }
    });
    assert_eq!(seen, 100);
}

#[test]
fn each_poll_of_a_task_starts_with_a_full_budget() {
    let runtime = Builder::new_current_thread().build().unwrap();
    let budgets = runtime.block_on(async {
        task::spawn(async {
            let first = coop::remaining();
            task::yield_now().await;
            (first, coop::remaining())
        })
        .await
        .unwrap()
    });
    assert_eq!(budgets, (Some(coop::BUDGET), Some(coop::BUDGET)));
}

//! Idle workers: which ones sleep, and how to wake one without ever losing
//! a wake-up.
//!
//! A worker that runs out of tasks *announces* that it sleeps, looks for
//! work one last time, and only then sleeps. Whoever queues a task pushes
//! it first, then looks for a sleeper to wake. With a `SeqCst` fence
//! between the two steps on each side, at least one of them sees the
//! other: either the sleeper finds the task, or the pusher finds the
//! sleeper. The pusher's fast path, when nobody sleeps, is one fence and
//! one load.
//!
//! A sleeping worker waits in one of two places:
//!
//! - in the **reactor** (`epoll_wait`), if it took the driver lock: there
//!   is one such worker at most, and it also keeps the timers;
//! - on its own **condvar**, otherwise.
//!
//! Waking a worker sets its `notified` flag, then interrupts whichever of
//! the two it waits in.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use std::sync::{Condvar, Mutex, PoisonError};

use crate::mutex::lock;
use crate::reactor::Reactor;

/// `driver_owner` when no worker waits in the reactor.
const NOBODY: usize = usize::MAX;

pub(super) struct Idle {
    /// The sleeping workers, by index; the last to sleep is woken first.
    sleepers: Mutex<Vec<usize>>,
    /// `sleepers.len()`, readable without the lock.
    num_sleeping: AtomicUsize,
    parkers: Box<[Parker]>,
    /// The worker waiting in the reactor, or `NOBODY`.
    driver_owner: AtomicUsize,
}

/// Where one worker sleeps when it does not wait in the reactor.
#[derive(Default)]
struct Parker {
    notified: AtomicBool,
    lock: Mutex<()>,
    condvar: Condvar,
}

impl Idle {
    pub(super) fn new(workers: usize) -> Idle {
        Idle {
            sleepers: Mutex::new(Vec::with_capacity(workers)),
            num_sleeping: AtomicUsize::new(0),
            parkers: (0..workers).map(|_| Parker::default()).collect(),
            driver_owner: AtomicUsize::new(NOBODY),
        }
    }

    /// Worker `index` is about to sleep. The caller then looks for work
    /// one last time before it does.
    pub(super) fn announce(&self, index: usize) {
        lock(&self.sleepers).push(index);
        self.num_sleeping.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// Worker `index` is awake (or did not sleep after all).
    pub(super) fn withdraw(&self, index: usize) {
        let mut sleepers = lock(&self.sleepers);
        if let Some(position) = sleepers.iter().position(|&sleeper| sleeper == index) {
            sleepers.swap_remove(position);
            self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Wakes one sleeping worker, if there is one. Called after a task
    /// was pushed.
    pub(super) fn notify_one(&self, reactor: &Reactor) {
        fence(Ordering::SeqCst);
        if self.num_sleeping.load(Ordering::SeqCst) == 0 {
            return;
        }
        let index = {
            let mut sleepers = lock(&self.sleepers);
            let Some(index) = sleepers.pop() else {
                return;
            };
            self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
            index
        };
        self.unpark(index, reactor);
    }

    /// Wakes every worker (shutdown).
    pub(super) fn notify_all(&self, reactor: &Reactor) {
        let sleepers = std::mem::take(&mut *lock(&self.sleepers));
        self.num_sleeping.store(0, Ordering::SeqCst);
        for index in sleepers {
            self.unpark(index, reactor);
        }
        reactor.unpark();
    }

    fn unpark(&self, index: usize, reactor: &Reactor) {
        let parker = &self.parkers[index];
        parker.notified.store(true, Ordering::SeqCst);
        if self.driver_owner.load(Ordering::SeqCst) == index {
            reactor.unpark();
        }
        // Taking the lock orders this after a sleeper's check of
        // `notified`, so the notification reaches its wait.
        drop(lock(&parker.lock));
        parker.condvar.notify_one();
    }

    /// Sleeps on worker `index`'s condvar until it is woken.
    pub(super) fn sleep(&self, index: usize) {
        let parker = &self.parkers[index];
        let mut guard = lock(&parker.lock);
        while !parker.notified.swap(false, Ordering::SeqCst) {
            guard = parker
                .condvar
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Worker `index` is about to wait in the reactor: a wake must
    /// interrupt that wait. Returns whether it was woken already (then it
    /// must not wait).
    pub(super) fn enter_driver(&self, index: usize, reactor: &Reactor) -> bool {
        self.driver_owner.store(index, Ordering::SeqCst);
        reactor.prepare_park();
        if self.parkers[index].notified.swap(false, Ordering::SeqCst) {
            reactor.cancel_park();
            return true;
        }
        false
    }

    /// Worker `index` is done waiting in the reactor.
    pub(super) fn leave_driver(&self, index: usize) {
        self.driver_owner.store(NOBODY, Ordering::SeqCst);
        self.parkers[index].notified.store(false, Ordering::SeqCst);
    }
}

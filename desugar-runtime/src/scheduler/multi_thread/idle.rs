//! Idle workers: which ones sleep, and how to wake one without ever losing
//! a wake-up.
//!
//! A worker whose queue runs dry becomes a **searcher**: it looks in the
//! injector and the other workers' queues (at most half the workers search
//! at once). Whoever queues a task pushes it first, then wakes a sleeper,
//! unless someone is searching already: that searcher will find the task.
//! A woken worker starts as a searcher; when a searcher finds a task and it
//! was the last one searching, it wakes another sleeper, since there may be
//! more. So a burst of spawns wakes workers one at a time, as they are
//! needed, and a pusher's fast path is one fence and two loads.
//!
//! No wake-up is lost: the last searcher to give up announces that it
//! sleeps, and only then looks at every queue one last time. With a
//! `SeqCst` fence between the two steps on each side, either it finds the
//! task or the pusher sees that nobody searches and wakes a sleeper.
//!
//! A sleeping worker waits in one of two places:
//!
//! - in the **reactor** (`epoll_wait`), if it took the driver lock: there
//!   is one such worker at most, and it also keeps the timers;
//! - on its own **condvar**, otherwise.
//!
//! Waking a worker sets its `notified` flag, then interrupts whichever of
//! the two it waits in.

use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

use crate::loom::{Condvar, Mutex};

use crate::mutex::lock;
use crate::reactor::Reactor;

/// `driver_owner` when no worker waits in the reactor.
const NOBODY: usize = usize::MAX;

pub(super) struct Idle {
    /// The sleeping workers, by index; the last to sleep is woken first.
    sleepers: Mutex<Vec<usize>>,
    /// `sleepers.len()`, readable without the lock.
    num_sleeping: AtomicUsize,
    /// How many workers are looking for tasks in others' queues,
    /// including those woken to do so and not yet running.
    num_searching: AtomicUsize,
    workers: usize,
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
            num_searching: AtomicUsize::new(0),
            workers,
            parkers: (0..workers).map(|_| Parker::default()).collect(),
            driver_owner: AtomicUsize::new(NOBODY),
        }
    }

    /// A worker whose queue is empty asks to search the others; refused
    /// when half the workers search already.
    pub(super) fn try_start_searching(&self) -> bool {
        let searching = self.num_searching.load(Ordering::SeqCst);
        if 2 * searching >= self.workers.max(2) {
            return false;
        }
        self.num_searching.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// A searcher found a task. Returns whether it was the last searcher
    /// (then it wakes another worker: there may be more).
    pub(super) fn stop_searching(&self) -> bool {
        self.num_searching.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Worker `index` is about to sleep (and stops searching, if it was).
    /// Returns whether it was the last searcher: then it must look at
    /// every queue one last time before it sleeps.
    pub(super) fn announce(&self, index: usize, searching: bool) -> bool {
        lock(&self.sleepers).push(index);
        self.num_sleeping.fetch_add(1, Ordering::SeqCst);
        let last = searching && self.stop_searching();
        fence(Ordering::SeqCst);
        last
    }

    /// Worker `index` is awake (or did not sleep after all). Returns
    /// whether a pusher woke it, in which case it was counted as a
    /// searcher on its behalf and must search.
    pub(super) fn withdraw(&self, index: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        match sleepers.iter().position(|&sleeper| sleeper == index) {
            Some(position) => {
                sleepers.swap_remove(position);
                self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
                false
            }
            None => true,
        }
    }

    /// Wakes one sleeping worker to search, unless a worker searches
    /// already or none sleeps. Called after a task was pushed.
    pub(super) fn notify_one(&self, reactor: &Reactor) {
        fence(Ordering::SeqCst);
        if self.num_searching.load(Ordering::SeqCst) != 0
            || self.num_sleeping.load(Ordering::SeqCst) == 0
        {
            return;
        }
        let index = {
            let mut sleepers = lock(&self.sleepers);
            // Checked again under the lock, so that two pushers do not both
            // wake a worker for what one searcher can find.
            if self.num_searching.load(Ordering::SeqCst) != 0 {
                return;
            }
            let Some(index) = sleepers.pop() else {
                return;
            };
            self.num_sleeping.fetch_sub(1, Ordering::SeqCst);
            self.num_searching.fetch_add(1, Ordering::SeqCst);
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
        // A worker about to wait in the reactor says so, marks the reactor
        // parked, fences, then reads `notified`: with this fence, either it
        // sees the flag or this sees it there (`reactor::parking`).
        fence(Ordering::SeqCst);
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

    /// Worker `index` is about to wait in the reactor: from now on, waking
    /// it interrupts that wait.
    pub(super) fn enter_driver(&self, index: usize) {
        self.driver_owner.store(index, Ordering::SeqCst);
    }

    /// Whether worker `index` was woken (then it must not wait), read
    /// after `enter_driver` and the reactor's mark.
    pub(super) fn take_notified(&self, index: usize) -> bool {
        self.parkers[index].notified.swap(false, Ordering::SeqCst)
    }

    /// Worker `index` is done waiting in the reactor.
    pub(super) fn leave_driver(&self, index: usize) {
        self.driver_owner.store(NOBODY, Ordering::SeqCst);
        self.parkers[index].notified.store(false, Ordering::SeqCst);
    }
}

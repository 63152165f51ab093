//! The reactor: one `mio::Poll` (epoll on Linux) for the whole runtime.
//!
//! - **Registration.** A socket is registered once, for reading and
//!   writing, under a token that names its [`ScheduledIo`] (its readiness
//!   and the wakers of the tasks waiting on each direction).
//! - **Waiting.** When the event loop has nothing to run, it parks *here*:
//!   `poll` blocks in `epoll_wait` until a socket is ready, the nearest
//!   timer is due, or another thread wakes it.
//! - **Dispatch.** Each event sets readiness bits on its `ScheduledIo` and
//!   wakes the waiting tasks, which the scheduler then runs.
//! - **Waking the loop.** A `mio::Waker` (an eventfd registered with the
//!   same poll) wakes `epoll_wait` from other threads. To save that system
//!   call when the loop is busy anyway, it is made only while the loop is
//!   parked: the loop sets `parked` before it checks for work one last
//!   time, and a wake that sees `parked` clears it and makes the call.

pub(crate) mod registration;
pub(crate) mod scheduled_io;

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token};

use crate::mutex::lock;
use scheduled_io::{ERROR, READ_CLOSED, READABLE, ScheduledIo, WRITABLE, WRITE_CLOSED};

/// The token of the reactor's own `mio::Waker`.
const WAKER: Token = Token(usize::MAX);

pub(crate) struct Reactor {
    poll: Mutex<Poll>,
    events: Mutex<Events>,
    registry: Registry,
    waker: mio::Waker,
    parked: AtomicBool,
    sources: Mutex<HashMap<usize, Arc<ScheduledIo>>>,
    /// How many sources are registered, read by the loop every tick
    /// without taking the `sources` lock.
    registered: AtomicUsize,
    next_token: AtomicUsize,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(&registry, WAKER)?;
        Ok(Reactor {
            poll: Mutex::new(poll),
            events: Mutex::new(Events::with_capacity(1024)),
            registry,
            waker,
            parked: AtomicBool::new(false),
            sources: Mutex::new(HashMap::new()),
            registered: AtomicUsize::new(0),
            next_token: AtomicUsize::new(0),
        })
    }

    /// Registers `source` for reading and writing.
    pub(crate) fn register(
        &self,
        source: &mut impl Source,
    ) -> io::Result<(usize, Arc<ScheduledIo>)> {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let io = Arc::new(ScheduledIo::new());
        lock(&self.sources).insert(token, Arc::clone(&io));
        self.registered.fetch_add(1, Ordering::Relaxed);
        if let Err(error) = self.registry.register(
            source,
            Token(token),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            lock(&self.sources).remove(&token);
            self.registered.fetch_sub(1, Ordering::Relaxed);
            return Err(error);
        }
        Ok((token, io))
    }

    /// Deregisters `source`; its waiters are woken (and will find it gone).
    pub(crate) fn deregister(&self, token: usize, source: &mut impl Source) -> io::Result<()> {
        let removed = lock(&self.sources).remove(&token);
        if let Some(io) = removed {
            self.registered.fetch_sub(1, Ordering::Relaxed);
            io.wake_all();
        }
        self.registry.deregister(source)
    }

    /// The loop is about to park: wakes from now on must interrupt it.
    pub(crate) fn prepare_park(&self) {
        self.parked.store(true, Ordering::SeqCst);
    }

    /// The loop found work after `prepare_park` after all.
    pub(crate) fn cancel_park(&self) {
        self.parked.store(false, Ordering::SeqCst);
    }

    /// Waits for events (at most `timeout`; `None`: for ever) and
    /// dispatches them. `Some(ZERO)` only collects what is ready.
    pub(crate) fn park(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut poll = lock(&self.poll);
        let mut events = lock(&self.events);
        let result = match poll.poll(&mut events, timeout) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(()),
            other => other,
        };
        self.parked.store(false, Ordering::SeqCst);
        result?;
        if events.is_empty() {
            return Ok(()); // a timeout, or a busy loop's look: nothing to dispatch
        }
        let sources = lock(&self.sources);
        for event in events.iter() {
            if event.token() == WAKER {
                continue;
            }
            let Some(io) = sources.get(&event.token().0) else {
                continue; // deregistered since
            };
            let mut ready = 0;
            if event.is_readable() {
                ready |= READABLE;
            }
            if event.is_writable() {
                ready |= WRITABLE;
            }
            if event.is_read_closed() {
                ready |= READ_CLOSED;
            }
            if event.is_write_closed() {
                ready |= WRITE_CLOSED;
            }
            if event.is_error() {
                ready |= ERROR;
            }
            io.dispatch(ready);
        }
        Ok(())
    }

    /// Wakes the loop if it is parked (from any thread).
    pub(crate) fn unpark(&self) {
        // A load first: the common case (the loop is busy) writes nothing.
        if self.parked.load(Ordering::SeqCst) && self.parked.swap(false, Ordering::SeqCst) {
            // Failing to write the eventfd leaves the loop parked until its
            // timeout or an event; there is no one to report it to.
            let _ = self.waker.wake();
        }
    }

    /// Whether any source is registered (then the loop checks for events
    /// even when it has work).
    pub(crate) fn has_sources(&self) -> bool {
        self.registered.load(Ordering::Relaxed) > 0
    }

    /// Shutdown: wakes every waiter, so that none waits for ever.
    pub(crate) fn shut_down(&self) {
        let sources: Vec<_> = lock(&self.sources).drain().map(|(_, io)| io).collect();
        self.registered.store(0, Ordering::Relaxed);
        sources.iter().for_each(|io| io.wake_all());
    }
}

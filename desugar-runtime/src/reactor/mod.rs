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
//!   parked, in the order [`parking`] explains.

pub(crate) mod parking;
pub(crate) mod registration;
pub(crate) mod scheduled_io;

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::loom::Mutex;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token};

use crate::mutex::lock;
use parking::{Decision, ParkFlag};
use scheduled_io::{ERROR, READ_CLOSED, READABLE, ScheduledIo, WRITABLE, WRITE_CLOSED};

/// The token of the reactor's own `mio::Waker`.
const WAKER: Token = Token(usize::MAX);

pub(crate) struct Reactor {
    poll: Mutex<Poll>,
    events: Mutex<Events>,
    registry: Registry,
    waker: mio::Waker,
    parked: ParkFlag,
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
            parked: ParkFlag::new(),
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

    /// The loop has nothing to run, as far as it knows: it marks itself
    /// parked, asks again whether it is `busy`, reads its nearest
    /// deadline, and unless either says not to, waits for an event, a
    /// wake-up or that deadline ([`parking`]: news that comes after the
    /// mark wakes it).
    pub(crate) fn park_idle(
        &self,
        busy: impl FnOnce() -> bool,
        next_deadline: impl FnOnce() -> Option<Instant>,
    ) -> io::Result<()> {
        match self.parked.prepare(busy, next_deadline) {
            Decision::StayAwake => Ok(()),
            Decision::Wait(timeout) => self.park(timeout),
        }
    }

    /// Collects and dispatches the events that are ready, without waiting
    /// (a busy loop's look at its sockets).
    pub(crate) fn poll_events(&self) -> io::Result<()> {
        self.park(Some(Duration::ZERO))
    }

    /// Waits for events (at most `timeout`; `None`: for ever) and
    /// dispatches them. `Some(ZERO)` only collects what is ready.
    fn park(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut poll = lock(&self.poll);
        let mut events = lock(&self.events);
        let result = match poll.poll(&mut events, timeout) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(()),
            other => other,
        };
        self.parked.resume();
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

    /// Wakes the loop if it is parked (from any thread). Call it after
    /// publishing the news the loop must see, as [`parking`] says: under a
    /// lock the loop's look takes, or in an atomic followed by a `SeqCst`
    /// fence.
    pub(crate) fn unpark(&self) {
        if self.parked.unpark() {
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

//! A mio source registered with the reactor of the runtime it was made in,
//! and the loop every I/O operation goes through:
//!
//! ```text
//! spend a coop unit
//! loop {
//!     wait until the direction is ready (store the waker, Pending, if not)
//!     try the operation:  WouldBlock -> clear that readiness, try again
//!                         a short read or write -> clear it, and that
//!                                                  is the result
//!                         anything else -> that is the result
//! }
//! ```
//!
//! Dropping it deregisters the source and closes it.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use mio::event::Source;

use super::scheduled_io::{Direction, ScheduledIo};
use crate::coop;
use crate::scheduler::{Handle, context};

pub(crate) struct Registration<E: Source> {
    /// `None` only while being dropped.
    source: Option<E>,
    token: usize,
    io: Arc<ScheduledIo>,
    handle: Arc<Handle>,
}

impl<E: Source> Registration<E> {
    /// Registers `source` with the current runtime's reactor.
    ///
    /// # Errors
    ///
    /// Outside a runtime, or when `epoll` refuses the source.
    pub(crate) fn new(mut source: E) -> io::Result<Self> {
        let handle = context::with_current(Arc::clone).ok_or_else(|| {
            io::Error::other(
                "a socket was used outside a runtime: sockets need `Runtime::block_on`",
            )
        })?;
        let (token, io) = handle.reactor.register(&mut source)?;
        Ok(Registration {
            source: Some(source),
            token,
            io,
            handle,
        })
    }

    pub(crate) fn source(&self) -> &E {
        self.source.as_ref().expect("present until dropped")
    }

    /// Runs `operation` once `direction` is ready, until it does not block.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        operation: impl FnMut(&E) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_draining(cx, direction, operation, |_| false)
    }

    /// [`poll_io`](Self::poll_io) for a stream read or write of a buffer of
    /// `len` bytes. A short transfer (some bytes, fewer than `len`) says
    /// the socket's buffer ran dry (or full), so the readiness is cleared
    /// at once, as Tokio does: that saves the next call the system call
    /// that would only answer `WouldBlock`. Data that arrives meanwhile
    /// comes with a new event, which the readiness's tick keeps.
    pub(crate) fn poll_stream_io(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        operation: impl FnMut(&E) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_draining(cx, direction, operation, |&n| n > 0 && n < len)
    }

    /// The loop of the module docs; `drained` says from an operation's
    /// output that the direction is not ready any more.
    fn poll_io_draining<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut operation: impl FnMut(&E) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        ready!(coop::poll_proceed(cx));
        loop {
            let event = ready!(self.io.poll_ready(cx, direction));
            match operation(self.source()) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.io.clear_readiness(event);
                }
                result => {
                    if result.as_ref().is_ok_and(&drained) {
                        self.io.clear_readiness(event);
                    }
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// Waits until `direction` is ready, without an operation (`connect`).
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<()> {
        self.io.poll_ready(cx, direction).map(|_| ())
    }
}

impl<E: Source> Drop for Registration<E> {
    fn drop(&mut self) {
        if let Some(mut source) = self.source.take() {
            // A source that cannot be deregistered is closed anyway, which
            // removes it from epoll.
            let _ = self.handle.reactor.deregister(self.token, &mut source);
        }
    }
}

//! `UdpSocket`.
//!
//! UDP moves datagrams, not a stream of bytes: each `send` or `send_to`
//! is one datagram, sent whole or not at all, and each `recv` or
//! `recv_from` takes exactly one datagram off the socket's queue, however
//! large the buffer. A buffer smaller than the datagram gets its start;
//! on Linux the rest is discarded (the length returned is what was
//! copied). Nothing is connected in the TCP sense: `connect` only fixes
//! the peer that `send` goes to and that `recv` accepts datagrams from,
//! at once and without a packet: it is async only to keep Tokio's
//! signature, and never waits.
//!
//! Readiness works as for TCP (see `reactor::registration`): the mio
//! socket is non-blocking; an operation spends a unit of the task's coop
//! budget, runs while its direction is ready, and when it hits
//! `WouldBlock` the readiness is cleared and the task is woken by the
//! reactor's next event. A socket keeps one waker per direction, so one
//! task at a time should wait to receive on it (and one to send): a
//! second waiter takes the slot, and the first is not woken.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use crate::reactor::registration::Registration;
use crate::reactor::scheduled_io::Direction;

/// A UDP socket.
///
/// # Examples
///
/// ```
/// use desugar_runtime::{Builder, net::UdpSocket};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// runtime.block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"ping");
///     assert_eq!(from, a.local_addr().unwrap());
/// });
/// ```
pub struct UdpSocket {
    registration: Registration<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to the first of `address`'s addresses that can be bound.
    ///
    /// # Errors
    ///
    /// The address does not resolve, or is in use (`AddrInUse`), or the
    /// call is made outside a runtime.
    pub async fn bind(address: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        super::first_that_works(address, |address| {
            Ok(UdpSocket {
                registration: Registration::new(mio::net::UdpSocket::bind(address)?)?,
            })
        })
    }

    /// Fixes the peer: [`UdpSocket::send`] goes to it, and
    /// [`UdpSocket::recv`] takes datagrams from it only. The first of
    /// `address`'s addresses that `connect(2)` accepts wins.
    ///
    /// # Errors
    ///
    /// The address does not resolve, or `connect(2)` refuses each of them
    /// (say, an IPv6 peer for an IPv4 socket).
    pub async fn connect(&self, address: impl ToSocketAddrs) -> io::Result<()> {
        // No handshake: the kernel only records the peer.
        super::first_that_works(address, |address| {
            self.registration.source().connect(address)
        })
    }

    /// Sends `buf` as one datagram to the first of `target`'s addresses,
    /// returning its length.
    ///
    /// # Errors
    ///
    /// The address does not resolve; what `sendto(2)` reports (say,
    /// `EMSGSIZE` for a datagram too large for UDP).
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = target
            .to_socket_addrs()?
            .next()
            .ok_or_else(super::resolved_to_nothing)?;
        std::future::poll_fn(|cx| {
            self.registration
                .poll_io(cx, Direction::Write, |s| s.send_to(buf, target))
        })
        .await
    }

    /// Receives one datagram into `buf`: its length (at most `buf.len()`,
    /// the rest of a longer one is lost) and who sent it.
    ///
    /// # Examples
    ///
    /// ```
    /// use desugar_runtime::{Builder, net::UdpSocket};
    ///
    /// let runtime = Builder::new_current_thread().build().unwrap();
    /// runtime.block_on(async {
    ///     let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    ///     let me = socket.local_addr().unwrap();
    ///     socket.send_to(b"to myself", me).await.unwrap();
    ///     let mut buf = [0; 5];
    ///     let (n, from) = socket.recv_from(&mut buf).await.unwrap();
    ///     assert_eq!((&buf[..n], from), (&b"to my"[..], me));
    /// });
    /// ```
    ///
    /// # Errors
    ///
    /// What `recvfrom(2)` reports.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| {
            self.registration
                .poll_io(cx, Direction::Read, |s| s.recv_from(buf))
        })
        .await
    }

    /// Sends `buf` as one datagram to the peer of [`UdpSocket::connect`],
    /// returning its length.
    ///
    /// # Errors
    ///
    /// Not connected (`EDESTADDRREQ`); `ConnectionRefused` when an earlier
    /// datagram found no one listening; what `send(2)` reports.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.registration
                .poll_io(cx, Direction::Write, |s| s.send(buf))
        })
        .await
    }

    /// Receives one datagram from the peer of [`UdpSocket::connect`] into
    /// `buf`, returning its length (at most `buf.len()`, as
    /// [`UdpSocket::recv_from`]).
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` when an earlier datagram found no one
    /// listening; what `recv(2)` reports.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.registration
                .poll_io(cx, Direction::Read, |s| s.recv(buf))
        })
        .await
    }

    /// This end's address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.registration.source().local_addr()
    }

    /// The peer's address, once [`UdpSocket::connect`]ed.
    ///
    /// # Errors
    ///
    /// `NotConnected` before `connect`; what `getpeername(2)` reports.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.registration.source().peer_addr()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

//! TCP and UDP over the reactor: [`TcpListener`], [`TcpStream`] and
//! [`UdpSocket`].
//!
//! Each socket is a non-blocking mio socket registered with the runtime's
//! reactor (see `reactor::registration`): an operation that would block
//! returns `Pending` and the task is woken when epoll says the socket is
//! ready. The TCP streams implement `futures-io`'s `AsyncRead` and
//! `AsyncWrite`, so the futures ecosystem's combinators work on them, and
//! offer `read`, `write` and `write_all` as async methods. A UDP socket
//! sends and receives whole datagrams with `send_to` and `recv_from` (or
//! `send` and `recv` once connected to one peer).

mod tcp;
mod udp;

pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

/// Tries `attempt` on each of `address`'s addresses in turn: the first that
/// works, or the last error.
fn first_that_works<T>(
    address: impl ToSocketAddrs,
    mut attempt: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for address in address.to_socket_addrs()? {
        match attempt(address) {
            Ok(done) => return Ok(done),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(resolved_to_nothing))
}

/// The error for an address that resolves to no socket address at all.
fn resolved_to_nothing() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "the address resolved to nothing",
    )
}

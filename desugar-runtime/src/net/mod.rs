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

//! TCP over the reactor: [`TcpListener`] and [`TcpStream`].
//!
//! Each socket is a non-blocking mio socket registered with the runtime's
//! reactor (see `reactor::registration`): an operation that would block
//! returns `Pending` and the task is woken when epoll says the socket is
//! ready. The streams implement `futures-io`'s `AsyncRead` and
//! `AsyncWrite`, so the futures ecosystem's combinators work on them, and
//! offer `read`, `write` and `write_all` as async methods.

mod tcp;

pub use tcp::{TcpListener, TcpStream};

//! `TcpListener` and `TcpStream`.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::reactor::registration::Registration;
use crate::reactor::scheduled_io::Direction;

/// A TCP socket listening for connections.
///
/// # Examples
///
/// ```
/// use desugar_runtime::{Builder, net::{TcpListener, TcpStream}};
///
/// let runtime = Builder::new_current_thread().build().unwrap();
/// runtime.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let address = listener.local_addr().unwrap();
///     let client = TcpStream::connect(address).await.unwrap();
///     let (server, peer) = listener.accept().await.unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
///     # drop(server);
/// });
/// ```
pub struct TcpListener {
    registration: Registration<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to the first of `address`'s addresses that can be bound.
    ///
    /// # Errors
    ///
    /// The address does not resolve, or is in use (`AddrInUse`), or the
    /// call is made outside a runtime.
    pub async fn bind(address: impl ToSocketAddrs) -> io::Result<TcpListener> {
        super::first_that_works(address, |address| {
            Ok(TcpListener {
                registration: Registration::new(mio::net::TcpListener::bind(address)?)?,
            })
        })
    }

    /// Waits for a connection.
    ///
    /// # Errors
    ///
    /// What `accept(2)` reports (say, too many open files).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, peer) = std::future::poll_fn(|cx| {
            self.registration
                .poll_io(cx, Direction::Read, |l| l.accept())
        })
        .await?;
        Ok((TcpStream::from_mio(stream)?, peer))
    }

    /// The address it listens on.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.registration.source().local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

/// A TCP connection.
pub struct TcpStream {
    registration: Registration<mio::net::TcpStream>,
}

impl TcpStream {
    fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            registration: Registration::new(stream)?,
        })
    }

    /// Connects to the first of `address`'s addresses that accepts.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` when nothing listens there; what the address
    /// resolution or `connect(2)` reports; outside a runtime.
    pub async fn connect(address: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last = None;
        for address in address.to_socket_addrs()? {
            match Self::connect_one(address).await {
                Ok(stream) => return Ok(stream),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(super::resolved_to_nothing))
    }

    async fn connect_one(address: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::from_mio(mio::net::TcpStream::connect(address)?)?;
        // A non-blocking connect completes when the socket becomes
        // writable; then it either has an error or a peer.
        std::future::poll_fn(|cx| stream.registration.poll_ready(cx, Direction::Write)).await;
        let socket = stream.registration.source();
        if let Some(error) = socket.take_error()? {
            return Err(error);
        }
        match socket.peer_addr() {
            Ok(_) => Ok(stream),
            Err(error) if error.kind() == io::ErrorKind::NotConnected => Err(io::Error::new(
                io::ErrorKind::ConnectionRefused,
                format!("connecting to {address} failed"),
            )),
            Err(error) => Err(error),
        }
    }

    /// Reads into `buf`; `Ok(0)` once the peer has closed its side.
    ///
    /// # Errors
    ///
    /// `ConnectionReset` and the like, as `read(2)` reports them.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.registration
                .poll_stream_io(cx, Direction::Read, buf.len(), |mut s| s.read(buf))
        })
        .await
    }

    /// Writes some of `buf`, returning how much.
    ///
    /// # Errors
    ///
    /// `BrokenPipe`, `ConnectionReset`, as `write(2)` reports them.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.registration
                .poll_stream_io(cx, Direction::Write, buf.len(), |mut s| s.write(buf))
        })
        .await
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// As [`TcpStream::write`]; `WriteZero` if the socket takes nothing.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Closes the writing side (the peer reads end-of-stream), or both.
    ///
    /// # Errors
    ///
    /// What `shutdown(2)` reports.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.registration.source().shutdown(how)
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// What `getpeername(2)` reports.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.registration.source().peer_addr()
    }

    /// This end's address.
    ///
    /// # Errors
    ///
    /// What `getsockname(2)` reports.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.registration.source().local_addr()
    }

    /// Turns Nagle's algorithm off (`true`) or on.
    ///
    /// # Errors
    ///
    /// What `setsockopt(2)` reports.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.registration.source().set_nodelay(nodelay)
    }
}

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.registration
            .poll_stream_io(cx, Direction::Read, buf.len(), |mut s| s.read(buf))
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.registration
            .poll_stream_io(cx, Direction::Write, buf.len(), |mut s| s.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // TCP has no user-space buffer here: written is sent.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local_addr", &self.local_addr().ok())
            .field("peer_addr", &self.peer_addr().ok())
            .finish()
    }
}

//! A TCP echo server written with `#[desugar]`ed async fns, on
//! desugar-runtime. Run it with `cargo run --example echo [ADDRESS]`
//! (default `127.0.0.1:7878`), then talk to it: `nc 127.0.0.1 7878`.
//!
//! What to watch for:
//!
//! 1. `serve` and `echo` are state machines the macro wrote out (read them
//!    with `cargo expand --example echo`). `echo`'s states hold the stream
//!    and the buffer across each `.await`; `read(&mut buf)` borrows both,
//!    so they stay in place in the pinned future while the read waits.
//! 2. `task::spawn(echo(..))` needs a `Send + 'static` future: the
//!    desugared one is `Send` because everything it holds is.
//! 3. Each connection is a task; when none has data, the runtime's thread
//!    sleeps in `epoll_wait` until a socket is ready.
//!
//! It prints one line when it listens (with the real address, so that a
//! test can start it on port 0), and one per connection.

use std::io;
use std::net::SocketAddr;

use desugar::desugar;
use desugar::runtime::net::{TcpListener, TcpStream};
use desugar::runtime::{Builder, task};

/// Accepts connections for ever, one echo task each.
#[desugar]
async fn serve(address: String) -> io::Result<()> {
    let listener = TcpListener::bind(address.as_str()).await?;
    println!("echo: listening on {}", listener.local_addr()?);
    loop {
        let (stream, peer) = listener.accept().await?;
        println!("echo: {peer} connected");
        task::spawn(echo(stream, peer));
    }
}

/// Sends back what `stream` receives until the peer closes it.
#[desugar]
async fn echo(stream: TcpStream, peer: SocketAddr) {
    let mut buf = vec![0; 4096];
    loop {
        let received = match stream.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) => {
                println!("echo: {peer}: {error}");
                break;
            }
        };
        if let Err(error) = stream.write_all(&buf[..received]).await {
            println!("echo: {peer}: {error}");
            break;
        }
    }
    println!("echo: {peer} closed");
}

fn main() -> io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7878".to_owned());
    let runtime = Builder::new_current_thread().build()?;
    runtime.block_on(serve(address))
}

//! TCP over the reactor: echo over loopback, many connections at once, the
//! futures-io traits, and the faults a peer can cause.

mod rt_support;

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use desugar::runtime::net::{TcpListener, TcpStream};
use desugar::runtime::{task, time};
use futures::{AsyncReadExt, AsyncWriteExt};
use rt_support::{assert_runtime_closes_descriptors, runtime};

/// Accepts forever, echoing each connection until its peer closes.
async fn echo_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    task::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            task::spawn(async move {
                let mut buf = vec![0; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    address
}

/// Sends `message` and reads back as many bytes.
async fn round_trip(stream: &TcpStream, message: &[u8]) -> Vec<u8> {
    stream.write_all(message).await.unwrap();
    let mut back = vec![0; message.len()];
    let mut got = 0;
    while got < back.len() {
        let n = stream.read(&mut back[got..]).await.unwrap();
        assert_ne!(n, 0, "the echo server closed early");
        got += n;
    }
    back
}

#[test]
fn a_kibibyte_echoes_back_over_loopback() {
    runtime().block_on(async {
        let address = echo_server().await;
        let client = TcpStream::connect(address).await.unwrap();
        let message: Vec<u8> = (0..1024).map(|i| (i % 251) as u8).collect();
        for _ in 0..10 {
            assert_eq!(round_trip(&client, &message).await, message);
        }
    });
}

#[test]
fn many_connections_echo_at_once() {
    runtime().block_on(async {
        let address = echo_server().await;
        let clients: Vec<_> = (0..64_u8)
            .map(|id| {
                task::spawn(async move {
                    let client = TcpStream::connect(address).await.unwrap();
                    for round in 0..5_u8 {
                        let message = vec![id ^ round; 512];
                        assert_eq!(round_trip(&client, &message).await, message);
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
    });
}

#[test]
fn the_futures_io_traits_work_on_a_stream() {
    runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = task::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).await.unwrap();
            text
        });
        let mut client = TcpStream::connect(address).await.unwrap();
        client.write_all(b"hello, ").await.unwrap();
        client.write_all(b"futures-io").await.unwrap();
        client.close().await.unwrap(); // half-close: the server reads to the end
        assert_eq!(server.await.unwrap(), "hello, futures-io");
    });
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    let error = runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        TcpStream::connect(address).await.unwrap_err()
    });
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused, "{error}");
}

#[test]
fn binding_a_port_in_use_is_an_error() {
    let error = runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        TcpListener::bind(address).await.unwrap_err()
    });
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse, "{error}");
}

#[test]
fn a_peer_that_half_closes_is_read_to_the_end_then_answered() {
    let answer = runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        task::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut total = 0;
            let mut buf = [0; 64];
            loop {
                match stream.read(&mut buf).await.unwrap() {
                    0 => break,
                    n => total += n,
                }
            }
            stream
                .write_all(format!("{total} bytes").as_bytes())
                .await
                .unwrap();
        });
        let client = TcpStream::connect(address).await.unwrap();
        client.write_all(&[7; 100]).await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        let mut buf = [0; 64];
        loop {
            match client.read(&mut buf).await.unwrap() {
                0 => break,
                n => answer.extend_from_slice(&buf[..n]),
            }
        }
        String::from_utf8(answer).unwrap()
    });
    assert_eq!(answer, "100 bytes");
}

#[test]
fn a_peer_that_resets_is_a_connection_reset_error() {
    let error = runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let client = TcpStream::connect(address).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        client.write_all(b"never read").await.unwrap();
        time::sleep(Duration::from_millis(20)).await;
        // Closing with unread data sends a reset, not a FIN.
        drop(server);
        let mut buf = [0; 16];
        client.read(&mut buf).await.unwrap_err()
    });
    assert_eq!(error.kind(), io::ErrorKind::ConnectionReset, "{error}");
}

#[test]
fn a_peer_that_sends_nothing_times_out_instead_of_hanging() {
    let result = runtime().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let _client = TcpStream::connect(address).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut buf = [0; 16];
        time::timeout(Duration::from_millis(20), server.read(&mut buf)).await
    });
    assert!(result.is_err(), "the read should time out");
}

#[test]
fn a_socket_used_outside_a_runtime_is_an_error() {
    let error = desugar::block_on(TcpListener::bind("127.0.0.1:0")).unwrap_err();
    assert!(error.to_string().contains("outside a runtime"), "{error}");
}

#[test]
fn dropping_the_runtime_closes_every_socket() {
    assert_runtime_closes_descriptors(40, || {
        let runtime = runtime();
        runtime.block_on(async {
            let address = echo_server().await;
            let mut clients = Vec::new();
            for _ in 0..20 {
                clients.push(TcpStream::connect(address).await.unwrap());
            }
            for client in &clients {
                round_trip(client, b"ping").await;
            }
            // Leave the clients and the server's tasks alive in the runtime.
            task::spawn(async move {
                let _clients = clients;
                std::future::pending::<()>().await;
            });
            task::yield_now().await;
        });
        runtime
    });
}

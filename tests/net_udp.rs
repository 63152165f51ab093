//! UDP over the reactor: datagrams keep their boundaries and their sender's
//! address, a waiting receiver is woken (by a task, by another thread, on
//! either runtime), and the faults: short buffers, bad addresses, silence.
//!
//! Loopback does not lose datagrams unless a socket's receive queue
//! overflows, so the tests that send many keep few in flight (each waits
//! for an answer). Those that could hang on a lost wake-up run under the
//! runtime's own `timeout`, so a bug fails them instead.

mod rt_support;

use std::io;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

use desugar::runtime::net::UdpSocket;
use desugar::runtime::{Builder, task, time};
use rt_support::runtime;

/// Long enough that only a lost wake-up reaches it.
const PATIENCE: Duration = Duration::from_secs(20);

/// A socket on an ephemeral loopback port, and its address.
async fn bound() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let address = socket.local_addr().unwrap();
    (socket, address)
}

#[test]
fn a_datagram_and_its_answer_each_carry_the_senders_address() {
    runtime().block_on(async {
        let (client, client_address) = bound().await;
        let (server, server_address) = bound().await;
        let sent = client.send_to(b"ping", server_address).await.unwrap();
        assert_eq!(sent, 4);
        let mut buf = [0; 64];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"ping"[..], client_address));
        server.send_to(b"pong!", from).await.unwrap();
        let (n, from) = client.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"pong!"[..], server_address));
    });
}

#[test]
fn each_receive_takes_one_whole_datagram() {
    runtime().block_on(async {
        let (sender, _) = bound().await;
        let (receiver, address) = bound().await;
        // On loopback a datagram is queued by the time `send_to` returns:
        // these are all waiting, and must come out one by one.
        for length in 1..=50 {
            sender
                .send_to(&vec![length; usize::from(length)], address)
                .await
                .unwrap();
        }
        let mut buf = [0; 256];
        for length in 1..=50 {
            let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &vec![length; usize::from(length)][..]);
        }
    });
}

#[test]
fn a_connected_pair_sends_and_receives_without_addresses() {
    runtime().block_on(async {
        let (a, a_address) = bound().await;
        let (b, b_address) = bound().await;
        assert_eq!(
            a.peer_addr().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        a.connect(b_address).await.unwrap();
        b.connect(a_address).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b_address);
        assert_eq!(b.peer_addr().unwrap(), a_address);

        assert_eq!(a.send(b"hello").await.unwrap(), 5);
        let mut buf = [0; 64];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");
        b.send(b"hello back").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello back");

        let debug = format!("{a:?}");
        assert!(debug.starts_with("UdpSocket"), "{debug}");
        assert!(debug.contains(&a_address.to_string()), "{debug}");
        assert!(debug.contains(&b_address.to_string()), "{debug}");
    });
}

#[test]
fn a_connected_socket_receives_only_from_its_peer() {
    runtime().block_on(async {
        let (receiver, address) = bound().await;
        let (peer, peer_address) = bound().await;
        let (stranger, _) = bound().await;
        receiver.connect(peer_address).await.unwrap();
        stranger.send_to(b"from a stranger", address).await.unwrap();
        peer.send_to(b"from the peer", address).await.unwrap();
        let mut buf = [0; 64];
        let n = receiver.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"from the peer");
    });
}

#[test]
fn a_thousand_datagrams_pass_between_tasks_in_order() {
    const COUNT: u32 = 1000;
    let received = runtime().block_on(time::timeout(PATIENCE, async {
        let (receiver, receiver_address) = bound().await;
        let (sender, sender_address) = bound().await;
        // Each side sends only once the other has answered, so each
        // receive first finds nothing, waits (`Pending`) and is woken by
        // the reactor.
        let receiving = task::spawn(async move {
            let mut buf = [0; 16];
            let mut received = 0;
            while received < COUNT {
                let (n, from) = receiver.recv_from(&mut buf).await.unwrap();
                assert_eq!(from, sender_address);
                let number = u32::from_be_bytes(buf[..n].try_into().unwrap());
                assert_eq!(number, received, "datagrams arrive in order");
                receiver.send_to(&buf[..n], from).await.unwrap();
                received += 1;
            }
            received
        });
        let mut ack = [0; 16];
        for number in 0..COUNT {
            let datagram = number.to_be_bytes();
            sender.send_to(&datagram, receiver_address).await.unwrap();
            let (n, _) = sender.recv_from(&mut ack).await.unwrap();
            assert_eq!(&ack[..n], &datagram);
        }
        receiving.await.unwrap()
    }));
    assert_eq!(received.expect("no wake-up was lost"), COUNT);
}

#[test]
fn a_waiting_receive_is_woken_by_a_datagram_from_another_thread() {
    let (datagram, from, std_address) = runtime().block_on(async {
        let (socket, address) = bound().await;
        let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let std_address = std_socket.local_addr().unwrap();
        // Long enough that the receive below has parked the runtime.
        let sending = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            std_socket.send_to(b"from a thread", address).unwrap();
        });
        let mut buf = [0; 64];
        let (n, from) = time::timeout(PATIENCE, socket.recv_from(&mut buf))
            .await
            .expect("the datagram woke the receive")
            .unwrap();
        sending.join().unwrap();
        (buf[..n].to_vec(), from, std_address)
    });
    assert_eq!(datagram, b"from a thread");
    assert_eq!(from, std_address);
}

#[test]
fn a_buffer_smaller_than_the_datagram_gets_its_start_and_the_rest_is_discarded() {
    runtime().block_on(async {
        let (sender, _) = bound().await;
        let (receiver, address) = bound().await;
        let long: Vec<u8> = (0..100).collect();
        sender.send_to(&long, address).await.unwrap();
        sender.send_to(b"next", address).await.unwrap();
        let mut small = [0; 10];
        let (n, _) = receiver.recv_from(&mut small).await.unwrap();
        assert_eq!(&small[..n], &long[..10]);
        // Linux drops the other 90 bytes: the next receive is the next
        // datagram, not the rest of this one.
        let mut buf = [0; 100];
        let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"next");
    });
}

#[test]
fn sending_to_a_bad_address_is_an_error_not_a_panic() {
    runtime().block_on(async {
        let (socket, _) = bound().await;
        let not_an_address = socket.send_to(b"x", "not an address").await.unwrap_err();
        assert_eq!(
            not_an_address.kind(),
            io::ErrorKind::InvalidInput,
            "{not_an_address}"
        );
        // `.invalid` is reserved never to resolve (RFC 6761).
        socket
            .send_to(b"x", "no-such-host.invalid:9")
            .await
            .unwrap_err();
        let nothing = socket
            .send_to(b"x", &[][..] as &[SocketAddr])
            .await
            .unwrap_err();
        assert_eq!(nothing.kind(), io::ErrorKind::InvalidInput, "{nothing}");
        let port_zero = socket.send_to(b"x", "127.0.0.1:0").await.unwrap_err();
        assert_eq!(port_zero.kind(), io::ErrorKind::InvalidInput, "{port_zero}");
        // An IPv4 socket cannot reach an IPv6 address.
        socket.send_to(b"x", "[::1]:9").await.unwrap_err();
        // And the socket still works after all that.
        let me = socket.local_addr().unwrap();
        socket.send_to(b"still here", me).await.unwrap();
        let mut buf = [0; 16];
        let (n, _) = socket.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"still here");
    });
}

#[test]
fn sending_without_a_peer_or_a_target_is_an_error() {
    let error = runtime().block_on(async {
        let (socket, _) = bound().await;
        socket.send(b"to whom?").await.unwrap_err()
    });
    // EDESTADDRREQ, which std does not name.
    assert_eq!(error.raw_os_error(), Some(89), "{error}");
}

#[test]
fn binding_a_port_in_use_is_an_error() {
    let error = runtime().block_on(async {
        let (_socket, address) = bound().await;
        UdpSocket::bind(address).await.unwrap_err()
    });
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse, "{error}");
}

#[test]
fn a_silent_peer_times_out_instead_of_hanging() {
    let result = runtime().block_on(async {
        let (socket, _) = bound().await;
        let mut buf = [0; 16];
        time::timeout(Duration::from_millis(20), socket.recv_from(&mut buf)).await
    });
    let _elapsed: time::Elapsed = result.expect_err("the receive should time out");
}

#[test]
fn a_socket_used_outside_a_runtime_is_an_error() {
    let error = desugar::block_on(UdpSocket::bind("127.0.0.1:0")).unwrap_err();
    assert!(error.to_string().contains("outside a runtime"), "{error}");
}

#[test]
fn clients_on_a_multi_thread_runtime_get_their_own_echoes() {
    let runtime = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a runtime");
    let result = runtime.block_on(time::timeout(PATIENCE, async {
        let (server, server_address) = bound().await;
        task::spawn(async move {
            let mut buf = [0; 512];
            loop {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                server.send_to(&buf[..n], from).await.unwrap();
            }
        });
        let clients: Vec<_> = (0..4_u8)
            .map(|id| {
                task::spawn(async move {
                    let (client, _) = bound().await;
                    client.connect(server_address).await.unwrap();
                    let mut echoed = [0; 512];
                    for round in 0..100_u8 {
                        let message = [id ^ round; 256];
                        client.send(&message).await.unwrap();
                        let n = client.recv(&mut echoed).await.unwrap();
                        assert_eq!(&echoed[..n], &message[..]);
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
    }));
    result.expect("no wake-up was lost");
}

#[test]
fn a_refused_datagram_is_reported_once_and_the_socket_goes_on() {
    // The runtime runs on a thread of its own: if a receive spins instead
    // of waiting, the test fails here rather than hanging.
    let (done, outcome) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let result = runtime().block_on(async {
            let (socket, _) = bound().await;
            let (closed, closed_address) = bound().await;
            drop(closed);
            socket.connect(closed_address).await.unwrap();
            socket.send(b"anyone?").await.unwrap();
            // The ICMP "port unreachable" comes back as an error on the
            // socket, which the next receive reports.
            let mut buf = [0; 16];
            let refused = socket.recv(&mut buf).await.unwrap_err();
            assert_eq!(
                refused.kind(),
                io::ErrorKind::ConnectionRefused,
                "{refused}"
            );
            // Then nothing is to be read: the receive waits.
            time::timeout(Duration::from_millis(20), socket.recv(&mut buf)).await
        });
        let _ = done.send(result.is_err());
    });
    let timed_out = outcome
        .recv_timeout(Duration::from_secs(5))
        .expect("the receive after the error waits instead of spinning");
    assert!(timed_out, "the second receive should time out");
}

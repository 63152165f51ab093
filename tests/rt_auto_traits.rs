//! The runtime's auto traits, checked at compile time: which of its types
//! may cross threads. (What may not is in `tests/ui/fail/spawn_not_*.rs`.)

use desugar::runtime::net::{TcpListener, TcpStream, UdpSocket};
use desugar::runtime::sync::{mpsc, oneshot};
use desugar::runtime::task::{JoinError, JoinHandle};
use desugar::runtime::time::{Elapsed, Sleep, Timeout};
use desugar::runtime::{Builder, Runtime};

fn send_and_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn a_runtime_is_shared_between_threads() {
    send_and_sync::<Runtime>();
    send_and_sync::<Builder>();
}

#[test]
fn a_join_handle_crosses_threads_when_its_output_does() {
    send_and_sync::<JoinHandle<u32>>();
    send::<JoinError>(); // it holds a panic's payload: `Send`, not `Sync`
}

#[test]
fn sockets_cross_threads() {
    send_and_sync::<TcpListener>();
    send_and_sync::<TcpStream>();
    send_and_sync::<UdpSocket>();
}

#[test]
fn channel_ends_cross_threads() {
    send_and_sync::<mpsc::Sender<u32>>();
    send_and_sync::<mpsc::UnboundedSender<u32>>();
    send::<mpsc::Receiver<u32>>();
    send::<mpsc::UnboundedReceiver<u32>>();
    send::<oneshot::Sender<u32>>();
    send::<oneshot::Receiver<u32>>();
}

#[test]
fn timers_cross_threads() {
    send_and_sync::<Sleep>();
    send::<Timeout<std::future::Ready<()>>>();
    send_and_sync::<Elapsed>();
    send_and_sync::<desugar::runtime::time::Interval>();
}

#[test]
fn the_futures_of_async_methods_are_send() {
    fn future_is_send<F: std::future::Future + Send>(_: F) {}
    let runtime = Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        future_is_send(listener.accept());
        future_is_send(TcpStream::connect(address));
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buffer = [0; 4];
        future_is_send(socket.recv_from(&mut buffer));
        let (sender, mut receiver) = mpsc::channel::<u32>(1);
        future_is_send(sender.send(1));
        future_is_send(receiver.recv());
    });
}

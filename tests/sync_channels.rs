//! Channels: `oneshot` and `mpsc` (bounded and unbounded), their closing
//! rules, back-pressure, and wake-ups across threads.

mod rt_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use desugar::runtime::sync::mpsc::{self, TryRecvError, TrySendError};
use desugar::runtime::sync::oneshot;
use desugar::runtime::task;
use rt_support::{DropCounter, runtime};

#[test]
fn a_oneshot_delivers_its_value_across_tasks() {
    let value = runtime().block_on(async {
        let (tx, rx) = oneshot::channel();
        task::spawn(async move {
            task::yield_now().await;
            tx.send("hello").unwrap();
        });
        rx.await
    });
    assert_eq!(value, Ok("hello"));
}

#[test]
fn a_oneshot_whose_sender_is_dropped_is_an_error() {
    let result = runtime().block_on(async {
        let (tx, rx) = oneshot::channel::<u32>();
        task::spawn(async move { drop(tx) });
        rx.await
    });
    assert_eq!(result, Err(oneshot::RecvError));
}

#[test]
fn sending_on_a_oneshot_whose_receiver_is_gone_gives_the_value_back() {
    let (tx, rx) = oneshot::channel();
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(7), Err(7));
}

#[test]
fn an_mpsc_receiver_ends_when_every_sender_is_gone_and_the_queue_is_empty() {
    let received = runtime().block_on(async {
        let (tx, mut rx) = mpsc::channel(8);
        for n in 0..3 {
            let tx = tx.clone();
            task::spawn(async move {
                tx.send(n).await.unwrap();
            });
        }
        drop(tx);
        let mut received = Vec::new();
        while let Some(n) = rx.recv().await {
            received.push(n);
        }
        received
    });
    assert_eq!(received, [0, 1, 2]);
}

#[test]
fn a_bounded_sender_waits_while_the_buffer_is_full() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let producer_log = Arc::clone(&log);
    let consumer_log = Arc::clone(&log);
    runtime().block_on(async move {
        let (tx, mut rx) = mpsc::channel(2);
        let producer = task::spawn(async move {
            for n in 0..5 {
                tx.send(n).await.unwrap();
                producer_log.lock().unwrap().push(format!("sent {n}"));
            }
        });
        // Let the producer fill the buffer before the first receive.
        for _ in 0..3 {
            task::yield_now().await;
        }
        while let Some(n) = rx.recv().await {
            consumer_log.lock().unwrap().push(format!("received {n}"));
            task::yield_now().await;
        }
        producer.await.unwrap();
    });
    let log = log.lock().unwrap();
    let ahead = log.iter().fold((0_i32, 0_i32), |(lead, max), event| {
        let lead = if event.starts_with("sent") {
            lead + 1
        } else {
            lead - 1
        };
        (lead, max.max(lead))
    });
    assert_eq!(ahead.1, 2, "never more than the buffer ahead: {log:?}");
    assert_eq!(log.len(), 10);
}

#[test]
fn try_send_and_try_recv_say_why_they_did_nothing() {
    let (tx, mut rx) = mpsc::channel(1);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send(1).unwrap();
    assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    assert_eq!(rx.try_recv(), Ok(1));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));

    let (tx, rx) = mpsc::channel(1);
    drop(rx);
    assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
}

#[test]
fn a_sender_waiting_for_room_fails_when_the_receiver_goes() {
    let result = runtime().block_on(async {
        let (tx, rx) = mpsc::channel(1);
        tx.send(1).await.unwrap();
        let waiting = task::spawn(async move { tx.send(2).await });
        task::yield_now().await; // the sender now waits for room
        drop(rx);
        waiting.await.unwrap()
    });
    assert_eq!(result.unwrap_err().0, 2);
}

#[test]
fn values_never_received_are_dropped_with_the_receiver() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::unbounded_channel();
    for _ in 0..4 {
        tx.send(DropCounter(Arc::clone(&drops))).unwrap();
    }
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
    assert!(tx.is_closed());
}

#[test]
fn an_unbounded_sender_on_another_thread_wakes_the_receiving_task() {
    let received = runtime().block_on(async {
        let (tx, mut rx) = mpsc::unbounded_channel();
        thread::spawn(move || {
            for n in 0..3 {
                thread::sleep(Duration::from_millis(5));
                tx.send(n).unwrap();
            }
        });
        let mut received = Vec::new();
        while let Some(n) = rx.recv().await {
            received.push(n);
        }
        received
    });
    assert_eq!(received, [0, 1, 2]);
}

#[test]
fn a_ring_of_bounded_channels_passes_a_token_round() {
    const TASKS: usize = 50;
    const ROUNDS: usize = 20;
    let total = runtime().block_on(async {
        let (first_tx, mut first_rx) = mpsc::channel::<usize>(1);
        let mut next_tx = first_tx.clone();
        for _ in 1..TASKS {
            let (tx, mut rx) = mpsc::channel::<usize>(1);
            let forward = std::mem::replace(&mut next_tx, tx);
            task::spawn(async move {
                while let Some(token) = rx.recv().await {
                    forward.send(token + 1).await.unwrap();
                }
            });
        }
        let mut token = 0;
        for _ in 0..ROUNDS {
            next_tx.send(token).await.unwrap();
            token = first_rx.recv().await.unwrap();
        }
        drop(first_tx);
        token
    });
    // Each round the token passes the TASKS - 1 forwarding tasks, each adding one.
    assert_eq!(total, (TASKS - 1) * ROUNDS);
}

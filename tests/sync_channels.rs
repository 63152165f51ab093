//! Channels: `oneshot` and `mpsc` (bounded and unbounded), their closing
//! rules, back-pressure, and wake-ups across threads.

mod rt_support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use desugar::runtime::sync::mpsc::{self, SendError, TryRecvError, TrySendError};
use desugar::runtime::sync::oneshot;
use desugar::runtime::{Builder, Runtime, task};
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

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counting(AtomicUsize);

impl Wake for Counting {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Counting {
    fn new() -> (Arc<Counting>, Waker) {
        let count = Arc::new(Counting::default());
        (Arc::clone(&count), Waker::from(count))
    }

    fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Polls `future` once, by hand, with `waker`.
fn poll_with<F: Future + ?Sized>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SendError<usize>>> + 'a>>;

#[test]
fn a_send_polled_again_and_again_is_woken_once_for_one_free_slot() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let (count, waker) = Counting::new();
    let mut send = Box::pin(tx.send(1));
    for _ in 0..1_000 {
        assert!(poll_with(send.as_mut(), &waker).is_pending());
    }
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(count.wakes(), 1, "one place in line, one wake-up");
    assert_eq!(poll_with(send.as_mut(), &waker), Poll::Ready(Ok(())));
}

#[test]
fn each_freed_slot_wakes_exactly_the_oldest_waiting_send() {
    let (tx, mut rx) = mpsc::channel::<usize>(2);
    tx.try_send(100).unwrap();
    tx.try_send(101).unwrap();
    let mut sends: Vec<(Arc<Counting>, Waker, SendFuture<'_>)> = (0..5)
        .map(|n| {
            let (count, waker) = Counting::new();
            (count, waker, Box::pin(tx.send(n)) as SendFuture<'_>)
        })
        .collect();
    for (_, waker, send) in &mut sends {
        assert!(poll_with(send.as_mut(), waker).is_pending());
    }
    assert_eq!(rx.try_recv(), Ok(100));
    assert_eq!(rx.try_recv(), Ok(101));
    let wakes: Vec<_> = sends.iter().map(|(count, _, _)| count.wakes()).collect();
    assert_eq!(wakes, [1, 1, 0, 0, 0], "two slots, the two oldest sends");
    // Polled out of order, each woken send still has its slot.
    for n in [1, 0] {
        let (_, waker, send) = &mut sends[n];
        assert_eq!(poll_with(send.as_mut(), waker), Poll::Ready(Ok(())));
    }
    let (_, waker, send) = &mut sends[2];
    assert!(poll_with(send.as_mut(), waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(0));
}

#[test]
fn no_send_takes_a_slot_handed_to_one_in_line() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let (count, waker) = Counting::new();
    let mut waiting = Box::pin(tx.send(1));
    assert!(poll_with(waiting.as_mut(), &waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(
        matches!(tx.try_send(2), Err(TrySendError::Full(2))),
        "the freed slot is reserved for the send in line"
    );
    let mut newcomer = Box::pin(tx.send(3));
    assert!(poll_with(newcomer.as_mut(), Waker::noop()).is_pending());
    assert_eq!(count.wakes(), 1);
    assert_eq!(poll_with(waiting.as_mut(), &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(1));
}

#[test]
fn a_cancelled_send_does_not_swallow_the_wake_up_of_its_slot() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let (first_count, first_waker) = Counting::new();
    let (second_count, second_waker) = Counting::new();
    let mut first = Box::pin(tx.send(1));
    let mut second = Box::pin(tx.send(2));
    assert!(poll_with(first.as_mut(), &first_waker).is_pending());
    assert!(poll_with(second.as_mut(), &second_waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!((first_count.wakes(), second_count.wakes()), (1, 0));
    drop(first); // woken, then cancelled before it sent
    assert_eq!(second_count.wakes(), 1, "the slot goes to the next in line");
    assert_eq!(
        poll_with(second.as_mut(), &second_waker),
        Poll::Ready(Ok(()))
    );
    assert_eq!(rx.try_recv(), Ok(2));
}

/// Wakes by recording its index in a shared list.
struct Recording(usize, Arc<Mutex<Vec<usize>>>);

impl Wake for Recording {
    fn wake(self: Arc<Self>) {
        self.1.lock().unwrap().push(self.0);
    }
}

#[test]
fn sixty_four_sends_into_room_for_eight_are_served_in_arrival_order() {
    let (tx, mut rx) = mpsc::channel::<usize>(8);
    let woken = Arc::new(Mutex::new(Vec::new()));
    let wakers: Vec<Waker> = (0..64)
        .map(|n| Waker::from(Arc::new(Recording(n, Arc::clone(&woken)))))
        .collect();
    let mut sends: Vec<SendFuture<'_>> = (0..64).map(|n| Box::pin(tx.send(n)) as _).collect();
    for (n, send) in sends.iter_mut().enumerate() {
        let poll = poll_with(send.as_mut(), &wakers[n]);
        assert_eq!(poll.is_ready(), n < 8, "send {n}");
    }
    let (mut received, mut served) = (Vec::new(), Vec::new());
    while received.len() < 64 {
        received.push(rx.try_recv().unwrap());
        // Each value received frees one slot: the oldest waiting send is
        // woken, and has it.
        let now_woken: Vec<usize> = std::mem::take(&mut *woken.lock().unwrap());
        assert!(now_woken.len() <= 1, "one wake-up per slot: {now_woken:?}");
        for n in now_woken {
            assert_eq!(
                poll_with(sends[n].as_mut(), &wakers[n]),
                Poll::Ready(Ok(()))
            );
            served.push(n);
        }
    }
    assert_eq!(served, (8..64).collect::<Vec<_>>());
    assert_eq!(received, (0..64).collect::<Vec<_>>());
}

/// 64 producer tasks, each started once the one before has sent or taken
/// its place in line, into a channel with room for 8; the values in the
/// order received.
fn producers_into_a_small_buffer(runtime: &Runtime) -> Vec<usize> {
    runtime.block_on(async {
        let (tx, mut rx) = mpsc::channel(8);
        for n in 0..64 {
            let arrived = Arc::new(AtomicBool::new(false));
            let (tx, has_arrived) = (tx.clone(), Arc::clone(&arrived));
            task::spawn(async move {
                let mut send = Box::pin(tx.send(n));
                std::future::poll_fn(|cx| {
                    let poll = send.as_mut().poll(cx);
                    has_arrived.store(true, Ordering::SeqCst);
                    poll
                })
                .await
                .unwrap();
            });
            while !arrived.load(Ordering::SeqCst) {
                task::yield_now().await;
            }
        }
        drop(tx);
        let mut order = Vec::new();
        while let Some(n) = rx.recv().await {
            order.push(n);
        }
        order
    })
}

#[test]
fn producer_tasks_into_room_for_eight_are_served_in_arrival_order_on_one_thread() {
    let runtime = runtime();
    for _ in 0..20 {
        let order = producers_into_a_small_buffer(&runtime);
        assert_eq!(order, (0..64).collect::<Vec<_>>());
    }
}

#[test]
fn producer_tasks_into_room_for_eight_all_get_through_on_two_workers() {
    // Slots go out in arrival order here too, but the woken producers run
    // on two threads at once, so their values may land a place apart.
    let runtime = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    for _ in 0..20 {
        let mut order = producers_into_a_small_buffer(&runtime);
        order.sort_unstable();
        assert_eq!(order, (0..64).collect::<Vec<_>>());
    }
}

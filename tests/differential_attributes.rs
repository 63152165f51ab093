//! Differential tests for `#[desugar]` beside other attributes on the fn.
//!
//! `#[tracing::instrument]` goes above `#[desugar]`: it then sees the
//! `async fn`, wraps it as it wraps any async fn, and `#[desugar]` rewrites
//! the result. The span must be entered and left around every poll, exactly
//! as on the native fn. (Below `#[desugar]` it is refused: see
//! `tests/ui/fail/instrument_below.rs`.) A small subscriber records what
//! tracing sees, and the two logs must be equal.

#![allow(
    clippy::uninlined_format_args,
    reason = "this file also builds as edition 2018, where `assert!` with one literal does not \
              format it"
)]

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use desugar::desugar;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Returns `Pending` once, waking itself, so the caller is polled twice.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Writes the instrumented fns, with `#[desugar]` below `#[instrument]`
/// when given it.
macro_rules! instrumented {
    ($($desugar:path)?) => {
        #[tracing::instrument]
        $(#[$desugar])?
        pub(crate) async fn add_one(n: u32) -> u32 {
            tracing::info!("before the await");
            YieldOnce(false).await;
            tracing::info!("after the await");
            n + 1
        }

        #[tracing::instrument(skip(label), fields(len = label.len()))]
        $(#[$desugar])?
        pub(crate) async fn with_fields(label: String, times: u32) -> usize {
            for i in 0..times {
                tracing::info!(i, "turn");
                YieldOnce(false).await;
            }
            label.len()
        }
    };
}

mod native {
    use super::*;

    instrumented!();
}

mod desugared {
    use super::*;

    instrumented!(desugar);
}

/// Records spans made, entered and left, and events with their fields.
#[derive(Default)]
struct Recorder {
    next: AtomicU64,
    names: Mutex<HashMap<u64, String>>,
    log: Mutex<Vec<String>>,
}

/// Writes an event's or a span's fields as `name=value` pairs.
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0 += &format!(" {}={value:?}", field.name());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields(String::new());
        span.record(&mut fields);
        let name = span.metadata().name().to_owned();
        self.log
            .lock()
            .unwrap()
            .push(format!("new {name}{}", fields.0));
        self.names.lock().unwrap().insert(id, name);
        Id::from_u64(id)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        self.log.lock().unwrap().push(format!("event{}", fields.0));
    }

    fn enter(&self, span: &Id) {
        let name = self.names.lock().unwrap()[&span.into_u64()].clone();
        self.log.lock().unwrap().push(format!("enter {name}"));
    }

    fn exit(&self, span: &Id) {
        let name = self.names.lock().unwrap()[&span.into_u64()].clone();
        self.log.lock().unwrap().push(format!("exit {name}"));
    }
}

/// Runs the future to completion under a fresh recorder: its output and
/// everything tracing saw.
fn traced<F: Future>(make: impl FnOnce() -> F) -> (F::Output, Vec<String>) {
    let recorder = std::sync::Arc::new(Recorder::default());
    let output =
        tracing::subscriber::with_default(recorder.clone(), || futures::executor::block_on(make()));
    let log = recorder.log.lock().unwrap().clone();
    (output, log)
}

#[test]
fn instrument_enters_its_span_on_every_poll_as_native() {
    let native = traced(|| native::add_one(41));
    let desugared = traced(|| desugared::add_one(41));
    assert_eq!(native.0, 42);
    assert_eq!(
        native
            .1
            .iter()
            .filter(|line| *line == "enter add_one")
            .count(),
        3,
        "the native span is entered on each of the two polls, and once more to drop \
         the inner future: {:?}",
        native.1
    );
    assert_eq!(desugared, native);
}

#[test]
fn instrument_with_skipped_arguments_and_fields_matches_native() {
    let native = traced(|| native::with_fields("four".to_owned(), 3));
    let desugared = traced(|| desugared::with_fields("four".to_owned(), 3));
    assert_eq!(native.0, 4);
    assert_eq!(desugared, native);
}

#[test]
fn instrumented_futures_are_send_like_native() {
    fn send<T: Send>(_: &T) {}
    send(&native::add_one(1));
    send(&desugared::add_one(1));
    send(&desugared::with_fields(String::new(), 0));
}

#[test]
fn the_desugared_twin_is_the_macros_state_machine() {
    let name = std::any::type_name_of_val(&desugared::add_one(1));
    assert!(name.contains("AddOneFuture"), "{}", name);
    let name = std::any::type_name_of_val(&native::add_one(1));
    assert!(!name.contains("AddOneFuture"), "{}", name);
}

#[test]
fn cancelled_instrumented_future_leaves_the_same_trace_as_native() {
    fn cancel_after_one_poll<F: Future>(make: impl FnOnce() -> F) -> Vec<String> {
        traced(|| async {
            let mut future = Box::pin(make());
            let mut cx = Context::from_waker(std::task::Waker::noop());
            assert!(future.as_mut().poll(&mut cx).is_pending());
            drop(future);
        })
        .1
    }
    let native = cancel_after_one_poll(|| native::with_fields("two".to_owned(), 2));
    let desugared = cancel_after_one_poll(|| desugared::with_fields("two".to_owned(), 2));
    assert!(native.iter().any(|line| line.contains("turn")));
    assert_eq!(desugared, native);
}

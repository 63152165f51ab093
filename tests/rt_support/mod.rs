//! What the runtime tests (`rt_*`, `sync_*`, `time_*`) share: a drop
//! counter, a runtime, and the message of a caught panic.

#![allow(dead_code, reason = "each test file uses some of these")]

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use desugar::runtime::{Builder, Runtime};

/// A current-thread runtime with the default settings.
pub(crate) fn runtime() -> Runtime {
    Builder::new_current_thread().build().expect("a runtime")
}

/// Counts its drops in the counter it holds.
pub(crate) struct DropCounter(pub(crate) Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The message of a panic's payload (`panic!("..")` or `expect("..")`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

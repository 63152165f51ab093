//! What the runtime tests (`rt_*`, `sync_*`, `time_*`, `net_*`) share: a
//! drop counter, a runtime, open descriptors, cancelled handles, and the
//! message of a caught panic.

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

/// The open file descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

/// Asserts that dropping the runtime `open` returns (with its tasks
/// holding sockets) closes every descriptor it opened, at least `opened`
/// of them. Other tests of the same file open sockets on other threads, so
/// a count they disturbed is taken again, up to 20 times.
pub(crate) fn assert_runtime_closes_descriptors(opened: usize, open: impl Fn() -> Runtime) {
    for attempt in 0.. {
        let before = open_fds();
        let runtime = open();
        let during = open_fds();
        drop(runtime);
        let after = open_fds();
        if before == after || attempt == 20 {
            assert!(
                during >= before + opened,
                "the sockets were open: {before} -> {during}"
            );
            assert_eq!(after, before, "every descriptor is closed with the runtime");
            return;
        }
    }
}

/// Asserts that every handle reports its task cancelled (after shutdown).
pub(crate) fn assert_all_cancelled<T>(handles: Vec<desugar::runtime::task::JoinHandle<T>>) {
    for handle in handles {
        let error = futures::executor::block_on(handle)
            .err()
            .expect("the task did not finish");
        assert!(error.is_cancelled(), "{error}");
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

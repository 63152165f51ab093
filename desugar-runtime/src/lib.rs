//! A small, real async runtime that polls futures in the open.
//!
//! Two ways to run a future:
//!
//! - [`block_on`]: the smallest executor there is. It polls one future on
//!   the current thread; when the future returns `Pending` the thread parks
//!   until the future's waker unparks it, then polls again.
//! - [`Runtime`]: a scheduler with tasks. [`task::spawn`] hands it futures
//!   to run concurrently; each task is polled when woken, with a
//!   cooperative budget ([`coop`]) so that a busy task cannot starve the
//!   others; a panicking task becomes a [`task::JoinError`] and the runtime
//!   goes on. [`Builder::new_current_thread`] runs every task on the thread
//!   inside [`Runtime::block_on`]; [`Builder::new_multi_thread`] on a pool
//!   of worker threads that steal work from each other.
//!
//! ```
//! use desugar_runtime::{Builder, task};
//!
//! let runtime = Builder::new_current_thread().build().unwrap();
//! let total = runtime.block_on(async {
//!     let handles: Vec<_> = (1..=10).map(|n| task::spawn(async move { n * n })).collect();
//!     let mut total = 0;
//!     for handle in handles {
//!         total += handle.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 385);
//! ```

mod block_on;
pub mod coop;
mod loom;
mod mutex;
pub mod net;
mod reactor;
mod runtime;
mod scheduler;
pub mod sync;
pub mod task;
pub mod time;
mod waker;

pub use block_on::block_on;
pub use runtime::{Builder, Runtime};

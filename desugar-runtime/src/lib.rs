//! A small, real async runtime that polls futures in the open.
//!
//! For now it holds [`block_on`]: the smallest executor there is. It polls a
//! future on the current thread; when the future returns `Pending` the thread
//! parks until the future's waker unparks it, then polls again.

mod block_on;

pub use block_on::block_on;

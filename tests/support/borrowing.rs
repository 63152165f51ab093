//! Futures that borrow their arguments while pending, the shapes the
//! borrowing cases await: a channel-like [`Counter`] whose methods borrow
//! it, and [`fill`], which borrows a vector.

use super::leaf::leaf;
use super::log::log;

/// A channel-like receiver: its methods borrow it while pending, and it
/// logs when dropped, with its count.
#[derive(Debug)]
pub(crate) struct Counter {
    pub(crate) name: &'static str,
    pub(crate) count: u32,
}

impl Counter {
    pub(crate) fn new(name: &'static str) -> Self {
        Counter { name, count: 0 }
    }

    /// Counts one more, after an await: `rx.recv().await`.
    pub(crate) async fn next(&mut self) -> u32 {
        self.count += leaf(self.name, 1).await;
        self.count
    }

    /// Counts one more, and is `None` past `limit`.
    pub(crate) async fn next_until(&mut self, limit: u32) -> Option<u32> {
        self.count += leaf(self.name, 1).await;
        (self.count <= limit).then_some(self.count)
    }

    /// Reads the count through `&self`, after an await.
    pub(crate) async fn peek(&self) -> u32 {
        leaf("peek", self.count).await
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        log(format!("drop counter {} at {}", self.name, self.count));
    }
}

/// Pushes onto a borrowed vector across an await, and returns its length.
pub(crate) async fn fill<T>(buf: &mut Vec<T>, value: T) -> usize {
    buf.push(leaf("fill", value).await);
    buf.len()
}

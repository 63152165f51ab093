//! Channels between tasks: [`oneshot`] for one value, [`mpsc`] for a stream
//! of them.
//!
//! They are plain data behind a `Mutex` plus the wakers of whoever waits:
//! a receiver that finds nothing stores its waker and returns `Pending`; a
//! send wakes it. Every operation spends a unit of the task's cooperative
//! budget ([`crate::coop`]), so a task that always finds its channel ready
//! still yields now and then.

pub mod mpsc;
pub mod oneshot;

use crate::mutex::lock;
use crate::waker::store as store_waker;

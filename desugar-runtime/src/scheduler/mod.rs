//! Schedulers: who polls which task when.
//!
//! [`current_thread`] runs every task on the thread that calls
//! `Runtime::block_on`. (A work-stealing multi-threaded scheduler is the
//! next to come.)

pub(crate) mod current_thread;

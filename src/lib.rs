//! desugar: see how async Rust really works.
//!
//! `#[desugar]` writes an `async fn` out as the state machine rustc would
//! build for it; `desugar_runtime` polls it. This crate re-exports both.

pub use desugar_macro::desugar;
pub use desugar_runtime as runtime;
pub use desugar_runtime::block_on;

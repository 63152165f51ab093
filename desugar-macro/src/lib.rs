//! The `#[desugar]` attribute: an `async fn`, written out as the state
//! machine rustc builds for it.
//!
//! ```
//! # async fn fetch() -> u32 { 1 }
//! # fn process(x: u32) -> u32 { x + 1 }
//! # async fn save(_: u32) {}
//! #[desugar_macro::desugar]
//! async fn example() {
//!     let data = fetch().await; // Start -> Await0
//!     let result = process(data); // synchronous, no state transition
//!     save(result).await; // Await0 -> Await1
//! }
//! # let _ = example();
//! ```
//!
//! `example()` now returns a future whose type you can read with
//! `cargo expand`: an enum with a variant per `.await` (holding only the
//! locals that live across it), a `Start` variant holding the arguments,
//! `Done` and `Poisoned`, and a `poll` that matches on it. See the
//! `codegen` module for the layout, and the project README for the tour.
//!
//! The crate is a thin entry over a testable core: [`desugar`] converts
//! tokens and hands off to `expand`, which runs the stages in order.
#![forbid(unsafe_code)]

mod analysis;
mod args;
mod codegen;
mod expand;
mod lower;
#[cfg(test)]
mod snapshots;

use proc_macro::TokenStream;

/// Rewrites an `async fn` into an explicit state machine that behaves
/// exactly like the one rustc generates.
///
/// Arguments: none, or `trace` to print every state transition.
///
/// # Examples
///
/// ```
/// #[desugar_macro::desugar]
/// async fn add(a: u32, b: u32) -> u32 {
///     let a = async move { a }.await;
///     a + b
/// }
/// # let _ = add(1, 2);
/// ```
#[proc_macro_attribute]
pub fn desugar(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}

//! The `#[desugar]` attribute: an `async fn`, written out as the state
//! machine rustc builds for it.
//!
//! rustc turns every `async fn` into an enum with a variant per `.await`
//! and a `poll` that resumes whichever variant the future is in. This
//! attribute writes that machine out as ordinary Rust, which `cargo expand`
//! shows, and which behaves like rustc's: the same output and side effects
//! in the same order, the same drops (on completion, early exit, panic and
//! cancellation at every await), the same auto traits.
//!
//! ```
//! use std::future::Future;
//! use std::pin::pin;
//! use std::task::{Context, Poll, Waker};
//!
//! # async fn fetch() -> u32 { 41 }
//! # fn process(x: u32) -> u32 { x + 1 }
//! # async fn save(x: u32) -> u32 { x }
//! #[desugar_macro::desugar]
//! async fn example() -> u32 {
//!     let data = fetch().await; // Start -> Await0
//!     let result = process(data); // synchronous, no state transition
//!     save(result).await // Await0 -> Await1 -> Done
//! }
//!
//! let mut future = pin!(example()); // lazy: nothing has run yet
//! let mut cx = Context::from_waker(Waker::noop());
//! assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(42));
//! ```
//!
//! # What it expands to
//!
//! Inside the rewritten `fn example() -> impl Future<Output = u32>`:
//!
//! ```text
//! enum __ExampleState<F0, F1> {
//!     Start,                                       // created, holds the arguments
//!     Await0 { __awaitee: ManuallyDrop<F0> },       // suspended at `fetch().await`
//!     Await1 { __awaitee: ManuallyDrop<F1> },       // suspended at `save(result).await`
//!     Done,
//!     Poisoned,
//! }
//! // its pin projection, the future type and its `Drop` (cancellation), then:
//! __ExampleFuture::new(__ExampleState::Start, move |mut __state, __cx| '__poll: loop {
//!     match __state.as_mut().project() {
//!         Start => { /* the body up to the first .await, then: */
//!             let __awaitee = IntoFuture::into_future(fetch());
//!             __state.set(Await0 { __awaitee: ManuallyDrop::new(__awaitee) });
//!             continue '__poll;
//!         }
//!         Await0(__awaitee) => {
//!             let __output = match __awaitee.poll(__cx) { Ready(v) => v, Pending => return Pending };
//!             __state.as_mut().take();
//!             let data = __output;
//!             let result = process(data);
//!             /* suspend at save(result).await into Await1 */
//!         }
//!         Await1(__awaitee) => { /* poll it; on Ready: */ return Ready(__output) }
//!         Done => panic!("`async fn` resumed after completion"),
//!         Poisoned => panic!("`async fn` resumed after panicking"),
//!     }
//! })
//! ```
//!
//! Each `AwaitN` holds the awaited future and only the locals that live
//! across that point, in drop order; a loop that awaits adds a `LoopN`
//! state and a branch that awaits, followed by more awaits, a `JoinN`
//! state, so that each piece of the body is written once. The modules say
//! how: `lower` (cutting the body), `analysis` (what each state
//! holds) and `codegen` (the code). The only `unsafe` is in the generated
//! pin projection and in-place drops, each with its reason beside it.
//!
//! # What it does not do yet
//!
//! Methods work (`self`, `&self`, `&mut self`, `self: Box<Self>`, in
//! inherent and trait impls): the receiver travels as `__self`. So does
//! `.await` inside the arguments of the `std` macros whose arguments are
//! expressions (`println!`, `format!`, `vec!`, `assert!`, `matches!`, ...).
//! Inside any other macro an `.await` is refused with an error saying what
//! to do, since its tokens may not be expressions:
//!
//! ```compile_fail
//! # async fn fetch() -> u32 { 1 }
//! #[desugar_macro::desugar]
//! async fn show() -> u32 {
//!     dbg!(fetch().await)
//! }
//! ```
//!
//! A local held across an `.await` stays in place in the pinned future, in
//! a slot of its own, as rustc keeps it; the borrows of one that something
//! alive across an `.await` borrows (`for x in &v`, `let tail =
//! &text[1..]`, a lock guard) are checked by rustc in a never-run native
//! copy of the body. An `async move` block may take such a local whole, but
//! not one of its fields, which its slot cannot give alone:
//!
//! ```compile_fail
//! # async fn tick() {}
//! struct Pair { left: Vec<u32>, right: Vec<u32> }
//! #[desugar_macro::desugar]
//! async fn hand_over() -> usize {
//!     let pair = Pair { left: vec![1, 2, 3], right: vec![4] };
//!     let view = &pair;
//!     tick().await;
//!     let n = view.right.len();
//!     n + async move { pair.left.len() }.await
//! }
//! ```
//!
//! And since the macro cannot see types, a local that is not kept in place
//! (used where only its type tells whether it moves), may have been moved
//! before an `.await` and is not used after it, is dropped at the
//! suspension point if it was not moved. The project README lists these
//! limits.
#![forbid(unsafe_code)]

mod analysis;
mod args;
mod codegen;
mod expand;
mod lower;
#[cfg(test)]
mod snapshots;
mod syntax;

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

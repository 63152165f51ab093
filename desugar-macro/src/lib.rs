//! The `#[desugar]` attribute (work in progress: passes the function through).
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Rewrites an `async fn` into an explicit state machine.
#[proc_macro_attribute]
pub fn desugar(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}

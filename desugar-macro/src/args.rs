//! The attribute's arguments: `#[desugar]`, `#[desugar(trace)]`, `#[desugar(local)]`.
//!
//! `trace` makes the generated `poll` print every state transition with
//! `::std::println!`, which is what the `tour` example uses to let a reader
//! watch the machine run. `local` is for a recursive function whose future
//! is not `Send` (see `codegen::recursion`). Anything else is an error at
//! the argument's span.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, Token};

/// What the attribute was asked to do besides the rewrite itself.
#[derive(Default)]
pub(crate) struct Args {
    /// Print each poll and state transition.
    pub(crate) trace: bool,
    /// The future need not be `Send`: a recursive call is boxed as
    /// `dyn Future` without `+ Send`, and the returned future does not
    /// promise `Send`.
    pub(crate) local: bool,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        for ident in Punctuated::<Ident, Token![,]>::parse_terminated(input)? {
            match ident.to_string().as_str() {
                "trace" if !args.trace => args.trace = true,
                "local" if !args.local => args.local = true,
                "trace" | "local" => {
                    return Err(syn::Error::new_spanned(
                        &ident,
                        format!("`{ident}` is given twice"),
                    ));
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        &ident,
                        format!(
                            "unknown argument `{ident}`: `#[desugar]` takes `trace`, `local`, or nothing"
                        ),
                    ));
                }
            }
        }
        Ok(args)
    }
}

/// Parses the tokens between the attribute's parentheses.
pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
    syn::parse2(tokens)
}

//! The attribute's arguments: `#[desugar]` or `#[desugar(trace)]`.
//!
//! `trace` makes the generated `poll` print every state transition with
//! `::std::println!`, which is what the `tour` example uses to let a reader
//! watch the machine run. Anything else is an error at the argument's span.

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, Token};

/// What the attribute was asked to do besides the rewrite itself.
#[derive(Default)]
pub(crate) struct Args {
    /// Print each poll and state transition.
    pub(crate) trace: bool,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        for ident in Punctuated::<Ident, Token![,]>::parse_terminated(input)? {
            match ident.to_string().as_str() {
                "trace" if !args.trace => args.trace = true,
                "trace" => return Err(syn::Error::new_spanned(ident, "`trace` is given twice")),
                _ => {
                    return Err(syn::Error::new_spanned(
                        &ident,
                        format!(
                            "unknown argument `{ident}`: `#[desugar]` takes no argument or `trace`"
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

//! `self` in the body of a method.
//!
//! The body runs inside a closure, where `self` cannot be a parameter, so
//! the receiver travels in the `Start` state as `__self` and every `self`
//! in the body (in expressions, closures and macro arguments) is renamed
//! to it, as `async-trait` does. `self::path` and `Self` are left alone,
//! and so are nested items, whose `self` is their own.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use syn::visit_mut::{self, VisitMut};

/// The name the receiver has in the generated body.
pub(crate) fn receiver_ident() -> Ident {
    Ident::new("__self", Span::mixed_site())
}

/// Renames `self` to `__self` in `body`.
pub(super) fn rename_self(body: &mut syn::Block) {
    RenameSelf.visit_block_mut(body);
}

struct RenameSelf;

impl VisitMut for RenameSelf {
    fn visit_expr_path_mut(&mut self, node: &mut syn::ExprPath) {
        if node.qself.is_none() && node.path.is_ident("self") {
            node.path.segments[0].ident = receiver_ident();
        }
        visit_mut::visit_expr_path_mut(self, node);
    }

    fn visit_macro_mut(&mut self, node: &mut syn::Macro) {
        node.tokens = rename_tokens(std::mem::take(&mut node.tokens));
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

fn rename_tokens(tokens: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        out.push(match token {
            TokenTree::Ident(ident) if ident == "self" => {
                let path =
                    matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                if path {
                    token.clone()
                } else {
                    TokenTree::Ident(receiver_ident())
                }
            }
            TokenTree::Group(group) => {
                let mut renamed =
                    proc_macro2::Group::new(group.delimiter(), rename_tokens(group.stream()));
                renamed.set_span(group.span());
                TokenTree::Group(renamed)
            }
            other => other.clone(),
        });
    }
    out.into_iter().collect()
}

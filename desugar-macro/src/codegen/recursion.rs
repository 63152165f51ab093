//! Recursion: an `async fn` that awaits a boxed call of itself.
//!
//! rustc accepts `Box::pin(countdown(n - 1)).await` in an `async fn`: the
//! box breaks the cycle in the future's layout. Here it is not enough: the
//! state enum is generic over the types of the futures it awaits, so the
//! future of `countdown` would hold `Pin<Box<the future of countdown>>`,
//! a type that contains itself, which rustc rejects (E0720). So the boxed
//! recursive future is stored as `Pin<Box<dyn Future<Output = _> + Send>>`,
//! which names no opaque type, and the function promises that its future
//! is `Send` (`-> impl Future<Output = T> + Send`), which the coercion to
//! `dyn ... + Send` needs to know without looking into the function.
//!
//! The box is `dyn Future + Send`, so a recursive future is never `Sync`
//! (rustc's is, when what it holds is): a difference the README lists.
//!
//! A recursive function whose future is not `Send` says so with
//! `#[desugar(local)]`: the box is then `dyn Future` without `Send`, and the
//! future promises nothing. A recursive call that is not boxed fails to
//! compile, as in rustc.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{ToTokens, quote};

/// Whether `operand` calls the function named `function` (as `name(..)`,
/// `Self::name(..)` or `receiver.name(..)`).
pub(super) fn calls_itself(operand: &syn::Expr, function: &Ident) -> bool {
    fn find(tokens: TokenStream, function: &Ident) -> bool {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        tokens.iter().enumerate().any(|(i, token)| match token {
            TokenTree::Ident(ident) => {
                ident == function
                    && matches!(tokens.get(i + 1), Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis)
            }
            TokenTree::Group(group) => find(group.stream(), function),
            _ => false,
        })
    }
    find(operand.to_token_stream(), function)
}

/// Whether an `.await` of the body awaits an unboxed call of the function
/// itself: a future of infinite size. rustc explains that best (E0733), so
/// the attribute then leaves the function as it is, for rustc to refuse.
pub(crate) fn has_unboxed_recursion(body: &syn::Block, function: &Ident) -> bool {
    any_await(body, |operand| {
        calls_itself(operand, function) && !is_boxed(operand)
    })
}

/// Whether an `.await` of the body awaits a call of the function itself.
pub(super) fn is_recursive(body: &syn::Block, function: &Ident) -> bool {
    any_await(body, |operand| calls_itself(operand, function))
}

/// Whether the operand of some `.await` of the body (not of a closure or
/// `async` block in it) satisfies `test`.
fn any_await(body: &syn::Block, test: impl Fn(&syn::Expr) -> bool) -> bool {
    struct Finder<T> {
        test: T,
        found: bool,
    }
    impl<'ast, T: Fn(&syn::Expr) -> bool> syn::visit::Visit<'ast> for Finder<T> {
        fn visit_expr_await(&mut self, node: &'ast syn::ExprAwait) {
            self.found |= (self.test)(&node.base);
            syn::visit::visit_expr_await(self, node);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder { test, found: false };
    syn::visit::Visit::visit_block(&mut finder, body);
    finder.found
}

/// Whether `operand` is `Box::pin(..)`.
fn is_boxed(operand: &syn::Expr) -> bool {
    match operand {
        syn::Expr::Call(call) => matches!(&*call.func, syn::Expr::Path(path)
            if path.path.segments.len() >= 2
                && path.path.segments.iter().rev().nth(1).is_some_and(|s| s.ident == "Box")
                && path.path.segments.last().is_some_and(|s| s.ident == "pin")),
        syn::Expr::Paren(paren) => is_boxed(&paren.expr),
        _ => false,
    }
}

/// The type a boxed recursive future is stored as.
pub(super) fn erased_type(local: bool) -> TokenStream {
    let send = if local {
        quote!()
    } else {
        quote!(+ ::core::marker::Send)
    };
    quote! {
        ::core::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = _> #send + '_>>
    }
}

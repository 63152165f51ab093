//! Small read-only walks over a body that stop at the borders of other
//! futures: closures, `async` blocks and nested items.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// Whether `node` contains an `.await` of this function (not one inside a
/// closure or an `async` block).
pub(crate) fn contains_await(node: &syn::Expr) -> bool {
    let mut found = false;
    for_each_await_in(|v| v.visit_expr(node), &mut |_| found = true);
    found
}

/// Whether the block contains an `.await` of this function.
pub(crate) fn block_contains_await(node: &syn::Block) -> bool {
    let mut found = false;
    for_each_await_in(|v| v.visit_block(node), &mut |_| found = true);
    found
}

/// Whether `stmt` may contain an `.await`, inside macro arguments too: a
/// look at its tokens, so it also counts the awaits of closures and
/// `async` blocks. For questions where saying yes wrongly costs nothing.
pub(crate) fn stmt_contains_await(stmt: &syn::Stmt) -> bool {
    find_await_token(quote::ToTokens::to_token_stream(stmt)).is_some()
}

/// The span of an `.await` among tokens (a macro's arguments), if any.
pub(crate) fn find_await_token(tokens: TokenStream) -> Option<Span> {
    let mut after_dot = false;
    for token in tokens {
        match token {
            TokenTree::Ident(ident) if after_dot && ident == "await" => return Some(ident.span()),
            TokenTree::Group(group) => {
                if let Some(span) = find_await_token(group.stream()) {
                    return Some(span);
                }
                after_dot = false;
            }
            TokenTree::Punct(punct) => after_dot = punct.as_char() == '.',
            _ => after_dot = false,
        }
    }
    None
}

/// Whether the body uses `?` outside closures and async blocks.
pub(crate) fn contains_try(node: &syn::Block) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_try(&mut self, node: &'ast syn::ExprTry) {
            self.0 = true;
            visit::visit_expr_try(self, node);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(false);
    finder.visit_block(node);
    finder.0
}

struct AwaitFinder<'f> {
    f: &'f mut dyn FnMut(&syn::ExprAwait),
}

fn for_each_await_in(walk: impl FnOnce(&mut AwaitFinder<'_>), f: &mut dyn FnMut(&syn::ExprAwait)) {
    walk(&mut AwaitFinder { f });
}

impl<'ast> Visit<'ast> for AwaitFinder<'_> {
    fn visit_expr_await(&mut self, node: &'ast syn::ExprAwait) {
        visit::visit_expr_await(self, node);
        (self.f)(node);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

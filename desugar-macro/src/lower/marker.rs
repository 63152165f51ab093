//! Numbering the await points.
//!
//! Each `.await` of the function gets a number in evaluation order; state
//! `AwaitN` is the one suspended at await point `N`. The number travels on
//! the expression itself as an inert attribute, `#[__desugar_await(N)]`, so
//! that it survives the cloning the code generator does; the generator
//! removes it again when it replaces the `.await`.

use proc_macro2::Span;
use quote::ToTokens;
use syn::visit_mut::{self, VisitMut};

use super::AwaitPoint;
use super::text::source_text;

const MARKER: &str = "__desugar_await";

/// Tags every await point of `body` with its number and describes each.
pub(super) fn number_awaits(body: &mut syn::Block) -> Vec<AwaitPoint> {
    let mut numberer = Numberer { points: Vec::new() };
    numberer.visit_block_mut(body);
    numberer.points
}

/// The number of an await point, if `node` is one of this function's.
pub(crate) fn await_index(node: &syn::ExprAwait) -> Option<usize> {
    node.attrs.iter().find_map(|attr| {
        if !attr.path().is_ident(MARKER) {
            return None;
        }
        attr.parse_args::<syn::LitInt>().ok()?.base10_parse().ok()
    })
}

/// Removes the number from an await point the generator has consumed.
pub(crate) fn strip_marker(attrs: &mut Vec<syn::Attribute>) {
    attrs.retain(|attr| !attr.path().is_ident(MARKER));
}

/// Removes the numbers of the await points in an expression.
struct Unmarked;

impl VisitMut for Unmarked {
    fn visit_expr_await_mut(&mut self, node: &mut syn::ExprAwait) {
        strip_marker(&mut node.attrs);
        visit_mut::visit_expr_await_mut(self, node);
    }
}

struct Numberer {
    points: Vec<AwaitPoint>,
}

impl VisitMut for Numberer {
    fn visit_expr_await_mut(&mut self, node: &mut syn::ExprAwait) {
        // The operand runs first, so awaits inside it come first.
        visit_mut::visit_expr_await_mut(self, node);
        let index = self.points.len();
        let marker = syn::LitInt::new(&index.to_string(), Span::call_site());
        node.attrs
            .push(syn::parse_quote!(#[__desugar_await(#marker)]));
        let start = node.await_token.span.start().line;
        // The awaits inside it were numbered just before: not in its text.
        let mut base = (*node.base).clone();
        Unmarked.visit_expr_mut(&mut base);
        self.points.push(AwaitPoint {
            source: format!("{}.await", source_text(base.to_token_stream())),
            line: (start > 0).then_some(start),
            span: node.await_token.span,
        });
    }
    fn visit_expr_assign_mut(&mut self, node: &mut syn::ExprAssign) {
        // The right-hand side is evaluated before the place it is stored in.
        self.visit_expr_mut(&mut node.right);
        self.visit_expr_mut(&mut node.left);
    }
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_expr_async_mut(&mut self, _: &mut syn::ExprAsync) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

#[cfg(test)]
mod tests {
    use super::number_awaits;

    #[test]
    fn an_await_point_is_documented_as_written_with_the_awaits_inside_it() {
        let mut body: syn::Block = syn::parse_quote!({
            f(g().await).await;
        });
        let points = number_awaits(&mut body);
        assert_eq!(points[0].source, "g().await");
        assert_eq!(points[1].source, "f(g().await).await");
    }
}

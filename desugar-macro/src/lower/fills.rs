//! Where a pattern's bindings will be moved into their slots: placeholders.
//!
//! A local that a pattern binds (`let (a, b) = ..`, a `match` arm, `if let`,
//! `while let`, a `for` loop's pattern) and that is kept in place is moved
//! into its slot where its scope begins (see `codegen::pinned`): just after
//! the `let`, or first thing in the block the pattern guards. Which locals
//! are kept in place is only known after the analysis, and the analysis
//! knows scopes by the address of their block in the lowered body: adding
//! a statement to a block then would shift the statements after it, and
//! move the blocks inside them. So lowering puts an inert statement,
//! `__desugar_fills!();`, at each such place now; the code generator
//! replaces it where it is with the fills it needs, and leaves out the ones
//! it does not.

use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Pat, Stmt};

const PLACEHOLDER: &str = "__desugar_fills";

/// Puts a placeholder wherever pattern bindings may be filled.
pub(super) fn mark(body: &mut Block) {
    Marker.visit_block_mut(body);
}

/// Whether `stmt` is a placeholder.
pub(crate) fn is_placeholder(stmt: &Stmt) -> bool {
    matches!(stmt, Stmt::Macro(stmt) if stmt.mac.path.is_ident(PLACEHOLDER))
}

fn placeholder() -> Stmt {
    syn::parse_quote!(__desugar_fills!();)
}

/// Whether a pattern binds a name (anything but a plain `x`, which a `let`
/// fills where it stands).
fn binds(pat: &Pat) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_pat_ident(&mut self, _: &'ast syn::PatIdent) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_pat(&mut finder, pat);
    finder.0
}

/// Whether a condition binds with a `let` (`if let`, a `let` chain).
fn condition_binds(cond: &Expr) -> bool {
    match cond {
        Expr::Let(e) => binds(&e.pat),
        Expr::Binary(e) if matches!(e.op, syn::BinOp::And(_)) => {
            condition_binds(&e.left) || condition_binds(&e.right)
        }
        Expr::Paren(e) => condition_binds(&e.expr),
        _ => false,
    }
}

struct Marker;

impl VisitMut for Marker {
    fn visit_block_mut(&mut self, block: &mut Block) {
        visit_mut::visit_block_mut(self, block);
        let mut stmts = Vec::with_capacity(block.stmts.len());
        for stmt in std::mem::take(&mut block.stmts) {
            let destructures = matches!(&stmt, Stmt::Local(local)
                if !matches!(&local.pat, Pat::Ident(_))
                    && !matches!(&local.pat, Pat::Type(t) if matches!(&*t.pat, Pat::Ident(_)))
                    && binds(&local.pat));
            stmts.push(stmt);
            if destructures {
                stmts.push(placeholder());
            }
        }
        block.stmts = stmts;
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        visit_mut::visit_arm_mut(self, arm);
        if binds(&arm.pat)
            && let Expr::Block(body) = &mut *arm.body
            && body.label.is_none()
        {
            body.block.stmts.insert(0, placeholder());
        }
    }

    fn visit_expr_if_mut(&mut self, node: &mut syn::ExprIf) {
        visit_mut::visit_expr_if_mut(self, node);
        if condition_binds(&node.cond) {
            node.then_branch.stmts.insert(0, placeholder());
        }
    }

    fn visit_expr_while_mut(&mut self, node: &mut syn::ExprWhile) {
        visit_mut::visit_expr_while_mut(self, node);
        if condition_binds(&node.cond) {
            node.body.stmts.insert(0, placeholder());
        }
    }

    fn visit_expr_for_loop_mut(&mut self, node: &mut syn::ExprForLoop) {
        visit_mut::visit_expr_for_loop_mut(self, node);
        if binds(&node.pat) {
            node.body.stmts.insert(0, placeholder());
        }
    }

    // Their own futures, and their own items.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_expr_async_mut(&mut self, _: &mut syn::ExprAsync) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

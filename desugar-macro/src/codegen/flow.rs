//! Questions about control flow in generated code: does this expression
//! ever finish normally, does anything break out of this loop or block.
//!
//! The generator uses the answers to stop writing a block after a
//! statement that suspends or returns on every path, so that an arm of the
//! generated `poll` ends where control really leaves it, as hand-written
//! code would. Every answer errs towards "it may finish", which only costs
//! an unreachable line.

use crate::syntax::operands;
use syn::visit::{self, Visit};
use syn::{Expr, Stmt};

/// Whether control never reaches the point just after `stmt`.
pub(super) fn stmt_diverges(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Local(local) => local.init.as_ref().is_some_and(|init| diverges(&init.expr)),
        Stmt::Expr(expr, _) => diverges(expr),
        Stmt::Item(_) | Stmt::Macro(_) => false,
    }
}

/// Whether control never reaches the point just after `stmts`.
pub(super) fn stmts_diverge(stmts: &[Stmt]) -> bool {
    stmts.iter().any(stmt_diverges)
}

/// Whether control never reaches the point just after `expr`.
pub(super) fn diverges(expr: &Expr) -> bool {
    match expr {
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => true,
        Expr::Block(block) => match &block.label {
            Some(label) => {
                stmts_diverge(&block.block.stmts)
                    && !breaks_to(&block.block.stmts, Some(&label.name))
            }
            None => stmts_diverge(&block.block.stmts),
        },
        Expr::Unsafe(block) => stmts_diverge(&block.block.stmts),
        Expr::Loop(l) => {
            let label = l.label.as_ref().map(|label| &label.name);
            !breaks_to(&l.body.stmts, label) && !breaks_unlabeled(&l.body.stmts)
        }
        Expr::If(e) => {
            diverges(&e.cond)
                || (stmts_diverge(&e.then_branch.stmts)
                    && e.else_branch
                        .as_ref()
                        .is_some_and(|(_, branch)| diverges(branch)))
        }
        Expr::Match(m) => {
            diverges(&m.expr)
                || (!m.arms.is_empty() && m.arms.iter().all(|arm| diverges(&arm.body)))
        }
        Expr::While(w) => diverges(&w.cond),
        Expr::ForLoop(f) => diverges(&f.expr),
        // `unreachable!()` and friends never return (the generator writes
        // `unreachable!()` for a branch that cannot run).
        Expr::Macro(m) => m.mac.path.segments.last().is_some_and(|segment| {
            ["unreachable", "panic", "todo", "unimplemented"]
                .iter()
                .any(|name| segment.ident == name)
        }),
        Expr::Closure(_) | Expr::Async(_) => false,
        Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
            diverges(&b.left)
        }
        other => operands(other).into_iter().any(diverges),
    }
}

/// Whether a `break 'label` (or, with `None`, nothing) targets the
/// construct whose body is `stmts`.
pub(super) fn breaks_to(stmts: &[Stmt], label: Option<&syn::Lifetime>) -> bool {
    let Some(label) = label else { return false };
    struct Finder<'l> {
        label: &'l syn::Lifetime,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_expr_break(&mut self, node: &'ast syn::ExprBreak) {
            self.found |= node.label.as_ref() == Some(self.label);
            visit::visit_expr_break(self, node);
        }
        fn visit_expr_continue(&mut self, node: &'ast syn::ExprContinue) {
            self.found |= node.label.as_ref() == Some(self.label);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder {
        label,
        found: false,
    };
    stmts.iter().for_each(|stmt| finder.visit_stmt(stmt));
    finder.found
}

/// Whether an unlabeled `break` in `stmts` targets the loop around them.
fn breaks_unlabeled(stmts: &[Stmt]) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_break(&mut self, node: &'ast syn::ExprBreak) {
            self.0 |= node.label.is_none();
            visit::visit_expr_break(self, node);
        }
        // Breaks in nested loops are theirs.
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
        fn visit_expr_while(&mut self, node: &'ast syn::ExprWhile) {
            self.visit_expr(&node.cond);
        }
        fn visit_expr_for_loop(&mut self, node: &'ast syn::ExprForLoop) {
            self.visit_expr(&node.expr);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(false);
    stmts.iter().for_each(|stmt| finder.visit_stmt(stmt));
    finder.0
}

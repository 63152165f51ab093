//! Forward emission: the body written as it runs, from a point on.
//!
//! Code after a point is written as the user wrote it, with the rewrites
//! every arm needs: an `.await` becomes a suspension, `return` and `?`
//! leave the function, a `break` or `continue` out of a re-entered loop
//! goes to its label, a loop that awaits goes to its `LoopN` state and a
//! shared branch to its `BranchN` state. Writing stops at the first
//! statement after which control never continues (see `flow`).

use proc_macro2::{Span, TokenStream};
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Stmt};

use super::flow::stmt_diverges;
use super::resume::{Emitter, LoopContext};
use super::tidy::{prune_let, terminate};
use crate::lower::{branch_index, construct_attrs, loop_index};

impl Emitter<'_> {
    // --- Forward: code written as it runs from the start ---

    pub(super) fn forward_stmt_owned(&mut self, stmt: &Stmt) -> Stmt {
        let mut stmt = stmt.clone();
        self.visit_stmt_mut(&mut stmt);
        prune_let(stmt)
    }

    /// Statements written forward, up to the first that diverges.
    pub(super) fn forward_rest(&mut self, stmts: &[Stmt], out: &mut Vec<Stmt>) {
        for (i, stmt) in stmts.iter().enumerate() {
            let stmt = terminate(self.forward_stmt_owned(stmt), i + 1 == stmts.len());
            let done = stmt_diverges(&stmt);
            out.push(stmt);
            if done {
                break;
            }
        }
    }

    pub(super) fn forward_block(&mut self, block: &Block) -> Block {
        let mut out = Vec::new();
        self.forward_rest(&block.stmts, &mut out);
        Block {
            brace_token: block.brace_token,
            stmts: out,
        }
    }

    /// Refuses `?` and `return` hidden in macro arguments, which would
    /// leave the generated closure instead of the function.
    pub(super) fn check_macro(&mut self, mac: &syn::Macro) {
        pub(super) fn find(tokens: TokenStream) -> Option<(Span, &'static str)> {
            for token in tokens {
                match token {
                    proc_macro2::TokenTree::Punct(p) if p.as_char() == '?' => {
                        return Some((p.span(), "`?`"));
                    }
                    proc_macro2::TokenTree::Ident(i) if i == "return" => {
                        return Some((i.span(), "`return`"));
                    }
                    proc_macro2::TokenTree::Group(g) => {
                        if let Some(found) = find(g.stream()) {
                            return Some(found);
                        }
                    }
                    _ => {}
                }
            }
            None
        }
        if let Some((span, what)) = find(mac.tokens.clone()) {
            self.error(syn::Error::new(
                span,
                format!(
                    "`#[desugar]` does not support {what} inside a macro call yet: compute the value \
                     into a local before the macro"
                ),
            ));
        }
    }
}

impl VisitMut for Emitter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        // Entering a loop that awaits: its body is written in its own state.
        if let Some(n) = construct_attrs(expr).and_then(|attrs| loop_index(attrs)) {
            *expr = self.goto_loop(n);
            return;
        }
        // A shared branch is written in its own state: here, go there.
        if construct_attrs(expr)
            .and_then(|attrs| branch_index(attrs))
            .is_some()
        {
            self.share_branch(expr);
            match expr {
                Expr::If(e) => {
                    self.visit_expr_mut(&mut e.cond);
                    self.visit_block_mut(&mut e.then_branch);
                }
                Expr::Binary(e) => self.visit_expr_mut(&mut e.left),
                _ => {}
            }
            let node = std::mem::replace(expr, Expr::Verbatim(TokenStream::new()));
            *expr = self.finish(node);
            return;
        }
        match expr {
            // Bodies of other futures and of constants are theirs.
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => return,
            Expr::Loop(e) => {
                self.loops.push(LoopContext {
                    label: e.label.as_ref().map(|l| l.name.clone()),
                    reentered: None,
                });
                self.visit_block_mut(&mut e.body);
                self.loops.pop();
            }
            Expr::While(e) => {
                self.loops.push(LoopContext {
                    label: e.label.as_ref().map(|l| l.name.clone()),
                    reentered: None,
                });
                self.visit_expr_mut(&mut e.cond);
                self.visit_block_mut(&mut e.body);
                self.loops.pop();
            }
            Expr::ForLoop(e) => {
                self.visit_expr_mut(&mut e.expr);
                self.loops.push(LoopContext {
                    label: e.label.as_ref().map(|l| l.name.clone()),
                    reentered: None,
                });
                self.visit_block_mut(&mut e.body);
                self.loops.pop();
            }
            Expr::Macro(e) => {
                let mac = e.mac.clone();
                self.check_macro(&mac);
                return;
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
        let node = std::mem::replace(expr, Expr::Verbatim(TokenStream::new()));
        *expr = self.finish(node);
    }

    fn visit_block_mut(&mut self, block: &mut Block) {
        let stmts = std::mem::take(&mut block.stmts);
        let count = stmts.len();
        let mut out = Vec::new();
        for (i, mut stmt) in stmts.into_iter().enumerate() {
            self.visit_stmt_mut(&mut stmt);
            let stmt = terminate(prune_let(stmt), i + 1 == count);
            let done = stmt_diverges(&stmt);
            out.push(stmt);
            if done {
                break;
            }
        }
        block.stmts = out;
    }

    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        if let Stmt::Macro(m) = stmt {
            let mac = m.mac.clone();
            self.check_macro(&mac);
            return;
        }
        visit_mut::visit_stmt_mut(self, stmt);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

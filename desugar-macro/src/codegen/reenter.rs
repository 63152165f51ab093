//! Re-entry: the body rebuilt around the hole a point leaves.
//!
//! The arm of a state re-enters the body at its point: the enclosing
//! blocks re-declare the locals the state held, an expression keeps the
//! operands evaluated after the hole, an `if` or `match` keeps only the
//! branch that was taken, and a loop becomes `'brk: { 'cont: { rest of
//! the body } goto LoopN }` (see `resume` for the whole table). Past the
//! hole, code is written forward (see `forward`).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, Lifetime, Stmt};

use super::flow::{diverges, stmt_diverges};
use super::resume::{Emitter, LoopContext, hidden};
use super::tidy::{block_expr, mentions, prune_let, strip_unused_label, terminate};
use crate::analysis::{PointKind, Scope};
use crate::lower::{
    await_index, branch_index, construct_attrs, construct_attrs_mut, join_index, loop_index,
};
use crate::syntax::{operands, operands_mut};

impl Emitter<'_> {
    // --- Re-entry at await point `k` ---

    /// Re-declares the locals of `scope` that the state held, in
    /// declaration order, so they drop where they would have.
    pub(super) fn restores(&self, target: PointKind, scope: Scope) -> Vec<Stmt> {
        let point = &self.analysis.points[self.analysis.point(target)];
        let in_scope = |b: &&usize| self.analysis.bindings[**b].scope == scope;
        let mut restores: Vec<Stmt> = Vec::new();
        if scope != Scope::Top {
            restores.extend(
                point
                    .carried
                    .iter()
                    .rev()
                    .filter(in_scope)
                    .map(|&b| -> Stmt {
                        let binding = &self.analysis.bindings[b];
                        let ident = &binding.ident;
                        let mutability = binding.mutable.then(|| quote!(mut));
                        syn::parse_quote!(let #mutability #ident = #ident;)
                    }),
            );
        }
        // Declared with `let x;` and assigned only after this point.
        restores.extend(point.unassigned.iter().filter(in_scope).map(|&b| -> Stmt {
            let binding = &self.analysis.bindings[b];
            let ident = &binding.ident;
            let mutability = binding.mutable.then(|| quote!(mut));
            syn::parse_quote!(let #mutability #ident;)
        }));
        restores
    }

    /// A block re-entered at `k`.
    pub(super) fn resume_stmts(&mut self, block: &Block, k: PointKind, scope: Scope) -> Vec<Stmt> {
        let mut out = self.restores(k, scope);
        let Some(i) = block.stmts.iter().position(|stmt| stmt_contains(stmt, k)) else {
            return out;
        };
        let resumed = terminate(
            prune_let(self.resume_stmt(&block.stmts[i], k)),
            i + 1 == block.stmts.len(),
        );
        let done = stmt_diverges(&resumed);
        out.push(resumed);
        if !done {
            self.forward_rest(&block.stmts[i + 1..], &mut out);
        }
        out
    }

    pub(super) fn resume_block(&mut self, block: &Block, k: PointKind, scope: Scope) -> Block {
        Block {
            brace_token: block.brace_token,
            stmts: self.resume_stmts(block, k, scope),
        }
    }

    pub(super) fn resume_stmt(&mut self, stmt: &Stmt, k: PointKind) -> Stmt {
        match stmt {
            Stmt::Local(local) => {
                let init = local
                    .init
                    .as_ref()
                    .expect("a `let` with an await has an initializer");
                let mut resumed = local.clone();
                let resumed_init = resumed.init.as_mut().expect("cloned");
                if contains_point(&init.expr, k) {
                    *resumed_init.expr = self.resume_expr(&init.expr, k);
                    if !binds_whole(&local.pat) {
                        // `let Acc { n, .. } = x.await;` binds from a
                        // temporary, dropped at the end of the `let`.
                        let output = std::mem::replace(&mut *resumed_init.expr, Expr::PLACEHOLDER);
                        *resumed_init.expr = as_value(output);
                    }
                    if let Some((_, diverge)) = &mut resumed_init.diverge {
                        self.visit_expr_mut(diverge);
                    }
                    Stmt::Local(resumed)
                } else {
                    // Suspended in the `else` of a `let .. else`, which diverges.
                    let (_, diverge) = init.diverge.as_ref().expect("the await is in the `else`");
                    Stmt::Expr(self.resume_expr(diverge, k), Some(Default::default()))
                }
            }
            Stmt::Expr(expr, semi) => Stmt::Expr(self.resume_expr(expr, k), *semi),
            Stmt::Item(_) | Stmt::Macro(_) => {
                unreachable!("lowering refuses awaits in items and macros")
            }
        }
    }

    /// `expr`, re-entered at point `k`, which it contains.
    pub(super) fn resume_expr(&mut self, expr: &Expr, k: PointKind) -> Expr {
        if is_point(expr, k) {
            return match k {
                // The top of a loop: the loop itself, written out.
                PointKind::Loop(_) => {
                    let mut real = expr.clone();
                    if let Some(attrs) = construct_attrs_mut(&mut real) {
                        attrs.retain(|attr| !attr.path().is_ident("__desugar_loop"));
                    }
                    self.visit_expr_mut(&mut real);
                    real
                }
                // The hole: the awaited output, or the joined value.
                PointKind::Await(_) | PointKind::Join(_) => {
                    let output = hidden("__output");
                    syn::parse_quote!(#output)
                }
                // The shared branch: the construct is now that branch.
                PointKind::Branch(_) => {
                    let mut region = match expr {
                        Expr::If(e) => *e.else_branch.as_ref().expect("a shared `else`").1.clone(),
                        Expr::Binary(e) => *e.right.clone(),
                        _ => unreachable!("only `if` and `&&` / `||` have shared branches"),
                    };
                    self.visit_expr_mut(&mut region);
                    match construct_attrs(expr).and_then(|attrs| join_index(attrs)) {
                        Some(n) => self.join(n, region),
                        None => region,
                    }
                }
            };
        }
        let resumed = self.resume_inner(expr, k);
        match construct_attrs(expr).and_then(|attrs| join_index(attrs)) {
            Some(n) => self.join(n, resumed),
            None => resumed,
        }
    }

    pub(super) fn resume_inner(&mut self, expr: &Expr, k: PointKind) -> Expr {
        match expr {
            Expr::Block(e) => {
                let block = self.resume_block(&e.block, k, Scope::of(&e.block));
                let label = e.label.clone();
                let mut resumed = Expr::Block(syn::ExprBlock {
                    attrs: e.attrs.clone(),
                    label,
                    block,
                });
                strip_unused_label(&mut resumed);
                resumed
            }
            Expr::Unsafe(e) => {
                let block = self.resume_block(&e.block, k, Scope::of(&e.block));
                Expr::Unsafe(syn::ExprUnsafe {
                    attrs: e.attrs.clone(),
                    unsafe_token: e.unsafe_token,
                    block,
                })
            }
            Expr::If(e) => {
                if contains_point(&e.cond, k) {
                    // The bindings of a `let` chain the condition already
                    // passed are re-declared before what is left of it.
                    let restores = self.restores(k, Scope::of(&e.then_branch));
                    let mut resumed = e.clone();
                    *resumed.cond = self.resume_expr(&e.cond, k);
                    resumed.then_branch = self.forward_block(&e.then_branch);
                    if branch_index(&e.attrs).is_some() {
                        let mut node = Expr::If(resumed);
                        self.share_branch(&mut node);
                        let Expr::If(shared) = node else {
                            unreachable!()
                        };
                        resumed = shared;
                    } else if let Some((_, branch)) = &mut resumed.else_branch {
                        self.visit_expr_mut(branch);
                    }
                    // A binding the chain made is dropped before `else` runs.
                    if let Some((_, branch)) = &mut resumed.else_branch {
                        let cond = resumed.cond.to_token_stream();
                        let drops: Vec<Stmt> = restores
                            .iter()
                            .rev()
                            .filter_map(|stmt| match stmt {
                                Stmt::Local(local) => match &local.pat {
                                    syn::Pat::Ident(ident) => Some(ident.ident.clone()),
                                    _ => None,
                                },
                                _ => None,
                            })
                            .filter(|ident| !mentions(cond.clone(), ident))
                            .map(|ident| syn::parse_quote!(::core::mem::drop(#ident);))
                            .collect();
                        if !drops.is_empty() {
                            let otherwise = std::mem::replace(
                                &mut **branch,
                                Expr::Verbatim(TokenStream::new()),
                            );
                            let mut stmts = drops;
                            stmts.push(Stmt::Expr(otherwise, None));
                            **branch = block_expr(Block {
                                brace_token: Default::default(),
                                stmts,
                            });
                        }
                    }
                    let resumed = self.finish_node(Expr::If(resumed));
                    if restores.is_empty() {
                        resumed
                    } else {
                        let mut stmts = restores;
                        stmts.push(Stmt::Expr(resumed, None));
                        block_expr(Block {
                            brace_token: Default::default(),
                            stmts,
                        })
                    }
                } else if block_contains_point(&e.then_branch, k) {
                    let block = self.resume_block(&e.then_branch, k, Scope::of(&e.then_branch));
                    block_expr(block)
                } else {
                    let (_, branch) = e.else_branch.as_ref().expect("the await is in the `else`");
                    self.resume_expr(branch, k)
                }
            }
            Expr::Match(e) => {
                if contains_point(&e.expr, k) {
                    let mut resumed = e.clone();
                    *resumed.expr = as_value(self.resume_expr(&e.expr, k));
                    for arm in &mut resumed.arms {
                        self.visit_expr_mut(&mut arm.body);
                    }
                    Expr::Match(resumed)
                } else {
                    let arm = e
                        .arms
                        .iter()
                        .find(|arm| contains_point(&arm.body, k))
                        .expect("an arm awaits");
                    let mut stmts = self.restores(k, Scope::of(arm));
                    stmts.push(Stmt::Expr(self.resume_expr(&arm.body, k), None));
                    block_expr(Block {
                        brace_token: Default::default(),
                        stmts,
                    })
                }
            }
            Expr::Loop(e) => {
                let (brk, cont) = self.fresh_labels();
                let label = e.label.as_ref().map(|l| l.name.clone());
                self.loops.push(LoopContext {
                    label,
                    reentered: Some((brk.clone(), cont.clone())),
                });
                let rest = self.resume_stmts(&e.body, k, Scope::of(&e.body));
                self.loops.pop();
                self.reentered_loop(brk, cont, Vec::new(), rest, expr)
            }
            Expr::While(e) => {
                let (brk, cont) = self.fresh_labels();
                let label = e.label.as_ref().map(|l| l.name.clone());
                self.loops.push(LoopContext {
                    label,
                    reentered: Some((brk.clone(), cont.clone())),
                });
                if contains_point(&e.cond, k) {
                    // Re-entered in the condition: test it once, then loop.
                    // The bindings of a `let` chain the condition already
                    // passed are declared again around that test, and dropped
                    // at its end, before the loop goes on.
                    let restores = self.restores(k, Scope::of(&e.body));
                    let cond = self.resume_expr(&e.cond, k);
                    let body = self.forward_block(&e.body);
                    let test: Stmt = if restores.is_empty() {
                        syn::parse_quote! {
                            if #cond { #cont: #body } else { break #brk; }
                        }
                    } else {
                        syn::parse_quote! {
                            {
                                #(#restores)*
                                if #cond { #cont: #body } else { break #brk; }
                            }
                        }
                    };
                    self.loops.pop();
                    self.reentered_loop(brk, cont, vec![test], Vec::new(), expr)
                } else {
                    let rest = self.resume_stmts(&e.body, k, Scope::of(&e.body));
                    self.loops.pop();
                    self.reentered_loop(brk, cont, Vec::new(), rest, expr)
                }
            }
            Expr::ForLoop(e) => {
                // Lowering desugared every `for` whose body awaits: the
                // await point is in the iterated expression.
                let mut resumed = e.clone();
                *resumed.expr = self.resume_expr(&e.expr, k);
                self.loops.push(LoopContext {
                    label: e.label.as_ref().map(|l| l.name.clone()),
                    reentered: None,
                });
                self.visit_block_mut(&mut resumed.body);
                self.loops.pop();
                Expr::ForLoop(resumed)
            }
            Expr::Binary(e) if matches!(e.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
                if contains_point(&e.left, k) {
                    let mut resumed = e.clone();
                    *resumed.left = self.resume_expr(&e.left, k);
                    let mut node = Expr::Binary(resumed);
                    if branch_index(&e.attrs).is_some() {
                        self.share_branch(&mut node);
                    } else if let Expr::Binary(b) = &mut node {
                        self.visit_expr_mut(&mut b.right);
                    }
                    self.finish_node(node)
                } else {
                    // The left operand let the right one run: the result is the right one's.
                    self.resume_expr(&e.right, k)
                }
            }
            other => {
                let mut resumed = other.clone();
                let place = place_operand(other);
                let originals = operands(other);
                let targets = operands_mut(&mut resumed);
                for (index, (original, target)) in originals.into_iter().zip(targets).enumerate() {
                    if contains_point(original, k) {
                        let value = self.resume_expr(original, k);
                        *target = if place == Some(index) {
                            as_value(value)
                        } else {
                            value
                        };
                    } else {
                        self.visit_expr_mut(target);
                    }
                }
                self.finish(resumed)
            }
        }
    }

    /// `'brk: { before; 'cont: { rest } loop_again }`, trimmed of what is
    /// unreachable and of labels nothing uses.
    pub(super) fn reentered_loop(
        &mut self,
        brk: Lifetime,
        cont: Lifetime,
        before: Vec<Stmt>,
        rest: Vec<Stmt>,
        original: &Expr,
    ) -> Expr {
        let mut stmts = before;
        let rest_block = Block {
            brace_token: Default::default(),
            stmts: rest,
        };
        let mut reaches_copy = !stmts.iter().any(stmt_diverges);
        if !rest_block.stmts.is_empty() {
            let uses_cont = super::flow::breaks_to(&rest_block.stmts, Some(&cont));
            let rest_expr: Expr = if uses_cont {
                syn::parse_quote!(#cont: #rest_block)
            } else {
                block_expr(rest_block)
            };
            reaches_copy &= !diverges(&rest_expr);
            stmts.push(Stmt::Expr(rest_expr, None));
        }
        if reaches_copy {
            let again = if self.lowered.in_place {
                // Polled in place: the loop is written again, here.
                let mut copy = original.clone();
                self.visit_expr_mut(&mut copy);
                copy
            } else {
                let head = construct_attrs(original)
                    .and_then(|attrs| loop_index(attrs))
                    .expect("a loop that awaits has a head");
                self.goto_loop(head)
            };
            stmts.push(Stmt::Expr(again, None));
        }
        let block = Block {
            brace_token: Default::default(),
            stmts,
        };
        if super::flow::breaks_to(&block.stmts, Some(&brk)) {
            syn::parse_quote!(#brk: #block)
        } else {
            block_expr(block)
        }
    }
}

/// The output of an `.await` used where a place is expected (a `match`
/// scrutinee, a method receiver, a borrow) is a temporary, not a local:
/// `{ __output }` makes it one, so it is dropped where the native one is.
pub(super) fn as_value(expr: Expr) -> Expr {
    match &expr {
        Expr::Path(path) if path.path.is_ident("__output") => syn::parse_quote!({ #expr }),
        _ => expr,
    }
}

/// Whether a `let` with this pattern moves its whole initializer into one
/// binding (`x`, `mut x`, `x: T`), so that no part of it is left to drop.
fn binds_whole(pat: &syn::Pat) -> bool {
    match pat {
        syn::Pat::Ident(ident) => ident.by_ref.is_none() && ident.subpat.is_none(),
        syn::Pat::Type(typed) => binds_whole(&typed.pat),
        _ => false,
    }
}

/// Which operand of `expr` is used as a place (borrowed in place).
pub(super) fn place_operand(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::MethodCall(_)
        | Expr::Field(_)
        | Expr::Index(_)
        | Expr::Reference(_)
        | Expr::RawAddr(_)
        | Expr::Let(_) => Some(0),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => Some(0),
        _ => None,
    }
}

/// Whether `expr` is point `k` itself.
pub(super) fn is_point(expr: &Expr, k: PointKind) -> bool {
    match k {
        PointKind::Await(index) => matches!(expr, Expr::Await(e) if await_index(e) == Some(index)),
        PointKind::Loop(n) => construct_attrs(expr).and_then(|attrs| loop_index(attrs)) == Some(n),
        PointKind::Join(n) => construct_attrs(expr).and_then(|attrs| join_index(attrs)) == Some(n),
        PointKind::Branch(n) => {
            construct_attrs(expr).and_then(|attrs| branch_index(attrs)) == Some(n)
        }
    }
}

/// Whether `expr` contains point `k` (or is it).
pub(super) fn contains_point(expr: &Expr, k: PointKind) -> bool {
    struct Finder {
        k: PointKind,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr(&mut self, node: &'ast Expr) {
            self.found |= is_point(node, self.k);
            if !self.found {
                syn::visit::visit_expr(self, node);
            }
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder { k, found: false };
    finder.visit_expr(expr);
    finder.found
}

pub(super) fn block_contains_point(block: &Block, k: PointKind) -> bool {
    block.stmts.iter().any(|stmt| stmt_contains(stmt, k))
}

pub(super) fn stmt_contains(stmt: &Stmt, k: PointKind) -> bool {
    match stmt {
        Stmt::Local(local) => local.init.as_ref().is_some_and(|init| {
            contains_point(&init.expr, k)
                || init
                    .diverge
                    .as_ref()
                    .is_some_and(|(_, d)| contains_point(d, k))
        }),
        Stmt::Expr(expr, _) => contains_point(expr, k),
        Stmt::Item(_) | Stmt::Macro(_) => false,
    }
}

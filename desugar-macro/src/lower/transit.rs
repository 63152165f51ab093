//! Transit points: where code that several states reach is written once.
//!
//! Re-entering the body at an await point writes out what remains to run
//! from there. Two kinds of code would then be written in more than one
//! arm of `poll`:
//!
//! - the code after a branching construct (`if`, `match`, `&&`, `||`, a
//!   labelled block) whose branches await: it runs after the branch that
//!   awaited and after the ones that did not;
//! - the body of a loop that awaits: it runs on entering the loop and again
//!   after each await in it.
//!
//! Writing code twice is not only long: every closure and `async` block
//! has a type of its own, so two copies of `async { .. }.await` would need
//! two different types in one field of the state. So the construct gets a
//! *transit point*: a loop gets a `LoopN` state for the top of its body,
//! and a branching construct followed by more awaits gets a `JoinN` state
//! holding its value. Reaching one stores the live locals in that state and
//! goes round the poll loop, whose arm for it continues from there: each
//! piece of code is written once. A transit state is never seen suspended.
//!
//! The points are marked on the constructs as inert attributes
//! (`#[__desugar_loop(N)]`, `#[__desugar_join(N)]`), like await points.

use crate::syntax::operands_mut;
use proc_macro2::Span;
use syn::{Attribute, Expr, Stmt};

use super::visit::{block_contains_await, contains_await};

const LOOP: &str = "__desugar_loop";
const JOIN: &str = "__desugar_join";
const BRANCH: &str = "__desugar_branch";

/// What the documentation of a transit state says about its construct.
pub(crate) struct TransitPoint {
    /// The construct: "`loop`", "`if`", ...
    pub(crate) construct: &'static str,
    /// Its line, when the compiler tells us.
    pub(crate) line: Option<usize>,
}

/// The transit points of a body, marked on it.
pub(crate) struct Transits {
    /// Loop heads, by number.
    pub(crate) loops: Vec<TransitPoint>,
    /// Joins, by number.
    pub(crate) joins: Vec<TransitPoint>,
    /// Shared branches, by number: the `else` of an `if`, or the right
    /// operand of `&&` / `||`, reached both before and after an `.await` in
    /// the condition.
    pub(crate) branches: Vec<TransitPoint>,
}

impl Transits {
    /// No transit point: the body is polled in place (see `inline`).
    pub(crate) fn none() -> Self {
        Transits {
            loops: Vec::new(),
            joins: Vec::new(),
            branches: Vec::new(),
        }
    }
}

/// Marks the transit points of `body`.
pub(super) fn mark(body: &mut syn::Block) -> Transits {
    let mut marker = Marker {
        transits: Transits::none(),
    };
    marker.block(&mut body.stmts, false);
    marker.transits
}

/// The loop head marked on `attrs`, if any.
pub(crate) fn loop_index(attrs: &[Attribute]) -> Option<usize> {
    index(attrs, LOOP)
}

/// The join marked on `attrs`, if any.
pub(crate) fn join_index(attrs: &[Attribute]) -> Option<usize> {
    index(attrs, JOIN)
}

/// The shared branch marked on `attrs`, if any.
pub(crate) fn branch_index(attrs: &[Attribute]) -> Option<usize> {
    index(attrs, BRANCH)
}

/// Removes transit markers before the code is emitted.
pub(crate) fn strip_transit_markers(attrs: &mut Vec<Attribute>) {
    attrs.retain(|attr| {
        ![LOOP, JOIN, BRANCH]
            .iter()
            .any(|marker| attr.path().is_ident(marker))
    });
}

fn index(attrs: &[Attribute], marker: &str) -> Option<usize> {
    attrs.iter().find_map(|attr| {
        if !attr.path().is_ident(marker) {
            return None;
        }
        attr.parse_args::<syn::LitInt>().ok()?.base10_parse().ok()
    })
}

/// The attributes of the constructs that can be transit points.
pub(crate) fn construct_attrs(expr: &Expr) -> Option<&Vec<Attribute>> {
    match expr {
        Expr::If(e) => Some(&e.attrs),
        Expr::Match(e) => Some(&e.attrs),
        Expr::Loop(e) => Some(&e.attrs),
        Expr::While(e) => Some(&e.attrs),
        Expr::Block(e) => Some(&e.attrs),
        Expr::Binary(e) => Some(&e.attrs),
        _ => None,
    }
}

pub(crate) fn construct_attrs_mut(expr: &mut Expr) -> Option<&mut Vec<Attribute>> {
    match expr {
        Expr::If(e) => Some(&mut e.attrs),
        Expr::Match(e) => Some(&mut e.attrs),
        Expr::Loop(e) => Some(&mut e.attrs),
        Expr::While(e) => Some(&mut e.attrs),
        Expr::Block(e) => Some(&mut e.attrs),
        Expr::Binary(e) => Some(&mut e.attrs),
        _ => None,
    }
}

struct Marker {
    transits: Transits,
}

fn stmt_awaits(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Local(local) => local.init.as_ref().is_some_and(|init| {
            contains_await(&init.expr)
                || init
                    .diverge
                    .as_ref()
                    .is_some_and(|(_, e)| contains_await(e))
        }),
        Stmt::Expr(expr, _) => contains_await(expr),
        Stmt::Item(_) | Stmt::Macro(_) => false,
    }
}

impl Marker {
    /// `after`: whether code that runs after these statements awaits.
    fn block(&mut self, stmts: &mut [Stmt], after: bool) {
        let awaits: Vec<bool> = stmts.iter().map(stmt_awaits).collect();
        for (i, stmt) in stmts.iter_mut().enumerate() {
            let later = after || awaits[i + 1..].iter().any(|&a| a);
            match stmt {
                Stmt::Local(local) => {
                    if let Some(init) = &mut local.init {
                        self.expr(&mut init.expr, later);
                        if let Some((_, diverge)) = &mut init.diverge {
                            self.expr(diverge, later);
                        }
                    }
                }
                Stmt::Expr(expr, _) => self.expr(expr, later),
                Stmt::Item(_) | Stmt::Macro(_) => {}
            }
        }
    }

    fn point(&mut self, expr: &Expr, construct: &'static str, kind: &str) -> Attribute {
        let list = match kind {
            JOIN => &mut self.transits.joins,
            LOOP => &mut self.transits.loops,
            _ => &mut self.transits.branches,
        };
        let index = syn::LitInt::new(&list.len().to_string(), Span::call_site());
        let line = first_line(expr);
        list.push(TransitPoint { construct, line });
        let marker = proc_macro2::Ident::new(kind, Span::call_site());
        syn::parse_quote!(#[#marker(#index)])
    }

    fn expr(&mut self, expr: &mut Expr, after: bool) {
        if !contains_await(expr) {
            return;
        }
        // Mark this construct.
        let construct = match &*expr {
            Expr::If(_) => Some("`if`"),
            Expr::Match(_) => Some("`match`"),
            Expr::Loop(_) => Some("`loop`"),
            Expr::While(_) => Some("`while`"),
            Expr::Block(e) if e.label.is_some() => Some("labelled block"),
            // A chain of `let`s and tests is a condition, not a value.
            Expr::Binary(_) if is_let_chain(expr) => None,
            Expr::Binary(e) if matches!(e.op, syn::BinOp::And(_)) => Some("`&&`"),
            Expr::Binary(e) if matches!(e.op, syn::BinOp::Or(_)) => Some("`||`"),
            _ => None,
        };
        if let Some(construct) = construct {
            let is_loop = matches!(expr, Expr::Loop(_) | Expr::While(_));
            let body_awaits = match &*expr {
                Expr::Loop(e) => block_contains_await(&e.body),
                Expr::While(e) => block_contains_await(&e.body) || contains_await(&e.cond),
                _ => false,
            };
            // The `else` of an `if`, or the right of `&&` / `||`, when both it
            // and the condition before it await: it is reached from the state
            // before the condition's `.await` and from the one after.
            let shared_branch = match &*expr {
                Expr::If(e) => {
                    contains_await(&e.cond)
                        && e.else_branch
                            .as_ref()
                            .is_some_and(|(_, b)| contains_await(b))
                }
                Expr::Binary(e) if !is_let_chain(expr) => {
                    contains_await(&e.left) && contains_await(&e.right)
                }
                _ => false,
            };
            let mut markers = Vec::new();
            if is_loop && body_awaits {
                markers.push(self.point(expr, construct, LOOP));
            }
            if shared_branch {
                markers.push(self.point(expr, construct, BRANCH));
            }
            if after {
                markers.push(self.point(expr, construct, JOIN));
            }
            if let Some(attrs) = construct_attrs_mut(expr) {
                attrs.extend(markers);
            }
        }
        // Then what it contains.
        match expr {
            Expr::If(e) => {
                let branches = block_contains_await(&e.then_branch)
                    || e.else_branch
                        .as_ref()
                        .is_some_and(|(_, b)| contains_await(b));
                self.expr(&mut e.cond, after || branches);
                self.block(&mut e.then_branch.stmts, after);
                if let Some((_, branch)) = &mut e.else_branch {
                    self.expr(branch, after);
                }
            }
            Expr::Match(e) => {
                let arms = e.arms.iter().any(|arm| contains_await(&arm.body));
                self.expr(&mut e.expr, after || arms);
                for arm in &mut e.arms {
                    self.expr(&mut arm.body, after);
                }
            }
            // The end of a loop body goes back to the loop's own state, which
            // needs no join: only what follows in the body counts.
            Expr::Loop(e) => self.block(&mut e.body.stmts, false),
            Expr::While(e) => {
                let body = block_contains_await(&e.body);
                self.expr(&mut e.cond, body);
                self.block(&mut e.body.stmts, false);
            }
            Expr::ForLoop(e) => {
                self.expr(&mut e.expr, after);
            }
            Expr::Block(e) => self.block(&mut e.block.stmts, after),
            Expr::Unsafe(e) => self.block(&mut e.block.stmts, after),
            Expr::Await(e) => self.expr(&mut e.base, true),
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => {}
            other => {
                let mut operands = operands_mut(other);
                let awaits: Vec<bool> = operands.iter().map(|op| contains_await(op)).collect();
                for (i, operand) in operands.iter_mut().enumerate() {
                    let later = after || awaits[i + 1..].iter().any(|&a| a);
                    self.expr(operand, later);
                }
            }
        }
    }
}

/// Whether `expr` is an `if` condition that binds: `let P = e && test`.
fn is_let_chain(expr: &Expr) -> bool {
    match expr {
        Expr::Let(_) => true,
        Expr::Binary(e) if matches!(e.op, syn::BinOp::And(_)) => {
            is_let_chain(&e.left) || is_let_chain(&e.right)
        }
        Expr::Paren(e) => is_let_chain(&e.expr),
        _ => false,
    }
}

/// The line where an expression starts, when the compiler tells us.
fn first_line(expr: &Expr) -> Option<usize> {
    use quote::ToTokens;
    let span = expr.to_token_stream().into_iter().next()?.span();
    let line = span.start().line;
    (line > 0).then_some(line)
}

//! Hoisting operands and desugaring `for`: the shape resumption needs.
//!
//! An `.await` suspends the function in the middle of an expression. Rust
//! evaluates operands left to right, so in `f(a(), b().await)` the call
//! `a()` has run before the function suspends, and its value must survive
//! the suspension. rustc keeps it in an unnamed temporary of the frame; we
//! give it a name: the operand moves into `let __tmp0 = a();` placed just
//! before the expression, in a block that ends where the statement did.
//! Operands whose evaluation has no effect (literals, constants, closures,
//! borrows of places) are left in place: evaluating them after the `.await`
//! is the same as before.
//!
//! A `for` loop whose body awaits becomes the `match` and `loop` rustc
//! desugars it into, so the iterator becomes a local, `__iterN`, that the
//! suspended states hold. A `while` whose condition needs hoisting becomes
//! `loop { let ..; if cond { body } else { break } }` so that the hoisted
//! operands are evaluated again on every iteration, as the condition is.
//!
//! An `.await` inside the operand of another is hoisted too, so that the
//! outer future can borrow the inner output from a local rather than from
//! a temporary of the expression: `a().await.b().await` becomes
//! `let __tmp0 = a().await; __tmp0.b().await`.
//!
//! The evaluation units, the places hoisted temporaries may go, are the
//! statements, block tails, match arm bodies, `else` branches, the
//! conditions of `if` and `while`, and the operands of `&&` and `||`:
//! rustc's terminating scopes, where a temporary is dropped.
//!
//! A temporary made before an `.await` of its unit lives across it in
//! rustc, whether or not the future borrows it: `f(cell.borrow().len())
//! .await` keeps the `RefCell` borrowed while suspended (and the future
//! `!Send`). So where temporaries are kept (the awaited expression, and the
//! operands evaluated before an `.await`) each one is named as a local of
//! the unit, `let mut __tmpN`, in evaluation order: a borrowed value
//! (`&make()`), and the value a method borrows (`make().len()`,
//! `cell.borrow().len()`, `*m.lock().unwrap()`), unless the method takes it
//! by value by `std`'s naming conventions (`into_*`, `unwrap`, `map`, ..).
//! A `match` scrutinee or a `for` loop's iterator keeps its temporaries to
//! the end of the construct, a `format!` to the end of its own statement.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, ExprBlock, Ident, Stmt};

use super::visit::{block_contains_await, contains_await, find_await_token, stmt_contains_await};
use crate::syntax::{any_part, is_compound_assignment, is_lazy, macro_name};

/// Normalizes a function body; see the module docs.
pub(super) fn normalize(body: Block, in_place: bool) -> syn::Result<Block> {
    let mut normalizer = Normalizer {
        in_place,
        ..Normalizer::default()
    };
    let body = normalizer.block(body);
    match normalizer.errors {
        Some(errors) => Err(errors),
        None => Ok(body),
    }
}

#[derive(Default)]
struct Normalizer {
    temporaries: usize,
    iterators: usize,
    errors: Option<syn::Error>,
    /// Inside the operand of an `.await`: an `.await` nested there is
    /// hoisted into a temporary, so that the outer future can borrow its
    /// output from a local (`a().await.b().await`, `f(&a().await).await`).
    in_await_operand: bool,
    /// Evaluated before an `.await` of the same evaluation unit (in an
    /// awaited expression, or in an operand before one): a temporary made
    /// here lives across that `.await` in rustc, so it gets a name (see
    /// [`Normalizer::hoist`]).
    keeping: bool,
    /// The body is polled in place (see `inline`): an operand that awaits
    /// runs before the operands evaluated ahead of it are read.
    in_place: bool,
}

impl Normalizer {
    fn error(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(errors) => errors.combine(error),
            None => self.errors = Some(error),
        }
    }

    fn block(&mut self, mut block: Block) -> Block {
        // A `let` whose temporaries rustc extends to the end of the block,
        // when an `.await` follows: those temporaries get names first.
        let stmts = std::mem::take(&mut block.stmts);
        let mut extended = Vec::with_capacity(stmts.len());
        for (i, stmt) in stmts.iter().enumerate() {
            match stmt {
                Stmt::Local(local) if stmts[i + 1..].iter().any(stmt_contains_await) => {
                    let mut local = local.clone();
                    extended.extend(self.extend_temporaries(&mut local));
                    extended.push(Stmt::Local(local));
                }
                other => extended.push(other.clone()),
            }
        }
        block.stmts = extended.into_iter().map(|stmt| self.stmt(stmt)).collect();
        block
    }

    /// rustc extends a temporary borrowed in an *extending* position of a
    /// `let`'s initializer to the end of the block (`let r = &make();`,
    /// `let s = S { r: &make() };`, `let f = pin!(fut);`), so it lives
    /// across the `.await`s after it. Each gets a name, `let __extN`,
    /// declared just before the `let`, which lives and drops the same and
    /// stays in place; what is evaluated before it in the initializer is
    /// hoisted first, so the order holds. Returns the `let`s to put before.
    ///
    /// The extending positions: the initializer; the operand of a borrow in
    /// one; the fields of an array, tuple, struct, cast, parentheses or
    /// block tail in one. (`pin!(e)` is `Pin { &mut { e } }` in one.)
    fn extend_temporaries(&mut self, local: &mut syn::Local) -> Vec<Stmt> {
        let mut before = Vec::new();
        if let Some(init) = &mut local.init
            && init.diverge.is_none()
        {
            self.extending(&mut init.expr, &mut before);
            // `let (ref mut x, _) = make();`: a pattern that binds by
            // reference extends the initializer itself.
            if binds_by_reference(&local.pat) && is_temporary(&init.expr) {
                *init.expr = self.bind("ext", take(&mut init.expr), &mut before);
            }
        }
        before
    }

    fn extending(&mut self, expr: &mut Expr, before: &mut Vec<Stmt>) {
        if !has_extended(expr) {
            return;
        }
        match expr {
            Expr::Reference(e) if is_temporary(&e.expr) => {
                self.extending(&mut e.expr, before);
                *e.expr = self.bind("ext", take(&mut e.expr), before);
            }
            Expr::Reference(e) => self.extending(&mut e.expr, before),
            Expr::Macro(e) if is_pin_macro(&e.mac) => {
                // `pin!(fut)`: the value in a local no one else can name,
                // pinned where it lies.
                let Ok(value) = e.mac.parse_body::<Expr>() else {
                    return;
                };
                let name = self.fresh("pinned");
                before.push(syn::parse_quote!(let mut #name = #value;));
                *expr = syn::parse_quote! {
                    // SAFETY: the value is in a local that nothing else can
                    // name, so it is never moved again; the `Pin` borrows it.
                    unsafe { ::core::pin::Pin::new_unchecked(&mut #name) }
                };
            }
            Expr::Array(e) => self.extending_sequence(e.elems.iter_mut().collect(), before),
            Expr::Tuple(e) => self.extending_sequence(e.elems.iter_mut().collect(), before),
            Expr::Struct(e) => {
                let fields = e.fields.iter_mut().map(|field| &mut field.expr).collect();
                self.extending_sequence(fields, before);
            }
            Expr::Cast(e) => self.extending(&mut e.expr, before),
            Expr::Paren(e) => self.extending(&mut e.expr, before),
            Expr::Group(e) => self.extending(&mut e.expr, before),
            _ => {}
        }
    }

    /// Extending operands evaluated in order: those before the last one
    /// with an extended temporary are hoisted, unless they have no effect.
    fn extending_sequence(&mut self, operands: Vec<&mut Expr>, before: &mut Vec<Stmt>) {
        let Some(last) = operands.iter().rposition(|op| has_extended(op)) else {
            return;
        };
        for (i, operand) in operands.into_iter().enumerate() {
            if i <= last && has_extended(operand) {
                self.extending(operand, before);
            } else if i < last && !is_pure(operand) {
                *operand = self.hoist(take(operand), before);
            }
        }
    }

    fn stmt(&mut self, stmt: Stmt) -> Stmt {
        match stmt {
            Stmt::Local(mut local) => {
                if let Some(init) = &mut local.init {
                    let expr =
                        std::mem::replace(&mut *init.expr, Expr::Verbatim(TokenStream::new()));
                    let expr = self.unit(expr);
                    // `let .. else` does not allow an initializer ending in `}`.
                    *init.expr = if init.diverge.is_some() && matches!(expr, Expr::Block(_)) {
                        syn::parse_quote!((#expr))
                    } else {
                        expr
                    };
                    if let Some((_, diverge)) = &mut init.diverge {
                        let expr =
                            std::mem::replace(&mut **diverge, Expr::Verbatim(TokenStream::new()));
                        **diverge = self.unit(expr);
                    }
                }
                Stmt::Local(local)
            }
            Stmt::Expr(expr, semi) => Stmt::Expr(self.unit(expr), semi),
            Stmt::Macro(stmt) if let Some(expansion) = written_out(&stmt.mac) => Stmt::Expr(
                self.unit(expansion),
                stmt.semi_token.or(Some(Default::default())),
            ),
            Stmt::Macro(mut stmt) => {
                let mut hoisted = Vec::new();
                self.macro_arguments(&mut stmt.mac, &mut hoisted);
                if hoisted.is_empty() {
                    return Stmt::Macro(stmt);
                }
                let semi = stmt.semi_token;
                let call = Expr::Macro(syn::ExprMacro {
                    attrs: stmt.attrs,
                    mac: stmt.mac,
                });
                Stmt::Expr(wrap(hoisted, call), semi.or(Some(Default::default())))
            }
            item @ Stmt::Item(_) => item,
        }
    }

    /// Normalizes an evaluation unit: its hoisted temporaries go into a
    /// block around it, so they are dropped where the unit ends.
    fn unit(&mut self, expr: Expr) -> Expr {
        let outer = std::mem::replace(&mut self.in_await_operand, false);
        let keeping = std::mem::replace(&mut self.keeping, false);
        let mut hoisted = Vec::new();
        let expr = self.expr(expr, &mut hoisted);
        self.in_await_operand = outer;
        self.keeping = keeping;
        wrap(hoisted, expr)
    }

    /// An operand of `&&` or `||`: an evaluation unit of its own, unless
    /// it is a `let` of a chain (whose scrutinee lives through the `then`
    /// branch) or holds one.
    fn lazy_operand(&mut self, operand: Expr, out: &mut Vec<Stmt>) -> Expr {
        if has_let(&operand) {
            return self.expr_keeping(false, operand, out);
        }
        match self.unit(operand) {
            block @ Expr::Block(_) => syn::parse_quote!((#block)),
            operand => operand,
        }
    }

    /// Normalizes `expr` with [`Normalizer::keeping`] set to `keeping`.
    fn expr_keeping(&mut self, keeping: bool, expr: Expr, out: &mut Vec<Stmt>) -> Expr {
        let outer = std::mem::replace(&mut self.keeping, keeping);
        let expr = self.expr(expr, out);
        self.keeping = outer;
        expr
    }

    /// Normalizes `expr`, pushing the `let`s of hoisted operands to `out`.
    fn expr(&mut self, expr: Expr, out: &mut Vec<Stmt>) -> Expr {
        match expr {
            Expr::Array(mut e) => {
                e.elems = self
                    .sequence(e.elems.into_iter().collect(), out, false, |_, _| false)
                    .into_iter()
                    .collect();
                Expr::Array(e)
            }
            Expr::Tuple(mut e) => {
                e.elems = self
                    .sequence(e.elems.into_iter().collect(), out, false, |_, _| false)
                    .into_iter()
                    .collect();
                Expr::Tuple(e)
            }
            Expr::Call(mut e) => {
                let mut operands = vec![*e.func];
                operands.extend(e.args);
                let mut operands = self
                    .sequence(operands, out, true, |i, op| i == 0 && is_place(op))
                    .into_iter();
                *e.func = operands.next().expect("the callee");
                e.args = operands.collect();
                Expr::Call(e)
            }
            Expr::MethodCall(mut e) => {
                let mut operands = vec![*e.receiver];
                operands.extend(e.args);
                let mut operands = self
                    .sequence(operands, out, false, |i, op| i == 0 && is_place(op))
                    .into_iter();
                *e.receiver = operands.next().expect("the receiver");
                e.args = operands.collect();
                if self.keeping && is_kept_receiver(&e.receiver, &e.method) {
                    // `cell.borrow().len()`, `make().as_str()`: the value the
                    // method borrows is a temporary of the statement.
                    *e.receiver = self.hoist(take(&mut e.receiver), out);
                }
                Expr::MethodCall(e)
            }
            Expr::Binary(mut e) if is_lazy(&e.op) => {
                // Both operands of `&&` and `||` drop their temporaries
                // where they end (but a `let` of a chain is no operand).
                *e.left = self.lazy_operand(*e.left, out);
                *e.right = self.lazy_operand(*e.right, out);
                Expr::Binary(e)
            }
            Expr::Binary(mut e) if is_compound_assignment(&e.op) => {
                // `place += value`: for primitives rustc evaluates the value
                // first, then the place, so the place is never hoisted.
                *e.right = self.expr(*e.right, out);
                if contains_await(&e.left) && !is_pure(&e.right) {
                    // The value is computed before the place's `.await`.
                    *e.right = self.hoist(take(&mut e.right), out);
                }
                *e.left = self.expr(*e.left, out);
                Expr::Binary(e)
            }
            Expr::Binary(mut e) => {
                let [left, right] = self.pair(*e.left, *e.right, out, |_, _| false);
                (*e.left, *e.right) = (left, right);
                Expr::Binary(e)
            }
            Expr::Index(mut e) => {
                let [base, index] =
                    self.pair(*e.expr, *e.index, out, |i, op| i == 0 && is_place(op));
                (*e.expr, *e.index) = (base, index);
                Expr::Index(e)
            }
            Expr::Assign(mut e) => {
                // The value is evaluated before the place it goes to.
                let [right, left] = self.pair(*e.right, *e.left, out, |i, op| {
                    i == 1 && is_place_expression(op)
                });
                (*e.left, *e.right) = (left, right);
                Expr::Assign(e)
            }
            Expr::Range(mut e) => {
                if let (Some(start), Some(end)) = (&mut e.start, &mut e.end) {
                    let [s, t] = self.pair(take(start), take(end), out, |_, _| false);
                    (**start, **end) = (s, t);
                } else {
                    for bound in [&mut e.start, &mut e.end].into_iter().flatten() {
                        **bound = self.expr(take(bound), out);
                    }
                }
                Expr::Range(e)
            }
            Expr::Struct(mut e) => {
                let mut operands: Vec<Expr> =
                    e.fields.iter_mut().map(|f| take(&mut f.expr)).collect();
                if let Some(rest) = &mut e.rest {
                    operands.push(take(rest));
                }
                let mut operands = self
                    .sequence(operands, out, false, |_, _| false)
                    .into_iter();
                for field in &mut e.fields {
                    field.expr = operands.next().expect("a field");
                }
                if let Some(rest) = &mut e.rest {
                    **rest = operands.next().expect("the base");
                }
                Expr::Struct(e)
            }
            Expr::Await(mut e) => {
                // The temporaries of the awaited expression live across its
                // `.await` (`Counter::new().next().await` lends one).
                let outer = std::mem::replace(&mut self.in_await_operand, true);
                *e.base = self.expr_keeping(true, *e.base, out);
                self.in_await_operand = outer;
                if outer {
                    self.hoist(Expr::Await(e), out)
                } else {
                    Expr::Await(e)
                }
            }
            Expr::Cast(mut e) => {
                *e.expr = self.expr(*e.expr, out);
                Expr::Cast(e)
            }
            Expr::Field(mut e) => {
                *e.base = self.expr(*e.base, out);
                Expr::Field(e)
            }
            Expr::Paren(mut e) => {
                *e.expr = self.expr(*e.expr, out);
                Expr::Paren(e)
            }
            Expr::Group(mut e) => {
                *e.expr = self.expr(*e.expr, out);
                Expr::Group(e)
            }
            Expr::Reference(mut e) => {
                *e.expr = self.expr(*e.expr, out);
                if self.keeping && is_temporary(&e.expr) {
                    // `sum(&[a, b]).await`: the future may borrow it.
                    *e.expr = self.hoist(take(&mut e.expr), out);
                }
                Expr::Reference(e)
            }
            Expr::RawAddr(mut e) => {
                *e.expr = self.expr(*e.expr, out);
                Expr::RawAddr(e)
            }
            Expr::Unary(mut e) => {
                *e.expr = self.expr(*e.expr, out);
                if self.keeping && reads_through_owned(&e) {
                    // `*m.lock().unwrap()`: read through a guard the
                    // statement keeps.
                    *e.expr = self.hoist(take(&mut e.expr), out);
                }
                Expr::Unary(e)
            }
            Expr::Try(mut e) => {
                *e.expr = self.expr(*e.expr, out);
                Expr::Try(e)
            }
            Expr::Repeat(mut e) => {
                *e.expr = self.expr(*e.expr, out);
                Expr::Repeat(e)
            }
            Expr::Let(mut e) => {
                *e.expr = self.expr(*e.expr, out);
                Expr::Let(e)
            }
            Expr::Return(mut e) => {
                if let Some(value) = &mut e.expr {
                    **value = self.expr(take(value), out);
                }
                Expr::Return(e)
            }
            Expr::Break(mut e) => {
                if let Some(value) = &mut e.expr {
                    **value = self.expr(take(value), out);
                }
                Expr::Break(e)
            }
            Expr::If(mut e) => {
                let branches_await = block_contains_await(&e.then_branch)
                    || e.else_branch
                        .as_ref()
                        .is_some_and(|(_, branch)| contains_await(branch));
                // An `if let` whose branches await keeps its scrutinee's
                // temporaries (a `RefCell` guard in `Some(c.borrow().len())`)
                // through the `then` branch, across its awaits: they are named.
                // (Not when the scrutinee awaits: what it hoists then may be
                // moved into it, and could not be dropped before `else`.)
                let mut kept = Vec::new();
                // A condition drops its temporaries where it ends (a `let`
                // chain's scrutinees live through the `then` branch).
                *e.cond = if matches!(&*e.cond, Expr::Let(_)) && branches_await && !awaits(&e.cond)
                {
                    self.expr_keeping(true, *e.cond, &mut kept)
                } else if has_let(&e.cond) {
                    self.expr_keeping(false, *e.cond, out)
                } else {
                    self.unit(*e.cond)
                };
                if let Expr::Let(condition) = &mut *e.cond
                    && branches_await
                    && (!is_place(&condition.expr) || !kept.is_empty())
                {
                    // As for `match`: the scrutinee lives through the `then`
                    // branch; since edition 2024 it is dropped before `else`,
                    // then its temporaries, the last made first.
                    let (stmt, name) = self.scrutinee(take(&mut condition.expr));
                    *condition.expr = name;
                    kept.push(stmt);
                    if let Some((_, branch)) = &mut e.else_branch {
                        let hoisted = kept.iter().rev().filter_map(|stmt| match stmt {
                            Stmt::Local(syn::Local {
                                pat: syn::Pat::Ident(binding),
                                ..
                            }) => Some(&binding.ident),
                            _ => None,
                        });
                        let otherwise = take(branch);
                        **branch = syn::parse_quote!({
                            #( ::core::mem::drop(#hoisted); )*
                            #otherwise
                        });
                    }
                    let rest = self.expr(Expr::If(e), out);
                    return wrap(kept, rest);
                }
                e.then_branch = self.block(e.then_branch);
                if let Some((_, branch)) = &mut e.else_branch {
                    **branch = self.unit(take(branch));
                }
                Expr::If(e)
            }
            Expr::Match(e) if e.arms.iter().any(|arm| guard(arm).is_some_and(awaits)) => {
                // The scrutinee's temporaries live to the end of the
                // `match`, across the awaits of its guards and arms.
                let mut e = e;
                *e.expr = self.expr_keeping(true, *e.expr, out);
                let chain = self.guarded_match(e);
                self.expr(chain, out)
            }
            Expr::Match(mut e) => {
                // The scrutinee's temporaries live to the end of the
                // `match`, across the awaits of its arms.
                let arms_await = e.arms.iter().any(|arm| contains_await(&arm.body));
                *e.expr = self.expr_keeping(self.keeping || arms_await, *e.expr, out);
                for arm in &mut e.arms {
                    *arm.body = self.unit(take(&mut arm.body));
                }
                if arms_await && !is_place(&e.expr) {
                    // The scrutinee is a temporary that lives through the arms,
                    // across their awaits: name it so the states can hold it.
                    let scrutinee = self.scrutinee(take(&mut e.expr));
                    *e.expr = scrutinee.1;
                    return wrap(vec![scrutinee.0], Expr::Match(e));
                }
                Expr::Match(e)
            }
            Expr::While(mut e) => {
                // A `while let` scrutinee's temporaries live through the
                // body, a condition's only to its end.
                let scrutinee = matches!(*e.cond, Expr::Let(_));
                let keeping = scrutinee && block_contains_await(&e.body);
                let mut hoisted = Vec::new();
                let cond = self.expr_keeping(keeping, *e.cond, &mut hoisted);
                let body = self.block(e.body);
                if hoisted.is_empty() {
                    *e.cond = cond;
                    e.body = body;
                    Expr::While(e)
                } else {
                    // Re-evaluate the hoisted operands on every iteration.
                    let label = e.label;
                    let span = e.while_token.span;
                    let cond = if scrutinee {
                        cond
                    } else {
                        wrap(std::mem::take(&mut hoisted), cond)
                    };
                    let test: Expr = syn::parse_quote_spanned! {span=>
                        if #cond #body else { break }
                    };
                    hoisted.push(Stmt::Expr(test, None));
                    let mut body: Block = syn::parse_quote!({});
                    body.stmts = hoisted;
                    syn::parse_quote_spanned! {span=> #label loop #body }
                }
            }
            Expr::Loop(mut e) => {
                e.body = self.block(e.body);
                Expr::Loop(e)
            }
            Expr::ForLoop(mut e) => {
                // The iterator's temporaries live to the end of the loop.
                let awaits = contains_await(&e.expr);
                let keeping = self.keeping || awaits || block_contains_await(&e.body);
                *e.expr = self.expr_keeping(keeping, *e.expr, out);
                if awaits {
                    // `for x in f().await`: the value is computed, then
                    // iterated; as a local, the suspension is an operand.
                    *e.expr = self.hoist(take(&mut e.expr), out);
                }
                e.body = self.block(e.body);
                if block_contains_await(&e.body) {
                    self.desugar_for(e)
                } else {
                    Expr::ForLoop(e)
                }
            }
            Expr::Block(mut e) => {
                e.block = self.block(e.block);
                Expr::Block(e)
            }
            Expr::Unsafe(mut e) => {
                e.block = self.block(e.block);
                Expr::Unsafe(e)
            }
            Expr::Macro(e) if let Some(expansion) = written_out(&e.mac) => {
                self.expr(expansion, out)
            }
            Expr::Macro(mut e) if has_own_statement(&e.mac) => {
                // `format!(..)` is `{ let res = format(format_args!(..)); res }`:
                // its arguments' temporaries end with that inner statement.
                let mut hoisted = Vec::new();
                self.macro_arguments(&mut e.mac, &mut hoisted);
                wrap(hoisted, Expr::Macro(e))
            }
            Expr::Macro(mut e) => {
                self.macro_arguments(&mut e.mac, out);
                Expr::Macro(e)
            }
            // Other futures' bodies, constants and leaves stay as written.
            other => other,
        }
    }

    /// Normalizes two operands evaluated in this order; `keep` says which
    /// is a place that must not be hoisted (it is evaluated after the
    /// `.await` instead, which is the same since a place has no effect).
    fn pair(
        &mut self,
        first: Expr,
        second: Expr,
        out: &mut Vec<Stmt>,
        keep: impl Fn(usize, &Expr) -> bool,
    ) -> [Expr; 2] {
        let mut result = self
            .sequence(vec![first, second], out, false, keep)
            .into_iter();
        [
            result.next().expect("two operands"),
            result.next().expect("two operands"),
        ]
    }

    /// Normalizes operands evaluated left to right: each one before the last
    /// that awaits is hoisted unless evaluating it has no effect.
    fn sequence(
        &mut self,
        operands: Vec<Expr>,
        out: &mut Vec<Stmt>,
        callee_first: bool,
        keep: impl Fn(usize, &Expr) -> bool,
    ) -> Vec<Expr> {
        // Where temporaries are kept, one is named (see `hoist`):
        // what is evaluated before it goes first, as before an `.await`.
        let keeping = self.keeping;
        let last_await = operands
            .iter()
            .rposition(|op| awaits(op) || (keeping && keeps_temporary(op)));
        // The first value that is evaluated and then waits for the others:
        // not a call's callee (a function, or a closure it borrows), nor a
        // constant.
        let first_in_flight = operands
            .iter()
            .enumerate()
            .position(|(i, op)| !(is_constant(op) || (i == 0 && callee_first)));
        let mut result = Vec::with_capacity(operands.len());
        for (i, operand) in operands.into_iter().enumerate() {
            let before_await = last_await.is_some_and(|last| i < last);
            // The last operand that awaits, when its `.await` is in a branch
            // and operands precede it: suspending there would leave their
            // values in flight (a moved local, a temporary) in an expression
            // the arm cannot resume, so it is evaluated into a temporary
            // first and the expression runs after it, as in rustc, whose
            // frame keeps the values it has already evaluated. Polled in
            // place, that holds wherever the `.await` is: the operands before
            // it are read (their temporaries moved out, their locals copied)
            // only once it is ready.
            let branch_before = last_await == Some(i)
                && first_in_flight.is_some_and(|first| first < i)
                && ((self.in_place && !keep(i, &operand)) || awaits_in_a_branch(&operand));
            // Its temporaries still live to the end of the statement, as
            // named locals of the unit.
            let operand = self.expr_keeping(keeping || before_await || branch_before, operand, out);
            if (before_await && !is_pure(&operand) && !keep(i, &operand)) || branch_before {
                result.push(self.hoist(operand, out));
            } else {
                result.push(operand);
            }
        }
        result
    }

    /// Moves `operand` into a fresh `let mut __tmpN` and returns its name:
    /// an operand evaluated before an `.await`, or a temporary made before
    /// one, which rustc keeps to the end of the statement, across the
    /// `.await`, where the future may borrow it (`sum(&[a, b]).await`) and
    /// where it holds what it holds (`f(cell.borrow().len()).await` keeps
    /// the `RefCell` borrowed, and the future `!Send`). As a named local of
    /// the statement's unit it lives as long, and in place. (`mut`, as a
    /// temporary is a mutable place: `make().bump(x.await)`.)
    fn hoist(&mut self, operand: Expr, out: &mut Vec<Stmt>) -> Expr {
        self.bind("tmp", operand, out)
    }

    /// `let mut __{role}N = value;` pushed to `out`, and the name.
    fn bind(&mut self, role: &str, value: Expr, out: &mut Vec<Stmt>) -> Expr {
        let name = self.fresh(role);
        out.push(syn::parse_quote!(let mut #name = #value;));
        syn::parse_quote!(#name)
    }

    /// A name for a hidden local, `__{role}N`, that the user's code cannot
    /// name (mixed-site hygiene).
    fn fresh(&mut self, role: &str) -> Ident {
        let name = format_ident!("__{role}{}", self.temporaries, span = Span::mixed_site());
        self.temporaries += 1;
        name
    }

    /// A `match` with an `.await` in a guard, as a chain of `if let`s:
    ///
    /// ```text
    /// match s { P1 if g1 => b1, P2 => b2 }
    /// // becomes
    /// { let __scrutinee0 = s;
    ///   if let P1 = __scrutinee0 && g1 { b1 }
    ///   else if let P2 = __scrutinee0 { b2 }
    ///   else { unreachable!() } }
    /// ```
    ///
    /// The arms are tried in order and a guard runs only when its pattern
    /// matched, as in the `match`; the chain's `&&` is a construct the
    /// generator already resumes. The difference: a guard sees the bindings
    /// by value, so an arm that binds by moving and whose guard fails
    /// leaves the scrutinee moved (rustc then reports it).
    fn guarded_match(&mut self, e: syn::ExprMatch) -> Expr {
        // Let chains are Rust 2024, and rustc asks the `if` token's span
        // which edition it is in: resolved at the macro's own site, it is
        // in this crate's edition, whatever the caller's.
        let span = e.match_token.span.resolved_at(Span::mixed_site());
        let (binding, scrutinee) = if is_place(&e.expr) {
            (None, *e.expr)
        } else {
            let (stmt, name) = self.scrutinee(*e.expr);
            (Some(stmt), name)
        };
        let mut chain: Expr = syn::parse_quote_spanned! {span=>
            ::core::unreachable!("the arms of a `match` are exhaustive")
        };
        for arm in e.arms.into_iter().rev() {
            let body = arm.body;
            let (pat, test) = match arm.pat {
                syn::Pat::Guard(guarded) => {
                    let pat = guarded.pat;
                    let guard = guarded.guard;
                    (pat, Some(guard))
                }
                pat => (Box::new(pat), None),
            };
            let condition: Expr = match test {
                Some(guard) => syn::parse_quote!(let #pat = #scrutinee && #guard),
                None => syn::parse_quote!(let #pat = #scrutinee),
            };
            chain = syn::parse_quote_spanned! {span=>
                if #condition { #body } else { #chain }
            };
        }
        let mut stmts: Vec<Stmt> = binding.into_iter().collect();
        stmts.push(Stmt::Expr(chain, None));
        let mut block: Block = syn::parse_quote!({});
        block.stmts = stmts;
        Expr::Block(ExprBlock {
            attrs: e.attrs,
            label: None,
            block,
        })
    }

    /// `let __scrutineeN = expr;`, and the name.
    ///
    /// A scrutinee that is a place inside a temporary (`make().1`) keeps the
    /// whole temporary, `let __scrutineeN = make();`, and matches on the
    /// place `__scrutineeN.1`, so the temporary lives as long as rustc's.
    fn scrutinee(&mut self, mut expr: Expr) -> (Stmt, Expr) {
        let name = self.fresh("scrutinee");
        if !matches!(expr, Expr::Field(_)) {
            return (
                syn::parse_quote!(let #name = #expr;),
                syn::parse_quote!(#name),
            );
        }
        let mut root = &mut expr;
        while let Expr::Field(field) = root {
            root = &mut field.base;
        }
        let value = std::mem::replace(root, syn::parse_quote!(#name));
        (syn::parse_quote!(let #name = #value;), expr)
    }

    /// `for PAT in EXPR BODY`, as rustc desugars it, so the iterator is a
    /// local the states hold across the awaits of the body, in place.
    fn desugar_for(&mut self, e: syn::ExprForLoop) -> Expr {
        let iter: Ident = format_ident!("__iter{}", self.iterators, span = Span::mixed_site());
        self.iterators += 1;
        let syn::ExprForLoop {
            attrs,
            label,
            pat,
            expr,
            body,
            for_token,
            ..
        } = e;
        let span = for_token.span;
        syn::parse2(quote_spanned! {span=>
            #(#attrs)*
            match ::core::iter::IntoIterator::into_iter(#expr) {
                // A block: where the iterator's slot is filled, when it is
                // kept in place (see `codegen::pinned`).
                mut #iter => {
                    #label loop {
                        match ::core::iter::Iterator::next(&mut #iter) {
                            ::core::option::Option::Some(#pat) => #body,
                            ::core::option::Option::None => break,
                        }
                    }
                }
            }
        })
        .expect("a desugared `for` loop parses")
    }

    /// The arguments of the `std` macros whose arguments are expressions
    /// (`println!`, `format!`, `write!`, `vec!`, `assert!`, `assert_eq!`,
    /// `matches!`, `panic!`, ...) are parsed and lowered like a call's:
    /// each argument up to the last that awaits is hoisted into a `__tmpN`,
    /// in order, and the macro gets the names. `assert!` keeps its message:
    /// it names the condition as written. (An assertion whose own message
    /// awaits was written out as an `if` before: see [`assertion_as_if`].)
    /// Any other macro with an `.await` among its tokens is refused, rather
    /// than passed through unlowered.
    fn macro_arguments(&mut self, mac: &mut syn::Macro, out: &mut Vec<Stmt>) {
        let name = macro_name(mac);
        // `vec![make().get(); n]` before an `.await` of its unit: the
        // temporaries of its elements are the statement's, kept like any.
        let keeps = self.keeping && name == "vec";
        if find_await_token(mac.tokens.clone()).is_none()
            && !has_exit_token(mac.tokens.clone())
            && !keeps
        {
            return;
        }
        let parsed: Option<Vec<Expr>> = match name.as_str() {
            "print" | "println" | "eprint" | "eprintln" | "format" | "panic" | "unreachable"
            | "todo" | "unimplemented" | "write" | "writeln" | "assert" | "assert_eq"
            | "assert_ne" | "debug_assert" | "debug_assert_eq" | "debug_assert_ne" | "vec" => {
                syn::parse::Parser::parse2(
                    syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
                    mac.tokens.clone(),
                )
                .ok()
                .map(|args| args.into_iter().collect())
            }
            _ => None,
        };
        // `vec![element; count]`: both are evaluated, in that order.
        let repeat = name == "vec" && parsed.is_none();
        let parsed = parsed.or_else(|| repeat.then(|| vec_repeat(mac.tokens.clone())).flatten());
        if name == "matches" {
            self.matches_arguments(mac, out);
            return;
        }
        let Some(mut args) = parsed else {
            self.check_macro(mac);
            return;
        };
        let condition = (name == "assert" || name == "debug_assert") && args.len() == 1;
        let original = args.first().cloned();
        // An assertion whose message awaits was written out as an `if`
        // before (see `assertion_as_if`): here only the checked arguments await.
        // `.await`s inside closures or `async` blocks in the arguments are
        // theirs; `?` and `return` leave the function, so they are lowered too.
        let Some(last_await) = args.iter().rposition(|arg| awaits(arg) || exits(arg)) else {
            if keeps {
                for arg in &mut args {
                    *arg = self.expr_keeping(true, take(arg), out);
                }
                mac.tokens = if repeat && let [element, count] = &args[..] {
                    quote::quote!(#element; #count)
                } else {
                    let tokens: syn::punctuated::Punctuated<Expr, syn::Token![,]> =
                        args.into_iter().collect();
                    quote::ToTokens::to_token_stream(&tokens)
                };
            }
            return;
        };
        for (i, arg) in args.iter_mut().enumerate().take(last_await + 1) {
            let value = match arg {
                // `name = value` in a format string's arguments.
                Expr::Assign(assign) => &mut *assign.right,
                other => other,
            };
            if awaits(value) || exits(value) || !is_pure(value) && !is_place(value) {
                let keeping = self.keeping || i < last_await;
                let lowered = self.expr_keeping(keeping, take(value), out);
                *value = if i == last_await
                    && !exits(&lowered)
                    && !awaits_in_a_branch(&lowered)
                    && !awaits_after_a_statement(&lowered)
                {
                    // The last argument that awaits keeps its shape: only
                    // its awaits come out, so that what the macro borrows
                    // (`format!("{}", make(x.await).field)`) is a place of
                    // the statement, with the statement's temporaries.
                    self.extract_awaits(lowered, out)
                } else {
                    self.hoist(lowered, out)
                };
            } else if i == last_await {
                *value = self.expr(take(value), out);
            }
        }
        if repeat && let [element, count] = &args[..] {
            mac.tokens = quote::quote!(#element; #count);
            return;
        }
        let mut tokens: syn::punctuated::Punctuated<Expr, syn::Token![,]> =
            args.into_iter().collect();
        if condition && let Some(original) = original {
            // rustc's message names the condition as written.
            tokens.push(syn::parse_quote!("{}"));
            tokens.push(syn::parse_quote!(::core::concat!(
                "assertion failed: ",
                ::core::stringify!(#original)
            )));
        }
        mac.tokens = quote::ToTokens::to_token_stream(&tokens);
    }

    /// Replaces each `.await` of `expr` that is not in a closure or an
    /// `async` block with a temporary that holds its output, declared in
    /// `out` in evaluation order. Operands evaluated before an `.await` are
    /// hoisted already, and none of these is in a branch.
    fn extract_awaits(&mut self, mut expr: Expr, out: &mut Vec<Stmt>) -> Expr {
        struct Extractor<'a> {
            normalizer: &'a mut Normalizer,
            out: &'a mut Vec<Stmt>,
        }
        impl VisitMut for Extractor<'_> {
            fn visit_expr_mut(&mut self, expr: &mut Expr) {
                match expr {
                    Expr::Closure(_) | Expr::Async(_) => {}
                    Expr::Await(_) => {
                        syn::visit_mut::visit_expr_mut(self, expr);
                        *expr = self.normalizer.hoist(take(expr), self.out);
                    }
                    _ => syn::visit_mut::visit_expr_mut(self, expr),
                }
            }
            fn visit_item_mut(&mut self, _: &mut syn::Item) {}
        }
        Extractor {
            normalizer: self,
            out,
        }
        .visit_expr_mut(&mut expr);
        expr
    }

    /// `matches!(expr, pattern)`: the expression is lowered like an operand.
    fn matches_arguments(&mut self, mac: &mut syn::Macro, out: &mut Vec<Stmt>) {
        let tokens: Vec<TokenTree> = mac.tokens.clone().into_iter().collect();
        let comma = tokens
            .iter()
            .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','));
        let Some(comma) = comma else {
            self.check_macro(mac);
            return;
        };
        let head: TokenStream = tokens[..comma].iter().cloned().collect();
        let rest: TokenStream = tokens[comma..].iter().cloned().collect();
        let (Ok(scrutinee), None) = (syn::parse2::<Expr>(head), find_await_token(rest.clone()))
        else {
            self.check_macro(mac);
            return;
        };
        let lowered = self.expr(scrutinee, out);
        let name = self.hoist(lowered, out);
        let mut rebuilt = quote::ToTokens::to_token_stream(&name);
        rebuilt.extend(rest);
        mac.tokens = rebuilt;
    }

    /// Refuses an `.await` among a macro's tokens that cannot be lowered.
    fn check_macro(&mut self, mac: &syn::Macro) {
        if let Some(span) = find_await_token(mac.tokens.clone()) {
            self.error(syn::Error::new(
                span,
                format!(
                    "`#[desugar]` cannot lower an `.await` inside `{}!`, whose arguments are not \
                     expressions it knows: bind the awaited value to a local first, as in \
                     `let value = future.await;`",
                    macro_name(mac)
                ),
            ));
        }
    }
}

/// Wraps `expr` in a block after the `let`s of its hoisted operands.
fn wrap(hoisted: Vec<Stmt>, expr: Expr) -> Expr {
    if hoisted.is_empty() {
        return expr;
    }
    let mut block: Block = syn::parse_quote!({});
    block.stmts = hoisted;
    block.stmts.push(Stmt::Expr(expr, None));
    Expr::Block(ExprBlock {
        attrs: Vec::new(),
        label: None,
        block,
    })
}

/// The guard of a match arm, if it has one.
fn guard(arm: &syn::Arm) -> Option<&Expr> {
    match &arm.pat {
        syn::Pat::Guard(guarded) => Some(&guarded.guard),
        _ => None,
    }
}

fn take(expr: &mut Expr) -> Expr {
    std::mem::replace(expr, Expr::Verbatim(TokenStream::new()))
}

/// Whether macro tokens hold a `?` or `return` (outside nested groups'
/// closures, which a token scan cannot tell apart: those are rare).
fn has_exit_token(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Punct(p) => p.as_char() == '?',
        TokenTree::Ident(i) => i == "return",
        TokenTree::Group(g) => has_exit_token(g.stream()),
        TokenTree::Literal(_) => false,
    })
}

/// Whether `expr` uses `?` or `return` of this function (not of a closure
/// or `async` block inside it).
fn exits(expr: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr_try(&mut self, _: &'ast syn::ExprTry) {
            self.0 = true;
        }
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_expr(&mut finder, expr);
    finder.0
}

/// The `element; count` of `vec![element; count]`, as two expressions.
fn vec_repeat(tokens: TokenStream) -> Option<Vec<Expr>> {
    syn::parse::Parser::parse2(
        |input: syn::parse::ParseStream<'_>| {
            let element: Expr = input.parse()?;
            input.parse::<syn::Token![;]>()?;
            let count: Expr = input.parse()?;
            Ok(vec![element, count])
        },
        tokens,
    )
    .ok()
}

/// A std macro whose awaits cannot be hoisted out of its arguments, since
/// they run only on some paths, written out as the macro expands, so that
/// they are lowered like any other branch.
fn written_out(mac: &syn::Macro) -> Option<Expr> {
    assertion_as_if(mac).or_else(|| guarded_matches_as_match(mac))
}

/// `matches!(scrutinee, pattern if guard)` whose guard awaits, `?`s or
/// returns, written out as the macro itself expands: `match scrutinee {
/// pattern if guard => true, _ => false }`.
fn guarded_matches_as_match(mac: &syn::Macro) -> Option<Expr> {
    if macro_name(mac) != "matches" {
        return None;
    }
    syn::parse::Parser::parse2(
        |input: syn::parse::ParseStream<'_>| {
            let scrutinee: Expr = input.parse()?;
            input.parse::<syn::Token![,]>()?;
            let pattern = syn::Pat::parse_multi_with_leading_vert(input)?;
            input.parse::<syn::Token![if]>()?;
            let guard: Expr = input.parse()?;
            input.parse::<Option<syn::Token![,]>>()?;
            Ok((contains_await(&guard) || exits(&guard)).then(
                || syn::parse_quote!(match #scrutinee { #pattern if #guard => true, _ => false }),
            ))
        },
        mac.tokens.clone(),
    )
    .ok()
    .flatten()
}

/// An assertion whose message awaits, `?`s or returns, written out as the
/// macro itself expands, so that the message runs only when the check
/// fails:
///
/// ```text
/// assert!(c, msg..)        =>  if !c { panic!(msg..) }
/// assert_eq!(a, b, msg..)  =>  { let l = a; let r = b;
///                                if !(l == r) { let m = format!(msg..);
///                                  panic!("assertion `left == right` failed: {}\n  left: \
///                                  {:?}\n right: {:?}", m, l, r) } }
/// ```
///
/// The second is the message `core` writes, with the same text. The
/// compared values are owned locals (or places, left where they are), not
/// borrows as in the macro, so the message's awaits hold no borrow. The
/// `debug_` forms check nothing without `debug_assertions`, as they do.
fn assertion_as_if(mac: &syn::Macro) -> Option<Expr> {
    let name = macro_name(mac);
    let operator = match name.trim_start_matches("debug_") {
        "assert" => None,
        "assert_eq" => Some(syn::BinOp::Eq(Default::default())),
        "assert_ne" => Some(syn::BinOp::Ne(Default::default())),
        _ => return None,
    };
    let args = syn::parse::Parser::parse2(
        syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
        mac.tokens.clone(),
    )
    .ok()?;
    let args: Vec<Expr> = args.into_iter().collect();
    let Some(operator) = operator else {
        let (condition, message) = args.split_first()?;
        return assertion_message_as_if(&name, condition.clone(), message);
    };
    let [left, right, message @ ..] = &args[..] else {
        return None;
    };
    if !message.iter().any(|arg| contains_await(arg) || exits(arg)) {
        return None;
    }
    // Evaluated once, in order, into locals; a place is compared where it is.
    let mut lets: Vec<Stmt> = Vec::new();
    let mut operand = |expr: Expr, name: &str| -> Expr {
        if is_place(&expr) {
            return expr;
        }
        let local = format_ident!("__assert_{name}");
        lets.push(syn::parse_quote!(let #local = #expr;));
        syn::parse_quote!(#local)
    };
    let left = operand(left.clone(), "left");
    let right = operand(right.clone(), "right");
    let failed = not(Expr::Binary(syn::ExprBinary {
        attrs: Vec::new(),
        left: Box::new(left.clone()),
        op: operator,
        right: Box::new(right.clone()),
    }));
    let symbol = quote::ToTokens::to_token_stream(&operator).to_string();
    let format =
        format!("assertion `left {symbol} right` failed: {{}}\n  left: {{:?}}\n right: {{:?}}");
    let check: Expr = syn::parse_quote!({
        #(#lets)*
        if #failed {
            let __assert_message = ::std::format!(#(#message),*);
            ::core::panic!(#format, __assert_message, #left, #right)
        }
    });
    Some(only_in_debug(&name, check))
}

/// `assert!(condition, message..)` with a message that awaits, as an `if`.
fn assertion_message_as_if(name: &str, condition: Expr, message: &[Expr]) -> Option<Expr> {
    if !message.iter().any(|arg| contains_await(arg) || exits(arg)) {
        return None;
    }
    let failed = not(condition);
    let check: Expr = syn::parse_quote!(if #failed { ::core::panic!(#(#message),*) });
    Some(only_in_debug(name, check))
}

/// `!expr`, built as a tree, so that printing parenthesizes `a == b`.
fn not(expr: Expr) -> Expr {
    Expr::Unary(syn::ExprUnary {
        attrs: Vec::new(),
        op: syn::UnOp::Not(Default::default()),
        expr: Box::new(expr),
    })
}

/// A `debug_` assertion's check runs only with `debug_assertions`.
fn only_in_debug(name: &str, check: Expr) -> Expr {
    if name.starts_with("debug_") {
        syn::parse_quote!(if ::core::cfg!(debug_assertions) { #check })
    } else {
        check
    }
}

/// Whether evaluating `expr` has no effect at all, so that code which
/// would evaluate it and then diverge can skip it.
pub(crate) fn is_effect_free(expr: &Expr) -> bool {
    is_pure(expr) || is_place(expr)
}

/// Whether an extending position of `expr` (see
/// `Normalizer::extend_temporaries`) borrows a temporary, or pins one.
fn has_extended(expr: &Expr) -> bool {
    match expr {
        Expr::Reference(e) => is_temporary(&e.expr) || has_extended(&e.expr),
        Expr::Macro(e) => is_pin_macro(&e.mac),
        Expr::Array(e) => e.elems.iter().any(has_extended),
        Expr::Tuple(e) => e.elems.iter().any(has_extended),
        Expr::Struct(e) => e.fields.iter().any(|field| has_extended(&field.expr)),
        Expr::Cast(e) => has_extended(&e.expr),
        Expr::Paren(e) => has_extended(&e.expr),
        Expr::Group(e) => has_extended(&e.expr),
        _ => false,
    }
}

/// `pin!`, `std::pin::pin!` or `core::pin::pin!`.
fn is_pin_macro(mac: &syn::Macro) -> bool {
    let segments: Vec<String> = mac
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    matches!(
        segments.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["pin"] | ["std" | "core", "pin", "pin"]
    )
}

/// Whether a `let` pattern is *extending*: it binds by reference (`ref x`,
/// `ref mut x`), or a struct, tuple, slice or `|` pattern with such a part.
fn binds_by_reference(pat: &syn::Pat) -> bool {
    any_part(pat, &|part| match part {
        syn::Pat::Ident(ident) if ident.by_ref.is_some() => Some(true),
        _ => None,
    })
}

/// A value that `&` makes a temporary of, in rustc's terms: not a place,
/// and not a constant rustc would promote to a `'static` (`&5`, `&[1, 2]`).
fn is_temporary(expr: &Expr) -> bool {
    !is_place_expression(expr) && !is_constant(expr)
}

/// A place expression in Rust's terms (a path, a field, an index, a
/// dereference), whatever its evaluation does. (`&f().x` borrows a field
/// of a temporary; it is left as it is.)
fn is_place_expression(expr: &Expr) -> bool {
    match expr {
        Expr::Path(_) | Expr::Field(_) | Expr::Index(_) => true,
        Expr::Unary(unary) => matches!(unary.op, syn::UnOp::Deref(_)),
        Expr::Paren(e) => is_place_expression(&e.expr),
        Expr::Group(e) => is_place_expression(&e.expr),
        _ => false,
    }
}

fn is_constant(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(_) => true,
        Expr::Path(path) => path.qself.is_none() && !is_local_like(&path.path),
        Expr::Array(array) => array.elems.iter().all(is_constant),
        Expr::Tuple(tuple) => tuple.elems.iter().all(is_constant),
        Expr::Unary(unary) => matches!(unary.op, syn::UnOp::Neg(_)) && is_constant(&unary.expr),
        Expr::Paren(e) => is_constant(&e.expr),
        Expr::Group(e) => is_constant(&e.expr),
        _ => false,
    }
}

/// Whether evaluating `expr` makes a temporary that lives to the end of
/// the statement, which [`Normalizer::hoist`] names where
/// temporaries are kept: a borrow of a temporary, or the receiver of a
/// method that borrows it. (The rest of a temporary a field is moved out
/// of, `make().1`, is not kept: a local cannot be moved out of in part and
/// kept in place.) What has scopes of
/// its own is not looked into: closures and `async` blocks, blocks, the
/// conditions and bodies of `if` and loops, the operands of `&&` and `||`,
/// the arms of a `match` (its scrutinee is looked into).
fn keeps_temporary(expr: &Expr) -> bool {
    match expr {
        Expr::Reference(e) if is_temporary(&e.expr) => true,
        Expr::MethodCall(call) if is_kept_receiver(&call.receiver, &call.method) => true,
        Expr::MethodCall(call) => {
            keeps_temporary(&call.receiver) || call.args.iter().any(keeps_temporary)
        }
        Expr::Call(call) => keeps_temporary(&call.func) || call.args.iter().any(keeps_temporary),
        Expr::Binary(e) if is_lazy(&e.op) => false,
        Expr::Binary(e) => keeps_temporary(&e.left) || keeps_temporary(&e.right),
        Expr::Array(e) => e.elems.iter().any(keeps_temporary),
        Expr::Tuple(e) => e.elems.iter().any(keeps_temporary),
        Expr::Struct(e) => {
            e.fields.iter().any(|field| keeps_temporary(&field.expr))
                || e.rest.as_deref().is_some_and(keeps_temporary)
        }
        Expr::Range(e) => [&e.start, &e.end]
            .into_iter()
            .flatten()
            .any(|bound| keeps_temporary(bound)),
        Expr::Reference(e) => keeps_temporary(&e.expr),
        Expr::RawAddr(e) => keeps_temporary(&e.expr),
        Expr::Field(e) => keeps_temporary(&e.base),
        Expr::Index(e) => keeps_temporary(&e.expr) || keeps_temporary(&e.index),
        Expr::Assign(e) => keeps_temporary(&e.left) || keeps_temporary(&e.right),
        Expr::Cast(e) => keeps_temporary(&e.expr),
        Expr::Paren(e) => keeps_temporary(&e.expr),
        Expr::Group(e) => keeps_temporary(&e.expr),
        Expr::Unary(e) => reads_through_owned(e) || keeps_temporary(&e.expr),
        Expr::Try(e) => keeps_temporary(&e.expr),
        Expr::Await(e) => keeps_temporary(&e.base),
        Expr::Repeat(e) => keeps_temporary(&e.expr),
        Expr::Match(e) => keeps_temporary(&e.expr),
        Expr::Return(e) => e.expr.as_deref().is_some_and(keeps_temporary),
        Expr::Break(e) => e.expr.as_deref().is_some_and(keeps_temporary),
        _ => false,
    }
}

/// A method's receiver that rustc makes a temporary of: a value (not a
/// place, not a constant) that may own something to drop, of a method that
/// does not, by `std`'s conventions, take it by value (`into_*`, `unwrap`,
/// `map`, ... move it, and leave no temporary). A reference, a cast, a
/// range or arithmetic on numbers owns nothing to keep.
fn is_kept_receiver(receiver: &Expr, method: &Ident) -> bool {
    is_kept_base(receiver) && !crate::analysis::consumes_receiver(method)
}

/// A value a method is called on that is a temporary which may own
/// something to drop. A method's result is one only if the method's name
/// says it makes an owned value or a guard ([`returns_owned`]): one that
/// returns a reference (`n.name()`, `x.as_str()`) is passed on as it is,
/// and makes no temporary.
fn is_kept_base(base: &Expr) -> bool {
    match base {
        Expr::Paren(e) => is_kept_base(&e.expr),
        Expr::Group(e) => is_kept_base(&e.expr),
        Expr::MethodCall(call) => returns_owned(&call.method),
        Expr::Reference(_)
        | Expr::RawAddr(_)
        | Expr::Cast(_)
        | Expr::Range(_)
        | Expr::Lit(_)
        | Expr::Closure(_)
        | Expr::Unary(_) => false,
        other => is_temporary(other),
    }
}

/// `*m.lock().unwrap()`: a dereference of a method's owned result (a
/// guard), which the statement keeps while the value is read through it.
fn reads_through_owned(e: &syn::ExprUnary) -> bool {
    matches!(e.op, syn::UnOp::Deref(_))
        && matches!(&*e.expr, Expr::MethodCall(call) if returns_owned(&call.method))
}

/// Whether `expr` awaits, in the arguments of a macro it holds too
/// (`f(a(), vec![b.await])`: `a()` runs before `b`, so it is hoisted).
fn awaits(expr: &Expr) -> bool {
    let mut finder = AwaitFinder(false);
    syn::visit::Visit::visit_expr(&mut finder, expr);
    finder.0
}

/// [`awaits`], for a block.
fn block_awaits(block: &Block) -> bool {
    let mut finder = AwaitFinder(false);
    syn::visit::Visit::visit_block(&mut finder, block);
    finder.0
}

/// Finds an `.await` of this function, in macro arguments too.
struct AwaitFinder(bool);

impl<'ast> syn::visit::Visit<'ast> for AwaitFinder {
    fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {
        self.0 = true;
    }
    fn visit_macro(&mut self, node: &'ast syn::Macro) {
        self.0 |= find_await_token(node.tokens.clone()).is_some();
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Whether `expr` may suspend at an `.await` it does not certainly reach:
/// one in a branch of an `if` or a `match` (or a guard), on the right of
/// `&&` or `||`, in a loop, in the `else` of a `let`-`else`, or in a
/// macro's arguments, whose expansion only the compiler knows.
/// Whether an `.await` in `expr` follows a statement of a block
/// (`{ let t = a().await; f(t).await }`): pulling it out of the block would
/// run it before that statement.
fn awaits_after_a_statement(expr: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_block(&mut self, block: &'ast Block) {
            self.0 |= block.stmts.len() > 1 && block_awaits(block);
            syn::visit::visit_block(self, block);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_expr(&mut finder, expr);
    finder.0
}

fn awaits_in_a_branch(expr: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr_if(&mut self, e: &'ast syn::ExprIf) {
            self.visit_expr(&e.cond);
            self.0 |= block_awaits(&e.then_branch)
                || e.else_branch
                    .as_ref()
                    .is_some_and(|(_, other)| awaits(other));
        }
        fn visit_expr_match(&mut self, e: &'ast syn::ExprMatch) {
            self.visit_expr(&e.expr);
            self.0 |= e
                .arms
                .iter()
                .any(|arm| guard(arm).is_some_and(awaits) || awaits(&arm.body));
        }
        fn visit_expr_binary(&mut self, e: &'ast syn::ExprBinary) {
            if is_lazy(&e.op) {
                self.visit_expr(&e.left);
                self.0 |= awaits(&e.right);
            } else {
                syn::visit::visit_expr_binary(self, e);
            }
        }
        fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
            self.0 |= block_awaits(&e.body);
        }
        fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
            self.0 |= awaits(&e.cond) || block_awaits(&e.body);
        }
        fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
            self.visit_expr(&e.expr);
            self.0 |= block_awaits(&e.body);
        }
        fn visit_local(&mut self, local: &'ast syn::Local) {
            if let Some(init) = &local.init {
                self.visit_expr(&init.expr);
                self.0 |= init
                    .diverge
                    .as_ref()
                    .is_some_and(|(_, other)| awaits(other));
            }
        }
        fn visit_macro(&mut self, node: &'ast syn::Macro) {
            self.0 |= find_await_token(node.tokens.clone()).is_some();
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_expr(&mut finder, expr);
    finder.0
}

/// Whether a macro's expansion puts its arguments in a statement of its
/// own (`format!`, `print!` and the like), which drops their temporaries.
fn has_own_statement(mac: &syn::Macro) -> bool {
    matches!(
        macro_name(mac).as_str(),
        "format" | "print" | "println" | "eprint" | "eprintln"
    )
}

/// Whether a condition is a `let`, or a chain with one.
fn has_let(cond: &Expr) -> bool {
    match cond {
        Expr::Let(_) => true,
        Expr::Binary(e) => has_let(&e.left) || has_let(&e.right),
        Expr::Paren(e) => has_let(&e.expr),
        Expr::Group(e) => has_let(&e.expr),
        _ => false,
    }
}

/// Method names that, by the conventions of `std`, return an owned value
/// or a guard (not a reference): `to_*`, `into_*`, `clone`, `collect`,
/// `unwrap*` and `expect*` (of a lock's result), and the guards of
/// `RefCell`, `Mutex` and `RwLock`.
fn returns_owned(method: &Ident) -> bool {
    let name = method.to_string();
    [
        "to_",
        "into_",
        "unwrap",
        "expect",
        "try_borrow",
        "try_lock",
        "try_read",
        "try_write",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
        || matches!(
            name.as_str(),
            "clone" | "collect" | "borrow" | "borrow_mut" | "lock" | "read" | "write" | "into"
        )
}

/// An operand whose evaluation has no effect and reads nothing an `.await`
/// could change: evaluating it after the `.await` is the same as before.
fn is_pure(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(_) | Expr::Closure(_) => true,
        Expr::Path(path) => path.qself.is_none() && !is_local_like(&path.path),
        Expr::Reference(reference) => is_place(&reference.expr),
        Expr::RawAddr(raw) => is_place(&raw.expr),
        Expr::Paren(e) => is_pure(&e.expr),
        Expr::Group(e) => is_pure(&e.expr),
        _ => false,
    }
}

/// A place expression whose evaluation has no effect: a path, its fields,
/// a dereference of one, or an element at a simple index.
fn is_place(expr: &Expr) -> bool {
    match expr {
        Expr::Path(path) => path.qself.is_none(),
        Expr::Field(field) => is_place(&field.base),
        Expr::Paren(e) => is_place(&e.expr),
        Expr::Group(e) => is_place(&e.expr),
        Expr::Unary(unary) => matches!(unary.op, syn::UnOp::Deref(_)) && is_place(&unary.expr),
        Expr::Index(index) => {
            is_place(&index.expr)
                && (is_pure(&index.index) || matches!(*index.index, Expr::Path(_)))
        }
        _ => false,
    }
}

/// A one-segment lowercase path, which names a local (or a parameter) by
/// Rust's naming conventions; constants, statics and variants are
/// uppercase, and longer paths cannot name locals.
fn is_local_like(path: &syn::Path) -> bool {
    path.leading_colon.is_none()
        && path.segments.len() == 1
        && path.segments[0].arguments.is_none()
        && path.segments[0]
            .ident
            .to_string()
            .starts_with(|c: char| c.is_lowercase() || c == '_')
}

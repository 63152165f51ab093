//! Pinned locals: kept in place in the future, as rustc keeps them.
//!
//! A local that a state holds (see `analysis::pinning`) does not move while
//! the function is suspended. It gets a *slot* in the future itself,
//! beside the state:
//!
//! ```text
//! struct __ExampleSlots<Text> { text: MaybeUninit<Text> }
//! struct __ExampleFuture<.., R> { state, slots: __ExampleSlots<..>, resume: R, _pinned }
//! ```
//!
//! The future is pinned once polled, so a slot never moves. The local is
//! written into its slot where the body declares it (`let text = ..;`
//! becomes `let text = unsafe { __ExampleSlots::text_slot(__slots) }
//! .fill(..);`), and from then on the running code holds a *handle*,
//! `__Pinned<Text, _>`: a pointer to the slot that drops the value in place
//! when it is itself dropped, so the drop happens exactly where the local's
//! scope ends. A state holds no pointer: where it would hold the local it
//! holds `__InSlot<Text, _>`, a marker (`park`) as small as its drop flag, and the handle is
//! made again from the slot when the state is resumed (`unpark`). Dropping
//! a state (cancellation, a panic) drops its locals one by one, the pinned
//! ones in their slots, in the native order (`states::poison`).
//!
//! A slot also keeps a drop flag if the body moves the local out somewhere
//! (`drop(text)`, `return text`): such a use takes the value out
//! (`take`), and the flag keeps the handle from dropping it again, as a
//! native `async fn`'s drop flag does. An assignment (`text = ..`) drops
//! the old value unless it was moved out (`assign`).
//!
//! Each name of the local in the body becomes `(*unsafe { text.place() })`:
//! the value in the slot, reached through a reference whose lifetime rustc
//! does not tie to anything, since no Rust lifetime can say "as long as the
//! future's frame". A borrow of it (`&text[1..]`) can then be stored in a
//! state. Closures and `async` blocks that name it get that reference
//! bound just outside them, so that they capture the value, not the handle.
//!
//! An unchecked lifetime needs a checker. The function's body is compiled
//! a second time as what it is, an `async move` block, inside an `if false`
//! at the start (never run, so it costs no time and no space), and rustc's
//! borrow checker checks every borrow there: a borrow of a pinned local
//! that outlives it, escapes in the output, or overlaps a move or a
//! mutation is rejected there, with rustc's own message, at the user's
//! code. The desugared body has the same borrows at the same places, and
//! keeps each pinned local alive and in place for its whole scope, so what
//! the check accepts is sound here.

use std::collections::HashMap;

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat};

use super::names::Names;
use super::resume::hidden;
use crate::analysis::{Analysis, BindingId, Declaration, Pins, consumes_receiver};

/// Rewrites the body so that it reaches each pinned local in its slot.
///
/// Records in `pins.moved` the locals it moves out somewhere.
pub(crate) fn rewrite(body: &mut syn::Block, pins: &mut Pins, function: &Ident) {
    if !pins.slots.is_empty() {
        let slots = super::names::slots(function);
        let patterns = pins
            .slots
            .iter()
            .filter_map(|(binding, slot, declaration)| match declaration {
                Declaration::Bound(site) => Some((*site, (*binding, slot.clone()))),
                _ => None,
            })
            .collect();
        let mut rewriter = Rewriter {
            pins,
            slots,
            bound: None,
            bound_by_move: false,
            bound_bindings: Vec::new(),
            bound_values: Vec::new(),
            captures: false,
            bound_places: Vec::new(),
            replaced: Vec::new(),
            moved: Vec::new(),
            patterns,
            pending: Vec::new(),
            unfilled: HashMap::new(),
        };
        rewriter.visit_block_mut(body);
        let moved = rewriter.moved;
        pins.captures = rewriter.captures;
        pins.moved.extend(moved);
    }
}

struct Rewriter<'p> {
    pins: &'p Pins,
    /// The slots struct (see `names`).
    slots: Ident,
    /// Inside a closure or `async` block: the pinned names it uses, bound
    /// just outside it to their places, or for a `move` one to their values.
    bound: Option<Vec<Ident>>,
    /// Whether that closure or block is `move`.
    bound_by_move: bool,
    /// The bindings of the names in `bound`, as far as known.
    bound_bindings: Vec<BindingId>,
    /// Of the names in `bound`, those the closure or block uses by value.
    bound_values: Vec<(Ident, BindingId)>,
    /// Of the names in `bound`, those it uses in place (borrows, reads).
    bound_places: Vec<Ident>,
    /// Whether an `async` block took one of them (see `__Captured`).
    captures: bool,
    /// The names replaced so far, kept alive until the rewrite ends: names
    /// are found by address (`Pins::mentions`), and a node made later must
    /// not be allocated where a replaced name was.
    replaced: Vec<Expr>,
    /// The pinned bindings moved out somewhere.
    moved: Vec<BindingId>,
    /// The pinned bindings a pattern declares, by the address of their
    /// name, with their slots.
    patterns: HashMap<usize, (BindingId, Ident)>,
    /// Of those, the ones the pattern being rewritten bound: the handle's
    /// name, the name the pattern now binds, the slot. Their slots are
    /// filled where their scope begins (`fills`).
    pending: Vec<(Ident, Ident, Ident)>,
    /// Bound by a pattern, not in their slots yet: a guard, or a later
    /// condition of a `let` chain, names them as the pattern bound them.
    unfilled: HashMap<BindingId, Ident>,
}

impl Rewriter<'_> {
    /// `*expr = new`, keeping the old node alive (see `replaced`).
    fn replace(&mut self, expr: &mut Expr, new: Expr) {
        let old = std::mem::replace(expr, new);
        self.replaced.push(old);
    }

    /// What a name of a pinned local becomes.
    fn place(&mut self, ident: &Ident) -> TokenStream {
        match &mut self.bound {
            Some(bound) => {
                if !bound.contains(ident) {
                    bound.push(ident.clone());
                }
                let place = place_name(ident);
                if self.bound_by_move {
                    quote!(#place)
                } else {
                    quote!((*#place))
                }
            }
            // SAFETY: `place`'s contract holds: every borrow of this local
            // was checked in the body's native twin (see the module docs),
            // and its handle lives until the local's scope ends.
            None => quote!((*unsafe { #ident.place() })),
        }
    }
}

impl Rewriter<'_> {
    /// The pinned local `expr` names, if it is one.
    fn pinned(&self, expr: &Expr) -> Option<Ident> {
        self.pinned_binding(expr).map(|(ident, _)| ident)
    }

    /// `expr` as a pattern bound it, if it names a pinned binding whose
    /// slot is not filled yet (see `unfilled`).
    fn as_bound(&self, expr: &Expr) -> Option<Expr> {
        let (_, binding) = self.pinned_binding(expr)?;
        let renamed = self.unfilled.get(&binding)?;
        Some(syn::parse_quote!(#renamed))
    }

    /// The statements that move the pattern bindings just rewritten into
    /// their slots: `let x = slot.fill(__bound_x);`, at the start of their
    /// scope (the body of the arm, the block an `if let` guards, just after
    /// a destructuring `let`). Each handle drops at the end of that scope,
    /// where the binding would.
    fn fills(&mut self) -> Vec<(Ident, Expr)> {
        let pending = std::mem::take(&mut self.pending);
        pending
            .into_iter()
            .map(|(handle, renamed, slot)| {
                self.unfilled.retain(|_, name| *name != renamed);
                let fill = fill(&self.slots, &slot, Box::new(syn::parse_quote!(#renamed)));
                (handle, fill)
            })
            .collect()
    }

    /// A block that the pattern `bind` rewrites guards (`if let`, `while
    /// let`, a `for` loop's): the bindings are filled first thing in it.
    fn guarded_block(&mut self, bind: impl FnOnce(&mut Self), block: &mut syn::Block) {
        let outer = std::mem::take(&mut self.pending);
        bind(self);
        let fills = self.fills();
        self.visit_block_mut(block);
        Self::put_fills(block.stmts.first_mut(), fills);
        self.pending = outer;
    }

    /// Puts `fills` where lowering left room for them, the placeholder
    /// `stmt` (see `lower::fills`), as one statement, `let (a, b) =
    /// (fill_a, fill_b);`: replaced where it is, nothing moves.
    fn put_fills(stmt: Option<&mut syn::Stmt>, fills: Vec<(Ident, Expr)>) {
        if fills.is_empty() {
            return;
        }
        // Lowering leaves a placeholder wherever a pattern binds; were one
        // missing, the handles would be missing too: a compile error naming
        // them, not a panic of the macro.
        let Some(stmt) = stmt.filter(|stmt| crate::lower::is_placeholder(stmt)) else {
            return;
        };
        let (handles, values): (Vec<Ident>, Vec<Expr>) = fills.into_iter().unzip();
        *stmt = match (handles.as_slice(), values.as_slice()) {
            ([handle], [value]) => syn::parse_quote!(let #handle = #value;),
            _ => syn::parse_quote!(let (#(#handles),*) = (#(#values),*);),
        };
    }

    fn pinned_binding(&self, expr: &Expr) -> Option<(Ident, BindingId)> {
        if let Expr::Path(path) = expr
            && let Some(ident) = path.path.get_ident()
            && let Some(&binding) = self
                .pins
                .mentions
                .get(&(std::ptr::from_ref(ident) as usize))
        {
            return Some((ident.clone(), binding));
        }
        None
    }

    /// Whether `expr` names a pinned local for the last time (see
    /// `Pins::last_uses`).
    fn is_last_use(&self, expr: &Expr) -> bool {
        if let Expr::Path(path) = expr
            && let Some(ident) = path.path.get_ident()
        {
            let address = std::ptr::from_ref(ident) as usize;
            self.pins.mentions.contains_key(&address) && self.pins.last_uses.contains(&address)
        } else {
            false
        }
    }

    /// An operand used by value: a pinned local named there is moved out
    /// of its slot (copied, if it is `Copy`), as a native use by value.
    /// Only where the whole value is certainly used by value: an argument,
    /// a returned or assigned value, a tail, a field of a new value; a
    /// scrutinee may bind only parts of it, and is left in place.
    fn operand(&mut self, expr: &mut Expr) {
        if let Some(bound) = self.as_bound(expr) {
            self.replace(expr, bound);
            return;
        }
        match self.pinned_binding(expr) {
            Some((ident, binding)) if self.bound.is_none() => {
                self.moved.push(binding);
                // SAFETY: see `take`.
                self.replace(expr, syn::parse_quote!(unsafe { #ident.take() }));
            }
            Some((ident, binding)) => {
                self.bound_values.push((ident.clone(), binding));
                self.bound_bindings.push(binding);
                let place = syn::parse2(self.place(&ident)).expect("a place expression");
                self.replace(expr, place);
            }
            _ => self.visit_expr_mut(expr),
        }
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Some(bound) = self.as_bound(expr) {
            self.replace(expr, bound);
            return;
        }
        if let Some((ident, binding)) = self.pinned_binding(expr) {
            if self.bound.is_some() {
                self.bound_bindings.push(binding);
                self.bound_places.push(ident.clone());
            }
            let place = syn::parse2(self.place(&ident)).expect("a place expression");
            self.replace(expr, place);
            return;
        }
        if let Expr::Assign(assign) = expr
            && self.bound.is_none()
            && let Some(ident) = self.pinned(&assign.left)
        {
            self.operand(&mut assign.right);
            let Expr::Assign(mut assign) = std::mem::replace(expr, Expr::PLACEHOLDER) else {
                unreachable!("matched just above")
            };
            let left = std::mem::replace(&mut *assign.left, Expr::PLACEHOLDER);
            self.replaced.push(left);
            // SAFETY: see `assign`.
            let mut call: syn::ExprMethodCall =
                syn::parse_quote!(unsafe { #ident.assign() }.with(()));
            call.args[0] = in_place(assign.right);
            *expr = Expr::MethodCall(call);
            return;
        }
        if matches!(expr, Expr::Closure(_) | Expr::Async(_)) && self.bound.is_none() {
            // Bind the places just outside, so that the closure captures
            // the values in the slots, not the handles; a `move` one takes
            // the values out, as it would take the locals (whole: one that
            // names only a field is not kept in place, see
            // `analysis::pinning`), and the drop flags say they went.
            let by_move = match expr {
                Expr::Closure(closure) => closure.capture.is_some(),
                Expr::Async(block) => block.capture.is_some(),
                _ => false,
            };
            let mutated = mutated_names(expr);
            let is_block = matches!(expr, Expr::Async(_));
            let outer = self.bound.replace(Vec::new());
            self.bound_by_move = by_move;
            self.bound_bindings.clear();
            self.bound_values.clear();
            self.bound_places.clear();
            visit_mut::visit_expr_mut(self, expr);
            self.bound_by_move = false;
            let bound = std::mem::replace(&mut self.bound, outer).unwrap_or_default();
            if !bound.is_empty() {
                let mut inner = std::mem::replace(expr, Expr::PLACEHOLDER);
                let places = bound.iter().map(place_name);
                *expr = if by_move {
                    self.moved.append(&mut self.bound_bindings);
                    syn::parse_quote!({
                        #(
                            // SAFETY: see `take`; rustc checked the move in the native twin.
                            let #places = unsafe { #bound.take() };
                        )*
                        #inner
                    })
                } else {
                    // A local an `async` block only uses by value (never
                    // borrows, assigns or names in a macro) is captured by
                    // value: rustc moves it in when the block is made,
                    // unless it is `Copy`, which it then borrows, and a copy
                    // taken now reads the same, since nothing may change it
                    // while it is lent and no borrow of it leaves the block.
                    // (A closure may be called again: one that borrows a
                    // `Copy` local is `Fn`, so it borrows it here.)
                    let values = std::mem::take(&mut self.bound_values);
                    let places = std::mem::take(&mut self.bound_places);
                    let (taken, lent): (Vec<&Ident>, Vec<&Ident>) =
                        bound.iter().partition(|ident| {
                            is_block
                                && values.iter().any(|(name, _)| name == *ident)
                                && !places.contains(ident)
                                && !mutated.contains(ident)
                        });
                    for (ident, binding) in &values {
                        if taken.contains(&ident) {
                            self.moved.push(*binding);
                        }
                    }
                    let taken_places: Vec<Ident> =
                        taken.iter().map(|ident| place_name(ident)).collect();
                    unwrap_derefs(&mut inner, &taken_places);
                    if let Expr::Async(block) = &mut inner
                        && !taken_places.is_empty()
                    {
                        self.captures = true;
                        let unwrap: Vec<syn::Stmt> = taken_places
                            .iter()
                            .map(|place| syn::parse_quote!(let #place = #place.into_inner();))
                            .collect();
                        block.block.stmts.splice(0..0, unwrap);
                    }
                    let lent_places = lent.iter().map(|ident| place_name(ident));
                    syn::parse_quote!({
                        #(
                            // SAFETY: see `take`; rustc checked the move in the native twin.
                            let #taken_places = __Captured(unsafe { #taken.take() });
                        )*
                        #(
                            // SAFETY: see `place`.
                            let #lent_places = unsafe { #lent.place() };
                        )*
                        #inner
                    })
                };
            }
            return;
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        // A closure kept in place is called in place: taking it out would
        // drop what it captured early, unless it is an `FnOnce`, which the
        // syntax does not tell (calling one in place is a borrow error).
        self.visit_expr_mut(&mut call.func);
        call.args.iter_mut().for_each(|arg| self.operand(arg));
    }

    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        // `v.into_iter()`, `it.map(..)`, `opt.unwrap()`: moved out at its
        // last use, by `std`'s naming; any other method borrows in place,
        // and one that did consume there would be a borrow error, never a
        // silent difference.
        if consumes_receiver(&call.method) && self.is_last_use(&call.receiver) {
            self.operand(&mut call.receiver);
        } else {
            self.visit_expr_mut(&mut call.receiver);
        }
        call.args.iter_mut().for_each(|arg| self.operand(arg));
    }

    fn visit_expr_await_mut(&mut self, node: &mut syn::ExprAwait) {
        self.operand(&mut node.base);
    }

    fn visit_expr_binary_mut(&mut self, node: &mut syn::ExprBinary) {
        use syn::BinOp::{
            Add, AddAssign, BitAnd, BitAndAssign, BitOr, BitOrAssign, BitXor, BitXorAssign, Div,
            DivAssign, Mul, MulAssign, Rem, RemAssign, Shl, ShlAssign, Shr, ShrAssign, Sub,
            SubAssign,
        };
        match node.op {
            // Arithmetic and bit operators take both operands by value.
            Add(_) | Sub(_) | Mul(_) | Div(_) | Rem(_) | BitAnd(_) | BitOr(_) | BitXor(_)
            | Shl(_) | Shr(_) => {
                self.operand(&mut node.left);
                self.operand(&mut node.right);
            }
            // `a += b`: `a` is a place, `b` a value.
            AddAssign(_) | SubAssign(_) | MulAssign(_) | DivAssign(_) | RemAssign(_)
            | BitAndAssign(_) | BitOrAssign(_) | BitXorAssign(_) | ShlAssign(_) | ShrAssign(_) => {
                self.visit_expr_mut(&mut node.left);
                self.operand(&mut node.right);
            }
            // Comparisons borrow; `&&` and `||` take `bool`s.
            _ => visit_mut::visit_expr_binary_mut(self, node),
        }
    }

    fn visit_expr_unary_mut(&mut self, node: &mut syn::ExprUnary) {
        match node.op {
            syn::UnOp::Neg(_) | syn::UnOp::Not(_) => self.operand(&mut node.expr),
            _ => visit_mut::visit_expr_unary_mut(self, node),
        }
    }

    fn visit_expr_cast_mut(&mut self, node: &mut syn::ExprCast) {
        self.operand(&mut node.expr);
    }

    fn visit_expr_return_mut(&mut self, node: &mut syn::ExprReturn) {
        if let Some(value) = &mut node.expr {
            self.operand(value);
        }
    }

    fn visit_expr_break_mut(&mut self, node: &mut syn::ExprBreak) {
        if let Some(value) = &mut node.expr {
            self.operand(value);
        }
    }

    fn visit_expr_struct_mut(&mut self, node: &mut syn::ExprStruct) {
        node.fields
            .iter_mut()
            .for_each(|f| self.operand(&mut f.expr));
        if let Some(rest) = &mut node.rest {
            self.visit_expr_mut(rest);
        }
    }

    fn visit_expr_tuple_mut(&mut self, node: &mut syn::ExprTuple) {
        node.elems.iter_mut().for_each(|e| self.operand(e));
    }

    fn visit_expr_array_mut(&mut self, node: &mut syn::ExprArray) {
        node.elems.iter_mut().for_each(|e| self.operand(e));
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let outer = std::mem::take(&mut self.pending);
        // The guard (inside the pattern) names what the pattern bound.
        self.visit_pat_mut(&mut arm.pat);
        let fills = self.fills();
        self.operand(&mut arm.body);
        // At the start of the body's block (a binding of an arm whose body
        // is no block is not pinned, see `analysis::scope`).
        let first = match &mut *arm.body {
            Expr::Block(body) => body.block.stmts.first_mut(),
            _ => None,
        };
        Self::put_fills(first, fills);
        self.pending = outer;
    }

    fn visit_expr_if_mut(&mut self, node: &mut syn::ExprIf) {
        self.guarded_block(
            |this| this.visit_expr_mut(&mut node.cond),
            &mut node.then_branch,
        );
        if let Some((_, branch)) = &mut node.else_branch {
            self.visit_expr_mut(branch);
        }
    }

    fn visit_expr_while_mut(&mut self, node: &mut syn::ExprWhile) {
        self.guarded_block(|this| this.visit_expr_mut(&mut node.cond), &mut node.body);
    }

    fn visit_expr_for_loop_mut(&mut self, node: &mut syn::ExprForLoop) {
        self.visit_expr_mut(&mut node.expr);
        self.guarded_block(|this| this.visit_pat_mut(&mut node.pat), &mut node.body);
    }

    fn visit_field_pat_mut(&mut self, node: &mut syn::FieldPat) {
        // `Point { x, .. }` binds `x` by the field's name: renamed, it is
        // written out, `Point { x: __bound_x, .. }`.
        visit_mut::visit_field_pat_mut(self, node);
        if node.colon_token.is_none()
            && let Pat::Ident(ident) = &*node.pat
            && let syn::Member::Named(name) = &node.member
            && ident.ident != *name
        {
            node.colon_token = Some(Default::default());
        }
    }

    fn visit_pat_ident_mut(&mut self, node: &mut syn::PatIdent) {
        if let Some((_, sub)) = &mut node.subpat {
            self.visit_pat_mut(sub);
        }
        let address = std::ptr::from_ref(&node.ident) as usize;
        let Some((binding, slot)) = self.patterns.get(&address).cloned() else {
            return;
        };
        // `mut x` -> `__bound_x`: the slot's value may be assigned, not this.
        let handle = node.ident.clone();
        let renamed = quote::format_ident!(
            "__bound_{}",
            handle
                .to_string()
                .trim_start_matches("r#")
                .trim_start_matches('_'),
            span = handle.span().resolved_at(proc_macro2::Span::mixed_site())
        );
        node.ident = renamed.clone();
        if node.by_ref.is_none() {
            node.mutability = None;
        }
        self.unfilled.insert(binding, renamed.clone());
        self.pending.push((handle, renamed, slot));
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        // Rewritten where they are (names are known by address), with the
        // slots of a destructuring `let`'s bindings filled just after it.
        let last = block.stmts.len().saturating_sub(1);
        for i in 0..block.stmts.len() {
            // What a pattern around this block bound (a guard's block, say)
            // is filled by that pattern's construct, not here.
            let outer = std::mem::take(&mut self.pending);
            let stmt = &mut block.stmts[i];
            let local = matches!(stmt, syn::Stmt::Local(_));
            match stmt {
                syn::Stmt::Expr(tail, None) if i == last => self.operand(tail),
                // `x;` moves `x` out and drops it there.
                syn::Stmt::Expr(value, Some(_)) => self.operand(value),
                other => self.visit_stmt_mut(other),
            }
            if local {
                let fills = self.fills();
                Self::put_fills(block.stmts.get_mut(i + 1), fills);
            }
            self.pending = outer;
        }
    }

    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        let address = std::ptr::from_ref(local) as usize;
        let declared = self
            .pins
            .slots
            .iter()
            .find(|(.., declaration)| *declaration == Declaration::Let(address));
        let binds = match &local.pat {
            Pat::Ident(ident) => ident.by_ref.is_none(),
            Pat::Type(typed) => matches!(&*typed.pat, Pat::Ident(i) if i.by_ref.is_none()),
            _ => false,
        };
        if binds && let Some(init) = &mut local.init {
            self.visit_pat_mut(&mut local.pat);
            self.operand(&mut init.expr);
            if let Some((_, diverge)) = &mut init.diverge {
                self.visit_expr_mut(diverge);
            }
        } else {
            // The initializer first: what it contains binds and fills its
            // own; then the pattern, whose bindings `visit_block_mut` fills
            // just after the statement.
            let outer = std::mem::take(&mut self.pending);
            if let Some(init) = &mut local.init {
                self.visit_expr_mut(&mut init.expr);
                if let Some((_, diverge)) = &mut init.diverge {
                    self.visit_expr_mut(diverge);
                }
            }
            self.pending = outer;
            self.visit_pat_mut(&mut local.pat);
        }
        let Some((_, slot, _)) = declared else {
            return;
        };
        // `let mut text: String = value;` -> `let text: __Pinned<String, _> = slot.fill(value);`
        // The handle is never assigned; the value in the slot may be.
        match &mut local.pat {
            Pat::Ident(ident) => ident.mutability = None,
            Pat::Type(typed) => {
                if let Pat::Ident(ident) = &mut *typed.pat {
                    ident.mutability = None;
                }
                let ty = &typed.ty;
                *typed.ty = syn::parse_quote!(__Pinned<#ty, _>);
            }
            _ => {}
        }
        if let Some(init) = &mut local.init {
            // The box moves, not the initializer in it (see `in_place`).
            let value = std::mem::replace(&mut init.expr, Box::new(Expr::PLACEHOLDER));
            *init.expr = fill(&self.slots, slot, value);
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        let address = std::ptr::from_ref(mac) as usize;
        if let Some(named) = self.pins.in_macros.get(&address) {
            let names: Vec<Ident> = named.iter().map(|(name, _)| name.clone()).collect();
            if self.bound.is_some() {
                // A closure's: a `move` one takes them (see `visit_expr_mut`).
                self.bound_bindings
                    .extend(named.iter().map(|&(_, binding)| binding));
            }
            let tokens = std::mem::take(&mut mac.tokens);
            mac.tokens = super::tidy::names_in_tokens(tokens, &names, &mut |ident| {
                // Not in its slot yet (a guard names it): as the pattern bound it.
                match self.pending.iter().find(|(handle, ..)| handle == ident) {
                    Some((_, bound, _)) => quote!(#bound),
                    None => self.place(ident),
                }
            });
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// For a future made after its state is stored (see `resume::lending_suspend`):
/// the pinned locals' handles are parked in the state by then, so their
/// places are taken before, as pointers, and `unsafe { x.place() }` in
/// `operand` becomes `unsafe { &mut *__pre_x }`. Returns the statements that
/// take them. It recognises exactly the form `Rewriter::place` writes: the
/// two change together.
pub(super) fn places_before_storing(operand: &mut Expr) -> Vec<syn::Stmt> {
    /// The handles the operand reaches, and whether it takes the value out.
    struct Places(Vec<(Ident, bool)>);
    impl VisitMut for Places {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            if let Expr::Unsafe(block) = expr
                && let [syn::Stmt::Expr(Expr::MethodCall(call), None)] = &block.block.stmts[..]
                && (call.method == "place" || call.method == "take")
                && call.args.is_empty()
                && let Expr::Path(path) = &*call.receiver
                && let Some(ident) = path.path.get_ident()
            {
                let takes = call.method == "take";
                if !self.0.iter().any(|(i, t)| i == ident && *t == takes) {
                    self.0.push((ident.clone(), takes));
                }
                let pre = pre_name(ident, takes);
                *expr = if takes {
                    syn::parse_quote!(#pre)
                } else {
                    // SAFETY: see `place`.
                    syn::parse_quote!(unsafe { &mut *#pre })
                };
                return;
            }
            visit_mut::visit_expr_mut(self, expr);
        }
    }
    let mut places = Places(Vec::new());
    places.visit_expr_mut(operand);
    places
        .0
        .iter()
        .map(|(ident, takes)| {
            let pre = pre_name(ident, *takes);
            if *takes {
                syn::parse_quote! {
                    // SAFETY: see `take`; moved out before the handle is parked
                    // (with its drop flag saying so).
                    let #pre = unsafe { #ident.take() };
                }
            } else {
                syn::parse_quote! {
                    // SAFETY: see `place`; a pointer, as the handle is parked next.
                    let #pre: *mut _ = unsafe { #ident.place() };
                }
            }
        })
        .collect()
}

fn pre_name(ident: &Ident, takes: bool) -> Ident {
    quote::format_ident!(
        "{}{}",
        if takes { "__taken_" } else { "__pre_" },
        ident.to_string().trim_start_matches("r#"),
        span = proc_macro2::Span::mixed_site()
    )
}

/// The locals `expr` assigns (or a part of), lends mutably, or names in a
/// macro's arguments, where only the expansion knows what happens to them.
fn mutated_names(expr: &Expr) -> Vec<Ident> {
    struct Finder(Vec<Ident>);
    impl Finder {
        fn root(&mut self, place: &Expr) {
            match place {
                Expr::Path(path) => {
                    if let Some(ident) = path.path.get_ident() {
                        self.0.push(ident.clone());
                    }
                }
                Expr::Field(e) => self.root(&e.base),
                Expr::Index(e) => self.root(&e.expr),
                Expr::Paren(e) => self.root(&e.expr),
                _ => {}
            }
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr_assign(&mut self, e: &'ast syn::ExprAssign) {
            self.root(&e.left);
            syn::visit::visit_expr_assign(self, e);
        }
        fn visit_expr_binary(&mut self, e: &'ast syn::ExprBinary) {
            if crate::syntax::is_compound_assignment(&e.op) {
                self.root(&e.left);
            }
            syn::visit::visit_expr_binary(self, e);
        }
        fn visit_expr_reference(&mut self, e: &'ast syn::ExprReference) {
            if e.mutability.is_some() {
                self.root(&e.expr);
            }
            syn::visit::visit_expr_reference(self, e);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            names(mac.tokens.clone(), &mut self.0);
        }
    }
    let mut finder = Finder(Vec::new());
    syn::visit::Visit::visit_expr(&mut finder, expr);
    finder.0
}

/// Every name in `tokens`, pushed to `out`.
fn names(tokens: TokenStream, out: &mut Vec<Ident>) {
    for token in tokens {
        match token {
            proc_macro2::TokenTree::Ident(name) => out.push(name),
            proc_macro2::TokenTree::Group(group) => names(group.stream(), out),
            _ => {}
        }
    }
}

/// `(*place)` becomes `place` for the captured values among `places`.
fn unwrap_derefs(expr: &mut Expr, places: &[Ident]) {
    struct Unwrap<'a>(&'a [Ident]);
    impl VisitMut for Unwrap<'_> {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            if let Expr::Paren(paren) = expr
                && let Expr::Unary(unary) = &*paren.expr
                && matches!(unary.op, syn::UnOp::Deref(_))
                && let Expr::Path(path) = &*unary.expr
                && self.0.iter().any(|place| path.path.is_ident(place))
            {
                *expr = (*unary.expr).clone();
                return;
            }
            visit_mut::visit_expr_mut(self, expr);
        }
        // No macro: a local named in one is never captured by value.
    }
    if !places.is_empty() {
        Unwrap(places).visit_expr_mut(expr);
    }
}

/// The reference a closure that names pinned `ident` captures instead.
fn place_name(ident: &Ident) -> Ident {
    quote::format_ident!(
        "__place_{}",
        ident.to_string().trim_start_matches("r#"),
        span = proc_macro2::Span::mixed_site()
    )
}

/// `value`, moved into `slot`: evaluates to the handle.
fn fill(slots: &Ident, slot: &Ident, value: Box<Expr>) -> Expr {
    let pointer = hidden("__slots");
    let at = slot_fn(slot);
    let mut call: syn::ExprMethodCall = syn::parse_quote! {
        // SAFETY: the slot belongs to this local alone and is empty here: the
        // handle that last filled it was dropped at the end of its scope.
        unsafe { #slots::#at(#pointer) }.fill(())
    };
    call.args[0] = in_place(value);
    Expr::MethodCall(call)
}

/// `value` as an operand of generated code, without moving it: the box
/// goes into a pair of parentheses, and what it holds stays at its address.
///
/// The analysis knows scopes, names and declarations by their address in
/// the lowered body (`analysis::Scope`), and the code generator finds them
/// again by address after this rewrite: a block moved here would lose its
/// scope, and a local of it would be re-declared where it was not in scope.
/// (Printed and parsed again instead, an attribute would even move: a
/// marker on `a || b` would mark `a`.)
fn in_place(value: Box<Expr>) -> Expr {
    Expr::Paren(syn::ExprParen {
        attrs: Vec::new(),
        paren_token: Default::default(),
        expr: value,
    })
}

/// The function that hands out a slot, empty: `text_slot`.
pub(super) fn slot_fn(slot: &Ident) -> Ident {
    quote::format_ident!("{}_slot", slot)
}

/// The statements at the top of the `Start` arm that move the pinned
/// parameters into their slots.
///
/// Parameters are dropped in the reverse of their order, so from the first
/// pinned one on, the others are declared again too, in order.
pub(super) fn params(analysis: &Analysis, names: &Names) -> TokenStream {
    let Some(slots) = &names.slots else {
        return TokenStream::new();
    };
    let stmts = analysis
        .params
        .iter()
        .skip_while(|param| analysis.pins.slot(param.binding).is_none())
        .map(|param| {
            let field = &param.field;
            match analysis.pins.slot(param.binding) {
                Some(slot) => {
                    let fill = fill(slots, slot, Box::new(syn::parse_quote!(#field)));
                    quote!(let #field = #fill;)
                }
                None => {
                    let mutability = analysis.bindings[param.binding]
                        .mutable
                        .then(|| quote!(mut));
                    quote!(let #mutability #field = #field;)
                }
            }
        });
    quote!(#(#stmts)*)
}

/// The body, compiled again as the native `async move` block it is, and
/// never run: rustc's borrow checker checks the borrows of pinned locals
/// there (see the module docs). `output` is the function's output type,
/// when it can be written.
///
/// An `async` block has no declared output type, so a value returned from
/// it would not coerce to the function's (`&mut Vec<T>` to `&[T]`) as a
/// native `async fn`'s does: a first, never-run `return` of the output
/// type fixes the block's type before the body is checked.
pub(super) fn check(body: &syn::Block, output: Option<&TokenStream>) -> TokenStream {
    let (turbofish, typed) = match output {
        Some(output) => (
            quote!(::<#output, _>),
            quote! {
                if false {
                    return __native_check::<#output, _>(::core::future::pending());
                }
            },
        ),
        None => (TokenStream::new(), TokenStream::new()),
    };
    let stmts = &body.stmts;
    quote! {
        // Never run: rustc borrow-checks the body as a native `async` block here.
        if false {
            return ::core::task::Poll::Ready(__native_check #turbofish (async move {
                #typed
                #(#stmts)*
            }));
        }
    }
}

/// The slots struct, the handle and slot types, and the check's helper.
pub(super) fn items(names: &Names, analysis: &Analysis, function: &str) -> TokenStream {
    let Some(slots) = &names.slots else {
        return TokenStream::new();
    };
    let pins = &analysis.pins;
    let captured = if pins.captures {
        quote! {
            /// A local an `async` block (not `move`) uses by value, taken out of its slot
            /// when the block is made. The block takes this wrapper, which is never `Copy`,
            /// so it owns the value as rustc's block owns what it moves in (a `Copy` local
            /// rustc's block borrows instead, which reads the same: nothing may change it
            /// while it is lent).
            struct __Captured<T>(T);

            impl<T> __Captured<T> {
                fn into_inner(self) -> T {
                    self.0
                }
            }
        }
    } else {
        TokenStream::new()
    };
    let fields: Vec<&Ident> = pins.slots.iter().map(|(_, slot, _)| slot).collect();
    let types: Vec<&Ident> = pins.slots.iter().map(|(b, ..)| names.ty(*b)).collect();
    let flags: Vec<TokenStream> = pins
        .slots
        .iter()
        .map(|(b, ..)| {
            if pins.moved.contains(b) {
                quote!(bool)
            } else {
                quote!(())
            }
        })
        .collect();
    let accessors: Vec<Ident> = fields.iter().map(|f| slot_fn(f)).collect();
    // The storage: a field per group of slots (see `analysis::slot_groups`),
    // a plain `MaybeUninit` for a group of one, else a union of its slots.
    let groups = pins.groups.iter().copied().max().map_or(0, |last| last + 1);
    let members = |group: usize| -> Vec<usize> {
        (0..fields.len())
            .filter(|&slot| pins.groups[slot] == group)
            .collect()
    };
    let mut storage = Vec::new();
    let mut unions = Vec::new();
    let mut places = vec![TokenStream::new(); fields.len()];
    for group in 0..groups {
        let slots_in = members(group);
        let field = quote::format_ident!("__group{}", group);
        if let [only] = slots_in.as_slice() {
            let (name, ty) = (fields[*only], types[*only]);
            storage.push((
                quote!(#name: ::core::mem::MaybeUninit<#ty>),
                quote!(#name: ::core::mem::MaybeUninit::uninit()),
            ));
            places[*only] = quote!(&raw mut (*this).#name);
            continue;
        }
        let union = quote::format_ident!("{}Group{}", slots, group);
        let (names_in, types_in): (Vec<&Ident>, Vec<&Ident>) = slots_in
            .iter()
            .map(|&slot| (fields[slot], types[slot]))
            .unzip();
        let first = names_in[0];
        unions.push(quote! {
            /// Slots that share their storage: their locals are never in scope at once.
            #[allow(non_camel_case_types, non_snake_case, dead_code)]
            union #union<#(#types_in),*> {
                #(#names_in: ::core::mem::ManuallyDrop<::core::mem::MaybeUninit<#types_in>>,)*
            }
        });
        storage.push((
            quote!(#field: #union<#(#types_in),*>),
            quote!(#field: #union {
                #first: ::core::mem::ManuallyDrop::new(::core::mem::MaybeUninit::uninit())
            }),
        ));
        for &slot in &slots_in {
            // A union's fields all start at its start, and `ManuallyDrop` is
            // transparent: the union's place is the slot's.
            places[slot] = quote!((&raw mut (*this).#field).cast());
        }
    }
    let (storage_fields, storage_init): (Vec<TokenStream>, Vec<TokenStream>) =
        storage.into_iter().unzip();
    let doc = format!(
        " The locals of `{function}` that live across an `.await`: each stays in its \
         slot, which does not move once the future is pinned, for its whole scope. Locals \
         never in scope at once share their storage."
    );
    quote! {
        #(#unions)*

        #[doc = #doc]
        #[allow(non_camel_case_types, non_snake_case)]
        struct #slots<#(#types),*> {
            #(#storage_fields,)*
        }

        #[allow(non_camel_case_types, non_snake_case)]
        impl<#(#types),*> #slots<#(#types),*> {
            /// Every slot empty: a local is written into its slot where it is declared.
            fn empty() -> Self {
                Self { #(#storage_init,)* }
            }

            #(
                /// The local's slot, to fill where the local is declared, or to take its
                /// handle back from a state. `bool`: the body may move the local out, so its
                /// handle keeps a drop flag; `()`: it never does.
                ///
                /// # Safety
                ///
                /// `this` points to the slots of a pinned future, which outlives what the
                /// slot hands out.
                unsafe fn #accessors(this: *mut Self) -> __SlotRef<#types, #flags> {
                    // SAFETY: `this` is valid (see above); nothing is read.
                    __SlotRef(unsafe { #places }, ::core::marker::PhantomData)
                }
            )*
        }

        /// A drop flag (`bool`: moved out or not), or none (`()`) for a local that is never
        /// moved out, which costs nothing.
        trait __Flag: Copy {
            const THERE: Self;
            fn is_moved(self) -> bool;
        }
        impl __Flag for bool {
            const THERE: Self = false;
            fn is_moved(self) -> bool {
                self
            }
        }
        impl __Flag for () {
            const THERE: Self = ();
            fn is_moved(self) -> bool {
                false
            }
        }

        /// A slot, as the function reaches it (see the `_slot` functions).
        struct __SlotRef<T, M>(*mut ::core::mem::MaybeUninit<T>, ::core::marker::PhantomData<M>);

        impl<T, M: __Flag> __SlotRef<T, M> {
            /// Moves the local into its slot, which is empty (its last handle was dropped, or
            /// the future is new): the handle owns it from now on.
            fn fill(self, value: T) -> __Pinned<T, M> {
                // SAFETY: the `_slot` function's contract: the slot is valid; the body declares
                // the local once per scope, so nothing else owns it.
                let slot = unsafe { &mut *self.0 };
                slot.write(value);
                __Pinned {
                    slot: ::core::ptr::NonNull::from(slot).cast(),
                    moved: ::core::cell::Cell::new(M::THERE),
                }
            }

            /// The handle back from a state that held the local, as its marker says.
            fn unpark(self, parked: __InSlot<T, M>) -> __Pinned<T, M> {
                __Pinned {
                    // SAFETY: the `_slot` function's contract: the slot is valid.
                    slot: unsafe { ::core::ptr::NonNull::new_unchecked(self.0) }.cast(),
                    moved: ::core::cell::Cell::new(parked.moved),
                }
            }

            /// Drops the local of a state that is dropped (on cancellation, or when a poll
            /// panics), at its place in the state's drop order.
            fn drop_parked(self, parked: __InSlot<T, M>) {
                ::core::mem::drop(self.unpark(parked));
            }
        }

        /// What a state holds for a pinned local: its drop flag, if it has one, and its type
        /// (for `Send` and `Sync`). The local is in its slot; this says the state owns it.
        struct __InSlot<T, M> {
            moved: M,
            _local: ::core::marker::PhantomData<T>,
        }

        /// A pinned local, as the running code holds it: a pointer to its slot, whose value it
        /// owns, and its drop flag. Dropping it drops the value in place (unless it was moved
        /// out), at the end of the local's scope.
        struct __Pinned<T, M: __Flag> {
            slot: ::core::ptr::NonNull<T>,
            moved: ::core::cell::Cell<M>,
        }

        #[allow(dead_code, reason = "a body that never assigns a pinned local uses only `place`")]
        impl<T, M: __Flag> __Pinned<T, M> {
            /// The local, where it lies, for as long as the caller says.
            ///
            /// # Safety
            ///
            /// The reference must not be used after the local's scope ends, nor after its value
            /// is moved out (unless it is `Copy`). The macro only writes calls whose borrows
            /// rustc checked in the body's native twin.
            #[allow(clippy::mut_from_ref)]
            unsafe fn place<'__a>(&self) -> &'__a mut T {
                // SAFETY: filled by `fill`; see above for how long the reference lives.
                unsafe { &mut *self.slot.as_ptr() }
            }

            /// Hands the local to a state: the handle becomes a marker, and the value stays.
            fn park(self) -> __InSlot<T, M> {
                let moved = self.moved.get();
                ::core::mem::forget(self);
                __InSlot { moved, _local: ::core::marker::PhantomData }
            }

            /// `local = value`: drops the old value, unless it was moved out, then stores.
            ///
            /// # Safety
            ///
            /// Nothing borrows the value; rustc checks that in the native twin.
            unsafe fn assign(&self) -> __Assign<'_, T, M> {
                __Assign(self)
            }
        }

        #[allow(dead_code, reason = "a body that never moves a pinned local out does not take")]
        impl<T> __Pinned<T, bool> {
            /// Moves the value out (copies it, for a `Copy` type), as a native use by value.
            ///
            /// # Safety
            ///
            /// Unless `T` is `Copy`, the value is not used again before `assign` gives it a new
            /// one; rustc checks that in the native twin.
            unsafe fn take(&self) -> T {
                // Marked moved, the value is left to whoever takes it, not to `drop`. A type
                // without drop glue needs no flag: the check is a constant, and goes.
                if ::core::mem::needs_drop::<T>() {
                    self.moved.set(true);
                }
                // SAFETY: filled by `fill`, and not moved out before (`take`'s contract).
                unsafe { self.slot.as_ptr().read() }
            }
        }

        /// The left side of an assignment to a pinned local: `with` takes the right side,
        /// evaluated after it, as native assignment evaluates it.
        struct __Assign<'__a, T, M: __Flag>(&'__a __Pinned<T, M>);

        #[allow(dead_code, reason = "used only by a body that assigns a pinned local")]
        impl<T, M: __Flag> __Assign<'_, T, M> {
            fn with(self, value: T) {
                let place = self.0.slot.as_ptr();
                if self.0.moved.replace(M::THERE).is_moved() {
                    // SAFETY: the slot is valid while the local is in scope, and moved out:
                    // there is nothing to drop.
                    unsafe { place.write(value) };
                } else {
                    // SAFETY: the slot is valid and filled, and nothing borrows it (`assign`'s
                    // contract): assigning drops the old value, as native assignment does.
                    unsafe { *place = value };
                }
            }
        }

        impl<T, M: __Flag> ::core::ops::Drop for __Pinned<T, M> {
            fn drop(&mut self) {
                if !self.moved.get().is_moved() {
                    // SAFETY: the handle owns the value in its slot; it is dropped once, in
                    // place, at the end of the local's scope.
                    unsafe { self.slot.as_ptr().drop_in_place() };
                }
            }
        }

        /// `{name}` and `{name:?}` in a format string name the handle: show the local.
        impl<T: ::core::fmt::Display, M: __Flag> ::core::fmt::Display for __Pinned<T, M> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                // SAFETY: borrowed only for this call.
                ::core::fmt::Display::fmt(unsafe { self.place() }, f)
            }
        }
        impl<T: ::core::fmt::Debug, M: __Flag> ::core::fmt::Debug for __Pinned<T, M> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                // SAFETY: borrowed only for this call.
                ::core::fmt::Debug::fmt(unsafe { self.place() }, f)
            }
        }

        #captured

        /// The output of a future, never computed: the body's native twin is checked, not run.
        fn __native_check<O, F: ::core::future::Future<Output = O>>(_: F) -> O {
            ::core::unreachable!()
        }
    }
}

//! Name resolution: which binding each name in the body refers to.
//!
//! The walk mirrors Rust's scoping: a `let` brings its bindings into scope
//! after its initializer, a block ends the bindings it declared, `match`
//! arms and `if let` / `while let` bodies see their pattern's bindings, and
//! an inner binding shadows an outer one of the same name (both stay alive
//! until their scopes end, which matters for drops).
//!
//! Alongside, it records what liveness needs, each at a *position*: a
//! counter that follows the order in which the resumed code evaluates
//! things (operands that contain an `.await` first, then the operands left
//! in place beside them, which are evaluated after the `.await`):
//!
//! - each mention of a binding, and whether that mention may move it (a
//!   by-value use) or certainly does not (a borrow, an assignment to it, a
//!   comparison, a method called on it that is not known to consume it);
//! - each await point, with the bindings in scope there;
//! - each loop, with the position where it starts, since a mention inside a
//!   loop also runs "after" an await earlier in the same loop body.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::format_ident;
use syn::{Expr, FnArg, Pat, Signature, Stmt};

use super::{Binding, BindingId, Param, PointKind};
use crate::lower::{
    await_index, branch_index, construct_attrs, contains_await, join_index, loop_index,
};
use crate::syntax::{any_part, macro_name};

/// Where a binding lives, which is where the resumed code re-declares it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum Scope {
    /// The function's own scope: parameters and the body's top-level locals.
    Top,
    /// A nested block, match arm or `if let` body, by address in the
    /// lowered body (which is not changed after analysis).
    Node(usize),
}

impl Scope {
    /// The scope of a syntax node in the lowered body.
    pub(crate) fn of<T>(node: &T) -> Scope {
        Scope::Node(std::ptr::from_ref(node) as usize)
    }
}

/// A use of a binding.
pub(super) struct Mention {
    pub(super) binding: BindingId,
    /// The address of the name in the lowered body, where it can be
    /// renamed; `None` inside macro arguments.
    pub(super) site: Option<usize>,
    /// Lent where it is named (see `Use::Lend`), or captured by reference.
    pub(super) lends: bool,
    /// Under a `*`: the place is behind the binding, not the binding.
    pub(super) through_deref: bool,
    /// A borrow of the binding itself whose result may be kept: `&x`,
    /// `&mut x.field`, `x.iter()` (see [`borrows_receiver`]).
    pins: bool,
    /// Of those, an explicit one: `&x`, `&mut x.field`, not a method call.
    explicit: bool,
    /// Inside a `move` closure or `async move` block, which takes it.
    pub(super) in_move: bool,
    /// Inside the operand of an `.await`: a borrow there may be kept by
    /// the awaited future's output.
    pub(super) in_await: bool,
    /// Used in a way whose mode only the type tells, and that may move
    /// part of the binding or the whole of it in place (see
    /// [`Resolver::ambiguous`]): a binding named so cannot be reached in
    /// place, only moved from state to state.
    pub(super) ambiguous: bool,
    /// For a name in a macro's arguments, the address of the macro.
    pub(super) in_macro: Option<usize>,
    /// Where the name is, for errors.
    pub(super) span: Option<Span>,
    /// The branches the mention is in (see [`exclusive`]).
    pub(super) branches: Vec<(usize, usize)>,
    pub(super) position: usize,
    pub(super) may_move: bool,
    pub(super) loops: Vec<usize>,
}

impl Mention {
    /// Whether the binding is borrowed here so that the result may be kept.
    pub(super) fn pins(&self) -> bool {
        self.pins
    }

    /// Whether that borrow is written out, `&x` or `&mut x.field`.
    pub(super) fn pins_explicitly(&self) -> bool {
        self.pins && self.explicit
    }
}

/// An await point as liveness sees it.
pub(super) struct AwaitSite {
    pub(super) position: usize,
    pub(super) in_scope: Vec<BindingId>,
    pub(super) loops: Vec<usize>,
    /// For an await point, the bindings its operand may borrow: the future
    /// it makes may hold a reference to them while suspended.
    pub(super) borrowed: Vec<BindingId>,
    /// For an await point, every binding its operand names.
    pub(super) named: Vec<BindingId>,
    /// The branches the point is in (see [`exclusive`]).
    pub(super) branches: Vec<(usize, usize)>,
}

/// Whether two positions are in different branches of one `if` or
/// `match`, so that neither runs after the other (but in a next iteration
/// of a loop around both, which liveness checks apart).
pub(super) fn exclusive(a: &[(usize, usize)], b: &[(usize, usize)]) -> bool {
    a.iter()
        .zip(b)
        .find(|(x, y)| x != y)
        .is_some_and(|(x, y)| x.0 == y.0)
}

/// Everything resolution learns about a body.
pub(super) struct Resolved {
    pub(super) bindings: Vec<Binding>,
    pub(super) params: Vec<Param>,
    /// Position of each binding's declaration.
    pub(super) declared_at: Vec<usize>,
    /// Address of each binding's name in the lowered body, where it can be
    /// renamed; `None` for parameters and `|` patterns.
    pub(super) declared_site: Vec<Option<usize>>,
    /// The bindings in scope where each binding is declared: the ones
    /// whose storage its own overlaps (see `analysis::slot_groups`).
    pub(super) in_scope_at: Vec<Vec<BindingId>>,
    pub(super) mentions: Vec<Mention>,
    /// Assignments of a whole binding (`x = value`), as mentions.
    pub(super) assignments: Vec<Mention>,
    /// The await points and transit points, in evaluation order.
    pub(super) sites: Vec<(PointKind, AwaitSite)>,
    /// Start position of each loop.
    pub(super) loop_starts: Vec<usize>,
    /// The bindings whose value is computed from other bindings, and the
    /// mentions that computed it (see [`Derivation`]).
    pub(super) derivations: Vec<Derivation>,
    /// How each binding was declared.
    pub(super) declarations: Vec<Declaration>,
    /// The parameters that are shared references (`&T`, `&self`): a
    /// borrow through them is of what they point to, not of them.
    pub(super) shared_refs: Vec<BindingId>,
}

/// Bindings given a value computed from the mentions in `mentions` (an
/// index range into [`Resolved::mentions`]): the bindings of a `let` and
/// its initializer, of a `match` arm or `if let` and the scrutinee, the
/// assigned binding and the assigned value. Their value may hold a borrow
/// of what those mentions lend.
pub(super) struct Derivation {
    pub(super) bindings: Vec<BindingId>,
    pub(super) mentions: std::ops::Range<usize>,
}

/// How a binding was declared, which decides whether it can be kept in
/// place in the frame (see `analysis::pinning`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Declaration {
    /// A parameter of the function, or the receiver.
    Param,
    /// `let x = value;` or `let mut x: T = value;`: the address of the
    /// `syn::Local` in the lowered body.
    Let(usize),
    /// A name bound by any other pattern (`let (a, b) = ..`, a `match`
    /// arm, `if let`, a `for` loop's): the address of the name in the
    /// lowered body, where the code generator renames it and fills the
    /// slot from it when its scope begins.
    Bound(usize),
    /// A `let` without a value, or a name in a `|` pattern.
    Pattern,
}

/// Resolves the names of a lowered body.
pub(super) fn resolve(sig: &Signature, body: &syn::Block) -> syn::Result<Resolved> {
    let mut resolver = Resolver::default();
    resolver.frames.push(Vec::new());
    for (index, input) in sig.inputs.iter().enumerate() {
        let typed = match input {
            FnArg::Typed(typed) => typed,
            FnArg::Receiver(receiver) => {
                // `self`, renamed `__self` in the body by lowering (see
                // `lower::receiver`); `&self` and `&mut self` are references.
                let field = crate::lower::receiver_ident();
                let binding = resolver.bindings.len();
                if matches!(&receiver.kind, syn::ReceiverKind::Reference(_, _, None)) {
                    resolver.shared_refs.push(binding);
                }
                let drop_free = match &receiver.kind {
                    syn::ReceiverKind::Reference(..) => true,
                    syn::ReceiverKind::Typed(_, ty) => is_drop_free_type(ty),
                    _ => false,
                };
                resolver.declare(&field, receiver.mutability.is_some(), Scope::Top, drop_free);
                resolver.declarations[binding] = Declaration::Param;
                resolver.params.push(Param { field, binding });
                continue;
            }
        };
        let drop_free = is_drop_free_type(&typed.ty);
        if matches!(&*typed.ty, syn::Type::Reference(r) if r.mutability.is_some()) {
            resolver.mut_refs.push(resolver.bindings.len());
        }
        if matches!(&*typed.ty, syn::Type::Reference(r) if r.mutability.is_none()) {
            resolver.shared_refs.push(resolver.bindings.len());
        }
        match &*typed.pat {
            Pat::Ident(ident) if ident.subpat.is_none() && ident.by_ref.is_none() => {
                let binding = resolver.bindings.len();
                resolver.declare(
                    &ident.ident,
                    ident.mutability.is_some(),
                    Scope::Top,
                    drop_free,
                );
                resolver.declarations[binding] = Declaration::Param;
                resolver.params.push(Param {
                    field: ident.ident.clone(),
                    binding,
                });
            }
            _ => {
                // Lowering matched the pattern at the top of the body
                // (see `lower::params`): here the argument is `__argN`.
                let field = format_ident!("__arg{}", index, span = Span::mixed_site());
                let binding = resolver.bindings.len();
                resolver.declare(&field, false, Scope::Top, drop_free);
                resolver.declarations[binding] = Declaration::Param;
                resolver.params.push(Param { field, binding });
            }
        }
    }
    resolver.renamable = true;
    resolver.stmts(&body.stmts, Scope::Top);
    let mut sites = resolver.sites;
    sites.sort_by_key(|(_, site)| site.position);
    Ok(Resolved {
        bindings: resolver.bindings,
        params: resolver.params,
        declared_at: resolver.declared_at,
        declared_site: resolver.declared_site,
        in_scope_at: resolver.in_scope_at,
        mentions: resolver.mentions,
        assignments: resolver.assignments,
        sites,
        loop_starts: resolver.loop_starts,
        derivations: resolver.derivations,
        declarations: resolver.declarations,
        shared_refs: resolver.shared_refs,
    })
}

#[derive(Default)]
struct Resolver {
    bindings: Vec<Binding>,
    params: Vec<Param>,
    declared_at: Vec<usize>,
    declared_site: Vec<Option<usize>>,
    in_scope_at: Vec<Vec<BindingId>>,
    /// Whether the names being declared can be renamed in place.
    renamable: bool,
    /// How many closures or `async` blocks that capture by reference
    /// surround the current position.
    captures: usize,
    /// How many `move` closures or `async move` blocks surround the
    /// current position: what they name, they take by value.
    moves: usize,
    /// How many dereferences surround the current position.
    derefs: usize,
    /// The bindings initialized with a borrow (`let r = &x;`).
    references: Vec<BindingId>,
    /// The bindings known to hold a `&mut` (a parameter of type `&mut T`,
    /// `let r = &mut x;`).
    mut_refs: Vec<BindingId>,
    /// The branches around the current position: (construct, branch).
    branches: Vec<(usize, usize)>,
    /// Counter for the constructs that branch.
    constructs: usize,
    mentions: Vec<Mention>,
    assignments: Vec<Mention>,
    sites: Vec<(PointKind, AwaitSite)>,
    loop_starts: Vec<usize>,
    derivations: Vec<Derivation>,
    declarations: Vec<Declaration>,
    shared_refs: Vec<BindingId>,
    /// The names (by address) borrowed so that the result may be kept.
    pinning: std::collections::HashSet<usize>,
    /// The names (by address) used in a way only the type could tell (see
    /// [`Resolver::ambiguous`]).
    ambiguous: std::collections::HashSet<usize>,
    /// Of those, the ones borrowed with `&` or `&mut`.
    explicit: std::collections::HashSet<usize>,
    /// Inside an expression whose borrows cannot be kept (`Iterator::next`).
    unpinned: usize,
    /// How many `.await` operands surround the current position.
    awaiting: usize,
    /// Walking the condition of an `if` that has an `else`.
    else_follows: bool,
    /// The iterators (a lowered `for` loop's) known to yield references:
    /// over `&v`, `&mut v`, or `v.iter()` / `v.iter_mut()`.
    reference_iters: Vec<BindingId>,
    /// The macro whose arguments are being walked, by address.
    in_macro: Option<usize>,
    /// The names in scope, innermost frame last.
    frames: Vec<Vec<(String, BindingId)>>,
    /// The loops around the current position, innermost last.
    loops: Vec<usize>,
    /// Where the bindings of the `let`s in the condition being walked live:
    /// the body that condition guards.
    pending: Vec<Scope>,
    position: usize,
}

/// How an expression's value is used, which decides whether a binding
/// named there may be moved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Taken by value: the binding may be moved (unless it is `Copy`,
    /// which we cannot see).
    Value,
    /// Used in place: assigned to, compared, formatted, indexed for a
    /// copy: whatever reference is taken does not outlive the expression.
    Place,
    /// Lent: borrowed (`&x`, `&mut x`) or the receiver of a method not
    /// known to take `self` by value, so the result may hold the borrow.
    Lend,
}

impl Resolver {
    fn tick(&mut self) -> usize {
        self.position += 1;
        self.position
    }

    fn declare(&mut self, ident: &Ident, mutable: bool, scope: Scope, drop_free: bool) {
        let id = self.bindings.len();
        let live = self.frames.iter().flatten().map(|&(_, b)| b).collect();
        self.in_scope_at.push(live);
        self.bindings.push(Binding {
            ident: ident.clone(),
            mutable,
            scope,
            drop_free,
            deferred: false,
        });
        let position = self.tick();
        self.declared_at.push(position);
        let site = self.renamable.then(|| std::ptr::from_ref(ident) as usize);
        self.declarations
            .push(site.map_or(Declaration::Pattern, Declaration::Bound));
        self.declared_site.push(site);
        self.frames
            .last_mut()
            .expect("a scope")
            .push((ident.to_string(), id));
    }

    fn lookup(&self, name: &str) -> Option<BindingId> {
        self.frames
            .iter()
            .rev()
            .flat_map(|frame| frame.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
    }

    fn mention(&mut self, name: &str, use_: Use) {
        self.mention_at(name, use_, None);
    }

    fn mention_at(&mut self, name: &str, use_: Use, ident: Option<&Ident>) {
        let site = ident.map(|ident| std::ptr::from_ref(ident) as usize);
        if let Some(binding) = self.lookup(name) {
            let position = self.tick();
            self.mentions.push(Mention {
                binding,
                site,
                position,
                may_move: use_ == Use::Value || self.moves > 0,
                // A closure or `async` block that is not `move` borrows what
                // it names, for as long as it lives.
                pins: site.is_some_and(|site| self.pinning.contains(&site))
                    || (self.captures > 0 && self.moves == 0),
                explicit: site.is_some_and(|site| self.explicit.contains(&site))
                    || (self.captures > 0 && self.moves == 0),
                in_move: self.moves > 0,
                in_await: self.awaiting > 0,
                // A name in a macro that may move it (not a formatting
                // one) is written in place there: it may be moved from it.
                // (In a `move` closure it is written as the value the
                // closure took, whole: see `tokens` for a part of it.)
                ambiguous: site.is_some_and(|site| self.ambiguous.contains(&site))
                    || (self.in_macro.is_some() && use_ == Use::Value && self.moves == 0),
                in_macro: self.in_macro,
                span: ident.map(Ident::span),
                // Passing a `&mut` on by value reborrows it: a lend too.
                lends: use_ == Use::Lend
                    || self.captures > 0
                    || (use_ == Use::Value && self.mut_refs.contains(&binding)),
                through_deref: self.derefs > 0,
                branches: self.branches.clone(),
                loops: self.loops.clone(),
            });
        }
    }

    /// The bindings declared from `first` on have no place where their
    /// slots could be filled: they move from state to state.
    fn filled_nowhere(&mut self, first: usize) {
        self.declarations[first..]
            .iter_mut()
            .for_each(|d| *d = Declaration::Pattern);
    }

    /// A binding of a `let` in a condition whose later part awaits
    /// (`if let Some(a) = x && f(a).await`) is held across that `.await`
    /// before the body it belongs to begins, where its slot would be
    /// filled: it is left to move from state to state. `bindings` and
    /// `sites` are the counts before the condition was walked.
    fn bound_before_await(&mut self, bindings: usize, sites: usize) {
        for binding in bindings..self.bindings.len() {
            let declared = self.declared_at[binding];
            if self.sites[sites..]
                .iter()
                .any(|(_, site)| site.position > declared)
                && matches!(self.declarations[binding], Declaration::Bound(_))
            {
                self.declarations[binding] = Declaration::Pattern;
            }
        }
    }

    /// Marks the binding `place` starts from (`x` in `x.a.b`) as used in a
    /// way only the type could tell, and that may move it or a part of it
    /// in place: the receiver of a method of unknown mode, a scrutinee
    /// whose pattern binds by value, a field moved out, a called closure
    /// (maybe `FnOnce`). A binding kept in its slot is reached through a
    /// pointer, from which Rust moves nothing, so such a binding moves from
    /// state to state instead, as a real local, where rustc decides.
    fn ambiguous(&mut self, place: &Expr) {
        if let Some(root) = place_root_by_fields(place) {
            self.ambiguous.insert(std::ptr::from_ref(root) as usize);
        }
    }

    /// Whether matching on `expr` binds references (match ergonomics):
    /// it is a borrow, or a local initialized with one.
    fn is_reference(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Reference(_) => true,
            Expr::Paren(e) => self.is_reference(&e.expr),
            Expr::Path(path) => path
                .path
                .get_ident()
                .and_then(|ident| self.lookup(&ident.to_string()))
                .is_some_and(|binding| self.references.contains(&binding)),
            _ => false,
        }
    }

    /// Whether `expr` is `Iterator::next(&mut it)` (a lowered `for` loop's
    /// step) or `it.next()` on an iterator over references.
    fn next_reference(&self, expr: &Expr) -> bool {
        let iterator = match expr {
            Expr::Call(call) if is_iterator_next(&call.func) => match call.args.first() {
                Some(Expr::Reference(arg)) => place_root(&arg.expr),
                _ => None,
            },
            Expr::MethodCall(call) if call.method == "next" && call.args.is_empty() => {
                place_root(&call.receiver)
            }
            _ => None,
        };
        iterator
            .and_then(|ident| self.lookup(&ident.to_string()))
            .is_some_and(|binding| self.reference_iters.contains(&binding))
    }

    /// Whether `expr` makes an iterator over references:
    /// `IntoIterator::into_iter(&v)` or `(r)` with `r` a reference (a
    /// lowered `for x in &v`), or `v.iter()` / `v.iter_mut()`.
    fn iterates_references(&self, expr: &Expr) -> bool {
        match expr {
            Expr::MethodCall(m) => m.method == "iter" || m.method == "iter_mut",
            Expr::Call(call) => {
                path_ends_with(&call.func, "IntoIterator", "into_iter")
                    && call
                        .args
                        .first()
                        .is_some_and(|arg| self.is_reference(arg) || self.iterates_references(arg))
            }
            Expr::Paren(e) => self.iterates_references(&e.expr),
            _ => false,
        }
    }

    /// A new branching construct.
    fn branching(&mut self) -> usize {
        self.constructs += 1;
        self.constructs
    }

    fn in_branch(&mut self, construct: usize, branch: usize, f: impl FnOnce(&mut Self)) {
        self.branches.push((construct, branch));
        f(self);
        self.branches.pop();
    }

    fn pending_scope(&self) -> Scope {
        self.pending.last().copied().unwrap_or(Scope::Top)
    }

    fn in_frame(&mut self, f: impl FnOnce(&mut Self)) {
        self.frames.push(Vec::new());
        f(self);
        self.frames.pop();
    }

    /// Records a point at the current position, with what is in scope.
    fn site(&mut self, kind: PointKind) {
        let position = self.tick();
        let in_scope = self.frames.iter().flatten().map(|(_, id)| *id).collect();
        self.sites.push((
            kind,
            AwaitSite {
                position,
                in_scope,
                loops: self.loops.clone(),
                borrowed: Vec::new(),
                named: Vec::new(),
                branches: self.branches.clone(),
            },
        ));
    }

    /// Walks a loop; `head` is its transit point, at the top of the body.
    fn in_loop(&mut self, head: Option<usize>, f: impl FnOnce(&mut Self)) {
        let id = self.loop_starts.len();
        let start = self.tick();
        self.loop_starts.push(start);
        self.loops.push(id);
        if let Some(head) = head {
            self.site(PointKind::Loop(head));
        }
        f(self);
        self.loops.pop();
    }

    fn block(&mut self, block: &syn::Block) {
        self.in_frame(|this| this.stmts(&block.stmts, Scope::of(block)));
    }

    fn stmts(&mut self, stmts: &[Stmt], scope: Scope) {
        for stmt in stmts {
            match stmt {
                Stmt::Local(local) => {
                    let mentioned = self.mentions.len();
                    if let Some(init) = &local.init {
                        // A pattern that leaves a part (`..`, `_`) moves at
                        // most the parts it binds: what is left is dropped
                        // at the end of the scope, like a field read's rest.
                        let use_ = if binds_by_value(&local.pat) && !leaves_a_part(&local.pat) {
                            Use::Value
                        } else {
                            Use::Place
                        };
                        // `let (a, b) = x;` may move parts of `x` out.
                        let destructures = !matches!(&local.pat, Pat::Ident(_) | Pat::Wild(_))
                            && !matches!(&local.pat, Pat::Type(t) if matches!(&*t.pat, Pat::Ident(_)));
                        if destructures && binds_by_value(&local.pat) {
                            self.ambiguous(&init.expr);
                        }
                        self.expr(&init.expr, use_);
                        if let Some((_, diverge)) = &init.diverge {
                            self.expr(diverge, Use::Value);
                        }
                    }
                    let drop_free = local
                        .init
                        .as_ref()
                        .is_some_and(|init| is_drop_free_value(&init.expr));
                    let first = self.bindings.len();
                    self.declare_pattern(&local.pat, scope, drop_free);
                    if let Some(init) = &local.init
                        && let Expr::Reference(reference) = &*init.expr
                    {
                        self.references.extend(first..self.bindings.len());
                        if reference.mutability.is_some() {
                            self.mut_refs.extend(first..self.bindings.len());
                        }
                    }
                    if local.init.is_none() {
                        self.bindings[first..]
                            .iter_mut()
                            .for_each(|b| b.deferred = true);
                        self.filled_nowhere(first);
                    }
                    if let Some(init) = &local.init
                        && self.iterates_references(&init.expr)
                    {
                        self.reference_iters.extend(first..self.bindings.len());
                    }
                    self.derived(first, mentioned);
                    let plain = match &local.pat {
                        Pat::Ident(ident) => ident.subpat.is_none() && ident.by_ref.is_none(),
                        Pat::Type(typed) => matches!(&*typed.pat, Pat::Ident(ident)
                            if ident.subpat.is_none() && ident.by_ref.is_none()),
                        _ => false,
                    };
                    let has_value = local.init.as_ref().is_some_and(|i| i.diverge.is_none());
                    if plain && has_value && self.bindings.len() == first + 1 {
                        self.declarations[first] =
                            Declaration::Let(std::ptr::from_ref(local) as usize);
                    }
                }
                Stmt::Expr(expr, _) => self.expr(expr, Use::Value),
                Stmt::Macro(stmt) => self.mac(&stmt.mac),
                Stmt::Item(_) => {}
            }
        }
    }

    fn declare_pattern(&mut self, pat: &Pat, scope: Scope, drop_free: bool) {
        match pat {
            Pat::Ident(ident) => {
                if let Some((_, sub)) = &ident.subpat {
                    self.declare_pattern(sub, scope, drop_free);
                }
                if is_binding_name(&ident.ident) {
                    let by_ref = ident.by_ref.is_some();
                    self.declare(
                        &ident.ident,
                        ident.mutability.is_some(),
                        scope,
                        drop_free || by_ref,
                    );
                }
            }
            Pat::Type(typed) => {
                let drop_free = drop_free || is_drop_free_type(&typed.ty);
                self.declare_pattern(&typed.pat, scope, drop_free);
            }
            Pat::Tuple(tuple) => tuple
                .elems
                .iter()
                .for_each(|p| self.declare_pattern(p, scope, drop_free)),
            Pat::TupleStruct(tuple) => tuple
                .elems
                .iter()
                .for_each(|p| self.declare_pattern(p, scope, drop_free)),
            Pat::Slice(slice) => slice
                .elems
                .iter()
                .for_each(|p| self.declare_pattern(p, scope, drop_free)),
            Pat::Struct(s) => s
                .fields
                .iter()
                .for_each(|f| self.declare_pattern(&f.pat, scope, drop_free)),
            Pat::Reference(r) => self.declare_pattern(&r.pat, scope, true),
            Pat::Paren(p) => self.declare_pattern(&p.pat, scope, drop_free),
            // Every alternative binds the same names.
            Pat::Or(or) => {
                if let Some(first) = or.cases.first() {
                    let renamable = std::mem::replace(&mut self.renamable, false);
                    self.declare_pattern(first, scope, drop_free);
                    self.renamable = renamable;
                }
            }
            Pat::Guard(guarded) => {
                self.declare_pattern(&guarded.pat, scope, drop_free);
                self.expr(&guarded.guard, Use::Value);
            }
            _ => {}
        }
    }

    /// Visits operands that contain an `.await` first: the others are left
    /// in place by lowering, so the resumed code evaluates them after it.
    fn operands<'e>(&mut self, operands: impl IntoIterator<Item = (&'e Expr, Use)>) {
        let operands: Vec<_> = operands.into_iter().collect();
        let (awaiting, rest): (Vec<_>, Vec<_>) =
            operands.into_iter().partition(|(e, _)| contains_await(e));
        for (expr, use_) in awaiting.into_iter().chain(rest) {
            self.expr(expr, use_);
        }
    }

    fn expr(&mut self, expr: &Expr, use_: Use) {
        self.expr_inner(expr, use_);
        if let Some(join) = construct_attrs(expr).and_then(|attrs| join_index(attrs)) {
            self.site(PointKind::Join(join));
        }
    }

    fn expr_inner(&mut self, expr: &Expr, use_: Use) {
        match expr {
            Expr::Path(path)
                if path.qself.is_none()
                    && path.path.segments.len() == 1
                    && path.path.leading_colon.is_none() =>
            {
                let ident = &path.path.segments[0].ident;
                self.mention_at(&ident.to_string(), use_, Some(ident));
            }
            Expr::Reference(r) => {
                self.pin_root(&r.expr);
                if let Some(root) = place_root(&r.expr)
                    && self.unpinned == 0
                {
                    self.explicit.insert(std::ptr::from_ref(root) as usize);
                }
                self.expr(&r.expr, Use::Lend);
            }
            Expr::RawAddr(r) => self.expr(&r.expr, Use::Lend),
            Expr::Field(field) => {
                if use_ == Use::Value || self.moves > 0 {
                    // `x.a` by value moves `a` out of `x`, unless it is `Copy`;
                    // a `move` closure naming `x.a` (edition 2021 on) takes
                    // `x.a` alone.
                    self.ambiguous(expr);
                }
                // Taking a field by value moves at most that field: what is
                // left of the binding is still dropped at the end of its
                // scope, so the binding itself is not moved (a `Copy` field
                // leaves it whole; a moved one makes holding it a compile
                // error, E0382, where rustc would hold the rest).
                let base_use = if use_ == Use::Value { Use::Place } else { use_ };
                self.expr(&field.base, base_use);
            }
            Expr::Index(index) => {
                let base = if use_ == Use::Lend {
                    Use::Lend
                } else {
                    Use::Place
                };
                self.operands([(&*index.expr, base), (&*index.index, Use::Value)])
            }
            Expr::Paren(e) => self.expr(&e.expr, use_),
            Expr::Group(e) => self.expr(&e.expr, use_),
            Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => {
                // What a reference points to is not the reference's local.
                self.derefs += 1;
                self.expr(&unary.expr, Use::Place);
                self.derefs -= 1;
            }
            Expr::Unary(unary) => {
                let use_ = if matches!(unary.op, syn::UnOp::Deref(_)) {
                    Use::Place
                } else {
                    Use::Value
                };
                self.expr(&unary.expr, use_);
            }
            Expr::Assign(assign) => {
                let mentioned = self.mentions.len();
                self.operands([(&*assign.right, Use::Value), (&*assign.left, Use::Place)]);
                if let Expr::Path(path) = &*assign.left
                    && let Some(ident) = path.path.get_ident()
                    && let Some(binding) = self.lookup(&ident.to_string())
                {
                    self.derivations.push(Derivation {
                        bindings: vec![binding],
                        mentions: mentioned..self.mentions.len(),
                    });
                    let position = self.tick();
                    let loops = self.loops.clone();
                    self.assignments.push(Mention {
                        binding,
                        site: None,
                        lends: false,
                        through_deref: false,
                        pins: false,
                        explicit: false,
                        in_move: false,
                        in_await: false,
                        ambiguous: false,
                        in_macro: None,
                        span: None,
                        branches: self.branches.clone(),
                        position,
                        may_move: false,
                        loops,
                    });
                }
            }
            Expr::Binary(binary) => {
                let left = if by_reference(&binary.op) {
                    Use::Place
                } else {
                    Use::Value
                };
                let right = if is_comparison(&binary.op) {
                    Use::Place
                } else {
                    Use::Value
                };
                if matches!(binary.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) {
                    self.expr(&binary.left, left);
                    if let Some(n) = branch_index(&binary.attrs) {
                        self.site(PointKind::Branch(n));
                    }
                    self.expr(&binary.right, right);
                } else {
                    self.operands([(&*binary.left, left), (&*binary.right, right)]);
                }
            }
            Expr::Call(call) if is_iterator_next(&call.func) => {
                // `Iterator::next(&mut iter)`, written by lowering a `for`
                // loop: what it returns cannot borrow the iterator.
                self.unpinned += 1;
                self.operands(call.args.iter().map(|a| (a, Use::Value)));
                self.unpinned -= 1;
            }
            Expr::Call(call) => {
                self.ambiguous(&call.func);
                let args = call.args.iter().map(|a| (a, Use::Value));
                // Calling a local closure may consume it (`FnOnce`).
                self.operands(std::iter::once((&*call.func, Use::Value)).chain(args));
            }
            Expr::MethodCall(call) => {
                let receiver = if consumes_receiver(&call.method) {
                    Use::Value
                } else {
                    Use::Lend
                };
                // A consuming method on the whole local takes it out of
                // its slot (at its last use); on a field, or of unknown
                // mode, it may move where only the type tells.
                let whole = matches!(&*call.receiver, Expr::Path(_));
                let clear =
                    keeps_receiver(&call.method) || (whole && consumes_receiver(&call.method));
                if !clear {
                    self.ambiguous(&call.receiver);
                }
                if borrows_receiver(&call.method) {
                    self.pin_root(&call.receiver);
                }
                let args = call.args.iter().map(|a| (a, Use::Value));
                self.operands(std::iter::once((&*call.receiver, receiver)).chain(args));
            }
            Expr::Array(array) => self.operands(array.elems.iter().map(|e| (e, Use::Value))),
            Expr::Tuple(tuple) => self.operands(tuple.elems.iter().map(|e| (e, Use::Value))),
            Expr::Struct(s) => {
                let fields = s.fields.iter().map(|f| (&f.expr, Use::Value));
                self.operands(fields.chain(s.rest.iter().map(|r| (&**r, Use::Place))));
            }
            Expr::Range(range) => self.operands(
                [&range.start, &range.end]
                    .into_iter()
                    .flatten()
                    .map(|e| (&**e, Use::Value)),
            ),
            Expr::Cast(e) => self.expr(&e.expr, Use::Value),
            Expr::Try(e) => self.expr(&e.expr, Use::Value),
            Expr::Repeat(e) => self.expr(&e.expr, Use::Value),
            Expr::Return(e) => e.expr.iter().for_each(|v| self.expr(v, Use::Value)),
            Expr::Break(e) => e.expr.iter().for_each(|v| self.expr(v, Use::Value)),
            Expr::Await(e) => {
                let first = self.mentions.len();
                let position = self.position;
                self.awaiting += 1;
                self.expr(&e.base, Use::Value);
                self.awaiting -= 1;
                if let Some(index) = await_index(e) {
                    // What the operand names in place, or captures by
                    // reference, declared before it: the future may borrow it.
                    // Not in a part that awaits itself: that part has its
                    // value before the future is made (seed 1544).
                    let before = evaluated_before(&e.base);
                    let made_with = |m: &&Mention| !before.contains(m);
                    let mut borrowed: Vec<BindingId> = self.mentions[first..]
                        .iter()
                        .filter(made_with)
                        .filter(|m| m.lends && !m.through_deref)
                        .map(|m| m.binding)
                        .filter(|&b| self.declared_at[b] <= position)
                        .collect();
                    borrowed.sort_unstable();
                    borrowed.dedup();
                    self.site(PointKind::Await(index));
                    let mut named: Vec<BindingId> = self.mentions[first..]
                        .iter()
                        .filter(made_with)
                        .map(|m| m.binding)
                        .filter(|&b| self.declared_at[b] <= position)
                        .collect();
                    named.sort_unstable();
                    named.dedup();
                    self.sites.last_mut().expect("just recorded").1.named = named;
                    self.sites.last_mut().expect("just recorded").1.borrowed = borrowed;
                }
            }
            Expr::Let(e) => {
                // The bindings go into the frame the caller opened for the
                // body this condition guards.
                // A scrutinee lowering named (`__scrutineeN`) is tested again
                // by the arms after this one, as the `match` it came from
                // would: a binding in this arm does not move it.
                let use_ = if binds_by_value(&e.pat) && !is_named_scrutinee(&e.expr) {
                    Use::Value
                } else {
                    Use::Place
                };
                if binds_by_value(&e.pat) {
                    self.ambiguous(&e.expr);
                }
                let mentioned = self.mentions.len();
                self.expr(&e.expr, use_);
                let by_reference = self.is_reference(&e.expr) || self.next_reference(&e.expr);
                // And since the arms after it test it again, what this arm
                // binds from it by value is a copy (else rustc rejects the
                // program): nothing to drop.
                let copied = is_named_scrutinee(&e.expr) && self.else_follows;
                let first = self.bindings.len();
                self.declare_pattern(&e.pat, self.pending_scope(), by_reference || copied);
                if by_reference {
                    self.references.extend(first..self.bindings.len());
                }
                self.derived(first, mentioned);
            }
            Expr::If(e) => {
                let id = self.branching();
                self.in_frame(|this| {
                    this.pending.push(Scope::of(&e.then_branch));
                    // An `else` that tests more (a lowered `match`'s next arm).
                    let more = e
                        .else_branch
                        .as_ref()
                        .is_some_and(|(_, branch)| tests_more(branch));
                    let outer = std::mem::replace(&mut this.else_follows, more);
                    let (bindings, sites) = (this.bindings.len(), this.sites.len());
                    this.expr(&e.cond, Use::Value);
                    this.bound_before_await(bindings, sites);
                    this.else_follows = outer;
                    this.pending.pop();
                    this.in_branch(id, 0, |this| this.block(&e.then_branch));
                });
                if let Some((_, branch)) = &e.else_branch {
                    self.in_branch(id, 1, |this| {
                        if let Some(n) = branch_index(&e.attrs) {
                            this.site(PointKind::Branch(n));
                        }
                        this.expr(branch, Use::Value);
                    });
                }
            }
            Expr::While(e) => self.in_loop(loop_index(&e.attrs), |this| {
                this.in_frame(|this| {
                    this.pending.push(Scope::of(&e.body));
                    let (bindings, sites) = (this.bindings.len(), this.sites.len());
                    this.expr(&e.cond, Use::Value);
                    this.bound_before_await(bindings, sites);
                    this.pending.pop();
                    this.block(&e.body);
                });
            }),
            Expr::Loop(e) => self.in_loop(loop_index(&e.attrs), |this| this.block(&e.body)),
            Expr::ForLoop(e) => {
                self.expr(&e.expr, Use::Value);
                self.in_loop(None, |this| {
                    this.in_frame(|this| {
                        this.declare_pattern(&e.pat, Scope::of(e), false);
                        this.block(&e.body);
                    });
                });
            }
            Expr::Match(e) => {
                let use_ = if e.arms.iter().any(|arm| binds_by_value(&arm.pat)) {
                    self.ambiguous(&e.expr);
                    Use::Value
                } else {
                    Use::Place
                };
                let mentioned = self.mentions.len();
                self.expr(&e.expr, use_);
                let scrutinee = mentioned..self.mentions.len();
                // The items of an iterator over references are references.
                let by_reference = self.is_reference(&e.expr) || self.next_reference(&e.expr);
                let id = self.branching();
                for (i, arm) in e.arms.iter().enumerate() {
                    self.in_branch(id, i, |this| {
                        this.in_frame(|this| {
                            let first = this.bindings.len();
                            this.declare_pattern(&arm.pat, Scope::of(arm), by_reference);
                            // Its slot is filled at the start of the arm's
                            // block (`codegen::pinned`): without a block, it
                            // moves from state to state.
                            if !matches!(&*arm.body, Expr::Block(b) if b.label.is_none()) {
                                this.filled_nowhere(first);
                            }
                            this.derivations.push(Derivation {
                                bindings: (first..this.bindings.len()).collect(),
                                mentions: scrutinee.clone(),
                            });
                            if this.iterates_references(&e.expr) {
                                this.reference_iters.extend(first..this.bindings.len());
                            }
                            if by_reference {
                                this.references.extend(first..this.bindings.len());
                            }
                            this.expr(&arm.body, Use::Value);
                        });
                    });
                }
            }
            Expr::Block(e) => self.block(&e.block),
            Expr::Unsafe(e) => self.block(&e.block),
            Expr::Const(e) => self.block(&e.block),
            Expr::Closure(closure) => {
                let by_reference = closure.capture.is_none();
                self.captures += usize::from(by_reference);
                self.moves += usize::from(!by_reference);
                self.in_frame(|this| {
                    for input in &closure.inputs {
                        this.declare_pattern(input, Scope::of(closure), false);
                    }
                    this.expr(&closure.body, Use::Value);
                });
                self.captures -= usize::from(by_reference);
                self.moves -= usize::from(!by_reference);
            }
            Expr::Async(e) => {
                let by_reference = e.capture.is_none();
                self.captures += usize::from(by_reference);
                self.moves += usize::from(!by_reference);
                self.block(&e.block);
                self.captures -= usize::from(by_reference);
                self.moves -= usize::from(!by_reference);
            }
            Expr::Macro(e) => self.mac(&e.mac),
            _ => {}
        }
    }

    /// Names in macro arguments: a formatting macro borrows what it names
    /// (also inside its format string, `{name}`); any other macro may move.
    fn mac(&mut self, mac: &syn::Macro) {
        let name = macro_name(mac);
        let use_ = if FORMATTING_MACROS.contains(&name.as_str()) {
            Use::Place
        } else {
            Use::Value
        };
        let outer = self.in_macro.replace(std::ptr::from_ref(mac) as usize);
        self.tokens(mac.tokens.clone(), use_);
        self.in_macro = outer;
    }

    /// Records the mentions since `mentioned` as what the bindings declared
    /// since `first` are computed from.
    fn derived(&mut self, first: BindingId, mentioned: usize) {
        if first < self.bindings.len() {
            self.derivations.push(Derivation {
                bindings: (first..self.bindings.len()).collect(),
                mentions: mentioned..self.mentions.len(),
            });
        }
    }

    /// Marks the binding a borrowed place starts from (`x` in `&x.a[i]`)
    /// as borrowed in a way whose result may be kept.
    fn pin_root(&mut self, place: &Expr) {
        if self.unpinned > 0 {
            return;
        }
        if let Some(root) = place_root(place) {
            self.pinning.insert(std::ptr::from_ref(root) as usize);
        }
    }

    fn tokens(&mut self, tokens: TokenStream, use_: Use) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => self.tokens(group.stream(), use_),
                TokenTree::Ident(ident) => {
                    let after_dot = i > 0
                        && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '.' || p.as_char() == ':');
                    let before_path = matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!' || p.as_char() == ':' && p.spacing() == proc_macro2::Spacing::Joint);
                    if !after_dot && !before_path {
                        // `x.field` reads a field: it moves at most that
                        // field, so the rest of `x` stays (see `Expr::Field`).
                        // `x.len()`: a method that by `std`'s naming
                        // borrows its receiver lends it, as in code; one of
                        // unknown mode may move it, as any other mention.
                        let after = after_name(&tokens[i + 1..]);
                        let use_ = match after {
                            AfterName::Field => Use::Place,
                            AfterName::Method(method) if keeps_receiver(method) => Use::Lend,
                            AfterName::Method(method) if consumes_receiver(method) => Use::Value,
                            _ => use_,
                        };
                        // The receiver of a method that may take it by value
                        // may be moved, as in code (see `ambiguous`): `panic!(
                        // "{}", r.unwrap_or(0))` formats what the method
                        // returns. In a macro's tokens it cannot be taken out
                        // of a slot, so it moves from state to state.
                        // In a `move` closure a part of it (`x.field`, a
                        // method's receiver) may be all the closure takes,
                        // which a slot cannot give: only a whole name is.
                        let ambiguous = matches!(
                            after,
                            AfterName::Method(method) if !keeps_receiver(method)
                        ) || (self.moves > 0 && !matches!(after, AfterName::Other));
                        self.mention_at(&ident.to_string(), use_, None);
                        if let Some(m) = self.mentions.last_mut()
                            && m.position == self.position
                        {
                            m.span = Some(ident.span());
                            m.ambiguous |= ambiguous;
                        }
                    }
                }
                TokenTree::Literal(literal) => {
                    for name in inline_format_args(&literal.to_string()) {
                        self.mention(&name, Use::Place);
                        // Inside a `move` closure (`format!("{x}")`), the
                        // name is captured where it cannot be rewritten.
                        if self.moves > 0
                            && let Some(m) = self.mentions.last_mut()
                            && m.position == self.position
                        {
                            m.ambiguous = true;
                        }
                    }
                }
                TokenTree::Punct(_) => {}
            }
        }
    }
}

/// What the tokens after a name in a macro do with it.
enum AfterName<'a> {
    /// `.field`, `.0`: read a field.
    Field,
    /// `.method(..)`: call a method.
    Method(&'a Ident),
    /// Anything else (`.await` included).
    Other,
}

fn after_name(after: &[TokenTree]) -> AfterName<'_> {
    let (Some(TokenTree::Punct(dot)), Some(next)) = (after.first(), after.get(1)) else {
        return AfterName::Other;
    };
    if dot.as_char() != '.' {
        return AfterName::Other;
    }
    match (next, after.get(2)) {
        (TokenTree::Literal(_), _) => AfterName::Field,
        (TokenTree::Ident(name), Some(TokenTree::Group(args)))
            if args.delimiter() == proc_macro2::Delimiter::Parenthesis =>
        {
            AfterName::Method(name)
        }
        (TokenTree::Ident(_), Some(TokenTree::Punct(p))) if p.as_char() == ':' => AfterName::Other,
        (TokenTree::Ident(name), _) if name != "await" => AfterName::Field,
        _ => AfterName::Other,
    }
}

/// The macros of `std` that only borrow the values they are given.
const FORMATTING_MACROS: &[&str] = &[
    "print",
    "println",
    "eprint",
    "eprintln",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "unreachable",
    "todo",
    "unimplemented",
    "matches",
];

/// The names a format string captures, as in `"{total:>5}"`.
fn inline_format_args(literal: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = literal;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if rest.starts_with('{') {
            rest = &rest[1..];
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
            names.push(name.to_owned());
        }
    }
    names
}

/// The binding a place made of fields starts from: `x` in `x.a.b`, and
/// `x` itself. (An index or a dereference cannot be moved out of.)
fn place_root_by_fields(place: &Expr) -> Option<&Ident> {
    match place {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident(),
        Expr::Field(field) => place_root_by_fields(&field.base),
        Expr::Paren(paren) => place_root_by_fields(&paren.expr),
        Expr::Group(group) => place_root_by_fields(&group.expr),
        _ => None,
    }
}

/// Method names that, by the conventions of `std`, take `&self` or
/// `&mut self`: a receiver there is used in place, whatever its type.
fn keeps_receiver(method: &Ident) -> bool {
    let name = method.to_string();
    borrows_receiver(method)
        || name.starts_with("is_")
        || name.starts_with("to_")
        || name.starts_with("push")
        || name.starts_with("pop")
        || name.starts_with("insert")
        || name.starts_with("remove")
        || name.starts_with("contains")
        || name.starts_with("starts_with")
        || name.starts_with("ends_with")
        || name.starts_with("extend")
        || name.starts_with("sort")
        || name.starts_with("retain")
        || matches!(
            name.as_str(),
            "len"
                | "clone"
                | "clear"
                | "truncate"
                | "reserve"
                | "dedup"
                | "swap"
                | "fill"
                | "next"
                | "next_back"
                | "peek"
                | "replace"
                | "set"
                | "fmt"
                | "eq"
                | "ne"
                | "cmp"
                | "partial_cmp"
                | "hash"
                | "capacity"
                | "append"
                | "touch"
                | "name"
        )
}

/// The binding a place starts from: `x` in `x.a[i]`.
fn place_root(place: &Expr) -> Option<&Ident> {
    match place {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident(),
        Expr::Field(field) => place_root(&field.base),
        Expr::Index(index) => place_root(&index.expr),
        Expr::Paren(paren) => place_root(&paren.expr),
        Expr::Group(group) => place_root(&group.expr),
        _ => None,
    }
}

/// Whether `func` is the path `Iterator::next` (as `::core::iter::Iterator::next`).
fn is_iterator_next(func: &Expr) -> bool {
    path_ends_with(func, "Iterator", "next")
}

/// Whether `expr` is a path ending in `parent::last`.
fn path_ends_with(expr: &Expr, parent: &str, last: &str) -> bool {
    let Expr::Path(path) = expr else {
        return false;
    };
    let mut segments = path.path.segments.iter().rev();
    segments.next().is_some_and(|s| s.ident == last)
        && segments.next().is_some_and(|s| s.ident == parent)
}

/// Method names that, by the conventions of `std`, return a borrow of
/// their receiver (an iterator over it, a view of it, a guard): a value
/// that may keep the receiver borrowed for as long as it is kept.
fn borrows_receiver(method: &Ident) -> bool {
    let name = method.to_string();
    name.starts_with("as_")
        || name.starts_with("iter")
        || name.starts_with("split")
        || name.starts_with("trim")
        || name.starts_with("chunks")
        || name.starts_with("get")
        || name.starts_with("first")
        || name.starts_with("last")
        || name.starts_with("try_borrow")
        || name.starts_with("try_lock")
        || matches!(
            name.as_str(),
            "borrow"
                | "borrow_mut"
                | "lock"
                | "read"
                | "write"
                | "chars"
                | "char_indices"
                | "bytes"
                | "lines"
                | "keys"
                | "values"
                | "values_mut"
                | "drain"
                | "windows"
                | "deref"
                | "deref_mut"
                | "by_ref"
                | "entry"
                | "peekable"
        )
}

/// Method names that, by the conventions of `std`, take `self` by value.
pub(crate) fn consumes_receiver(method: &Ident) -> bool {
    let name = method.to_string();
    name.starts_with("into_")
        || name.starts_with("unwrap")
        || name.starts_with("expect")
        // The integer arithmetic of `std`, on `self` by value (a copy).
        || ["wrapping_", "saturating_", "checked_", "overflowing_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        || matches!(
            name.as_str(),
            "into"
                | "ok"
                | "err"
                | "map"
                | "map_err"
                | "and_then"
                | "or_else"
                | "collect"
                | "sum"
                | "product"
                | "count"
                | "fold"
                | "for_each"
                | "await"
        )
}

fn by_reference(op: &syn::BinOp) -> bool {
    is_comparison(op) || crate::syntax::is_compound_assignment(op)
}

fn is_comparison(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(op, Eq(_) | Ne(_) | Lt(_) | Le(_) | Gt(_) | Ge(_))
}

/// A lowercase name in a pattern is a binding; an uppercase one names a
/// constant or a unit variant (`None`), by Rust's conventions.
fn is_binding_name(ident: &Ident) -> bool {
    ident
        .to_string()
        .starts_with(|c: char| c.is_lowercase() || c == '_')
}

/// Whether an `else` branch tests something more: an `if`, alone or as the
/// only statement of a block (a lowered `match`'s next arm), rather than
/// the `unreachable!()` after the last arm.
fn tests_more(branch: &Expr) -> bool {
    match branch {
        Expr::If(_) => true,
        Expr::Block(block) => matches!(&block.block.stmts[..], [Stmt::Expr(Expr::If(_), _)]),
        _ => false,
    }
}

/// Whether `expr` is a scrutinee that lowering named.
fn is_named_scrutinee(expr: &Expr) -> bool {
    match expr {
        Expr::Field(field) => is_named_scrutinee(&field.base),
        Expr::Path(path) => path
            .path
            .get_ident()
            .is_some_and(|i| i.to_string().starts_with("__scrutinee")),
        _ => false,
    }
}

/// Whether a pattern moves what it matches: it binds a name by value.
fn binds_by_value(pat: &Pat) -> bool {
    any_part(pat, &|part| match part {
        Pat::Ident(ident) => {
            (ident.by_ref.is_none() && is_binding_name(&ident.ident)).then_some(true)
        }
        Pat::Guard(guarded) => Some(binds_by_value(&guarded.pat)),
        Pat::Wild(_)
        | Pat::Lit(_)
        | Pat::Range(_)
        | Pat::Path(_)
        | Pat::Rest(_)
        | Pat::Reference(_) => Some(false),
        Pat::Type(_)
        | Pat::Paren(_)
        | Pat::Tuple(_)
        | Pat::TupleStruct(_)
        | Pat::Slice(_)
        | Pat::Or(_)
        | Pat::Struct(_) => None,
        // What the syntax does not show (a macro) may bind anything.
        _ => Some(true),
    })
}

/// Whether a destructuring pattern leaves a part of the value unbound
/// (`_`, `..`), which a `let` from a place leaves in the place.
fn leaves_a_part(pat: &Pat) -> bool {
    any_part(pat, &|part| match part {
        Pat::Wild(_) | Pat::Rest(_) => Some(true),
        Pat::Struct(s) if s.rest.is_some() => Some(true),
        _ => None,
    })
}

/// A value with no drop glue, seen from its initializer.
fn is_drop_free_value(expr: &Expr) -> bool {
    match expr {
        Expr::Lit(_) => true,
        Expr::Reference(_) => true,
        Expr::Paren(e) => is_drop_free_value(&e.expr),
        _ => false,
    }
}

/// A type with no drop glue: a primitive, a reference or a raw pointer.
fn is_drop_free_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(_) | syn::Type::Ptr(_) | syn::Type::FnPtr(_) | syn::Type::Never(_) => {
            true
        }
        syn::Type::Paren(p) => is_drop_free_type(&p.elem),
        syn::Type::Tuple(t) => t.elems.iter().all(is_drop_free_type),
        syn::Type::Path(path) => {
            path.qself.is_none()
                && path
                    .path
                    .get_ident()
                    .is_some_and(|ident| PRIMITIVES.contains(&ident.to_string().as_str()))
        }
        _ => false,
    }
}

const PRIMITIVES: &[&str] = &[
    "bool", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128",
    "isize", "f32", "f64",
];

/// The names (by address) and macros (by address) in the parts of an
/// awaited expression that await themselves: they are evaluated, and
/// their `.await`s done, before the future of the outer `.await` is made
/// from the rest.
struct EvaluatedBefore {
    names: std::collections::HashSet<usize>,
    macros: std::collections::HashSet<usize>,
}

impl EvaluatedBefore {
    fn contains(&self, mention: &&Mention) -> bool {
        match (mention.site, mention.in_macro) {
            (Some(site), _) => self.names.contains(&site),
            (None, Some(mac)) => self.macros.contains(&mac),
            (None, None) => false,
        }
    }
}

fn evaluated_before(base: &Expr) -> EvaluatedBefore {
    struct Collector<'a>(&'a mut EvaluatedBefore);
    impl<'ast> syn::visit::Visit<'ast> for Collector<'_> {
        fn visit_ident(&mut self, ident: &'ast Ident) {
            self.0.names.insert(std::ptr::from_ref(ident) as usize);
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            self.0.macros.insert(std::ptr::from_ref(mac) as usize);
            syn::visit::visit_macro(self, mac);
        }
    }
    let mut before = EvaluatedBefore {
        names: std::collections::HashSet::new(),
        macros: std::collections::HashSet::new(),
    };
    for operand in crate::syntax::operands(base) {
        if crate::lower::contains_await(operand) {
            syn::visit::Visit::visit_expr(&mut Collector(&mut before), operand);
        }
    }
    before
}

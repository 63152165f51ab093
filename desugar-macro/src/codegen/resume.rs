//! The arms of `poll`: the body, cut at each point it can resume from.
//!
//! The `Start` arm is the body as written, with each `.await` replaced by
//! the code that awaits in place (see `lower::inline`): evaluate the
//! operand into a future, store it in the state for that await point and
//! poll it where it lies. If it is ready, its output is the value of the
//! `.await` and the code goes on. If it is pending, the state takes the
//! locals that live across the point and the arm returns `Pending`.
//!
//! The arm of state `AwaitN` polls the stored future. On `Pending` it
//! returns `Pending`, leaving the state as it is. On `Ready(output)` it
//! takes the locals out of the state and *re-enters* the body at await
//! point `N`: the code that remains to run, rebuilt around the hole the
//! `.await` leaves, which `output` fills, and then run on to the end.
//! Re-entering is structural:
//!
//! | where the point is             | what the arm continues with                          |
//! |--------------------------------|------------------------------------------------------|
//! | a block's statement `i`        | the block's locals re-declared, statement `i`, the rest |
//! | an operand                     | the expression, with that operand re-entered         |
//! | an `if` / `match` condition    | the `if` / `match`, with the condition re-entered    |
//! | an `if` branch or `match` arm  | that branch alone (the test has been made)           |
//! | a `loop` or `while` body       | `'brk: { 'cont: { rest of body } the loop again }`   |
//!
//! A `break` or `continue` whose loop was re-entered becomes a `break` to
//! one of those labels. Code after an await point is so written once in
//! each arm that can reach it.
//!
//! A body that cannot be written more than once has transit points (see
//! `lower::transit`) instead: every `.await` is a *suspension* (store the
//! future and the live locals, `continue` the poll loop to the arm that
//! polls it), entering a loop that awaits goes to its `LoopN` state, whose
//! arm writes the loop once, and finishing a branching construct followed
//! by more awaits goes to its `JoinN` state, whose arm re-enters with the
//! construct's value as the hole. Everything is written only up to the
//! first point where control certainly leaves the arm (a transition or a
//! `return`), so each piece of the body appears once in the live code.
//!
//! `return value` becomes `return Poll::Ready(value)` and `?` is spelled
//! out with the `__Try` helpers (see `try_op`): the arm is a closure, and
//! both must leave the whole function, not the closure, with its locals
//! dropped in the native order.

use crate::syntax::operands_mut;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, Lifetime, Stmt};

use super::flow::{diverges, stmt_diverges};
use super::names::Names;
use super::tidy::{
    InPlace, Tidy, block_expr, drop_typed_tail, keep_typed_operands, leaves_expression, only_false,
    only_true, prune_unassigned, strip_unused_label, terminate, unwrap_let,
};
use crate::analysis::{Analysis, PointKind, Scope};
use crate::lower::{
    Lowered, await_index, branch_index, construct_attrs, is_effect_free, join_index, strip_marker,
};

/// Writes the arms of the generated `poll`.
pub(super) struct Emitter<'a> {
    pub(super) names: &'a Names,
    pub(super) analysis: &'a Analysis,
    pub(super) lowered: &'a Lowered,
    /// The function's name when tracing transitions.
    pub(super) trace: Option<String>,
    /// The function's name, to spot a recursive call (see `recursion`).
    pub(super) function: Ident,
    /// `#[desugar(local)]`: a boxed recursive future need not be `Send`.
    pub(super) local: bool,
    /// The state whose arm is being written: `None` for `Start`.
    pub(super) from: Option<usize>,
    /// The loops around the code being written, innermost last.
    pub(super) loops: Vec<LoopContext>,
    /// Counter for the labels of re-entered loops.
    pub(super) labels: usize,
    pub(super) errors: Option<syn::Error>,
    /// Written in the `Start` arm once the arguments are taken: the native
    /// check and the pinned parameters' slots (see `pinned`).
    pub(super) start_prologue: TokenStream,
}

/// A loop around the code being written.
pub(super) struct LoopContext {
    /// The user's label, if any.
    pub(super) label: Option<Lifetime>,
    /// For a re-entered loop, the labels that its `break` and `continue`
    /// become; `None` for a loop written out as a loop.
    pub(super) reentered: Option<(Lifetime, Lifetime)>,
}

/// Generated local names: invisible to user code.
pub(super) fn hidden(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

fn poll_label() -> Lifetime {
    Lifetime::new("'__poll", Span::mixed_site())
}

impl<'a> Emitter<'a> {
    pub(super) fn new(
        names: &'a Names,
        analysis: &'a Analysis,
        lowered: &'a Lowered,
        trace: Option<String>,
        function: Ident,
        local: bool,
    ) -> Self {
        Emitter {
            names,
            analysis,
            lowered,
            trace,
            function,
            local,
            from: None,
            loops: Vec::new(),
            labels: 0,
            errors: None,
            start_prologue: TokenStream::new(),
        }
    }

    pub(super) fn finish_errors(self) -> syn::Result<()> {
        match self.errors {
            Some(errors) => Err(errors),
            None => Ok(()),
        }
    }

    pub(super) fn error(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(errors) => errors.combine(error),
            None => self.errors = Some(error),
        }
    }

    pub(super) fn state_name(&self, state: Option<usize>) -> String {
        state.map_or_else(
            || "Start".to_owned(),
            |p| self.names.variants[p].to_string(),
        )
    }

    /// A `::std::println!` of a transition, when tracing.
    pub(super) fn trace(&self, message: String) -> TokenStream {
        match &self.trace {
            Some(function) => {
                let line = format!("[{function}] {message}")
                    .replace('{', "{{")
                    .replace('}', "}}");
                quote!(::std::println!(#line);)
            }
            None => TokenStream::new(),
        }
    }

    /// A `::std::println!` of a transition from the state the running code
    /// is in, `-> rest`. Polled in place, the arm of one state runs past
    /// the await points its future was ready at, so that state is kept in
    /// `__from` as the code runs.
    pub(super) fn trace_from(&self, rest: &str) -> TokenStream {
        match &self.trace {
            Some(function) if self.lowered.in_place => {
                let line = format!(
                    "[{function}] {{}} -> {}",
                    rest.replace('{', "{{").replace('}', "}}")
                );
                let from = hidden("__from");
                quote!(::std::println!(#line, #from);)
            }
            Some(_) => self.trace(format!("{} -> {rest}", self.state_name(self.from))),
            None => TokenStream::new(),
        }
    }

    /// `let mut __from = "State";` at the top of an arm, for [`trace_from`].
    fn trace_origin(&self) -> TokenStream {
        if self.trace.is_none() || !self.lowered.in_place {
            return TokenStream::new();
        }
        let from = hidden("__from");
        let name = self.state_name(self.from);
        quote!(let mut #from: &str = #name;)
    }

    /// The `Start` arm: the body from the top.
    pub(super) fn start_arm(&mut self) -> TokenStream {
        self.from = None;
        let Names {
            state, projection, ..
        } = self.names;
        let state_var = hidden("__state");
        let fields: Vec<TokenStream> = self
            .analysis
            .params
            .iter()
            .map(|param| self.binding_pattern(param.binding, true))
            .collect();

        let mut stmts = Vec::new();
        self.forward_rest(&self.lowered.body.stmts, &mut stmts);
        let body = self.top_level(stmts);
        let take = if fields.is_empty() {
            quote!(#state_var.as_mut().take();)
        } else {
            quote! {
                let #state::Start { #(#fields),* } = #state_var.as_mut().take() else {
                    ::core::unreachable!()
                };
            }
        };
        let prologue = &self.start_prologue;
        let origin = self.trace_origin();
        quote! {
            #projection::Start => {
                #take
                #origin
                #prologue
                #body
            }
        }
    }

    /// The arm of the state at point `p`: an await point polls its future
    /// and, once it is ready, re-enters the body there; a transit point
    /// re-enters at once.
    pub(super) fn point_arm(&mut self, p: usize) -> TokenStream {
        self.from = Some(p);
        let Names {
            state,
            projection,
            variants,
            ..
        } = self.names;
        let variant = &variants[p];
        let point = &self.analysis.points[p];
        let (state_var, cx, output, awaitee, value) = (
            hidden("__state"),
            hidden("__cx"),
            hidden("__output"),
            hidden("__awaitee"),
            hidden("__value"),
        );
        let mut fields: Vec<TokenStream> = point
            .carried
            .iter()
            .rev()
            .map(|&b| self.binding_pattern(b, false))
            .collect();
        if matches!(point.kind, PointKind::Join(_)) {
            fields.insert(0, quote!(#value: #output));
        }
        let body = self.resume_stmts(&self.lowered.body, point.kind, Scope::Top);
        let body = self.top_level(body);
        let take = quote! {
            let #state::#variant { #(#fields,)* .. } = #state_var.as_mut().take() else {
                ::core::unreachable!()
            };
        };
        let take = if fields.is_empty() {
            quote!(#state_var.as_mut().take();)
        } else if self.lowered.in_place {
            // The locals back from the fields `hold_*` wrote, one by one
            // (see `states::in_place_methods`).
            let resume = self.names.point_method("resume_", p);
            let idents = point.carried.iter().rev().map(|&b| {
                let ident = &self.analysis.bindings[b].ident;
                let mutability = self.declared_mut(b, false).then(|| quote!(mut));
                quote!(#mutability #ident)
            });
            quote!(let (#(#idents,)*) = #state_var.as_mut().#resume();)
        } else {
            take
        };
        let unpark = self.unpark(&point.carried);
        let origin = self.trace_origin();
        let take = quote!(#take #unpark #origin);
        match point.kind {
            PointKind::Await(k) => {
                let source = &self.lowered.awaits[k].source;
                let on_pending = self.trace(format!("{variant}: `{source}` is pending"));
                let on_ready = self.trace(format!("{variant}: `{source}` is ready"));
                quote! {
                    #projection::#variant(#awaitee) => {
                        let #output = match ::core::future::Future::poll(#awaitee, #cx) {
                            ::core::task::Poll::Ready(#output) => #output,
                            ::core::task::Poll::Pending => {
                                #on_pending
                                return ::core::task::Poll::Pending;
                            }
                        };
                        #on_ready
                        #take
                        #body
                    }
                }
            }
            PointKind::Loop(_) | PointKind::Join(_) | PointKind::Branch(_) => quote! {
                #projection::#variant => {
                    #take
                    #body
                }
            },
        }
    }

    /// The pinned locals' handles back from their markers, after `take`.
    /// Locals are dropped in the reverse of their declaration, so from the
    /// first pinned one on, the locals of the function's scope are declared
    /// again in order; the others are declared again in their own scopes.
    fn unpark(&self, carried: &[usize]) -> TokenStream {
        let Some(slots) = &self.names.slots else {
            return TokenStream::new();
        };
        let pointer = hidden("__slots");
        let stmts = carried
            .iter()
            .rev()
            .skip_while(|&&b| !self.names.is_pinned(b))
            .filter_map(|&b| {
                let binding = &self.analysis.bindings[b];
                let ident = &binding.ident;
                match self.analysis.pins.slot(b) {
                    Some(slot) => {
                        let at = super::pinned::slot_fn(slot);
                        Some(quote! {
                            // SAFETY: the slots of this future, which is pinned.
                            let #ident = unsafe { #slots::#at(#pointer) }.unpark(#ident);
                        })
                    }
                    None if binding.scope == Scope::Top => {
                        let mutability = binding.mutable.then(|| quote!(mut));
                        Some(quote!(let #mutability #ident = #ident;))
                    }
                    None => None,
                }
            });
        quote!(#(#stmts)*)
    }

    /// `field: [mut] name` for destructuring a state, `mut` only where the
    /// binding is re-declared right there (its scope is the function's).
    pub(super) fn binding_pattern(&self, binding: usize, start: bool) -> TokenStream {
        let b = &self.analysis.bindings[binding];
        let field = self.names.field(binding);
        let ident = &b.ident;
        let mutability = self.declared_mut(binding, start).then(|| quote!(mut));
        if field == ident {
            quote!(#mutability #ident)
        } else {
            quote!(#field: #mutability #ident)
        }
    }

    /// Whether taking `binding` out of a state declares it `mut` there: it
    /// is `mut`, and declared right there (its scope is the function's).
    fn declared_mut(&self, binding: usize, start: bool) -> bool {
        let b = &self.analysis.bindings[binding];
        b.mutable && (start || b.scope == Scope::Top)
    }

    /// Ends the top level of an arm: a tail value becomes `Ready`.
    pub(super) fn top_level(&mut self, mut stmts: Vec<Stmt>) -> TokenStream {
        stmts.retain(|stmt| !crate::lower::is_placeholder(stmt));
        for stmt in &mut stmts {
            Tidy.visit_stmt_mut(stmt);
        }
        prune_unassigned(&mut stmts);
        let diverged = stmts.iter().any(stmt_diverges);
        if diverged {
            // The arm's value is never used: an expression that diverges
            // through a suspension in its operands may still be typed
            // otherwise (`add(a, b.await)` is `u32`).
            if let Some(last) = stmts.pop() {
                stmts.push(terminate(last, false));
            }
        } else {
            let value = match stmts.pop() {
                Some(Stmt::Expr(tail, None)) => tail,
                Some(other) => {
                    stmts.push(other);
                    syn::parse_quote!(())
                }
                None => syn::parse_quote!(()),
            };
            stmts.push(Stmt::Expr(self.ready(value), Some(Default::default())));
        }
        quote!(#(#stmts)*)
    }

    /// `return Poll::Ready(value)`: the function returns.
    pub(super) fn ready(&self, value: Expr) -> Expr {
        match &self.trace {
            None => syn::parse_quote!(return ::core::task::Poll::Ready(#value)),
            Some(_) => {
                let value_var = hidden("__value");
                let trace = self.trace_from("Done: returned");
                syn::parse_quote!({
                    let #value_var = #value;
                    #trace
                    return ::core::task::Poll::Ready(#value_var)
                })
            }
        }
    }

    /// Moves to the state at point `p`: `own` is what it holds besides the
    /// locals (`__awaitee` or `__value`), `prepare` the statements that
    /// compute it. Then round the poll loop, whose arm for `p` goes on.
    pub(super) fn transition(
        &self,
        p: usize,
        prepare: Vec<Stmt>,
        own: TokenStream,
        note: &str,
    ) -> Expr {
        let Names {
            state, variants, ..
        } = self.names;
        let variant = &variants[p];
        let state_var = hidden("__state");
        let fields = self.analysis.points[p].carried.iter().map(|&b| {
            let (field, ident) = (self.names.field(b), &self.analysis.bindings[b].ident);
            let held = self.held(b);
            if field == ident && !self.names.is_pinned(b) {
                held
            } else {
                quote!(#field: #held)
            }
        });
        let trace = self.trace_from(&format!("{variant}: {note}"));
        let poll = poll_label();
        syn::parse_quote! {
            {
                #(#prepare)*
                #state_var.set(#state::#variant {
                    #own
                    #(#fields,)*
                });
                #trace
                continue #poll;
            }
        }
    }

    /// The suspension at await point `k`: the operand becomes the future
    /// the new state holds, with the locals that live across the point.
    pub(super) fn suspend(&mut self, k: usize, operand: Expr) -> Expr {
        if self.lowered.in_place {
            return self.poll_in_place(k, operand);
        }
        let p = self.analysis.point(PointKind::Await(k));
        let awaitee = hidden("__awaitee");
        let point = &self.lowered.awaits[k];
        let note = format!("suspended at `{}`", point.source);
        let borrowed = &self.analysis.points[p].borrowed;
        if borrowed.is_empty() {
            let prepare = self.awaitee(&operand, point.span);
            let own = quote!(__awaitee: ::core::mem::MaybeUninit::new(#awaitee),);
            let transition = self.transition(p, vec![prepare], own, &note);
            return typed(transition, quote!(&raw const #awaitee));
        }
        self.lending_suspend(p, k, operand, &note)
    }

    /// Await point `k` in a body polled in place (see `lower::inline`): the
    /// operand becomes the future the state stores and polls at once. If it
    /// is ready, its output is the value of the expression and the code
    /// goes on; if not, the state takes the locals that live across the
    /// point and the arm returns.
    ///
    /// ```text
    /// match __state.as_mut().await0(IntoFuture::into_future(operand), __cx) {
    ///     Poll::Ready(__output) => __output,
    ///     Poll::Pending => {
    ///         __state.as_mut().hold_await0(i.park(), sum);
    ///         return Poll::Pending;
    ///     }
    /// }
    /// ```
    fn poll_in_place(&mut self, k: usize, operand: Expr) -> Expr {
        let p = self.analysis.point(PointKind::Await(k));
        let point = &self.lowered.awaits[k];
        let variant = &self.names.variants[p];
        let (method, hold) = (
            self.names.point_method("", p),
            self.names.point_method("hold_", p),
        );
        let (state_var, cx, output, awaitee, from) = (
            hidden("__state"),
            hidden("__cx"),
            hidden("__output"),
            hidden("__awaitee"),
            hidden("__from"),
        );
        let prepare = self.awaitee(&operand, point.span);
        let fields: Vec<TokenStream> = self.analysis.points[p]
            .carried
            .iter()
            .map(|&b| self.held(b))
            .collect();
        let hold = (!fields.is_empty()).then(|| quote!(#state_var.as_mut().#hold(#(#fields),*);));
        let source = &point.source;
        let on_await = self.trace_from(&format!("{variant}: suspended at `{source}`"));
        let on_pending = self.trace(format!("{variant}: `{source}` is pending"));
        let (on_ready, moved_on) = match &self.trace {
            Some(_) => {
                let name = variant.to_string();
                (
                    self.trace(format!("{variant}: `{source}` is ready")),
                    quote!(#from = #name;),
                )
            }
            None => (TokenStream::new(), TokenStream::new()),
        };
        syn::parse_quote! {
            {
                #prepare
                #on_await
                match #state_var.as_mut().#method(#awaitee, #cx) {
                    ::core::task::Poll::Ready(#output) => {
                        #on_ready
                        #moved_on
                        #output
                    }
                    ::core::task::Poll::Pending => {
                        #hold
                        #on_pending
                        return ::core::task::Poll::Pending;
                    }
                }
            }
        }
    }

    /// What a state is handed for `binding`: the local, or for one kept in
    /// its slot the marker (the value stays where it is).
    fn held(&self, binding: usize) -> TokenStream {
        let ident = &self.analysis.bindings[binding].ident;
        if self.names.is_pinned(binding) {
            quote!(#ident.park())
        } else {
            quote!(#ident)
        }
    }

    /// `let __awaitee = IntoFuture::into_future(operand);`: the future an
    /// `.await` polls, spanned at the `.await` for rustc's messages. A boxed
    /// call of this function is stored as `dyn Future` (see `recursion`).
    fn awaitee(&self, operand: &Expr, span: Span) -> Stmt {
        let awaitee = hidden("__awaitee");
        if super::recursion::calls_itself(operand, &self.function) {
            let erased = super::recursion::erased_type(self.local);
            syn::parse_quote_spanned! {span=> let #awaitee: #erased = #operand; }
        } else {
            syn::parse_quote_spanned! {span=>
                let #awaitee = ::core::future::IntoFuture::into_future(#operand);
            }
        }
    }

    /// The suspension at await point `k` when its future borrows locals:
    /// store the state first, with an empty slot for the future, then make
    /// the future from the locals where they now lie (see `states`).
    ///
    /// ```text
    /// __state.set(State::AwaitK { __awaitee: MaybeUninit::uninit(), buf, .. });
    /// if false { __state.as_mut().check_awaitk(async |buf| read(&mut (*buf)).await); loop {} }
    /// let (__slot, __borrowed0) = unsafe { __state.as_mut().lend_awaitk() };
    /// let buf = unsafe { &mut *__borrowed0 };
    /// __slot.write(IntoFuture::into_future(read(&mut (*buf))));
    /// continue '__poll;
    /// ```
    pub(super) fn lending_suspend(
        &mut self,
        p: usize,
        k: usize,
        operand: Expr,
        note: &str,
    ) -> Expr {
        let point = &self.analysis.points[p];
        let idents: Vec<Ident> = point
            .borrowed
            .iter()
            .map(|&b| self.analysis.bindings[b].ident.clone())
            .collect();
        if let Some(span) = leaves_expression(&operand) {
            self.error(syn::Error::new(
                span,
                format!(
                    "`#[desugar]` does not support `?`, `return`, `break` or `continue` in an \
                     awaited expression that borrows {} yet: compute that part into a local first",
                    idents
                        .iter()
                        .map(|i| format!("`{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let mut operand = operand;
        InPlace(&idents).visit_expr_mut(&mut operand);
        // A pinned local's handle goes into the state too: take its place first.
        let prepare = super::pinned::places_before_storing(&mut operand);
        let (state_var, slot) = (hidden("__state"), hidden("__slot"));
        let pointers: Vec<Ident> = (0..idents.len())
            .map(|i| hidden(&format!("__borrowed{i}")))
            .collect();
        let lend = self.names.point_method("lend_", p);
        let check = self.names.point_method("check_", p);
        let span = self.lowered.awaits[k].span;
        let make: Expr = if super::recursion::calls_itself(&operand, &self.function) {
            // A boxed call of this function: stored as `dyn Future`.
            let erased = super::recursion::erased_type(self.local);
            syn::parse_quote!({ let __erased: #erased = #operand; __erased })
        } else {
            syn::parse_quote!(::core::future::IntoFuture::into_future(#operand))
        };
        let make_future: Vec<Stmt> = syn::parse_quote_spanned! {span=>
            // Checked, never run: the output borrows nothing it is lent (see `check_*`).
            if false {
                #state_var.as_mut().#check(async |#(#idents),*| #operand.await);
                loop {}
            }
            // SAFETY: the state was stored as this await point's just above; see `lend_*`.
            let (#slot, #(#pointers),*) = unsafe { #state_var.as_mut().#lend() };
            #(
                // SAFETY: each pointer is to a different field of the stored state, valid
                // until the state is replaced, which happens after the future is dropped.
                let #idents = unsafe { &mut *#pointers };
            )*
            #slot.write(#make);
        };
        let own = quote!(__awaitee: ::core::mem::MaybeUninit::uninit(),);
        let mut transition = self.transition(p, prepare, own, note);
        // The future is made after the state is stored: put those statements
        // just before the `continue`.
        if let Expr::Block(block) = &mut transition {
            let at = block.block.stmts.len() - 1;
            for (i, stmt) in make_future.into_iter().enumerate() {
                block.block.stmts.insert(at + i, stmt);
            }
        }
        typed(transition, quote!(#slot.as_ptr()))
    }

    /// Back to the top of loop `n`, whose body is written once, in its state.
    pub(super) fn goto_loop(&self, n: usize) -> Expr {
        let p = self.analysis.point(PointKind::Loop(n));
        self.transition(p, Vec::new(), quote!(), "to the top of the loop")
    }

    /// Into shared branch `n`, which is written once, in its state.
    pub(super) fn goto_branch(&self, n: usize) -> Expr {
        let p = self.analysis.point(PointKind::Branch(n));
        self.transition(p, Vec::new(), quote!(), "into the shared branch")
    }

    /// The shared branch of `node` (see `lower::transit`), if it has one,
    /// replaced by the transition into its state.
    pub(super) fn share_branch(&self, node: &mut Expr) {
        let Some(n) = construct_attrs(node).and_then(|attrs| branch_index(attrs)) else {
            return;
        };
        let goto = self.goto_branch(n);
        match node {
            Expr::If(e) => {
                if let Some((_, branch)) = &mut e.else_branch {
                    **branch = block_expr(Block {
                        brace_token: Default::default(),
                        stmts: vec![Stmt::Expr(goto, None)],
                    });
                }
            }
            Expr::Binary(e) => *e.right = goto,
            _ => {}
        }
    }

    /// Past branching construct `n`, with its value: what follows it is
    /// written once, in the join's state.
    pub(super) fn join(&self, n: usize, value: Expr) -> Expr {
        if diverges(&value) {
            return value;
        }
        let p = self.analysis.point(PointKind::Join(n));
        let value_var = hidden("__value");
        let prepare: Stmt = syn::parse_quote!(let #value_var = #value;);
        self.transition(p, vec![prepare], quote!(#value_var,), "joined")
    }

    /// `expr?`, spelled out (see `try_op`).
    pub(super) fn question(&self, expr: Expr) -> Expr {
        let (value, residual) = (hidden("__value"), hidden("__residual"));
        syn::parse_quote! {
            match __Try::branch(#expr) {
                ::core::ops::ControlFlow::Continue(#value) => #value,
                ::core::ops::ControlFlow::Break(#residual) => {
                    return ::core::task::Poll::Ready(__FromResidual::from_residual(#residual))
                }
            }
        }
    }

    /// The rewrites of a single node whose operands are already written:
    /// an `.await` suspends, `return` and `?` leave the function, and a
    /// `break` or `continue` out of a re-entered loop goes to its label.
    pub(super) fn finish(&mut self, mut expr: Expr) -> Expr {
        let join = construct_attrs(&expr).and_then(|attrs| join_index(attrs));
        let expr = self.finish_node(std::mem::replace(
            &mut expr,
            Expr::Verbatim(TokenStream::new()),
        ));
        match join {
            Some(n) => self.join(n, expr),
            None => expr,
        }
    }

    pub(super) fn finish_node(&mut self, mut expr: Expr) -> Expr {
        // An operand that suspends (or otherwise leaves) ends the evaluation
        // of the whole expression; the operands before it have no effect
        // (lowering hoisted the others), so the expression *is* that operand.
        // This also keeps a suspension's type `!` away from operators.
        let operands = operands_mut(&mut expr);
        if let Some(i) = operands.iter().position(|op| diverges(op))
            && operands[..i]
                .iter()
                .all(|op| is_effect_free(op) || self.is_pinned_read(op))
            && !matches!(expr, Expr::Return(_) | Expr::Break(_))
            && (i == 0
                || !matches!(&expr, Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_))))
        {
            let mut operands = operands_mut(&mut expr);
            let mut operand =
                std::mem::replace(&mut *operands[i], Expr::Verbatim(TokenStream::new()));
            // It now stands for the whole expression, of another type (the
            // `?` of `f().await?` is gone): it must stay `!`.
            drop_typed_tail(&mut operand);
            return operand;
        }
        keep_typed_operands(&mut expr);
        strip_unused_label(&mut expr);
        match expr {
            // A condition or scrutinee that suspends: the branches never run.
            Expr::If(e) if diverges(&e.cond) => unwrap_let(*e.cond),
            Expr::While(e) if diverges(&e.cond) => unwrap_let(*e.cond),
            // A condition that can only finish as `false` (it suspends
            // wherever it would be true): the body never runs here. Writing
            // it anyway would write the code after the suspension twice.
            Expr::If(mut e) if only_false(&e.cond) => {
                e.then_branch = syn::parse_quote!({ ::core::unreachable!() });
                Expr::If(e)
            }
            Expr::While(mut e) if only_false(&e.cond) => {
                e.body = syn::parse_quote!({});
                Expr::While(e)
            }
            // `a && b`: if `a` can only be false, `b` never runs.
            Expr::Binary(e) if matches!(e.op, syn::BinOp::And(_)) && only_false(&e.left) => *e.left,
            Expr::Binary(e) if matches!(e.op, syn::BinOp::Or(_)) && only_true(&e.left) => *e.left,
            Expr::Match(e) if diverges(&e.expr) => *e.expr,
            Expr::Await(mut e) => match await_index(&e) {
                Some(j) => {
                    strip_marker(&mut e.attrs);
                    self.suspend(j, *e.base)
                }
                None => Expr::Await(e),
            },
            Expr::Return(e) => {
                let value = e.expr.map_or_else(|| syn::parse_quote!(()), |v| *v);
                self.ready(value)
            }
            Expr::Try(e) => self.question(*e.expr),
            Expr::Break(mut e) => {
                if let Some((brk, _)) = self.target(e.label.as_ref()) {
                    e.label = Some(brk);
                }
                Expr::Break(e)
            }
            Expr::Continue(e) => match self.target(e.label.as_ref()) {
                Some((_, cont)) => syn::parse_quote!(break #cont),
                None => Expr::Continue(e),
            },
            other => other,
        }
    }

    /// Whether `expr` is what the name of a pinned local was rewritten to
    /// (`(*unsafe { x.place() })`, or `unsafe { x.take() }` for a use by
    /// value, see `pinned`): as effect-free as the name it replaced.
    fn is_pinned_read(&self, expr: &Expr) -> bool {
        let expr = match expr {
            Expr::Paren(paren) => &*paren.expr,
            other => other,
        };
        let expr = match expr {
            Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => &*unary.expr,
            other => other,
        };
        let Expr::Unsafe(block) = expr else {
            return false;
        };
        let [Stmt::Expr(Expr::MethodCall(call), None)] = block.block.stmts.as_slice() else {
            return false;
        };
        let Expr::Path(receiver) = &*call.receiver else {
            return false;
        };
        (call.method == "place" || call.method == "take")
            && call.args.is_empty()
            && receiver.path.get_ident().is_some_and(|ident| {
                self.analysis
                    .pins
                    .slots
                    .iter()
                    .any(|&(binding, ..)| self.analysis.bindings[binding].ident == *ident)
            })
    }

    /// The labels a `break`/`continue` with `label` must use instead, when
    /// the loop it targets was re-entered.
    pub(super) fn target(&self, label: Option<&Lifetime>) -> Option<(Lifetime, Lifetime)> {
        let target = match label {
            Some(label) => self
                .loops
                .iter()
                .rev()
                .find(|l| l.label.as_ref() == Some(label))?,
            None => self.loops.last()?,
        };
        target.reentered.clone()
    }

    pub(super) fn fresh_labels(&mut self) -> (Lifetime, Lifetime) {
        let n = self.labels;
        self.labels += 1;
        (
            Lifetime::new(&format!("'__break{n}"), Span::mixed_site()),
            Lifetime::new(&format!("'__continue{n}"), Span::mixed_site()),
        )
    }
}

/// Gives a suspension the type a native `.await` has, that of the awaited
/// output, where it is an operand of an expression that is kept around it
/// (`a() + b.await`, `f(g(), y.await)`): a plain `{ ..; continue }` is `!`
/// there, and `u32 + !` does not type-check. The tail
/// `__suspended(awaitee)` follows the `continue` and never runs; `awaitee`
/// is a raw pointer to the future, for its type.
///
/// Elsewhere the suspension must stay `!`: the code after it was cut away,
/// so a block it ends (`{ x.await; return 0; }` in a `let .. else`) only
/// diverges through it. The tail is marked here, and `tidy::Tidy` keeps it
/// only on an operand (see `tidy::keep_typed_operands`).
fn typed(mut suspension: Expr, awaitee: TokenStream) -> Expr {
    if let Expr::Block(block) = &mut suspension {
        let suspended = hidden("__suspended");
        block.block.stmts.push(Stmt::Expr(
            syn::parse_quote!(#[__desugar_typed] #suspended(#awaitee)),
            None,
        ));
    }
    suspension
}

/// The helper [`typed`] calls.
pub(super) fn suspended_item() -> TokenStream {
    let suspended = hidden("__suspended");
    quote! {
        /// The type of a suspension where it stands in an expression: that of the awaited
        /// output, as for a native `.await`. Never called: it follows the `continue`.
        fn #suspended<F: ::core::future::IntoFuture>(_: *const F) -> F::Output {
            ::core::unreachable!()
        }
    }
}

//! The arms of `poll`: the body, cut at each point it can resume from.
//!
//! The `Start` arm is the body as written, with each `.await` replaced by a
//! *suspension*: evaluate the operand into a future, move it and the live
//! locals into the state for that await point, and `continue` the poll loop
//! so that the new state's arm polls the future at once (rustc also polls
//! an awaited future as soon as it is created).
//!
//! The arm of state `AwaitN` polls the stored future. On `Pending` it
//! returns `Pending`, leaving the state as it is. On `Ready(output)` it
//! takes the locals out of the state and *re-enters* the body at await
//! point `N`: the code that remains to run, rebuilt around the hole the
//! `.await` leaves, which `output` fills. Re-entering is structural:
//!
//! | where the point is             | what the arm continues with                          |
//! |--------------------------------|------------------------------------------------------|
//! | a block's statement `i`        | the block's locals re-declared, statement `i`, the rest |
//! | an operand                     | the expression, with that operand re-entered         |
//! | an `if` / `match` condition    | the `if` / `match`, with the condition re-entered    |
//! | an `if` branch or `match` arm  | that branch alone (the test has been made)           |
//! | a `loop` or `while` body       | `'brk: { 'cont: { rest of body } goto LoopN }`       |
//!
//! A `break` or `continue` whose loop was re-entered becomes a `break` to
//! one of those labels. Transit points (see `lower::transit`) are where
//! this would write code twice: entering a loop that awaits goes to its
//! `LoopN` state, whose arm writes the loop once, and finishing a
//! branching construct followed by more awaits goes to its `JoinN` state,
//! whose arm re-enters with the construct's value as the hole. Everything
//! is written only up to the first point where control certainly leaves
//! the arm (a transition or a `return`), so each piece of the body appears
//! once in the live code of the expansion.
//!
//! `return value` becomes `return Poll::Ready(value)` and `?` is spelled
//! out with the `__Try` helpers (see `try_op`): the arm is a closure, and
//! both must leave the whole function, not the closure, with its locals
//! dropped in the native order.

use crate::syntax::{operands, operands_mut};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote};
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Lifetime, Stmt};

use super::flow::{diverges, stmt_diverges};
use super::names::Names;
use crate::analysis::{Analysis, PointKind, Scope};
use crate::lower::{
    Lowered, await_index, branch_index, construct_attrs, construct_attrs_mut, is_effect_free,
    join_index, loop_index, strip_marker, strip_transit_markers,
};
use syn::visit::Visit;

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
    from: Option<usize>,
    /// The loops around the code being written, innermost last.
    loops: Vec<LoopContext>,
    /// Counter for the labels of re-entered loops.
    labels: usize,
    errors: Option<syn::Error>,
}

/// A loop around the code being written.
struct LoopContext {
    /// The user's label, if any.
    label: Option<Lifetime>,
    /// For a re-entered loop, the labels that its `break` and `continue`
    /// become; `None` for a loop written out as a loop.
    reentered: Option<(Lifetime, Lifetime)>,
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
        }
    }

    pub(super) fn finish_errors(self) -> syn::Result<()> {
        match self.errors {
            Some(errors) => Err(errors),
            None => Ok(()),
        }
    }

    fn error(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(errors) => errors.combine(error),
            None => self.errors = Some(error),
        }
    }

    fn state_name(&self, state: Option<usize>) -> String {
        state.map_or_else(
            || "Start".to_owned(),
            |p| self.names.variants[p].to_string(),
        )
    }

    /// A `::std::println!` of a transition, when tracing.
    fn trace(&self, message: String) -> TokenStream {
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
        quote! {
            #projection::Start => {
                #take
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
        } else {
            take
        };
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

    /// `field: [mut] name` for destructuring a state, `mut` only where the
    /// binding is re-declared right there (its scope is the function's).
    fn binding_pattern(&self, binding: usize, start: bool) -> TokenStream {
        let b = &self.analysis.bindings[binding];
        let field = self.names.field(binding);
        let ident = &b.ident;
        let mutability = (b.mutable && (start || b.scope == Scope::Top)).then(|| quote!(mut));
        if field == ident {
            quote!(#mutability #ident)
        } else {
            quote!(#field: #mutability #ident)
        }
    }

    /// Ends the top level of an arm: a tail value becomes `Ready`.
    fn top_level(&mut self, mut stmts: Vec<Stmt>) -> TokenStream {
        for stmt in &mut stmts {
            Tidy.visit_stmt_mut(stmt);
        }
        prune_unassigned(&mut stmts);
        let diverged = stmts.iter().any(stmt_diverges);
        if !diverged {
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
    fn ready(&self, value: Expr) -> Expr {
        let from = self.state_name(self.from);
        match &self.trace {
            None => syn::parse_quote!(return ::core::task::Poll::Ready(#value)),
            Some(_) => {
                let value_var = hidden("__value");
                let trace = self.trace(format!("{from} -> Done: returned"));
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
    fn transition(&self, p: usize, prepare: Vec<Stmt>, own: TokenStream, note: &str) -> Expr {
        let Names {
            state, variants, ..
        } = self.names;
        let variant = &variants[p];
        let state_var = hidden("__state");
        let fields = self.analysis.points[p].carried.iter().map(|&b| {
            let field = self.names.field(b);
            let ident = &self.analysis.bindings[b].ident;
            if field == ident {
                quote!(#ident)
            } else {
                quote!(#field: #ident)
            }
        });
        let trace = self.trace(format!(
            "{} -> {variant}: {note}",
            self.state_name(self.from)
        ));
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
    fn suspend(&mut self, k: usize, operand: Expr) -> Expr {
        let p = self.analysis.point(PointKind::Await(k));
        let awaitee = hidden("__awaitee");
        let point = &self.lowered.awaits[k];
        let note = format!("suspended at `{}`", point.source);
        let borrowed = &self.analysis.points[p].borrowed;
        if borrowed.is_empty() {
            let prepare: Stmt = if super::recursion::calls_itself(&operand, &self.function) {
                // A boxed call of this function: stored as `dyn Future`.
                let erased = super::recursion::erased_type(self.local);
                syn::parse_quote_spanned! {point.span=> let #awaitee: #erased = #operand; }
            } else {
                syn::parse_quote_spanned! {point.span=>
                    let #awaitee = ::core::future::IntoFuture::into_future(#operand);
                }
            };
            let own = quote!(__awaitee: ::core::mem::MaybeUninit::new(#awaitee),);
            return self.transition(p, vec![prepare], own, &note);
        }
        self.lending_suspend(p, k, operand, &note)
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
    fn lending_suspend(&mut self, p: usize, k: usize, operand: Expr, note: &str) -> Expr {
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
        let (state_var, slot) = (hidden("__state"), hidden("__slot"));
        let pointers: Vec<Ident> = (0..idents.len())
            .map(|i| hidden(&format!("__borrowed{i}")))
            .collect();
        let variant = self.names.variants[p].to_string().to_lowercase();
        let lend = quote::format_ident!("lend_{}", variant);
        let check = quote::format_ident!("check_{}", variant);
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
        let mut transition = self.transition(p, Vec::new(), own, note);
        // The future is made after the state is stored: put those statements
        // just before the `continue`.
        if let Expr::Block(block) = &mut transition {
            let at = block.block.stmts.len() - 1;
            for (i, stmt) in make_future.into_iter().enumerate() {
                block.block.stmts.insert(at + i, stmt);
            }
        }
        transition
    }

    /// Back to the top of loop `n`, whose body is written once, in its state.
    fn goto_loop(&self, n: usize) -> Expr {
        let p = self.analysis.point(PointKind::Loop(n));
        self.transition(p, Vec::new(), quote!(), "to the top of the loop")
    }

    /// Into shared branch `n`, which is written once, in its state.
    fn goto_branch(&self, n: usize) -> Expr {
        let p = self.analysis.point(PointKind::Branch(n));
        self.transition(p, Vec::new(), quote!(), "into the shared branch")
    }

    /// The shared branch of `node` (see `lower::transit`), if it has one,
    /// replaced by the transition into its state.
    fn share_branch(&self, node: &mut Expr) {
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
    fn join(&self, n: usize, value: Expr) -> Expr {
        if diverges(&value) {
            return value;
        }
        let p = self.analysis.point(PointKind::Join(n));
        let value_var = hidden("__value");
        let prepare: Stmt = syn::parse_quote!(let #value_var = #value;);
        self.transition(p, vec![prepare], quote!(#value_var,), "joined")
    }

    /// `expr?`, spelled out (see `try_op`).
    fn question(&self, expr: Expr) -> Expr {
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
    fn finish(&mut self, mut expr: Expr) -> Expr {
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

    fn finish_node(&mut self, mut expr: Expr) -> Expr {
        // An operand that suspends (or otherwise leaves) ends the evaluation
        // of the whole expression; the operands before it have no effect
        // (lowering hoisted the others), so the expression *is* that operand.
        // This also keeps a suspension's type `!` away from operators.
        let operands = operands_mut(&mut expr);
        if let Some(i) = operands.iter().position(|op| diverges(op))
            && operands[..i].iter().all(|op| is_effect_free(op))
            && !matches!(expr, Expr::Return(_) | Expr::Break(_))
            && (i == 0
                || !matches!(&expr, Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_) | syn::BinOp::Or(_))))
        {
            let mut operands = operands_mut(&mut expr);
            return std::mem::replace(&mut *operands[i], Expr::Verbatim(TokenStream::new()));
        }
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

    /// The labels a `break`/`continue` with `label` must use instead, when
    /// the loop it targets was re-entered.
    fn target(&self, label: Option<&Lifetime>) -> Option<(Lifetime, Lifetime)> {
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

    fn fresh_labels(&mut self) -> (Lifetime, Lifetime) {
        let n = self.labels;
        self.labels += 1;
        (
            Lifetime::new(&format!("'__break{n}"), Span::mixed_site()),
            Lifetime::new(&format!("'__continue{n}"), Span::mixed_site()),
        )
    }

    // --- Forward: code written as it runs from the start ---

    fn forward_stmt_owned(&mut self, stmt: &Stmt) -> Stmt {
        let mut stmt = stmt.clone();
        self.visit_stmt_mut(&mut stmt);
        prune_let(stmt)
    }

    /// Statements written forward, up to the first that diverges.
    fn forward_rest(&mut self, stmts: &[Stmt], out: &mut Vec<Stmt>) {
        for (i, stmt) in stmts.iter().enumerate() {
            let stmt = terminate(self.forward_stmt_owned(stmt), i + 1 == stmts.len());
            let done = stmt_diverges(&stmt);
            out.push(stmt);
            if done {
                break;
            }
        }
    }

    fn forward_block(&mut self, block: &Block) -> Block {
        let mut out = Vec::new();
        self.forward_rest(&block.stmts, &mut out);
        Block {
            brace_token: block.brace_token,
            stmts: out,
        }
    }

    // --- Re-entry at await point `k` ---

    /// Re-declares the locals of `scope` that the state held, in
    /// declaration order, so they drop where they would have.
    fn restores(&self, target: PointKind, scope: Scope) -> Vec<Stmt> {
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
    fn resume_stmts(&mut self, block: &Block, k: PointKind, scope: Scope) -> Vec<Stmt> {
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

    fn resume_block(&mut self, block: &Block, k: PointKind, scope: Scope) -> Block {
        Block {
            brace_token: block.brace_token,
            stmts: self.resume_stmts(block, k, scope),
        }
    }

    fn resume_stmt(&mut self, stmt: &Stmt, k: PointKind) -> Stmt {
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
    fn resume_expr(&mut self, expr: &Expr, k: PointKind) -> Expr {
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

    fn resume_inner(&mut self, expr: &Expr, k: PointKind) -> Expr {
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
                    let cond = self.resume_expr(&e.cond, k);
                    let body = self.forward_block(&e.body);
                    let test: Stmt = syn::parse_quote! {
                        if #cond { #cont: #body } else { break #brk; }
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

    /// `'brk: { before; 'cont: { rest } loop_copy }`, trimmed of what is
    /// unreachable and of labels nothing uses.
    fn reentered_loop(
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
            let head = construct_attrs(original)
                .and_then(|attrs| loop_index(attrs))
                .expect("a loop that awaits has a head");
            stmts.push(Stmt::Expr(self.goto_loop(head), None));
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

    /// Refuses `?` and `return` hidden in macro arguments, which would
    /// leave the generated closure instead of the function.
    fn check_macro(&mut self, mac: &syn::Macro) {
        fn find(tokens: TokenStream) -> Option<(Span, &'static str)> {
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

/// Leaves out a `let x;` whose assignment the arm never reaches: it
/// declares a local of a type nothing there infers.
fn prune_unassigned(stmts: &mut Vec<Stmt>) {
    let mut i = 0;
    while i < stmts.len() {
        let unused = match &stmts[i] {
            Stmt::Local(local) if local.init.is_none() => match &local.pat {
                syn::Pat::Ident(ident) => !stmts[i + 1..]
                    .iter()
                    .any(|stmt| mentions(stmt.to_token_stream(), &ident.ident)),
                _ => false,
            },
            _ => false,
        };
        if unused {
            stmts.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Whether `tokens` name `ident`.
fn mentions(tokens: TokenStream, ident: &Ident) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(other) => other == *ident,
        proc_macro2::TokenTree::Group(group) => mentions(group.stream(), ident),
        _ => false,
    })
}

/// Writes each named borrowed local as a place behind the async closure's
/// argument: `buf` becomes `(*buf)`, the same place, of the same type.
struct InPlace<'a>(&'a [Ident]);

impl VisitMut for InPlace<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Path(path) = expr
            && path.qself.is_none()
            && let Some(ident) = path.path.get_ident()
            && self.0.contains(ident)
        {
            *expr = syn::parse_quote!((*#ident));
            return;
        }
        visit_mut::visit_expr_mut(self, expr);
    }
}

/// Where an expression would leave the expression it is in (`return`,
/// `break`, `continue`, or `?` already spelled out as a `return`), if it
/// does, outside closures and async blocks.
fn leaves_expression(expr: &Expr) -> Option<Span> {
    struct Finder(Option<Span>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr(&mut self, node: &'ast Expr) {
            if self.0.is_some() {
                return;
            }
            match node {
                Expr::Return(e) => self.0 = Some(e.return_token.span),
                Expr::Break(e) => self.0 = Some(e.break_token.span),
                Expr::Continue(e) => self.0 = Some(e.continue_token.span),
                Expr::Closure(_) | Expr::Async(_) => {}
                other => syn::visit::visit_expr(self, other),
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(None);
    finder.visit_expr(expr);
    finder.0
}

/// A loop or block keeps its label only while something still breaks to
/// it: an arm may have cut the `break` away with the code after a
/// suspension.
fn strip_unused_label(expr: &mut Expr) {
    let (label, stmts) = match expr {
        Expr::Loop(e) => (&mut e.label, &e.body.stmts),
        Expr::While(e) => (&mut e.label, &e.body.stmts),
        Expr::ForLoop(e) => (&mut e.label, &e.body.stmts),
        Expr::Block(e) => (&mut e.label, &e.block.stmts),
        _ => return,
    };
    if let Some(name) = label.as_ref().map(|l| l.name.clone())
        && !super::flow::breaks_to(stmts, Some(&name))
    {
        *label = None;
    }
}

/// Whether a condition, when it finishes, is always `false`: a chain of
/// `&&` where some test suspends (or is itself always false).
fn only_false(cond: &Expr) -> bool {
    match cond {
        Expr::Binary(e) if matches!(e.op, syn::BinOp::And(_)) => {
            only_false(&e.left) || only_false(&e.right) || diverges(&e.right)
        }
        Expr::Paren(e) => only_false(&e.expr),
        _ => false,
    }
}

/// Whether a condition, when it finishes, is always `true` (see [`only_false`]).
fn only_true(cond: &Expr) -> bool {
    match cond {
        Expr::Binary(e) if matches!(e.op, syn::BinOp::Or(_)) => {
            only_true(&e.left) || only_true(&e.right) || diverges(&e.right)
        }
        Expr::Paren(e) => only_true(&e.expr),
        _ => false,
    }
}

/// The scrutinee of a `let` condition, or the condition itself.
fn unwrap_let(cond: Expr) -> Expr {
    match cond {
        Expr::Let(e) => *e.expr,
        other => other,
    }
}

/// A `let` whose initializer never finishes binds nothing: it is just its
/// initializer (which also keeps an uninferable pattern out of the code).
fn prune_let(stmt: Stmt) -> Stmt {
    match stmt {
        Stmt::Local(local) if local.init.as_ref().is_some_and(|init| diverges(&init.expr)) => {
            let init = local.init.expect("checked");
            Stmt::Expr(*init.expr, Some(local.semi_token))
        }
        other => other,
    }
}

/// A statement that no longer ends its block gets its semicolon: a
/// rewrite can turn a block-like statement (`if .. {}`) into a plain
/// expression, which needs one before the next statement.
fn terminate(stmt: Stmt, last: bool) -> Stmt {
    match stmt {
        Stmt::Expr(expr, None) if !last => Stmt::Expr(expr, Some(Default::default())),
        other => other,
    }
}

fn block_expr(block: Block) -> Expr {
    Expr::Block(syn::ExprBlock {
        attrs: Vec::new(),
        label: None,
        block,
    })
}

/// The output of an `.await` used where a place is expected (a `match`
/// scrutinee, a method receiver, a borrow) is a temporary, not a local:
/// `{ __output }` makes it one, so it is dropped where the native one is.
fn as_value(expr: Expr) -> Expr {
    match &expr {
        Expr::Path(path) if path.path.is_ident("__output") => syn::parse_quote!({ #expr }),
        _ => expr,
    }
}

/// Which operand of `expr` is used as a place (borrowed in place).
fn place_operand(expr: &Expr) -> Option<usize> {
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
fn is_point(expr: &Expr, k: PointKind) -> bool {
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
fn contains_point(expr: &Expr, k: PointKind) -> bool {
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

fn block_contains_point(block: &Block, k: PointKind) -> bool {
    block.stmts.iter().any(|stmt| stmt_contains(stmt, k))
}

/// The last touches to an arm: removes the inert markers lowering put on
/// await points and constructs, and flattens a block whose only content is
/// another block (re-entry nests them; both end at the same point, so
/// nothing is dropped at a different time).
struct Tidy;

impl VisitMut for Tidy {
    fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
        strip_marker(attrs);
        strip_transit_markers(attrs);
    }

    fn visit_block_mut(&mut self, block: &mut Block) {
        visit_mut::visit_block_mut(self, block);
        prune_unassigned(&mut block.stmts);
        while let [Stmt::Expr(Expr::Block(inner), _)] = block.stmts.as_mut_slice()
            && inner.label.is_none()
            && inner.attrs.is_empty()
        {
            block.stmts = std::mem::take(&mut inner.block.stmts);
        }
    }
}

fn stmt_contains(stmt: &Stmt, k: PointKind) -> bool {
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

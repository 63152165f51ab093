//! Code generation: the state machine, written out.
//!
//! For `async fn name(args) -> T { body }` the attribute emits
//!
//! ```text
//! fn name(args) -> impl Future<Output = T> {
//!     enum __NameState<..> { Start { args }, Await0 { .. }, .., Done, Poisoned }  // states
//!     enum __NameStateProj<'_, ..> { .. }                                        // its pin projection
//!     struct __NameFuture<.., R> { state, resume: R, _pinned }                   // frame
//!     impl Future for __NameFuture { fn poll(..) { .. (self.resume)(state, cx) .. } }
//!     impl Drop for __NameFuture { .. }                                          // cancellation
//!
//!     __NameFuture::new(__NameState::Start { args }, move |mut __state, __cx| -> Poll<T> {
//!         match __state.as_mut().project() {
//!             Start => { .. the body, each .await polled where it stands .. }
//!             Await0(awaitee) => { poll it; on Ready re-enter the body there, run on }
//!             ..
//!             Done => panic!("`async fn` resumed after completion"),
//!             Poisoned => panic!("`async fn` resumed after panicking"),
//!         }
//!     })
//! }
//! ```
//!
//! An `.await` in running code stores its future in the state and polls it
//! at once (`__state.as_mut().await0(future, cx)`): if it is ready, the code
//! goes on with the output, as rustc's does; if not, the state takes the
//! locals that live across the point (`hold_await0`) and the closure returns
//! `Pending`. A body that cannot be written more than once (see
//! `lower::inline`) has the other shape: the arms sit in a `'__poll: loop`,
//! and every `.await`, loop head and join goes round it, to the one arm
//! that goes on from there.
//!
//! [`states`] writes the enums, [`frame`] the future type, [`resume`] the
//! arms of `poll`, [`pinned`] the slots of locals borrowed across an
//! `.await` (and the native twin of the body that checks those borrows),
//! [`try_op`] the helpers behind `?`, and [`names`] chooses every generated
//! name.

mod flow;
mod forward;
mod frame;
mod names;
mod pinned;
pub(crate) mod recursion;
mod reenter;
mod resume;
mod states;
mod tidy;
mod try_op;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{FnArg, ItemFn, ReturnType};

use crate::analysis::Analysis;
use crate::args::Args;
use crate::lower::Lowered;
use names::Names;
pub(crate) use pinned::rewrite as pin_locals;
use resume::{Emitter, hidden};

/// Writes the function out as a state machine.
pub(crate) fn generate(
    args: &Args,
    function: &ItemFn,
    lowered: &Lowered,
    analysis: &Analysis,
) -> syn::Result<TokenStream> {
    let name = function.sig.ident.to_string();
    let names = Names::new(&function.sig.ident, analysis);

    let mut emitter = Emitter::new(
        &names,
        analysis,
        lowered,
        args.trace.then(|| name.clone()),
        function.sig.ident.clone(),
        args.local,
    );
    let output = match &function.sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => ty.to_token_stream(),
    };
    let nameable = !mentions_impl_trait(&function.sig.output);
    if names.slots.is_some() {
        let check = pinned::check(&lowered.check_body, nameable.then_some(&output));
        let params = pinned::params(analysis, &names);
        emitter.start_prologue = quote!(#check #params);
    }
    let start = emitter.start_arm();
    let awaits: Vec<TokenStream> = (0..analysis.points.len())
        .map(|p| emitter.point_arm(p))
        .collect();
    emitter.finish_errors()?;

    let state_items = states::items(&names, lowered, analysis, &name);
    let slot_types: Vec<&proc_macro2::Ident> = analysis
        .pins
        .slots
        .iter()
        .map(|(binding, ..)| names.ty(*binding))
        .collect();
    let frame_items = frame::items(&names, &name, &slot_types);
    let pinned_items = pinned::items(&names, analysis, &name);
    // Only where a suspension kept its typed tail (see `resume::typed`).
    let suspended = hidden("__suspended");
    let suspended_item = if std::iter::once(&start)
        .chain(&awaits)
        .any(|arm| tidy::mentions(arm.clone(), &suspended))
    {
        resume::suspended_item()
    } else {
        TokenStream::new()
    };
    let try_items = if lowered.uses_try {
        try_op::items()
    } else {
        TokenStream::new()
    };
    let rest_items = if lowered.uses_rest {
        rest_items()
    } else {
        TokenStream::new()
    };

    let Names {
        state,
        projection,
        future,
        ..
    } = &names;
    let start_fields: Vec<TokenStream> = analysis
        .params
        .iter()
        .map(|p| {
            let field = &p.field;
            if *field == crate::lower::receiver_ident() {
                quote!(#field: self)
            } else {
                quote!(#field)
            }
        })
        .collect();
    let start_state = if start_fields.is_empty() {
        quote!(#state::Start)
    } else {
        quote!(#state::Start { #(#start_fields),* })
    };
    let (state_var, cx) = (hidden("__state"), hidden("__cx"));
    let poll = syn::Lifetime::new("'__poll", proc_macro2::Span::mixed_site());

    // The signature: `async` goes, the output becomes `impl Future`, and a
    // parameter with a pattern becomes a plain name the `Start` arm matches.
    let mut sig = function.sig.clone();
    sig.asyncness = None;
    for (input, param) in sig.inputs.iter_mut().zip(&analysis.params) {
        match input {
            FnArg::Typed(typed) => {
                let field = &param.field;
                *typed.pat = syn::parse_quote!(#field);
            }
            // `mut self` is mutable in the body, as `__self`; here it only moves.
            FnArg::Receiver(receiver) => receiver.mutability = None,
        }
    }
    // The closure's return type gives `return` and the tail the coercions a
    // native `async fn` has; an `impl Trait` there cannot be written twice.
    let closure_output = if nameable {
        quote!(-> ::core::task::Poll<#output>)
    } else {
        quote!()
    };
    let slots_arg = names.slots.as_ref().map(|_| {
        let slots = hidden("__slots");
        quote!(#slots,)
    });
    // Errors about the future (say, that it is not `Send`) point at the signature.
    let span = function.sig.ident.span();
    // A recursive function promises `Send` (see `recursion`), unless `local`.
    let send = if recursion::is_recursive(&lowered.body, &function.sig.ident) && !args.local {
        quote!(+ ::core::marker::Send)
    } else {
        quote!()
    };
    let impl_token = syn::Token![impl](span.resolved_at(proc_macro2::Span::mixed_site()));
    sig.output = syn::parse_quote_spanned!(span=>
        -> #impl_token ::core::future::Future<Output = #output> #send
    );

    let dispatch = quote! {
        match #state_var.as_mut().project() {
            #start
            #(#awaits)*
            #projection::Done => ::core::panic!("`async fn` resumed after completion"),
            #projection::Poisoned => ::core::panic!("`async fn` resumed after panicking"),
        }
    };
    // With transit points, an arm goes on to the next by going round the
    // loop; polled in place, each arm runs to a `return`.
    let dispatch = if lowered.in_place {
        dispatch
    } else {
        quote!(#poll: loop { #dispatch })
    };
    let attrs = &function.attrs;
    let items = &lowered.items;
    let vis = &function.vis;
    // `__from` is written at each await point polled in place, and read
    // only by the next trace line, if there is one.
    let trace_allow = (args.trace && lowered.in_place).then(|| quote!(unused_assignments,));
    let trace_start = if args.trace {
        let line = format!("[{name}] created in state Start: nothing runs until the first poll");
        quote!(::std::println!("{}", #line);)
    } else {
        TokenStream::new()
    };
    Ok(quote! {
        #(#attrs)*
        #vis #sig {
            #(#items)*
            #state_items
            #frame_items
            #pinned_items
            #suspended_item
            #try_items
            #rest_items
            #trace_start
            #future::new(
                #start_state,
                #[allow(
                    unreachable_code, // code after a suspension point in an expression
                    unused_mut, unused_variables, // locals only moved from state to state
                    unused_braces, // `{ __output }` makes the awaited value a temporary
                    unused_parens, // a re-entered `(a || b)` may be left holding one value
                    dropping_copy_types, dropping_references, // a `let` chain's bindings dropped before `else`
                    path_statements, // `__output;` drops an awaited value, as `fut.await;` does
                    unused_unsafe, // an arm may hold only the safe part of a split `unsafe` block
                    irrefutable_let_patterns, // the last arm of a `match` whose guards await
                    #trace_allow
                    clippy::all, clippy::pedantic, // the body is the user's, as they wrote it
                )]
                move |mut #state_var, #slots_arg #cx| #closure_output {
                    #dispatch
                },
            )
        }
    })
}

/// `__Rest`: a parameter matched by a pattern with `..`, kept whole; see
/// `lower::params`.
fn rest_items() -> TokenStream {
    quote! {
        /// A parameter whose pattern has a `..`: the parts the pattern binds were read out of
        /// it; when it is dropped (where the parameter would be), `drop_rest` gets the whole
        /// value back, forgets those parts and drops the ones `..` skipped.
        struct __Rest<T, F: ::core::ops::FnMut(T)> {
            whole: ::core::mem::ManuallyDrop<T>,
            drop_rest: F,
        }

        impl<T, F: ::core::ops::FnMut(T)> __Rest<T, F> {
            fn new(whole: T, drop_rest: F) -> Self {
                Self { whole: ::core::mem::ManuallyDrop::new(whole), drop_rest }
            }
        }

        impl<T, F: ::core::ops::FnMut(T)> ::core::ops::Deref for __Rest<T, F> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.whole
            }
        }

        impl<T, F: ::core::ops::FnMut(T)> ::core::ops::Drop for __Rest<T, F> {
            fn drop(&mut self) {
                // SAFETY: taken once, here, and never used again.
                let whole = unsafe { ::core::mem::ManuallyDrop::take(&mut self.whole) };
                (self.drop_rest)(whole);
            }
        }
    }
}

/// Whether a return type contains `impl Trait`.
fn mentions_impl_trait(output: &ReturnType) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_return_type(&mut finder, output);
    finder.0
}

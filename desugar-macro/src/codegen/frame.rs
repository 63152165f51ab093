//! The future type: the state, pinned, beside the code that resumes it.
//!
//! ```text
//! struct __ExampleFuture<A, F0, Data, R> {
//!     state: __ExampleState<A, F0, Data>,
//!     resume: R,               // a closure written in the function's own scope
//!     _pinned: PhantomPinned,  // !Unpin, as every async fn's future
//! }
//! ```
//!
//! The macro cannot name the types of the locals or of the awaited futures,
//! so the state is generic over all of them, and the resume closure (which
//! the code generator writes inside the function, where those types are
//! known) is what pins them down: `new` takes the initial state and the
//! closure under a bound that ties the closure's argument to the state's
//! type, and rustc infers every type parameter from the closure's body.
//!
//! `poll` projects the pin to the state, calls the closure, and records
//! `Done` when it returns `Ready`. A guard poisons the state if the closure
//! panics, so that the state's values are dropped during unwinding, as an
//! unwinding `async fn` drops its locals. `Drop` drops a suspended state
//! in the native order: this is cancellation.

use proc_macro2::Ident;
use proc_macro2::TokenStream;
use quote::quote;

use super::names::Names;

/// The future struct, its constructor, and its `Future` and `Drop` impls.
pub(super) fn items(names: &Names, function: &str, slot_types: &[&Ident]) -> TokenStream {
    let Names {
        state,
        future,
        generics,
        ..
    } = names;
    // With pinned locals, the future also holds their slots, and the
    // closure gets a pointer to them (see `pinned`).
    let (slots_field, slots_init, slots_arg, slots_ptr) = match &names.slots {
        Some(slots) => (
            quote!(slots: #slots<#(#slot_types),*>,),
            quote!(slots: #slots::empty(),),
            quote!(*mut #slots<#(#slot_types),*>,),
            quote!(&raw mut this.slots,),
        ),
        None => Default::default(),
    };
    // Dropping a state drops its pinned locals in their slots.
    let (poison_on_drop, guard_field, guard_slots, guard_poison) = match &names.slots {
        Some(slots) => (
            quote! {
                // SAFETY: a future is dropped in place; `poison` does not move the state.
                let state = unsafe { ::core::pin::Pin::new_unchecked(&mut self.state) };
                // SAFETY: these are the future's own slots, which the state's locals are in.
                unsafe { state.poison(&raw mut self.slots) };
            },
            quote!(, *mut #slots<#(#slot_types),*>),
            quote!(, &raw mut this.slots),
            quote! {
                // SAFETY: the future's own slots (see `poll`).
                unsafe { self.0.as_mut().poison(self.1) };
            },
        ),
        None => (
            quote! {
                // SAFETY: a future is dropped in place; `poison` does not move the state.
                unsafe { ::core::pin::Pin::new_unchecked(&mut self.state) }.poison();
            },
            quote!(),
            quote!(),
            quote!(self.0.as_mut().poison();),
        ),
    };
    let doc = format!(
        " The future `{function}` returns: its state, pinned, and the closure that resumes it."
    );
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        struct #future<#(#generics,)* R> {
            state: #state<#(#generics),*>,
            #slots_field
            resume: R,
            /// Like every `async fn` future this one is `!Unpin`: once polled it must not move.
            _pinned: ::core::marker::PhantomPinned,
        }

        #[allow(non_camel_case_types)]
        impl<#(#generics,)* R, O> #future<#(#generics,)* R>
        where
            R: ::core::ops::FnMut(
                ::core::pin::Pin<&mut #state<#(#generics),*>>,
                #slots_arg
                &mut ::core::task::Context<'_>,
            ) -> ::core::task::Poll<O>,
        {
            /// Ties the closure's argument to the state's type, so that rustc infers the state's
            /// type parameters from the closure's body.
            fn new(state: #state<#(#generics),*>, resume: R) -> Self {
                Self { state, #slots_init resume, _pinned: ::core::marker::PhantomPinned }
            }
        }

        #[allow(non_camel_case_types)]
        impl<#(#generics,)* R, O> ::core::future::Future for #future<#(#generics,)* R>
        where
            R: ::core::ops::FnMut(
                ::core::pin::Pin<&mut #state<#(#generics),*>>,
                #slots_arg
                &mut ::core::task::Context<'_>,
            ) -> ::core::task::Poll<O>,
        {
            type Output = O;

            // A thin wrapper around the resume closure: like the `poll` of
            // rustc's own machine, it is inlined into the executor's loop
            // where LLVM sees fit, across codegen units too.
            #[inline]
            fn poll(
                self: ::core::pin::Pin<&mut Self>,
                cx: &mut ::core::task::Context<'_>,
            ) -> ::core::task::Poll<O> {
                // SAFETY: the pin projection: `state` is pinned with the future (it is never moved
                // out, only replaced in place), `resume` is not (it is only called).
                let this = unsafe { self.get_unchecked_mut() };
                // SAFETY: as above.
                let mut state = unsafe { ::core::pin::Pin::new_unchecked(&mut this.state) };
                let mut guard = __PoisonOnUnwind(state.as_mut() #guard_slots);
                let poll = (this.resume)(guard.0.as_mut(), #slots_ptr cx);
                ::core::mem::forget(guard);
                if poll.is_ready() {
                    state.set(#state::Done);
                }
                poll
            }
        }

        #[allow(non_camel_case_types)]
        impl<#(#generics,)* R> ::core::ops::Drop for #future<#(#generics,)* R> {
            /// Cancellation: drops what the state holds, the awaited future first.
            fn drop(&mut self) {
                #poison_on_drop
            }
        }

        /// Poisons the state if a poll panics, dropping what it holds as an unwinding `async fn`
        /// drops its locals.
        #[allow(non_camel_case_types)]
        struct __PoisonOnUnwind<'__pin, #(#generics),*>(::core::pin::Pin<&'__pin mut #state<#(#generics),*>> #guard_field);

        #[allow(non_camel_case_types)]
        impl<#(#generics),*> ::core::ops::Drop for __PoisonOnUnwind<'_, #(#generics),*> {
            fn drop(&mut self) {
                #guard_poison
            }
        }
    }
}

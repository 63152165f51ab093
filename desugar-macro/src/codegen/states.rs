//! The state enum, its pin projection, and the three ways a state ends.
//!
//! ```text
//! enum __ExampleState<A, F0, F1, Data> {
//!     Start { a: A },                                   // the arguments
//!     Await0 { __awaitee: MaybeUninit<F0>, a: A },      // suspended at await point 0
//!     Await1 { __awaitee: MaybeUninit<F1>, data: Data, a: A },
//!     Done,                                             // returned
//!     Poisoned,                                         // a poll panicked
//! }
//! ```
//!
//! Each `AwaitN` holds the future being awaited there (`__awaitee`) and
//! the locals that live across that point, in the order a native future
//! drops them when it is cancelled there: the awaited future first, then
//! the locals, innermost and most recent first. Field order is drop order,
//! so the enum's own drop glue does the right thing for the locals.
//!
//! The awaited future is the one thing that is pinned: it may hold
//! pointers into itself once polled. It sits in a `MaybeUninit`, so that
//! nothing ever moves it out; it is dropped where it lies, by `take` when
//! it has finished and by `poison` when the future is dropped or a poll
//! panics. The locals are not pinned: `take` moves them out into the
//! locals of the code that resumes the function. This is `pin-project`'s
//! `project_replace`, written out, with `Poisoned` doubling as the
//! placeholder.
//!
//! A local that another held local borrows (see `analysis::pinning`) is not
//! moved at all: it stays in its slot in the future, and a state holds a
//! zero-sized marker in its place (see `pinned`), which `poison` drops in
//! the slot, in order.
//!
//! Polled in place (see `lower::inline`), an await point has three methods
//! of its own: `awaitN` stores the future with the locals' fields empty
//! (`MaybeUninit`) and polls it where it lies, through `poll_in_place`;
//! `hold_awaitN` fills the fields when it is pending, so a state at rest
//! always holds its locals; `resume_awaitN` reads them back, one by one,
//! once it is ready. While the future is polled the running code holds the
//! locals, so `poll_in_place` drops the future itself if that poll panics,
//! before the unwinding drops them, in rustc's order.
//!
//! A future that borrows locals (`read(&mut buf).await`) is made after
//! they are stored: the state is stored with an empty awaitee slot, a
//! `lend_awaitN` method hands out the slot and pointers to those locals
//! where they lie, and the future is made from them, in place. Its output
//! must not borrow them, or moving them later would leave it dangling: the
//! same expression is also written as an async closure over those locals,
//! passed to a `check_awaitN` that is never called, and rustc accepts that
//! only if the output borrows none of its arguments.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use super::names::Names;
use crate::analysis::{Analysis, PointKind};
use crate::lower::Lowered;

/// The state enum, its projection enum and their `impl`.
pub(super) fn items(
    names: &Names,
    lowered: &Lowered,
    analysis: &Analysis,
    function: &str,
) -> TokenStream {
    let Names {
        state,
        projection,
        generics,
        variants,
        param_types,
        ..
    } = names;

    let start_fields = analysis.params.iter().zip(param_types).map(|(param, ty)| {
        let field = &param.field;
        quote!(#field: #ty)
    });
    let start_body = if analysis.params.is_empty() {
        quote!()
    } else {
        let fields = start_fields.clone();
        quote!({ #(#fields,)* })
    };
    let point_variants = analysis.points.iter().enumerate().map(|(p, point)| {
        let variant = &variants[p];
        let fields = point.carried.iter().map(|&b| {
            let (field, ty) = (names.field(b), names.field_ty(b));
            if lowered.in_place {
                // Written when the function suspends here (see `hold_*`).
                quote!(#field: ::core::mem::MaybeUninit<#ty>)
            } else {
                quote!(#field: #ty)
            }
        });
        let held: Vec<String> = point
            .carried
            .iter()
            .map(|&b| {
                if names.is_pinned(b) {
                    format!(
                        "`{}` (a marker: the local stays in its slot)",
                        names.field(b)
                    )
                } else {
                    format!("`{}`", names.field(b))
                }
            })
            .collect();
        let locals = if held.is_empty() {
            "and no local: none lives across this point".to_owned()
        } else {
            format!(
                "then {}: the locals that live across this point",
                held.join(", ")
            )
        };
        let drops = if held.is_empty() {
            ""
        } else {
            " Dropping the future here drops them in this order."
        };
        let on_line =
            |line: Option<usize>| line.map_or_else(String::new, |line| format!(" (line {line})"));
        let (summary, holds, own) = match point.kind {
            PointKind::Await(k) => {
                let await_point = &lowered.awaits[k];
                let future = names.future_of(p);
                (
                    format!(
                        " Suspended at `{}`{}.",
                        await_point.source,
                        on_line(await_point.line)
                    ),
                    format!(" Holds the future it awaits, {locals}.{drops}"),
                    quote!(__awaitee: ::core::mem::MaybeUninit<#future>,),
                )
            }
            PointKind::Loop(n) => {
                let transit = &lowered.transits.loops[n];
                (
                    format!(
                        " At the top of the {}{}'s body.",
                        transit.construct,
                        on_line(transit.line)
                    ),
                    format!(
                        " A transit state: `poll` goes on from it at once, so the loop's code is \
                         written once. Holds {}.",
                        if held.is_empty() {
                            "nothing".to_owned()
                        } else {
                            held.join(", ")
                        }
                    ),
                    quote!(),
                )
            }
            PointKind::Join(n) => {
                let transit = &lowered.transits.joins[n];
                let value = names.values[p].as_ref().expect("a join has a value");
                (
                    format!(
                        " Just after the {}{}, with its value.",
                        transit.construct,
                        on_line(transit.line)
                    ),
                    format!(
                        " A transit state: every branch comes here, so the code that follows is \
                         written once. Holds the value, {locals}."
                    ),
                    quote!(__value: #value,),
                )
            }
            PointKind::Branch(n) => {
                let transit = &lowered.transits.branches[n];
                let region = if transit.construct == "`if`" {
                    "the `else` of the `if`".to_owned()
                } else {
                    format!("the right operand of the {}", transit.construct)
                };
                (
                    format!(" Entering {region}{}.", on_line(transit.line)),
                    format!(
                        " A transit state: the condition can fail before and after its `.await`, \
                         so this branch is written once, here. Holds {}.",
                        if held.is_empty() {
                            "nothing".to_owned()
                        } else {
                            held.join(", ")
                        }
                    ),
                    quote!(),
                )
            }
        };
        quote! {
            #[doc = #summary]
            #[doc = ""]
            #[doc = #holds]
            #variant {
                #own
                #(#fields,)*
            }
        }
    });
    let awaits: Vec<usize> = analysis
        .points
        .iter()
        .enumerate()
        .filter(|(_, point)| matches!(point.kind, PointKind::Await(_)))
        .map(|(p, _)| p)
        .collect();
    let futures: Vec<&proc_macro2::Ident> = awaits.iter().map(|&p| names.future_of(p)).collect();
    let await_variants: Vec<&proc_macro2::Ident> = awaits.iter().map(|&p| &variants[p]).collect();
    let transit_variants: Vec<&proc_macro2::Ident> = analysis
        .points
        .iter()
        .enumerate()
        .filter(|(_, point)| !matches!(point.kind, PointKind::Await(_)))
        .map(|(p, _)| &variants[p])
        .collect();
    let state_doc = format!(
        " The state of the future `{function}` returns: where it is suspended, and what it holds there."
    );
    let start_doc = if analysis.params.is_empty() {
        " Created, not yet polled. Like every future, it does nothing until polled.".to_owned()
    } else {
        " Created, not yet polled: holds the arguments. Like every future, it does nothing until \
         polled."
            .to_owned()
    };

    // The projection borrows the state only when it has an awaitee to pin.
    let (pin, pin_anon) = if futures.is_empty() {
        (quote!(), quote!())
    } else {
        (quote!('__pin,), quote!('_,))
    };
    let proj_variants = await_variants
        .iter()
        .zip(&futures)
        .map(|(variant, future)| quote!(#variant(::core::pin::Pin<&'__pin mut #future>)));
    let project_arms = await_variants.iter().map(|variant| {
        quote! {
            Self::#variant { __awaitee, .. } => {
                // SAFETY: an `AwaitN` state's awaitee is initialized (see `lend_*`).
                let awaitee = unsafe { __awaitee.assume_init_mut() };
                // SAFETY: the awaitee is never moved, see above.
                #projection::#variant(unsafe { ::core::pin::Pin::new_unchecked(awaitee) })
            }
        }
    });
    let drop_arms = await_variants.iter().map(|variant| {
        quote! {
            // SAFETY: see `drop_awaitee`; an `AwaitN` state's awaitee is initialized.
            Self::#variant { __awaitee, .. } => unsafe { __awaitee.assume_init_drop() },
        }
    });
    let lend_methods = analysis
        .points
        .iter()
        .enumerate()
        .filter(|(_, point)| !point.borrowed.is_empty())
        .map(|(p, point)| {
            let variant = &variants[p];
            let future = names.future_of(p);
            let lend = names.point_method("lend_", p);
            let fields: Vec<_> = point.borrowed.iter().map(|&b| names.field(b)).collect();
            let types: Vec<_> = point.borrowed.iter().map(|&b| names.field_ty(b)).collect();
            let source = match point.kind {
                PointKind::Await(k) => lowered.awaits[k].source.clone(),
                PointKind::Loop(_) | PointKind::Join(_) | PointKind::Branch(_) => {
                    unreachable!("only await points borrow")
                }
            };
            let listed: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
            let lend_doc = format!(
                " Lends {} where they lie in `{variant}`, and the empty slot for the future of \
                 `{source}`, which borrows them: the future is made in place.",
                listed.join(", ")
            );
            let safety_doc = format!(
                " The state must be `{variant}`, just stored, with its future not yet written; the \
                 caller writes it before anything can observe the state. The pointers are valid \
                 until the state is replaced."
            );
            let check = names.point_method("check_", p);
            quote! {
                #[doc = #lend_doc]
                ///
                /// # Safety
                ///
                #[doc = #safety_doc]
                #[allow(clippy::type_complexity)]
                unsafe fn #lend(
                    self: ::core::pin::Pin<&mut Self>,
                ) -> (&mut ::core::mem::MaybeUninit<#future>, #(*mut #types),*) {
                    // SAFETY: nothing is moved: an empty slot and pointers to fields in place.
                    match unsafe { self.get_unchecked_mut() } {
                        Self::#variant { __awaitee, #(#fields,)* .. } => {
                            (__awaitee, #(::core::ptr::from_mut(#fields)),*)
                        }
                        _ => ::core::unreachable!(),
                    }
                }

                /// Never called: the awaited expression, written as an async closure over what
                /// it borrows, type-checks here only if its output borrows none of it (rustc
                /// checks that an async closure's output cannot borrow its arguments). So once
                /// the future is dropped, nothing points at these locals and `take` may move
                /// them.
                fn #check<M, O>(self: ::core::pin::Pin<&mut Self>, _make: M)
                where
                    M: ::core::ops::AsyncFnOnce(#(&mut #types),*) -> O,
                {
                }
            }
        });
    let poison = poison(names, analysis, lowered.in_place);
    let in_place = if lowered.in_place && !analysis.points.is_empty() {
        in_place_methods(names, lowered, analysis)
    } else {
        TokenStream::new()
    };
    let unit = quote!();
    let drop_awaitee_match = if await_variants.is_empty() {
        unit.to_token_stream()
    } else {
        quote! {
            #[allow(clippy::single_match, reason = "one arm per await point; there may be one")]
            match self {
                #(#drop_arms)*
                _ => {}
            }
        }
    };

    quote! {
        #[doc = #state_doc]
        #[allow(non_camel_case_types, dead_code, clippy::large_enum_variant)]
        enum #state<#(#generics),*> {
            #[doc = #start_doc]
            Start #start_body,
            #(#point_variants,)*
            /// Returned: polling again panics, as a native `async fn` does.
            Done,
            /// A poll panicked, or a state's values were just moved out: polling again panics.
            Poisoned,
        }

        /// A pinned state, projected: the awaited future stays pinned; nothing else is reachable
        /// in place (locals in slots are reached there; any other is moved out by `take`).
        #[allow(non_camel_case_types)]
        enum #projection<#pin #(#futures),*> {
            Start,
            #(#proj_variants,)*
            #(#transit_variants,)*
            Done,
            Poisoned,
        }

        #[allow(non_camel_case_types)]
        impl<#(#generics),*> #state<#(#generics),*> {
            /// The pin projection, written out. Sound because the awaited future is never moved:
            /// it sits in a `MaybeUninit`, is written in place, and is only ever dropped in place
            /// (`drop_awaitee`), and the state is never moved out of its pin (`take` and
            /// `poison` replace it in place).
            fn project(self: ::core::pin::Pin<&mut Self>) -> #projection<#pin_anon #(#futures),*> {
                // SAFETY: we hand out a pinned reference to the awaitee only, see above.
                match unsafe { self.get_unchecked_mut() } {
                    Self::Start { .. } => #projection::Start,
                    #(#project_arms)*
                    #(Self::#transit_variants { .. } => #projection::#transit_variants,)*
                    Self::Done => #projection::Done,
                    Self::Poisoned => #projection::Poisoned,
                }
            }

            /// Moves the locals out and leaves `Poisoned`: called when the awaited future has
            /// finished (or, for `Start`, to take the arguments). The finished future is dropped
            /// in place first, as rustc drops it right after its last poll.
            fn take(self: ::core::pin::Pin<&mut Self>) -> Self {
                // SAFETY: the state is not moved; the awaitee is dropped in place and the
                // returned value's `MaybeUninit` awaitee is dead and never touched again.
                let this = unsafe { self.get_unchecked_mut() };
                // SAFETY: `this` is overwritten right after, so the awaitee is not dropped twice.
                unsafe { this.drop_awaitee() };
                ::core::mem::replace(this, Self::Poisoned)
            }

            #poison

            #in_place

            #(#lend_methods)*

            /// Drops the awaited future in place, if the state holds one.
            ///
            /// # Safety
            ///
            /// The state must be overwritten before it is used or dropped again, since its
            /// awaitee is then dead. If that drop panics, the state is made `Poisoned` without
            /// dropping anything else: the locals leak rather than risk being dropped twice.
            unsafe fn drop_awaitee(&mut self) {
                struct LeakOnUnwind(*mut (), fn(*mut ()));
                impl ::core::ops::Drop for LeakOnUnwind {
                    fn drop(&mut self) {
                        (self.1)(self.0);
                    }
                }
                let guard = LeakOnUnwind(::core::ptr::from_mut(self).cast(), |this| {
                    // SAFETY: `this` is the state, whose awaitee was just dropped: writing
                    // over it without dropping the old value leaks the locals, which is safe.
                    unsafe { ::core::ptr::write(this.cast::<Self>(), Self::Poisoned) }
                });
                #drop_awaitee_match
                ::core::mem::forget(guard);
            }
        }
    }
}

/// The methods the running code awaits with when it polls in place (see
/// `lower::inline`): `awaitN` stores the future of await point `N` and
/// polls it where it lies, through `poll_in_place`; `hold_awaitN` hands
/// the state the locals that live across the point, when it is pending.
fn in_place_methods(names: &Names, lowered: &Lowered, analysis: &Analysis) -> TokenStream {
    let Names {
        projection,
        variants,
        ..
    } = names;
    let futures: Vec<&proc_macro2::Ident> = (0..analysis.points.len())
        .map(|p| names.future_of(p))
        .collect();
    let methods = analysis.points.iter().enumerate().map(|(p, point)| {
        let PointKind::Await(k) = point.kind else {
            unreachable!("a body polled in place has no transit point")
        };
        let variant = &variants[p];
        let future = names.future_of(p);
        let (method, hold, resume) = (
            names.point_method("", p),
            names.point_method("hold_", p),
            names.point_method("resume_", p),
        );
        let fields: Vec<_> = point.carried.iter().map(|&b| names.field(b)).collect();
        let types: Vec<_> = point.carried.iter().map(|&b| names.field_ty(b)).collect();
        let held: Vec<_> = (0..fields.len())
            .map(|i| quote::format_ident!("__held{i}"))
            .collect();
        let await_doc = format!(
            " `{}`, reached by running code: stores its future as `{variant}`'s and polls it \
             where it lies (see `poll_in_place`).",
            lowered.awaits[k].source
        );
        let resume_doc = format!(
            " Leaves `{variant}` once its future is ready: drops the future where it lies, takes \
             the locals back, in the order they were declared, and leaves `Poisoned` until the \
             next await. Each field is read on its own, as `{hold}` wrote it."
        );
        let declared: Vec<_> = fields.iter().rev().collect();
        let declared_types: Vec<_> = types.iter().rev().collect();
        let resume_method = (!fields.is_empty()).then(|| quote! {
            #[doc = #resume_doc]
            #[inline(always)]
            fn #resume(self: ::core::pin::Pin<&mut Self>) -> (#(#declared_types,)*) {
                // SAFETY: the state is not moved: its future is dropped where it lies, its
                // locals are read out once, and it is overwritten without dropping them.
                let this = unsafe { self.get_unchecked_mut() };
                // SAFETY: `this` is overwritten below, so the future is not dropped twice.
                unsafe { this.drop_awaitee() };
                let Self::#variant { #(#fields,)* .. } = this else {
                    ::core::unreachable!()
                };
                // SAFETY (each): a state at rest holds its locals (see `hold_*`).
                let held = (#(unsafe { #declared.assume_init_read() },)*);
                // SAFETY: nothing in the state is left to drop: its future was dropped,
                // its locals were read out.
                unsafe { ::core::ptr::write(this, Self::Poisoned) };
                held
            }
        });
        let hold_method = (!fields.is_empty()).then(|| {
            let hold_doc = format!(
                " Suspends at `{variant}`: the running code hands the state the locals that live \
                 across the point, a marker for each one in a slot."
            );
            quote! {
                #[doc = #hold_doc]
                #[inline(always)]
                #[allow(clippy::too_many_arguments)]
                fn #hold(self: ::core::pin::Pin<&mut Self>, #(#fields: #types),*) {
                    // SAFETY: the fields are written where they lie; nothing is moved.
                    let Self::#variant { #(#fields: #held,)* .. } = (unsafe { self.get_unchecked_mut() }) else {
                        ::core::unreachable!()
                    };
                    #(#held.write(#fields);)*
                }
            }
        });
        quote! {
            #[doc = #await_doc]
            #[inline(always)]
            fn #method(
                mut self: ::core::pin::Pin<&mut Self>,
                future: #future,
                cx: &mut ::core::task::Context<'_>,
            ) -> ::core::task::Poll<#future::Output>
            where
                #future: ::core::future::Future,
            {
                self.set(Self::#variant {
                    __awaitee: ::core::mem::MaybeUninit::new(future),
                    #(#fields: ::core::mem::MaybeUninit::uninit(),)*
                });
                self.poll_in_place(|state| match state {
                    #projection::#variant(future) => ::core::future::Future::poll(future, cx),
                    _ => ::core::unreachable!(),
                })
            }

            #hold_method

            #resume_method
        }
    });
    quote! {
        /// Polls the future the running code has just stored, where it lies: `poll` picks it
        /// out of the projection. Once it is ready it is dropped (`take`), as rustc drops it
        /// right after its last poll, and the state is `Poisoned` until the next await. If the
        /// poll panics, it is dropped here, before the unwinding reaches the locals of the
        /// running code (which the state does not hold): rustc's frame drops it first too.
        #[inline(always)]
        fn poll_in_place<O>(
            mut self: ::core::pin::Pin<&mut Self>,
            poll: impl ::core::ops::FnOnce(#projection<'_, #(#futures),*>) -> ::core::task::Poll<O>,
        ) -> ::core::task::Poll<O> {
            struct TakeOnUnwind<'a, S>(::core::pin::Pin<&'a mut S>, fn(::core::pin::Pin<&mut S>));
            impl<S> ::core::ops::Drop for TakeOnUnwind<'_, S> {
                fn drop(&mut self) {
                    (self.1)(self.0.as_mut());
                }
            }
            let mut guard = TakeOnUnwind(self.as_mut(), |state| {
                state.take();
            });
            let poll = poll(guard.0.as_mut().project());
            ::core::mem::forget(guard);
            if poll.is_ready() {
                self.take();
            }
            poll
        }

        #(#methods)*
    }
}

/// `poison`: drops everything the state holds, in order, and leaves
/// `Poisoned`. With pinned locals it also takes the slots, and a state
/// that holds one drops its fields one by one, the pinned ones in their
/// slots, so that the order is still the native one. So does a state of a
/// body polled in place, whose fields are `MaybeUninit`.
fn poison(names: &Names, analysis: &Analysis, in_place: bool) -> TokenStream {
    let doc = quote! {
        /// Drops everything the state holds in a native future's order (the awaited future,
        /// then the locals, innermost first) and leaves `Poisoned`: on cancellation and when
        /// a poll panics.
    };
    let pointer = quote::format_ident!("__slots");
    let arms: Vec<TokenStream> = analysis
        .points
        .iter()
        .enumerate()
        .filter(|(_, point)| {
            if in_place {
                !point.carried.is_empty()
            } else {
                point.carried.iter().any(|&b| names.is_pinned(b))
            }
        })
        .map(|(p, point)| {
            let variant = &names.variants[p];
            let fields: Vec<_> = point.carried.iter().map(|&b| names.field(b)).collect();
            let drops = point.carried.iter().map(|&b| {
                let field = names.field(b);
                let value = if in_place {
                    // SAFETY: a state at rest holds its locals (see `hold_*`).
                    quote!(unsafe { #field.assume_init() })
                } else {
                    quote!(#field)
                };
                match (&names.slots, analysis.pins.slot(b)) {
                    (Some(slots), Some(slot)) => {
                        let at = super::pinned::slot_fn(slot);
                        quote! {
                            // SAFETY: the caller's slots, which this local is in.
                            unsafe { #slots::#at(#pointer) }.drop_parked(#value);
                        }
                    }
                    _ => quote!(::core::mem::drop(#value);),
                }
            });
            quote! {
                Self::#variant { #(#fields,)* .. } => { #(#drops)* }
            }
        })
        .collect();
    let (signature, safety) = match &names.slots {
        Some(slots) => {
            let slot_types = analysis.pins.slots.iter().map(|(b, ..)| names.ty(*b));
            (
                quote! {
                    unsafe fn poison(self: ::core::pin::Pin<&mut Self>, #pointer: *mut #slots<#(#slot_types),*>)
                },
                quote! {
                    ///
                    /// # Safety
                    ///
                    /// `__slots` points to the slots of the future this state is in.
                },
            )
        }
        None => (
            quote!(fn poison(self: ::core::pin::Pin<&mut Self>)),
            TokenStream::new(),
        ),
    };
    if arms.is_empty() && names.slots.is_none() {
        return quote! {
            #doc
            #safety
            #signature {
                // SAFETY: dropping in place and overwriting does not move the state.
                let this = unsafe { self.get_unchecked_mut() };
                // SAFETY: `this` is overwritten right after, so the awaitee is not dropped twice.
                unsafe { this.drop_awaitee() };
                *this = Self::Poisoned;
            }
        };
    }
    let reason = if in_place {
        quote!("one arm per state holding a local")
    } else {
        quote!("one arm per state holding a pinned local")
    };
    quote! {
        #doc
        #safety
        #signature {
            // SAFETY: dropping in place and overwriting does not move the state.
            let this = unsafe { self.get_unchecked_mut() };
            // SAFETY: `this` is overwritten right after, so the awaitee is not dropped twice.
            unsafe { this.drop_awaitee() };
            #[allow(clippy::single_match, reason = #reason)]
            match ::core::mem::replace(this, Self::Poisoned) {
                #(#arms)*
                // Dropped by the enum's own drop glue, in field order.
                _ => {}
            }
        }
    }
}

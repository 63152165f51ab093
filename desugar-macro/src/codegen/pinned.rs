//! Pinned locals: kept in place in the future while something borrows them.
//!
//! A local that another held local borrows (see `analysis::pinning`) must
//! not move while the function is suspended. Such a local gets a *slot* in
//! the future itself, beside the state:
//!
//! ```text
//! struct __ExampleSlots<Text> { text: MaybeUninit<Text> }
//! struct __ExampleFuture<.., R> { state, slots: __ExampleSlots<..>, resume: R, _pinned }
//! ```
//!
//! The future is pinned once polled, so a slot never moves. The local is
//! written into its slot where the body declares it (`let text = ..;`
//! becomes `let text = unsafe { __Slot::at(slot) }.fill(..);`), and what
//! the states hand on from then on is a *handle*, `__Pinned<Text>`: a
//! pointer to the slot that drops the value in place when it is itself
//! dropped. So the handle goes wherever the local would have gone (into
//! the states that hold it, and out of scope where the local's scope
//! ends), and the drop happens exactly where the local's would.
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

use proc_macro2::{Group, Ident, TokenStream, TokenTree};
use quote::quote;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat};

use super::names::Names;
use super::resume::hidden;
use crate::analysis::{Analysis, Declaration, Pins};

/// Rewrites the body so that it reaches each pinned local in its slot.
pub(crate) fn rewrite(body: &mut syn::Block, pins: &Pins) {
    if !pins.slots.is_empty() {
        Rewriter { pins, bound: None }.visit_block_mut(body);
    }
}

struct Rewriter<'p> {
    pins: &'p Pins,
    /// Inside a closure or `async` block: the pinned names it uses, bound
    /// to their places just outside it.
    bound: Option<Vec<Ident>>,
}

impl Rewriter<'_> {
    /// What a name of a pinned local becomes.
    fn place(&mut self, ident: &Ident) -> TokenStream {
        match &mut self.bound {
            Some(bound) => {
                if !bound.contains(ident) {
                    bound.push(ident.clone());
                }
                quote!((*#ident))
            }
            None => quote!((*unsafe { #ident.place() })),
        }
    }

    fn tokens(&mut self, tokens: TokenStream, names: &[Ident]) -> TokenStream {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut out = Vec::with_capacity(tokens.len());
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => {
                    let mut new = Group::new(group.delimiter(), self.tokens(group.stream(), names));
                    new.set_span(group.span());
                    out.push(TokenTree::Group(new));
                }
                TokenTree::Ident(ident) if names.contains(ident) => {
                    let after_dot = i > 0
                        && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '.' || p.as_char() == ':');
                    let before_path = matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!' || p.as_char() == ':');
                    if after_dot || before_path {
                        out.push(token.clone());
                    } else {
                        out.extend(self.place(ident));
                    }
                }
                other => out.push(other.clone()),
            }
        }
        out.into_iter().collect()
    }
}

impl VisitMut for Rewriter<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Path(path) = expr
            && let Some(ident) = path.path.get_ident()
            && self
                .pins
                .mentions
                .contains_key(&(std::ptr::from_ref(ident) as usize))
        {
            let ident = ident.clone();
            *expr = syn::parse2(self.place(&ident)).expect("a place expression");
            return;
        }
        if matches!(expr, Expr::Closure(_) | Expr::Async(_)) && self.bound.is_none() {
            // Bind the places just outside, so that the closure captures
            // the values in the slots, not the handles.
            let outer = self.bound.replace(Vec::new());
            visit_mut::visit_expr_mut(self, expr);
            let bound = std::mem::replace(&mut self.bound, outer).unwrap_or_default();
            if !bound.is_empty() {
                let inner = std::mem::replace(expr, Expr::PLACEHOLDER);
                *expr = syn::parse_quote!({
                    #(
                        // SAFETY: see `place`.
                        let #bound = unsafe { #bound.place() };
                    )*
                    #inner
                });
            }
            return;
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        let address = std::ptr::from_ref(local) as usize;
        let declared = self
            .pins
            .slots
            .iter()
            .find(|(.., declaration)| *declaration == Declaration::Let(address));
        visit_mut::visit_local_mut(self, local);
        let Some((_, slot, _)) = declared else {
            return;
        };
        // `let mut text: String = value;` -> `let text: __Pinned<String> = slot.fill(value);`
        // The handle is never assigned; the value in the slot may be.
        match &mut local.pat {
            Pat::Ident(ident) => ident.mutability = None,
            Pat::Type(typed) => {
                if let Pat::Ident(ident) = &mut *typed.pat {
                    ident.mutability = None;
                }
                let ty = &typed.ty;
                *typed.ty = syn::parse_quote!(__Pinned<#ty>);
            }
            _ => {}
        }
        if let Some(init) = &mut local.init {
            let value = std::mem::replace(&mut *init.expr, Expr::PLACEHOLDER);
            *init.expr = fill(slot, &value);
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        let address = std::ptr::from_ref(mac) as usize;
        if let Some(names) = self.pins.in_macros.get(&address) {
            let names = names.clone();
            mac.tokens = self.tokens(std::mem::take(&mut mac.tokens), &names);
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// `value`, moved into `slot`: evaluates to the handle.
fn fill(slot: &Ident, value: &impl quote::ToTokens) -> Expr {
    let slots = hidden("__slots");
    syn::parse_quote! {
        // SAFETY: the slot belongs to this local alone and is empty here: the
        // handle that last filled it was dropped at the end of its scope.
        unsafe { __Slot::at(&raw mut (*#slots).#slot) }.fill(#value)
    }
}

/// The statements at the top of the `Start` arm that move the pinned
/// parameters into their slots.
pub(super) fn params(analysis: &Analysis) -> TokenStream {
    let stmts = analysis.params.iter().filter_map(|param| {
        let slot = analysis.pins.slot(param.binding)?;
        let field = &param.field;
        let fill = fill(slot, field);
        Some(quote!(let #field = #fill;))
    });
    quote!(#(#stmts)*)
}

/// The body, compiled again as the native `async move` block it is, and
/// never run: rustc's borrow checker checks the borrows of pinned locals
/// there (see the module docs). `output` is the function's output type,
/// when it can be written.
pub(super) fn check(body: &syn::Block, output: Option<&TokenStream>) -> TokenStream {
    let turbofish = output.map(|output| quote!(::<#output, _>));
    quote! {
        // Never run: rustc borrow-checks the body as a native `async` block here.
        if false {
            return ::core::task::Poll::Ready(__native_check #turbofish (async move #body));
        }
    }
}

/// The slots struct, the handle and slot types, and the check's helper.
pub(super) fn items(names: &Names, analysis: &Analysis, function: &str) -> TokenStream {
    let Some(slots) = &names.slots else {
        return TokenStream::new();
    };
    let (fields, types): (Vec<&Ident>, Vec<&Ident>) = analysis
        .pins
        .slots
        .iter()
        .map(|(binding, slot, _)| (slot, names.ty(*binding)))
        .unzip();
    let doc = format!(
        " The locals of `{function}` that are borrowed across an `.await`: each stays in its \
         slot, which does not move once the future is pinned, for its whole scope."
    );
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types, non_snake_case)]
        struct #slots<#(#types),*> {
            #(#fields: ::core::mem::MaybeUninit<#types>,)*
        }

        #[allow(non_camel_case_types, non_snake_case)]
        impl<#(#types),*> #slots<#(#types),*> {
            /// Every slot empty: a local is written into its slot where it is declared.
            fn empty() -> Self {
                Self { #(#fields: ::core::mem::MaybeUninit::uninit(),)* }
            }
        }

        /// A pinned local: a pointer to its slot, which it owns. The states hold this handle
        /// where they would hold the local, and dropping it drops the local in place.
        struct __Pinned<T>(::core::ptr::NonNull<T>);

        impl<T> __Pinned<T> {
            /// The local, where it lies, for as long as the caller says.
            ///
            /// # Safety
            ///
            /// The reference must not be used after the handle is dropped. The macro only
            /// writes calls whose borrows rustc checked in the body's native twin, where the
            /// handle's scope is the local's.
            #[allow(clippy::mut_from_ref)]
            unsafe fn place<'__a>(&self) -> &'__a mut T {
                // SAFETY: the slot was filled by `fill` and is dropped only by `drop`.
                unsafe { &mut *self.0.as_ptr() }
            }
        }

        impl<T> ::core::ops::Drop for __Pinned<T> {
            fn drop(&mut self) {
                // SAFETY: the handle owns the value in its slot; it is dropped once, in place.
                unsafe { self.0.as_ptr().drop_in_place() }
            }
        }

        // SAFETY: the handle owns a `T` (elsewhere): it is `Send`/`Sync` as `T` is.
        unsafe impl<T: ::core::marker::Send> ::core::marker::Send for __Pinned<T> {}
        // SAFETY: as above.
        unsafe impl<T: ::core::marker::Sync> ::core::marker::Sync for __Pinned<T> {}

        /// `{name}` and `{name:?}` in a format string name the handle: show the local.
        impl<T: ::core::fmt::Display> ::core::fmt::Display for __Pinned<T> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                // SAFETY: borrowed only for this call.
                ::core::fmt::Display::fmt(unsafe { self.place() }, f)
            }
        }
        impl<T: ::core::fmt::Debug> ::core::fmt::Debug for __Pinned<T> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                // SAFETY: borrowed only for this call.
                ::core::fmt::Debug::fmt(unsafe { self.place() }, f)
            }
        }

        /// An empty slot, about to be filled.
        struct __Slot<T>(*mut ::core::mem::MaybeUninit<T>);

        impl<T> __Slot<T> {
            /// # Safety
            ///
            /// `slot` is a slot of a pinned future that holds no value now, and whose handle
            /// is dropped before the future is.
            unsafe fn at(slot: *mut ::core::mem::MaybeUninit<T>) -> Self {
                Self(slot)
            }

            /// Moves `value` into the slot; the handle owns it from now on.
            fn fill(self, value: T) -> __Pinned<T> {
                // SAFETY: `at`'s contract: the slot is valid and empty.
                let value = unsafe { (*self.0).write(value) };
                __Pinned(::core::ptr::NonNull::from(value))
            }
        }

        /// The output of a future, never computed: the body's native twin is checked, not run.
        fn __native_check<O, F: ::core::future::Future<Output = O>>(_: F) -> O {
            ::core::unreachable!()
        }
    }
}

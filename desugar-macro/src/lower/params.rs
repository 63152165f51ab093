//! Parameters with patterns, matched where rustc matches them.
//!
//! rustc lowers `async fn f(x: A, (a, _): (B, C), y: D) { body }` to an
//! `async move` block that starts `let x = x; let __arg1 = __arg1;
//! let (a, _) = __arg1; let y = y;`: the arguments become locals of the
//! body in order, and a part matched by `_` stays in `__arg1`, dropped
//! after `a`. The generated function takes `__arg1` as a plain parameter,
//! and this prologue, put at the top of the body, does the rest, so that
//! liveness and drop order treat those bindings like any other local:
//!
//! ```text
//! let (__bound0, __ignored0) = __arg1; // every part moved out by name
//! let a = __bound0;                    // declared after the `_` part: dropped before it
//! let y = y;                           // a later parameter, after `a`
//! ```
//!
//! Naming the `_` parts (those not behind a reference) keeps them alive to
//! the end of the body, declared before the pattern's own bindings so that
//! they are dropped after them, as the rest of `__arg1` would be.
//!
//! A `..` cannot be named part by part: the macro does not know the fields
//! it skips. There the argument itself stays whole, in a `__Rest` that
//! drops only what the pattern did not move out, and the bindings are read
//! out of it:
//!
//! ```text
//! let __arg1 = __Rest::new(__arg1, |whole| { let (__moved0, ..) = whole; forget(__moved0); });
//! let (ref __part0, ..) = *__arg1;               // borrow the parts the pattern binds,
//! let a = unsafe { ptr::read(__part0) };         // and move them out bitwise
//! ```
//!
//! When `__arg1` goes out of scope (where the parameter would, after `a`),
//! its closure gets the whole value back, forgets the parts moved out
//! before, and drops the rest.

use proc_macro2::Span;
use quote::format_ident;
use syn::visit_mut::{self, VisitMut};
use syn::{FnArg, Pat, Stmt};

/// The statements that bind the parameters a pattern or a later position
/// makes locals of the body.
pub(super) fn prologue(sig: &syn::Signature) -> Vec<Stmt> {
    let mut stmts = Vec::new();
    let mut after_pattern = false;
    for (index, input) in sig.inputs.iter().enumerate() {
        let FnArg::Typed(typed) = input else { continue };
        match &*typed.pat {
            Pat::Ident(ident) if ident.subpat.is_none() && ident.by_ref.is_none() => {
                // A parameter after a pattern is declared after its bindings.
                if after_pattern {
                    let name = &ident.ident;
                    let mutability = &ident.mutability;
                    stmts.push(syn::parse_quote!(let #mutability #name = #name;));
                }
            }
            pattern if has_rest(pattern) => {
                after_pattern = true;
                let argument = format_ident!("__arg{}", index, span = Span::mixed_site());
                stmts.extend(rest_prologue(pattern, &argument));
            }
            pattern => {
                after_pattern = true;
                let argument = format_ident!("__arg{}", index, span = Span::mixed_site());
                let mut named = pattern.clone();
                let mut namer = NameParts::default();
                namer.visit_pat_mut(&mut named);
                if namer.ignored == 0 {
                    stmts.push(syn::parse_quote!(let #pattern = #argument;));
                } else {
                    stmts.push(syn::parse_quote!(let #named = #argument;));
                    for (hidden, ident, mutability) in namer.bound {
                        stmts.push(syn::parse_quote!(let #mutability #ident = #hidden;));
                    }
                }
            }
        }
    }
    stmts
}

/// Renames a pattern's bindings to hidden names and names its `_` parts.
#[derive(Default)]
struct NameParts {
    /// (hidden name, the binding's name, its `mut`), in order.
    bound: Vec<(
        proc_macro2::Ident,
        proc_macro2::Ident,
        Option<syn::Token![mut]>,
    )>,
    ignored: usize,
}

impl VisitMut for NameParts {
    fn visit_pat_mut(&mut self, pat: &mut Pat) {
        match pat {
            Pat::Wild(_) => {
                let name = format_ident!("__ignored{}", self.ignored, span = Span::mixed_site());
                self.ignored += 1;
                *pat = syn::parse_quote!(#name);
            }
            Pat::Ident(ident)
                if ident.by_ref.is_none()
                    && ident.subpat.is_none()
                    && ident
                        .ident
                        .to_string()
                        .starts_with(|c: char| c.is_lowercase() || c == '_') =>
            {
                let name = format_ident!("__bound{}", self.bound.len(), span = Span::mixed_site());
                self.bound
                    .push((name.clone(), ident.ident.clone(), ident.mutability));
                *pat = syn::parse_quote!(#name);
            }
            // Behind a reference nothing is moved; `ref` borrows in place.
            Pat::Reference(_) | Pat::Ident(_) => {}
            _ => visit_mut::visit_pat_mut(self, pat),
        }
    }

    fn visit_field_pat_mut(&mut self, field: &mut syn::FieldPat) {
        // `Point { y, .. }` binds `y` by shorthand: once renamed, it needs
        // the field name spelled out, `Point { y: __bound0, .. }`.
        if field.colon_token.is_none() {
            field.colon_token = Some(Default::default());
        }
        visit_mut::visit_field_pat_mut(self, field);
    }
}

/// Whether a pattern has a `..` that skips parts it owns (not behind a
/// reference).
pub(crate) fn has_rest(pat: &Pat) -> bool {
    crate::syntax::any_part(pat, &|part| match part {
        Pat::Rest(_) => Some(true),
        Pat::Struct(s) if s.rest.is_some() => Some(true),
        _ => None,
    })
}

/// The prologue of a parameter whose pattern has a `..` (see the module
/// docs).
fn rest_prologue(pattern: &Pat, argument: &proc_macro2::Ident) -> Vec<Stmt> {
    let mut moved = pattern.clone();
    let mut mover = Rebind {
        prefix: "__moved",
        by_ref: false,
        bound: Vec::new(),
    };
    mover.visit_pat_mut(&mut moved);
    let mut parts = pattern.clone();
    let mut borrower = Rebind {
        prefix: "__part",
        by_ref: true,
        bound: Vec::new(),
    };
    borrower.visit_pat_mut(&mut parts);
    let whole = format_ident!("__whole", span = Span::mixed_site());
    let forgotten = mover.bound.iter().map(|(hidden, ..)| hidden);
    let mut stmts: Vec<Stmt> = vec![
        syn::parse_quote! {
            let #argument = __Rest::new(#argument, |#whole| {
                let #moved = #whole;
                #(::core::mem::forget(#forgotten);)*
            });
        },
        syn::parse_quote!(let #parts = *#argument;),
    ];
    for (part, ident, mutability) in borrower.bound {
        stmts.push(syn::parse_quote! {
            // SAFETY: `__Rest` never drops the parts the pattern moves out.
            let #mutability #ident = unsafe { ::core::ptr::read(#part) };
        });
    }
    stmts
}

/// Gives a pattern's by-value bindings hidden names, by value or `ref`.
struct Rebind {
    prefix: &'static str,
    by_ref: bool,
    /// (hidden name, the binding's name, its `mut`), in order.
    bound: Vec<(
        proc_macro2::Ident,
        proc_macro2::Ident,
        Option<syn::Token![mut]>,
    )>,
}

impl VisitMut for Rebind {
    fn visit_pat_mut(&mut self, pat: &mut Pat) {
        match pat {
            Pat::Ident(ident)
                if ident.by_ref.is_none()
                    && ident
                        .ident
                        .to_string()
                        .starts_with(|c: char| c.is_lowercase() || c == '_') =>
            {
                let name = format_ident!(
                    "{}{}",
                    self.prefix,
                    self.bound.len(),
                    span = Span::mixed_site()
                );
                self.bound
                    .push((name.clone(), ident.ident.clone(), ident.mutability));
                ident.ident = name;
                ident.mutability = None;
                if self.by_ref {
                    ident.by_ref = Some(Default::default());
                }
                if let Some((_, sub)) = &mut ident.subpat {
                    self.visit_pat_mut(sub);
                }
            }
            // Behind a reference nothing is moved.
            Pat::Reference(_) => {}
            _ => visit_mut::visit_pat_mut(self, pat),
        }
    }

    fn visit_field_pat_mut(&mut self, field: &mut syn::FieldPat) {
        if field.colon_token.is_none() {
            field.colon_token = Some(Default::default());
        }
        visit_mut::visit_field_pat_mut(self, field);
    }
}

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

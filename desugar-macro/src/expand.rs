//! The driver: tokens in, state machine out.
//!
//! The stages run in order, each in its own module:
//!
//! 1. **Parse** the arguments ([`crate::args`]) and the item, and check the
//!    signature ([`check_signature`]): only a free `async fn` with a body.
//! 2. **Lower** the body ([`crate::lower`]): desugar `for` loops whose body
//!    awaits, hoist operands evaluated before an `.await` into temporaries,
//!    and number the await points in evaluation order.
//! 3. **Analyse** ([`crate::analysis`]): resolve every local, then decide
//!    for each await point which locals the suspended state must hold.
//! 4. **Generate** ([`crate::codegen`]): the state enum, its pin projection,
//!    the future type, and the `poll` that resumes each state.
//!
//! Any error becomes a `compile_error!` next to the original function, left
//! as it was, so that callers and rust-analyzer see one error and nothing
//! more ("never fail empty").

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{ItemFn, Signature};

use crate::{analysis, args, codegen, lower};

/// Runs the attribute; never panics on bad input.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut tokens = error.to_compile_error();
            tokens.extend(unchanged(item));
            tokens
        }
    }
}

/// The item as it was, for the error path: only a `const` that rustc
/// would also reject is dropped, so the one error said is ours.
fn unchanged(item: TokenStream) -> TokenStream {
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(mut function)
            if function.sig.constness.is_some() && function.sig.asyncness.is_some() =>
        {
            function.sig.constness = None;
            function.into_token_stream()
        }
        _ => item,
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    // 1. Parse and check; report bad arguments and a bad signature together.
    let args = args::parse(args);
    let function = parse_function(item);
    let checked = function
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|f| check_signature(&f.sig).and(check_attributes(&f.attrs)));
    let (args, function) = match (args, function, checked) {
        (Ok(args), Ok(function), Ok(())) => (args, function),
        (args, _, checked) => {
            let mut errors = [args.err(), checked.err()].into_iter().flatten();
            let mut first = errors.next().expect("something failed");
            errors.for_each(|e| first.combine(e));
            return Err(first);
        }
    };

    // An unboxed recursive call: rustc's own error (E0733) says it best.
    if codegen::recursion::has_unboxed_recursion(&function.block, &function.sig.ident) {
        return Ok(function.to_token_stream());
    }

    // 2. Lower the body: for-loops, hoisted operands, numbered await points.
    let mut lowered = lower::lower(&function.sig, &function.block, true)?;

    // 3. Analyse: which locals each suspended state holds. A local shadowed
    //    where it must move into a state is renamed, so it can be named.
    let mut analysis = analysis::analyse(&function.sig, &lowered)?;
    //    A future that borrows locals is made where the state holds them,
    //    which polling in place cannot do (see `lower::inline`).
    if lowered.in_place && analysis.points.iter().any(|p| !p.borrowed.is_empty()) {
        lowered = lower::lower(&function.sig, &function.block, false)?;
        analysis = analysis::analyse(&function.sig, &lowered)?;
    }
    lower::rename(&mut lowered.body, &analysis.renames);
    //    A local borrowed across an `.await` is reached in its slot.
    codegen::pin_locals(&mut lowered.body, &mut analysis.pins, &function.sig.ident);

    // 4. Generate the state machine.
    codegen::generate(&args, &function, &lowered, &analysis)
}

/// Parses the item the attribute sits on, with a clear error for anything
/// that is not a function with a body.
fn parse_function(item: TokenStream) -> syn::Result<ItemFn> {
    if let Ok(function) = syn::parse2::<ItemFn>(item.clone()) {
        return Ok(function);
    }
    if let Ok(method) = syn::parse2::<syn::TraitItemFn>(item.clone()) {
        let span = method
            .semi_token
            .map_or_else(|| method.sig.span(), |semi| semi.span);
        return Err(syn::Error::new(
            span,
            "`#[desugar]` needs a function body to rewrite: put it on the `async fn` in the \
             `impl`, not on the declaration in the trait",
        ));
    }
    let what = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(item) => describe(&item),
        Err(_) => "this item: put it on an `async fn` with a body",
    };
    Err(syn::Error::new(
        item.into_iter()
            .next()
            .map_or_else(proc_macro2::Span::call_site, |t| t.span()),
        format!("`#[desugar]` goes on an `async fn`, not on {what}"),
    ))
}

fn describe(item: &syn::Item) -> &'static str {
    match item {
        syn::Item::Struct(_) => "a struct: put it on an `async fn` with a body",
        syn::Item::Enum(_) => "an enum: put it on an `async fn` with a body",
        syn::Item::Impl(_) => "an `impl` block: put it on each `async fn` inside",
        syn::Item::Trait(_) => "a trait: put it on an `async fn` with a body",
        syn::Item::Mod(_) => "a module: put it on an `async fn` with a body",
        syn::Item::Const(_) | syn::Item::Static(_) => {
            "a constant or static: put it on an `async fn` with a body"
        }
        _ => "this item: put it on an `async fn` with a body",
    }
}

/// Rejects an attribute below `#[desugar]` that must see the `async fn`.
///
/// Attributes below ours expand after it, on the desugared fn, which is
/// no longer `async`. `#[tracing::instrument]` would still compile there,
/// but it would enter its span only while the future is made, not on each
/// poll: silently unlike the native fn. Above `#[desugar]` it sees the
/// `async fn` and behaves exactly as on the native one.
fn check_attributes(attrs: &[syn::Attribute]) -> syn::Result<()> {
    let below = attrs.iter().find(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "instrument")
    });
    match below {
        Some(attr) => Err(syn::Error::new_spanned(
            attr,
            "below `#[desugar]`, `#[instrument]` would see the desugared fn, which is not async, \
             and enter its span only while the future is made: put it above `#[desugar]`, \
             where it instruments every poll as on the native `async fn`",
        )),
        None => Ok(()),
    }
}

/// Rejects signatures the rewrite cannot reproduce exactly yet.
fn check_signature(sig: &Signature) -> syn::Result<()> {
    let mut errors: Option<syn::Error> = None;
    let mut fail = |span: &dyn ToTokens, message: &str| {
        let error = syn::Error::new_spanned(span, message);
        match &mut errors {
            Some(errors) => errors.combine(error),
            None => errors = Some(error),
        }
    };
    if sig.asyncness.is_none() {
        fail(
            &sig.fn_token,
            "`#[desugar]` rewrites an `async fn`, and this function is not async: \
             write `async fn`, or remove the attribute",
        );
    }
    if let Some(constness) = &sig.constness {
        fail(constness, "an `async fn` cannot be `const`: remove `const`");
    }
    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        fail(
            unsafety,
            "`#[desugar]` does not support `async unsafe fn` yet: make the function safe and \
             put the unsafe operations in `unsafe` blocks",
        );
    }
    if let Some(abi) = &sig.abi {
        fail(
            abi,
            "`#[desugar]` does not support an `extern` ABI on an `async fn`",
        );
    }
    if let Some(variadic) = &sig.variadic {
        fail(variadic, "an `async fn` cannot be variadic");
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(()),
    }
}

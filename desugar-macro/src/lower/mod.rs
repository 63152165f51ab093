//! Lowering: the body rewritten so that every `.await` can be resumed.
//!
//! The code generator resumes a suspended function by re-entering its body
//! at an await point: it rebuilds the syntax around the hole the `.await`
//! leaves, with everything already evaluated restored from the state. That
//! only works when nothing that was evaluated *before* the `.await` in the
//! same expression is needed after it, other than locals. Lowering makes
//! that true, and leaves the body otherwise as the user wrote it:
//!
//! - [`normalize`] hoists operands that are evaluated before an `.await`
//!   (`f(a(), b().await)`) into `let __tmpN` temporaries, in evaluation
//!   order, and desugars `for` loops whose body awaits into the `loop` and
//!   `match` rustc itself uses, so that the iterator is a local the state
//!   can hold;
//! - [`marker`] numbers the await points in evaluation order and tags each
//!   with its number, which names the state it suspends into.
//!
//! Awaits inside closures and `async` blocks are left alone: they belong to
//! futures of their own.

mod fills;
mod inline;
mod marker;
mod normalize;
mod params;
mod receiver;

pub(crate) use normalize::is_effect_free;
pub(crate) use receiver::receiver_ident;
pub(crate) use transit::{
    Transits, branch_index, construct_attrs, construct_attrs_mut, join_index, loop_index,
    strip_transit_markers,
};
pub(crate) mod text;
mod transit;
mod visit;

use std::collections::HashMap;

use proc_macro2::Span;

pub(crate) use fills::is_placeholder;
pub(crate) use marker::{await_index, strip_marker};
pub(crate) use visit::contains_await;

/// A body ready for analysis and code generation.
pub(crate) struct Lowered {
    /// The normalized body; its await points carry their number.
    pub(crate) body: syn::Block,
    /// One entry per await point, in evaluation order.
    pub(crate) awaits: Vec<AwaitPoint>,
    /// The body as written, with the parameters' patterns matched and
    /// `self` renamed, but not normalized: what the native check of a body
    /// with pinned locals compiles (see `codegen::pinned`).
    pub(crate) check_body: syn::Block,
    /// Whether a parameter's pattern has a `..`, kept whole in a `__Rest`
    /// (see `params`).
    pub(crate) uses_rest: bool,
    /// Whether the body uses `?` outside closures and async blocks.
    pub(crate) uses_try: bool,
    /// Whether each `.await` is polled in place (see [`inline`]); if not,
    /// the body has transit points.
    pub(crate) in_place: bool,
    /// The loop heads and joins, marked on the body.
    pub(crate) transits: Transits,
    /// Items declared at the top of the body (`const`, `fn`, `struct`,
    /// `use`, `macro_rules!`): they are visible in the whole body, so the
    /// generated function declares them once, outside the arms.
    pub(crate) items: Vec<syn::Item>,
}

/// What the documentation of a suspended state says about its `.await`.
pub(crate) struct AwaitPoint {
    /// The awaited expression as the user wrote it, e.g. `fetch().await`.
    pub(crate) source: String,
    /// The line of the `.await`, when the compiler tells us.
    pub(crate) line: Option<usize>,
    /// Where errors about this await point.
    pub(crate) span: Span,
}

/// Gives bindings new names, by the address of each occurrence in `body`
/// (see `analysis::rename_shadowed`); nothing moves in the tree.
pub(crate) fn rename(body: &mut syn::Block, renames: &HashMap<usize, proc_macro2::Ident>) {
    struct Renamer<'r>(&'r HashMap<usize, proc_macro2::Ident>);
    impl syn::visit_mut::VisitMut for Renamer<'_> {
        fn visit_ident_mut(&mut self, ident: &mut proc_macro2::Ident) {
            if let Some(new) = self.0.get(&(std::ptr::from_ref(ident) as usize)) {
                *ident = new.clone();
            }
        }
    }
    if !renames.is_empty() {
        syn::visit_mut::VisitMut::visit_block_mut(&mut Renamer(renames), body);
    }
}

/// Lowers a function body, to be polled in place if `in_place` and the
/// body allows it (see [`inline`]).
pub(crate) fn lower(
    sig: &syn::Signature,
    body: &syn::Block,
    in_place: bool,
) -> syn::Result<Lowered> {
    let mut body = body.clone();
    if sig.receiver().is_some() {
        receiver::rename_self(&mut body);
    }
    body.stmts.splice(0..0, params::prologue(sig));
    let (items, stmts): (Vec<_>, Vec<_>) = std::mem::take(&mut body.stmts)
        .into_iter()
        .partition(|stmt| matches!(stmt, syn::Stmt::Item(_)));
    body.stmts = stmts;
    let check_body = body.clone();
    let items = items
        .into_iter()
        .filter_map(|stmt| match stmt {
            syn::Stmt::Item(item) => Some(item),
            _ => None,
        })
        .collect();
    let in_place = in_place && inline::allows_copies(&body);
    let mut body = normalize::normalize(body, in_place)?;
    fills::mark(&mut body);
    let awaits = marker::number_awaits(&mut body);
    let transits = if in_place {
        Transits::none()
    } else {
        transit::mark(&mut body)
    };
    let uses_rest = sig.inputs.iter().any(|input| {
        matches!(input, syn::FnArg::Typed(typed) if !matches!(&*typed.pat, syn::Pat::Ident(_)) && params::has_rest(&typed.pat))
    });
    Ok(Lowered {
        uses_rest,
        check_body,
        uses_try: visit::contains_try(&body),
        body,
        awaits,
        in_place,
        transits,
        items,
    })
}

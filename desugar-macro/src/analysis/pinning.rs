//! Pinning: the locals that must not move while the function is suspended.
//!
//! The states hand locals on by moving them: `take` moves them out of the
//! state the function was suspended in, the code runs, and the next state
//! is built from them. That is fine until a local is *borrowed by another
//! local that lives across an `.await`*:
//!
//! ```text
//! let text = String::from("hello");
//! let tail = &text[1..];      // `tail` points into `text`
//! tick().await;               // both are held across this point
//! tail.len()
//! ```
//!
//! Moving `text` from state to state would leave `tail` dangling. rustc
//! never moves a local of a coroutine: each lives at a fixed offset in the
//! pinned frame. We do the same for exactly the locals that need it: a
//! *pinned* local lives in its own slot of the future (see
//! `codegen::pinned`) from its declaration to the end of its scope, and
//! the states hold a handle to it instead of the value.
//!
//! Which locals? We cannot see types, so we read the syntax, as rustc's
//! borrow checker would see the borrows:
//!
//! - a binding `y` is **derived** from the mentions in its initializer
//!   (`let y = ..`), in the scrutinee it is bound from (`match`, `if let`,
//!   a `for` loop's iterator), or in a value assigned to it;
//! - among those mentions, `&x`, `&mut x.field`, `&x[i]` and a method that
//!   by `std`'s conventions returns a borrow of its receiver (`x.iter()`,
//!   `m.lock()`, `cell.borrow_mut()`) **borrow `x` itself**; any other
//!   mention of a binding `z` passes on what `z` borrows (`let y = f(r)`
//!   borrows what `r` does);
//! - `x` is **pinned** when a binding that borrows it is held by some
//!   state, or is the output of an `.await` whose future borrows it (the
//!   output may borrow it too: `let first = first(&items).await;`).
//!   Pinned locals are held by every state in their scope, whether or not
//!   they are used after it: the borrow may be.
//!
//! Guessing too much only costs a slot; guessing too little is a borrow
//! error from rustc, never unsound code. Soundness does not rest on this
//! guess at all: a pinned local is reached through a reference whose
//! lifetime rustc cannot check, so the function's body is also compiled as
//! the native `async` block it is (never run), and rustc's borrow checker
//! checks every borrow there (see `codegen::pinned`).

use std::collections::BTreeSet;

use super::BindingId;
use super::scope::{Declaration, Resolved};

/// What pinning needs that does not depend on what the states hold,
/// worked out once for the fixed point in `analyse`.
pub(super) struct Pinning {
    /// What each binding's value may borrow (see [`borrows`]).
    borrows: Vec<BTreeSet<BindingId>>,
    /// The bindings an await's output may borrow: pinned whatever is held.
    awaited: Vec<BindingId>,
    /// Whether each binding may be pinned: some state may hold it (one
    /// declared inside a closure or `async` block is that one's), it is not
    /// a shared reference parameter, and it can be kept in place, or the
    /// borrow of it is written out (then [`unsupported`] says why not).
    allowed: Vec<bool>,
}

impl Pinning {
    pub(super) fn new(resolved: &Resolved) -> Pinning {
        let allowed = (0..resolved.bindings.len())
            .map(|binding| {
                let held = resolved
                    .sites
                    .iter()
                    .any(|(_, site)| site.in_scope.contains(&binding));
                held && !resolved.shared_refs.contains(&binding)
                    && (explicit(resolved, binding) || unsupported(resolved, binding).is_none())
            })
            .collect();
        // A value computed by awaiting a future that borrows `x` may borrow
        // `x` (`let first = first(&items).await;`): `x` stays in place.
        let mut awaited = Vec::new();
        for derivation in &resolved.derivations {
            for mention in &resolved.mentions[derivation.mentions.clone()] {
                if mention.pins()
                    && mention.in_await
                    && !mention.through_deref
                    && !derivation.bindings.contains(&mention.binding)
                {
                    awaited.push(mention.binding);
                }
            }
        }
        Pinning {
            borrows: borrows(resolved),
            awaited,
            allowed,
        }
    }

    /// For each binding, whether it is pinned, given what each state holds.
    pub(super) fn pinned(&self, resolved: &Resolved, carried: &[Vec<BindingId>]) -> Vec<bool> {
        let mut pinned = vec![false; resolved.bindings.len()];
        for &binding in &self.awaited {
            pinned[binding] = self.allowed[binding];
        }
        for (held, (_, site)) in carried.iter().zip(&resolved.sites) {
            for &borrower in held {
                for &lent in &self.borrows[borrower] {
                    if lent != borrower && self.allowed[lent] && site.in_scope.contains(&lent) {
                        pinned[lent] = true;
                    }
                }
            }
        }
        pinned
    }
}

/// What each binding's value may borrow, directly or through the bindings
/// it was computed from.
fn borrows(resolved: &Resolved) -> Vec<BTreeSet<BindingId>> {
    let n = resolved.bindings.len();
    let mut direct = vec![BTreeSet::new(); n];
    let mut through = vec![BTreeSet::new(); n];
    for derivation in &resolved.derivations {
        for mention in &resolved.mentions[derivation.mentions.clone()] {
            for &binding in &derivation.bindings {
                if mention.binding == binding {
                    continue;
                }
                if mention.pins() && !mention.through_deref {
                    direct[binding].insert(mention.binding);
                } else {
                    through[binding].insert(mention.binding);
                }
            }
        }
    }
    // The transitive closure, to a fixed point.
    let mut all = direct;
    loop {
        let mut changed = false;
        for binding in 0..n {
            let inherited: Vec<BindingId> = through[binding]
                .iter()
                .flat_map(|&z| all[z].iter().copied())
                .collect();
            for lent in inherited {
                changed |= all[binding].insert(lent);
            }
        }
        if !changed {
            return all;
        }
    }
}

/// Whether the body borrows `binding` with `&` or `&mut` somewhere: then a
/// guess that it must be pinned is a good one, and if it cannot be, that is
/// an error. A guess from a method's name alone (`x.first()`) that cannot
/// be kept is dropped instead: if the borrow is really kept, rustc says so.
fn explicit(resolved: &Resolved, binding: BindingId) -> bool {
    resolved
        .mentions
        .iter()
        .any(|m| m.binding == binding && m.pins_explicitly())
}

/// Why a pinned binding cannot be kept in place, if it cannot.
pub(super) fn unsupported(resolved: &Resolved, binding: BindingId) -> Option<syn::Error> {
    let ident = &resolved.bindings[binding].ident;
    if resolved.declarations[binding] == Declaration::Pattern {
        return Some(syn::Error::new(
            ident.span(),
            format!(
                "`#[desugar]` cannot keep `{ident}` in place while it is borrowed across an \
                 `.await`: only a local declared alone with a value (`let {ident} = ..;`) or a \
                 parameter can be; bind it that way first"
            ),
        ));
    }
    let moved = resolved
        .mentions
        .iter()
        .find(|m| m.binding == binding && m.in_move)?;
    Some(syn::Error::new(
        moved.span.unwrap_or_else(|| ident.span()),
        format!(
            "`#[desugar]` cannot move `{ident}` into a `move` closure or `async move` block: it \
             is borrowed across an `.await`, so it stays in place in the future; borrow it, or \
             move a clone"
        ),
    ))
}

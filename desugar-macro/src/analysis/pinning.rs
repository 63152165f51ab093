//! Pinning: the locals that stay in place while the function is suspended.
//!
//! rustc never moves a local of a coroutine: each lives at a fixed offset
//! in the pinned frame from its first assignment to the end of its scope,
//! and a suspension only records where it stopped. We do the same: a
//! local that some state holds is *pinned*, it lives in its own slot of
//! the future (see `codegen::pinned`) for its whole scope, the running
//! code reaches it there, and the states hold a zero-sized marker instead
//! of the value. So a transition copies nothing, and a borrow of a local
//! held across an `.await` stays valid:
//!
//! ```text
//! let text = String::from("hello");
//! let tail = &text[1..];      // `tail` points into `text`
//! tick().await;               // both are held across this point
//! tail.len()
//! ```
//!
//! Reached through a pointer, a local can be used in place and moved out
//! whole (`take`, with a drop flag), but Rust moves nothing *partly* out of
//! a pointer, and the syntax does not always tell whether a use moves:
//! `x.finish()` may take `self` by value, `match x { Some(s) => .. }` may
//! move `s` out, `f()` may call an `FnOnce`. A local used that way
//! (`Mention::ambiguous`) is not kept in place but moved from state to
//! state as a real local, where rustc decides; unless something borrows it
//! across an `.await`, which only a slot allows: then it is pinned anyway,
//! and a use that does move it is a borrow error from rustc.
//!
//! What borrows what is read from the syntax, as rustc's borrow checker
//! would see the borrows:
//!
//! - a binding `y` is **derived** from the mentions in its initializer
//!   (`let y = ..`), in the scrutinee it is bound from (`match`, `if let`,
//!   a `for` loop's iterator), or in a value assigned to it;
//! - among those mentions, `&x`, `&mut x.field`, `&x[i]` and a method that
//!   by `std`'s conventions returns a borrow of its receiver (`x.iter()`,
//!   `m.lock()`, `cell.borrow_mut()`) **borrow `x` itself**; any other
//!   mention of a binding `z` passes on what `z` borrows (`let y = f(r)`
//!   borrows what `r` does);
//! - `x` **must** be pinned when a binding that borrows it is held by some
//!   state, or is the output of an `.await` whose future borrows it (the
//!   output may borrow it too: `let first = first(&items).await;`). Such a
//!   local is held by every state in its scope, whether or not it is used
//!   after it: the borrow may be.
//!
//! Soundness does not rest on these guesses: a pinned local is reached
//! through a reference whose lifetime rustc cannot check, so the
//! function's body is also compiled as the native `async` block it is
//! (never run), and rustc's borrow checker checks every borrow there (see
//! `codegen::pinned`).

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
    /// Whether each binding may be kept in place whether or not anything
    /// borrows it: allowed, and never used in a way that may move it (or a
    /// part of it) where only its type tells (`Mention::ambiguous`).
    pub(super) in_place: Vec<bool>,
}

impl Pinning {
    pub(super) fn new(resolved: &Resolved) -> Pinning {
        let allowed: Vec<bool> = (0..resolved.bindings.len())
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
        let in_place = (0..resolved.bindings.len())
            .map(|binding| {
                allowed[binding]
                    && !resolved
                        .mentions
                        .iter()
                        .any(|m| m.binding == binding && m.ambiguous)
            })
            .collect();
        Pinning {
            borrows: borrows(resolved),
            awaited,
            allowed,
            in_place,
        }
    }

    /// For each binding, whether it is pinned, given what each state holds.
    pub(super) fn pinned(&self, resolved: &Resolved, carried: &[Vec<BindingId>]) -> Vec<bool> {
        let mut pinned = vec![false; resolved.bindings.len()];
        // Every local a state holds stays in place, as rustc keeps it,
        // unless a use of it may move it in a way only its type tells.
        for held in carried {
            for &b in held {
                pinned[b] = self.in_place[b];
            }
        }
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
    // A `move` closure or `async move` block that names the local whole
    // takes it out of its slot (see `codegen::pinned`); one that names only
    // a field of it may take that field alone, which a slot cannot give.
    let moved = resolved
        .mentions
        .iter()
        .find(|m| m.binding == binding && m.in_move && m.ambiguous)?;
    Some(syn::Error::new(
        moved.span.unwrap_or_else(|| ident.span()),
        format!(
            "`#[desugar]` cannot move a part of `{ident}` into a `move` closure or `async \
             move` block: it is borrowed across an `.await`, so it stays in place in the \
             future; move the whole of it, a clone, or a local holding that part"
        ),
    ))
}

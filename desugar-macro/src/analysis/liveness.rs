//! Liveness: which bindings the state suspended at each await point holds.
//!
//! rustc keeps a local in a suspended coroutine when it is *storage-live*
//! across the `yield`: it may still be used, or it still has to be dropped
//! at the end of its scope. We decide the same from the syntax alone, for
//! each binding `b` in scope at await point `k`:
//!
//! - `b` is **used after** `k` if it is mentioned at a later position, or
//!   anywhere in a loop that contains `k` and was entered after `b` was
//!   declared (the next iteration runs that code again);
//! - `b` **may have been moved** before `k` if a by-value mention of it can
//!   run before `k` (at an earlier position, or in such a loop).
//!
//! The state holds `b` when it is used after `k`, or when it certainly
//! still holds a value whose drop must wait for the end of its scope: not
//! moved, and not known to be free of drop glue (a literal, a reference, a
//! primitive). A binding that is used after `k` is initialized at `k` in
//! every program rustc accepts, whatever the earlier mentions did, so
//! holding it is always well-typed. A binding that is neither is dropped
//! where the function suspends, if it still holds a value: a difference
//! from rustc only for a value with a visible `Drop` that was last used by
//! a call that could have consumed it, and is documented.

use super::BindingId;
use super::scope::{Mention, Resolved, exclusive};

/// For each await point, the bindings its state holds, innermost first,
/// and the deferred bindings still unassigned there but used after it.
///
/// A pinned binding (see `pinning`) is held wherever it is in scope and
/// assigned: something held may borrow it, whether or not it is used again.
pub(super) fn carried(
    resolved: &Resolved,
    pinned: &[bool],
    in_place: &[bool],
) -> (Vec<Vec<BindingId>>, Vec<Vec<BindingId>>) {
    let mut all_unassigned = Vec::new();
    let carried = resolved
        .sites
        .iter()
        .map(|(_, site)| {
            let mut unassigned = Vec::new();
            let shares_loop = |mention: &Mention, binding: BindingId| {
                mention.loops.iter().any(|l| {
                    site.loops.contains(l)
                        && resolved.loop_starts[*l] > resolved.declared_at[binding]
                })
            };
            let mut held: Vec<BindingId> = site
                .in_scope
                .iter()
                .copied()
                .filter(|&binding| {
                    // `m` can run after the point, or before it (then the
                    // point runs after `m`), on some path.
                    let after = |m: &Mention| {
                        (m.position > site.position && !exclusive(&m.branches, &site.branches))
                            || shares_loop(m, binding)
                    };
                    let before = |m: &Mention| {
                        (m.position < site.position && !exclusive(&m.branches, &site.branches))
                            || shares_loop(m, binding)
                    };
                    let mut mentions = resolved.mentions.iter().filter(|m| m.binding == binding);
                    let used_after = mentions.clone().any(after);
                    // Moved (or copied) on every path to the point: in no
                    // branch or loop the point is not in. rustc does not hold
                    // what is certainly moved, and what is copied needs no drop.
                    let moved_on_every_path = mentions.clone().any(|m| {
                        m.may_move
                            && m.position < site.position
                            && site.branches.starts_with(&m.branches)
                            && m.loops.iter().all(|l| site.loops.contains(l))
                    });
                    let may_have_moved = mentions.any(|m| m.may_move && before(m));
                    // A `let x;` is assigned here if an assignment runs before
                    // it in this pass (one later in a loop body does not count:
                    // the first time round, `x` is not assigned yet).
                    let assigned = !resolved.bindings[binding].deferred
                        || resolved.assignments.iter().any(|a| {
                            a.binding == binding
                                && a.position < site.position
                                && !exclusive(&a.branches, &site.branches)
                        });
                    if !assigned {
                        if used_after {
                            unassigned.push(binding);
                        }
                        return false;
                    }
                    // A binding the awaited future may borrow stays in the
                    // state, in place, for as long as that future lives.
                    // One that may have been moved, and has drop glue, is
                    // held too when it can be kept in place: its slot's drop
                    // flag says at the end of its scope whether to drop it,
                    // as rustc's does.
                    pinned[binding]
                        || site.borrowed.contains(&binding)
                        || used_after
                        || (!resolved.bindings[binding].drop_free
                            && (!may_have_moved || (in_place[binding] && !moved_on_every_path)))
                })
                .collect();
            // Declaration order is binding order; drop order is its reverse.
            held.sort_by_key(|&binding| std::cmp::Reverse(resolved.declared_at[binding]));
            all_unassigned.push(unassigned);
            held
        })
        .collect();
    (carried, all_unassigned)
}

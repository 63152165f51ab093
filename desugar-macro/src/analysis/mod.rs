//! Analysis: what each suspended state must hold.
//!
//! [`scope`] resolves every name in the lowered body to the binding it
//! refers to and records, for each await point, the bindings in scope
//! there. [`liveness`] then decides which of those the state suspended at
//! that point stores, and [`pinning`] which locals must not move because
//! something stored borrows them.

mod liveness;
mod pinning;
mod scope;

use std::collections::HashMap;

use proc_macro2::{Ident, Span};
use quote::format_ident;
use syn::Signature;

use crate::lower::Lowered;

pub(crate) use scope::{Declaration, Scope, consumes_receiver};

/// Index of a binding in [`Analysis::bindings`].
pub(crate) type BindingId = usize;

/// A local variable, parameter, hoisted temporary or loop iterator.
pub(crate) struct Binding {
    /// The name, with the span it was declared with.
    pub(crate) ident: Ident,
    /// Declared `mut`.
    pub(crate) mutable: bool,
    /// Where the code generator re-declares it when resuming.
    pub(crate) scope: Scope,
    /// Known to have no drop glue (a literal, a reference, a primitive),
    /// so a state need not keep it just to drop it later.
    pub(crate) drop_free: bool,
    /// Declared without a value (`let x;`) and assigned later.
    pub(crate) deferred: bool,
}

/// The pinned locals (see [`pinning`]) and where the body names them.
#[derive(Default)]
pub(crate) struct Pins {
    /// Each pinned binding, its slot in the frame and how it was declared.
    pub(crate) slots: Vec<(BindingId, Ident, Declaration)>,
    /// The names (by address in the lowered body) that refer to a pinned
    /// binding, and which.
    pub(crate) mentions: HashMap<usize, BindingId>,
    /// The macros (by address) whose arguments name pinned bindings, and
    /// those names.
    pub(crate) in_macros: HashMap<usize, Vec<(Ident, BindingId)>>,
    /// The pinned bindings the body moves out somewhere: their slots keep a
    /// drop flag (filled in by `codegen::pin_locals`).
    pub(crate) moved: std::collections::HashSet<BindingId>,
    /// For each slot, its group: slots of one group share their storage
    /// (a union), as no two of their locals are ever in scope at once.
    pub(crate) groups: Vec<usize>,
    /// The names (by address) that are the last use of their pinned
    /// binding on every path: no other mention of it can run after them.
    /// Only there may a use whose mode the syntax does not tell (a method
    /// named like a consuming one, a call of the local) move the value out:
    /// a later use would show that it did not.
    pub(crate) last_uses: std::collections::HashSet<usize>,
    /// Whether an `async` block takes a pinned local by value (filled in by
    /// `codegen::pin_locals`): the expansion then needs `__Captured`.
    pub(crate) captures: bool,
}

impl Pins {
    /// The slot of a pinned binding.
    pub(crate) fn slot(&self, binding: BindingId) -> Option<&Ident> {
        self.slots
            .iter()
            .find(|(b, ..)| *b == binding)
            .map(|(_, slot, _)| slot)
    }
}

/// A parameter of the function, as the `Start` state holds it.
pub(crate) struct Param {
    /// The field of `Start` holding the argument.
    pub(crate) field: Ident,
    /// The binding holding the argument: the parameter's name, or for a
    /// pattern the hidden `__argN` it is matched from.
    pub(crate) binding: BindingId,
}

/// Where the function can be resumed: an await point, or a transit point
/// (see `lower::transit`), by its number among its kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PointKind {
    /// Suspended at await point `N`.
    Await(usize),
    /// At the top of the body of loop `N`.
    Loop(usize),
    /// After branching construct `N`, with its value.
    Join(usize),
    /// Entering shared branch `N`: the `else` of an `if`, or the right
    /// operand of `&&` / `||`, whose condition awaits.
    Branch(usize),
}

/// A state of the machine besides `Start`, `Done` and `Poisoned`.
pub(crate) struct Point {
    pub(crate) kind: PointKind,
    /// The bindings the state holds, in the order a native future drops
    /// them when cancelled there: the innermost, most recent first.
    pub(crate) carried: Vec<BindingId>,
    /// The bindings declared with `let x;` that are still unassigned there
    /// but assigned after it: the resumed code declares them again.
    pub(crate) unassigned: Vec<BindingId>,
    /// For an await point, the held bindings its future may borrow, in
    /// declaration order: the future is made from them where they lie.
    pub(crate) borrowed: Vec<BindingId>,
}

/// The result of the analysis.
pub(crate) struct Analysis {
    /// Every binding of the body, parameters first.
    pub(crate) bindings: Vec<Binding>,
    /// The parameters, in order.
    pub(crate) params: Vec<Param>,
    /// The states after `Start`, in evaluation order.
    pub(crate) points: Vec<Point>,
    /// Names to give bindings in the lowered body, by the address of each
    /// of their occurrences (see [`rename_shadowed`]).
    pub(crate) renames: HashMap<usize, Ident>,
    /// The locals kept in place in the frame.
    pub(crate) pins: Pins,
}

impl Analysis {
    /// The index in [`Analysis::points`] of a point.
    pub(crate) fn point(&self, kind: PointKind) -> usize {
        self.points
            .iter()
            .position(|p| p.kind == kind)
            .expect("every marked point was resolved")
    }
}

/// Resolves the body and computes what each state holds.
pub(crate) fn analyse(sig: &Signature, lowered: &Lowered) -> syn::Result<Analysis> {
    let mut resolved = scope::resolve(sig, &lowered.body)?;
    // Pinning a local makes every state in its scope hold it, and what they
    // hold may pin more: iterate to a fixed point.
    let pinning = pinning::Pinning::new(&resolved);
    let mut pinned = vec![false; resolved.bindings.len()];
    let (carried, unassigned) = loop {
        let (carried, unassigned) = liveness::carried(&resolved, &pinned, &pinning.in_place);
        let more = pinning.pinned(&resolved, &carried);
        if more.iter().zip(&pinned).all(|(m, p)| !m || *p) {
            break (carried, unassigned);
        }
        pinned.iter_mut().zip(more).for_each(|(p, m)| *p |= m);
    };
    let pins = pins(&resolved, &pinned)?;
    let renames = rename_shadowed(&mut resolved, &carried, lowered)?;
    let points = resolved
        .sites
        .iter()
        .zip(carried)
        .zip(unassigned)
        .map(|(((kind, site), carried), unassigned)| Point {
            kind: *kind,
            // A future that borrows locals is made after the state holds
            // them, so it reaches every held local it names in place.
            // A pinned local is in place already.
            borrowed: if site
                .borrowed
                .iter()
                .any(|&b| carried.contains(&b) && !pinned[b])
            {
                site.named
                    .iter()
                    .copied()
                    .filter(|&b| carried.contains(&b) && !pinned[b])
                    .collect()
            } else {
                Vec::new()
            },
            carried,
            unassigned,
        })
        .collect();
    Ok(Analysis {
        bindings: resolved.bindings,
        params: resolved.params,
        points,
        renames,
        pins,
    })
}

/// Where the pinned bindings are declared and named, or why one of them
/// cannot be kept in place.
fn pins(resolved: &scope::Resolved, pinned: &[bool]) -> syn::Result<Pins> {
    let mut pins = Pins::default();
    let mut errors: Option<syn::Error> = None;
    let mut taken = std::collections::HashSet::new();
    for binding in (0..pinned.len()).filter(|&b| pinned[b]) {
        if let Some(error) = pinning::unsupported(resolved, binding) {
            match &mut errors {
                Some(errors) => errors.combine(error),
                None => errors = Some(error),
            }
            continue;
        }
        let base = resolved.bindings[binding]
            .ident
            .to_string()
            .trim_start_matches("r#")
            .to_owned();
        let mut name = base.clone();
        let mut n = 1;
        while !taken.insert(name.clone()) {
            name = format!("{base}{n}");
            n += 1;
        }
        let slot = Ident::new(&name, Span::mixed_site());
        pins.slots
            .push((binding, slot, resolved.declarations[binding]));
    }
    pins.groups = slot_groups(resolved, &pins.slots);
    for mention in &resolved.mentions {
        if !pinned[mention.binding] {
            continue;
        }
        if let Some(site) = mention.site {
            pins.mentions.insert(site, mention.binding);
            if is_last_use(resolved, mention) {
                pins.last_uses.insert(site);
            }
        } else if let Some(mac) = mention.in_macro {
            let names = pins.in_macros.entry(mac).or_default();
            let ident = resolved.bindings[mention.binding].ident.clone();
            if !names.iter().any(|(name, _)| *name == ident) {
                names.push((ident, mention.binding));
            }
        }
    }
    errors.map_or(Ok(pins), Err)
}

/// Groups the slots so that the locals of one group are never in scope at
/// the same time, and can share their storage, as rustc overlaps the locals
/// of a coroutine whose storage is never live at once: two locals overlap
/// when one is in scope where the other is declared (`{ let a; } { let b;
/// }` do not). Greedy, in declaration order: each slot joins the first
/// group none of whose locals it overlaps.
fn slot_groups(
    resolved: &scope::Resolved,
    slots: &[(BindingId, Ident, Declaration)],
) -> Vec<usize> {
    let overlap = |a: BindingId, b: BindingId| {
        resolved.in_scope_at[a].contains(&b) || resolved.in_scope_at[b].contains(&a)
    };
    let mut members: Vec<Vec<BindingId>> = Vec::new();
    slots
        .iter()
        .map(|&(binding, ..)| {
            let group = members
                .iter()
                .position(|group| group.iter().all(|&other| !overlap(binding, other)))
                .unwrap_or(members.len());
            if group == members.len() {
                members.push(Vec::new());
            }
            members[group].push(binding);
            group
        })
        .collect()
}

/// Whether no other mention of `mention`'s binding can run after it: none
/// at a later position on a path that can follow it, and none in a loop
/// around both that was entered after the binding was declared.
fn is_last_use(resolved: &scope::Resolved, mention: &scope::Mention) -> bool {
    let binding = mention.binding;
    !resolved.mentions.iter().any(|other| {
        other.binding == binding
            && !std::ptr::eq(other, mention)
            && ((other.position > mention.position
                && !scope::exclusive(&other.branches, &mention.branches))
                || other.loops.iter().any(|l| {
                    mention.loops.contains(l)
                        && resolved.loop_starts[*l] > resolved.declared_at[binding]
                }))
    })
}

/// A state is filled by naming each local at the point it moves into it.
/// A local that must stay alive across that point but is shadowed there by
/// a later binding of the same name cannot be named, so one of the two is
/// renamed in the lowered body: the later one if every use of it is a plain
/// name we can rewrite, else the earlier one. When neither can be (a use
/// inside a macro's arguments, a parameter), that is an error.
fn rename_shadowed(
    resolved: &mut scope::Resolved,
    carried: &[Vec<BindingId>],
    lowered: &Lowered,
) -> syn::Result<HashMap<usize, Ident>> {
    let renamable = |resolved: &scope::Resolved, binding: BindingId| {
        resolved.declared_site[binding].is_some()
            && resolved
                .mentions
                .iter()
                .filter(|m| m.binding == binding)
                .all(|m| m.site.is_some())
    };
    let mut renames = HashMap::new();
    let mut errors: Option<syn::Error> = None;
    let mut count = 0_usize;
    for (point, held) in carried.iter().enumerate() {
        for &binding in held {
            for other in resolved.sites[point].1.in_scope.clone() {
                let ident = resolved.bindings[binding].ident.to_string();
                let shadows = other != binding
                    && resolved.declared_at[other] > resolved.declared_at[binding]
                    && resolved.bindings[other].ident == ident;
                if !shadows {
                    continue;
                }
                let victim = if renamable(resolved, other) {
                    other
                } else if renamable(resolved, binding) {
                    binding
                } else {
                    let place = match resolved.sites[point].0 {
                        PointKind::Await(k) => lowered.awaits[k].line.map_or_else(
                            || "an `.await`".to_owned(),
                            |line| format!("the `.await` on line {line}"),
                        ),
                        PointKind::Loop(_) | PointKind::Join(_) | PointKind::Branch(_) => {
                            "a later `.await`".to_owned()
                        }
                    };
                    let error = syn::Error::new(
                        resolved.bindings[binding].ident.span(),
                        format!(
                            "`#[desugar]` cannot keep `{ident}` alive across {place}: it is \
                             shadowed there by another `{ident}` that a macro names; rename one \
                             of them"
                        ),
                    );
                    match &mut errors {
                        Some(errors) => errors.combine(error),
                        None => errors = Some(error),
                    }
                    continue;
                };
                count += 1;
                let new = format_ident!(
                    "{}_{}",
                    ident.trim_start_matches("r#"),
                    count,
                    span = Span::mixed_site()
                );
                let sites: Vec<usize> = resolved.declared_site[victim]
                    .into_iter()
                    .chain(
                        resolved
                            .mentions
                            .iter()
                            .filter(|m| m.binding == victim)
                            .filter_map(|m| m.site),
                    )
                    .collect();
                for address in sites {
                    renames.insert(address, new.clone());
                }
                resolved.bindings[victim].ident = new;
            }
        }
    }
    errors.map_or(Ok(renames), Err)
}

//! The names the generated code uses.
//!
//! Items (the state enum, its projection, the future type) are declared
//! inside the function's body, so they cannot clash with anything outside
//! it; they carry the function's name so that error messages say whose
//! state they are, and a `__` prefix so that they cannot clash with a name
//! the body uses. Locals and labels the generator introduces use
//! [`Span::mixed_site`], so user code can neither see nor shadow them.
//!
//! The state enum is generic over the type of everything it holds, since
//! the macro cannot name those types; each parameter is named after what it
//! holds: `F0` for the future awaited at await point 0, `Data` for a local
//! `data`.

use std::collections::HashSet;

use proc_macro2::{Ident, Span};
use quote::format_ident;

use crate::analysis::{Analysis, BindingId, PointKind};

/// Names of the generated items, type parameters and fields.
pub(super) struct Names {
    /// The state enum, e.g. `__ExampleState`.
    pub(super) state: Ident,
    /// The projection of a pinned state, e.g. `__ExampleStateProj`.
    pub(super) projection: Ident,
    /// The future type, e.g. `__ExampleFuture`.
    pub(super) future: Ident,
    /// The variant of each point (`Await0`, `Loop0`, `Join0`), in the
    /// order of `Analysis::points`.
    pub(super) variants: Vec<Ident>,
    /// The type parameter of what each point holds besides locals: the
    /// awaited future (`F0`) or the joined value (`V0`).
    pub(super) values: Vec<Option<Ident>>,
    /// The type parameter of each argument, as `Start` holds it.
    pub(super) param_types: Vec<Ident>,
    /// The type parameter of each binding held by some state.
    pub(super) types: Vec<Option<Ident>>,
    /// The field of each binding held by some state.
    pub(super) fields: Vec<Option<Ident>>,
    /// The type parameters of the state enum, in order: the parameters'
    /// types, then the futures', then the locals'.
    pub(super) generics: Vec<Ident>,
    /// The struct of the pinned locals' slots, e.g. `__ExampleSlots`, when
    /// there are any (see `pinned`).
    pub(super) slots: Option<Ident>,
    /// Whether each binding is pinned, and whether it is moved out somewhere
    /// (its marker then keeps a drop flag).
    pinned: Vec<bool>,
    moved: Vec<bool>,
}

impl Names {
    pub(super) fn new(function: &Ident, analysis: &Analysis) -> Names {
        let camel = camel_case(&function.to_string());
        let mut taken: HashSet<String> = ["R", "O", "M"].into_iter().map(str::to_owned).collect();
        let mut field_names: HashSet<String> =
            HashSet::from(["__awaitee".to_owned(), "__value".to_owned()]);
        let mut types = vec![None; analysis.bindings.len()];
        let mut fields = vec![None; analysis.bindings.len()];

        // The arguments, as `Start` holds them.
        let mut generics = Vec::new();
        for param in &analysis.params {
            let name = Ident::new(
                &unique(&mut taken, &camel_case(&param.field.to_string())),
                Span::call_site(),
            );
            field_names.insert(param.field.to_string());
            types[param.binding] = Some(name.clone());
            fields[param.binding] = Some(param.field.clone());
            generics.push(name);
        }

        // The states: a variant each, and the type of what it waits on.
        let mut variants = Vec::new();
        let mut values = Vec::new();
        for point in &analysis.points {
            let (variant, value) = match point.kind {
                PointKind::Await(k) => (format_ident!("Await{}", k), Some(format!("F{k}"))),
                PointKind::Loop(n) => (format_ident!("Loop{}", n), None),
                PointKind::Join(n) => (format_ident!("Join{}", n), Some(format!("V{n}"))),
                PointKind::Branch(n) => (format_ident!("Branch{}", n), None),
            };
            variants.push(variant);
            let value = value.map(|v| Ident::new(&unique(&mut taken, &v), Span::call_site()));
            generics.extend(value.clone());
            values.push(value);
        }

        // The locals some state holds, in declaration order.
        // (A pinned local is held by some state; its slot needs a type even
        // if that ever changed.)
        let mut held: Vec<BindingId> = analysis
            .points
            .iter()
            .flat_map(|p| p.carried.iter().copied())
            .chain(analysis.pins.slots.iter().map(|(b, ..)| *b))
            .collect();
        held.sort_unstable();
        held.dedup();
        for binding in held {
            if types[binding].is_some() {
                continue;
            }
            let ident = &analysis.bindings[binding].ident;
            let base = ident.to_string();
            let name = Ident::new(&unique(&mut taken, &camel_case(&base)), Span::call_site());
            let field = unique(&mut field_names, &base);
            fields[binding] = Some(if field == base {
                ident.clone()
            } else {
                Ident::new(&field, Span::mixed_site())
            });
            types[binding] = Some(name.clone());
            generics.push(name);
        }

        let mut pinned = vec![false; analysis.bindings.len()];
        for (binding, ..) in &analysis.pins.slots {
            pinned[*binding] = true;
        }
        let mut moved = vec![false; analysis.bindings.len()];
        for &binding in &analysis.pins.moved {
            moved[binding] = true;
        }
        Names {
            slots: (!analysis.pins.slots.is_empty()).then(|| slots(function)),
            pinned,
            moved,
            state: format_ident!("__{}State", camel),
            projection: format_ident!("__{}StateProj", camel),
            future: format_ident!("__{}Future", camel),
            variants,
            values,
            param_types: analysis
                .params
                .iter()
                .map(|p| types[p.binding].clone().expect("a parameter has a type"))
                .collect(),
            types,
            fields,
            generics,
        }
    }

    /// The state's method `{role}awaitN` for point `p` (`await0`,
    /// `hold_await0`, `lend_await0`, ...): the caller and the `impl` name
    /// it here alike.
    pub(super) fn point_method(&self, role: &str, p: usize) -> Ident {
        let variant = self.variants[p].to_string().to_lowercase();
        quote::format_ident!("{role}{variant}")
    }

    /// The type parameter of an await point's future.
    pub(super) fn future_of(&self, point: usize) -> &Ident {
        self.values[point]
            .as_ref()
            .expect("an await point has a future")
    }

    /// The field holding `binding`.
    pub(super) fn field(&self, binding: BindingId) -> &Ident {
        self.fields[binding]
            .as_ref()
            .expect("a held binding has a field")
    }

    /// The type of `binding`'s field in a state: its type parameter, or the
    /// handle to its slot for a pinned local.
    pub(super) fn field_ty(&self, binding: BindingId) -> proc_macro2::TokenStream {
        let ty = self.ty(binding);
        if self.pinned[binding] {
            let flag = if self.moved[binding] {
                quote::quote!(bool)
            } else {
                quote::quote!(())
            };
            quote::quote!(__InSlot<#ty, #flag>)
        } else {
            quote::quote!(#ty)
        }
    }

    /// Whether `binding` is pinned (see `pinned`).
    pub(super) fn is_pinned(&self, binding: BindingId) -> bool {
        self.pinned[binding]
    }

    /// The type parameter of `binding`.
    pub(super) fn ty(&self, binding: BindingId) -> &Ident {
        self.types[binding]
            .as_ref()
            .expect("a held binding has a type")
    }
}

/// The struct of a function's pinned locals' slots, e.g. `__ExampleSlots`.
pub(super) fn slots(function: &Ident) -> Ident {
    format_ident!("__{}Slots", camel_case(&function.to_string()))
}

fn unique(taken: &mut HashSet<String>, base: &str) -> String {
    let mut name = base.to_owned();
    let mut n = 1;
    while !taken.insert(name.clone()) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

/// `fetch_data` -> `FetchData`, `__tmp0` -> `Tmp0`.
pub(super) fn camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name
        .trim_start_matches('_')
        .trim_start_matches("r#")
        .chars()
    {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    match out.as_str() {
        "" => "Value".to_owned(),
        // `__self`, the receiver: `Self` is a keyword.
        "Self" => "Receiver".to_owned(),
        _ => out,
    }
}

//! The operands of an expression, in the order Rust evaluates them.
//!
//! Lowering, analysis and code generation all walk "the operands of this
//! node": to hoist the ones before an `.await`, to re-enter the one that
//! holds an await point, to see whether one diverges. This is the one
//! place that says which they are. `&&`, `||`, `if`, `match`, loops and
//! blocks are not here: their parts run conditionally, and each walk
//! handles them itself.

use syn::Expr;

/// The operands of an expression, in evaluation order.
pub(crate) fn operands(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Array(e) => e.elems.iter().collect(),
        Expr::Tuple(e) => e.elems.iter().collect(),
        Expr::Call(e) => std::iter::once(&*e.func).chain(&e.args).collect(),
        Expr::MethodCall(e) => std::iter::once(&*e.receiver).chain(&e.args).collect(),
        Expr::Binary(e) => vec![&e.left, &e.right],
        Expr::Index(e) => vec![&e.expr, &e.index],
        Expr::Assign(e) => vec![&e.right, &e.left],
        Expr::Struct(e) => e
            .fields
            .iter()
            .map(|f| &f.expr)
            .chain(e.rest.as_deref())
            .collect(),
        Expr::Range(e) => e.start.iter().chain(&e.end).map(|e| &**e).collect(),
        Expr::Await(e) => vec![&e.base],
        Expr::Cast(e) => vec![&e.expr],
        Expr::Field(e) => vec![&e.base],
        Expr::Paren(e) => vec![&e.expr],
        Expr::Group(e) => vec![&e.expr],
        Expr::Reference(e) => vec![&e.expr],
        Expr::RawAddr(e) => vec![&e.expr],
        Expr::Unary(e) => vec![&e.expr],
        Expr::Try(e) => vec![&e.expr],
        Expr::Repeat(e) => vec![&e.expr],
        Expr::Let(e) => vec![&e.expr],
        Expr::Return(e) => e.expr.iter().map(|e| &**e).collect(),
        Expr::Break(e) => e.expr.iter().map(|e| &**e).collect(),
        _ => Vec::new(),
    }
}

/// [`operands`], mutably, in the same order.
pub(crate) fn operands_mut(expr: &mut Expr) -> Vec<&mut Expr> {
    match expr {
        Expr::Array(e) => e.elems.iter_mut().collect(),
        Expr::Tuple(e) => e.elems.iter_mut().collect(),
        Expr::Call(e) => std::iter::once(&mut *e.func).chain(&mut e.args).collect(),
        Expr::MethodCall(e) => std::iter::once(&mut *e.receiver)
            .chain(&mut e.args)
            .collect(),
        Expr::Binary(e) => vec![&mut e.left, &mut e.right],
        Expr::Index(e) => vec![&mut e.expr, &mut e.index],
        Expr::Assign(e) => vec![&mut e.right, &mut e.left],
        Expr::Struct(e) => e
            .fields
            .iter_mut()
            .map(|f| &mut f.expr)
            .chain(e.rest.as_deref_mut())
            .collect(),
        Expr::Range(e) => e
            .start
            .iter_mut()
            .chain(&mut e.end)
            .map(|e| &mut **e)
            .collect(),
        Expr::Await(e) => vec![&mut e.base],
        Expr::Cast(e) => vec![&mut e.expr],
        Expr::Field(e) => vec![&mut e.base],
        Expr::Paren(e) => vec![&mut e.expr],
        Expr::Group(e) => vec![&mut e.expr],
        Expr::Reference(e) => vec![&mut e.expr],
        Expr::RawAddr(e) => vec![&mut e.expr],
        Expr::Unary(e) => vec![&mut e.expr],
        Expr::Try(e) => vec![&mut e.expr],
        Expr::Repeat(e) => vec![&mut e.expr],
        Expr::Let(e) => vec![&mut e.expr],
        Expr::Return(e) => e.expr.iter_mut().map(|e| &mut **e).collect(),
        Expr::Break(e) => e.expr.iter_mut().map(|e| &mut **e).collect(),
        _ => Vec::new(),
    }
}

/// `&&` or `||`: the right operand runs only sometimes.
pub(crate) fn is_lazy(op: &syn::BinOp) -> bool {
    matches!(op, syn::BinOp::And(_) | syn::BinOp::Or(_))
}

/// `+=` and its kin: the left operand is a place, assigned in place.
pub(crate) fn is_compound_assignment(op: &syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}

/// The name a macro is called by, without its path: `println` for
/// `std::println!`. Empty for an empty path, which does not parse anyway.
pub(crate) fn macro_name(mac: &syn::Macro) -> String {
    mac.path
        .segments
        .last()
        .map(|segment| segment.ident.to_string())
        .unwrap_or_default()
}

/// Whether `test` holds for `pat` or for a pattern in it: the parts of a
/// tuple, struct, tuple struct or slice pattern, the alternatives of a `|`,
/// the subpattern of `x @ ..`, under a type or parentheses (not behind a
/// `&`, whose parts the pattern does not own). `test` answers for a node,
/// or says `None` to look into its parts.
pub(crate) fn any_part(pat: &syn::Pat, test: &dyn Fn(&syn::Pat) -> Option<bool>) -> bool {
    use syn::Pat;
    if let Some(answer) = test(pat) {
        return answer;
    }
    let part = |part: &Pat| any_part(part, test);
    match pat {
        Pat::Ident(ident) => ident.subpat.as_ref().is_some_and(|(_, sub)| part(sub)),
        Pat::Type(typed) => part(&typed.pat),
        Pat::Paren(paren) => part(&paren.pat),
        Pat::Tuple(tuple) => tuple.elems.iter().any(part),
        Pat::TupleStruct(tuple) => tuple.elems.iter().any(part),
        Pat::Slice(slice) => slice.elems.iter().any(part),
        Pat::Or(or) => or.cases.iter().any(part),
        Pat::Struct(s) => s.fields.iter().any(|field| part(&field.pat)),
        _ => false,
    }
}

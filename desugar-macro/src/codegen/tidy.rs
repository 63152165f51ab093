//! Small rewrites of generated syntax: what an arm looks like once
//! written (markers removed, blocks flattened, unreachable pieces left
//! out), and the tests they need.

use proc_macro2::{Ident, Span, TokenStream};
use quote::ToTokens;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Stmt};

use super::flow::diverges;
use crate::lower::{strip_marker, strip_transit_markers};

/// Leaves out a `let x;` whose assignment the arm never reaches: it
/// declares a local of a type nothing there infers.
pub(super) fn prune_unassigned(stmts: &mut Vec<Stmt>) {
    let mut i = 0;
    while i < stmts.len() {
        let unused = match &stmts[i] {
            Stmt::Local(local) if local.init.is_none() => match &local.pat {
                syn::Pat::Ident(ident) => !stmts[i + 1..]
                    .iter()
                    .any(|stmt| mentions(stmt.to_token_stream(), &ident.ident)),
                _ => false,
            },
            _ => false,
        };
        if unused {
            stmts.remove(i);
        } else {
            i += 1;
        }
    }
}

/// Whether `tokens` name `ident`.
pub(super) fn mentions(tokens: TokenStream, ident: &Ident) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(other) => other == *ident,
        proc_macro2::TokenTree::Group(group) => mentions(group.stream(), ident),
        _ => false,
    })
}

/// Writes each named borrowed local as a place behind the async closure's
/// argument: `buf` becomes `(*buf)`, the same place, of the same type.
pub(super) struct InPlace<'a>(pub(super) &'a [Ident]);

impl VisitMut for InPlace<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Path(path) = expr
            && path.qself.is_none()
            && let Some(ident) = path.path.get_ident()
            && self.0.contains(ident)
        {
            *expr = syn::parse_quote!((*#ident));
            return;
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        let tokens = std::mem::take(&mut mac.tokens);
        mac.tokens = names_in_tokens(tokens, self.0, &mut |ident| quote::quote!((*#ident)));
    }

    /// A `let` in the block that binds one of the names shadows it for the
    /// rest of the block: that name is a local of its own there.
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let mut names = self.0.to_vec();
        for stmt in &mut block.stmts {
            let mut inner = InPlace(&names);
            match stmt {
                syn::Stmt::Local(local) => {
                    if let Some(init) = &mut local.init {
                        inner.visit_expr_mut(&mut init.expr);
                        if let Some((_, diverge)) = &mut init.diverge {
                            inner.visit_expr_mut(diverge);
                        }
                    }
                    let mut bound = Vec::new();
                    pattern_names(&local.pat, &mut bound);
                    names.retain(|name| !bound.contains(name));
                }
                other => inner.visit_stmt_mut(other),
            }
        }
    }

    /// A closure's parameters shadow the names in its body.
    fn visit_expr_closure_mut(&mut self, closure: &mut syn::ExprClosure) {
        let mut bound = Vec::new();
        for input in &closure.inputs {
            pattern_names(input, &mut bound);
        }
        let names: Vec<Ident> = self
            .0
            .iter()
            .filter(|name| !bound.contains(name))
            .cloned()
            .collect();
        InPlace(&names).visit_expr_mut(&mut closure.body);
    }
}

/// The names a pattern binds, pushed to `out`.
fn pattern_names(pat: &syn::Pat, out: &mut Vec<Ident>) {
    struct Names<'a>(&'a mut Vec<Ident>);
    impl<'ast> syn::visit::Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, pat: &'ast syn::PatIdent) {
            self.0.push(pat.ident.clone());
            syn::visit::visit_pat_ident(self, pat);
        }
    }
    syn::visit::Visit::visit_pat(&mut Names(out), pat);
}

/// A macro's tokens with each of `names` that is used as a value written
/// as `with` says (not a field or method name after `.`, not a path
/// segment, not a format argument's name, not inside `stringify!`, which
/// shows the code as written).
pub(super) fn names_in_tokens(
    tokens: TokenStream,
    names: &[Ident],
    with: &mut dyn FnMut(&Ident) -> TokenStream,
) -> TokenStream {
    use proc_macro2::{Group, Spacing, TokenTree};
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
    let punct = |token: Option<&TokenTree>, chars: &[char]| matches!(token, Some(TokenTree::Punct(p)) if chars.contains(&p.as_char()));
    for (i, token) in tokens.iter().enumerate() {
        let before = i.checked_sub(1).and_then(|j| tokens.get(j));
        let after = tokens.get(i + 1);
        match token {
            TokenTree::Group(_)
                if punct(before, &['!'])
                    && matches!(i.checked_sub(2).and_then(|j| tokens.get(j)),
                        Some(TokenTree::Ident(m)) if m == "stringify") =>
            {
                out.push(token.clone());
            }
            TokenTree::Group(group) => {
                let mut new = Group::new(
                    group.delimiter(),
                    names_in_tokens(group.stream(), names, with),
                );
                new.set_span(group.span());
                out.push(TokenTree::Group(new));
            }
            TokenTree::Ident(ident)
                if names.contains(ident)
                    && !punct(before, &['.', ':'])
                    && !punct(after, &['!', ':'])
                    // `name = value` among a format string's arguments
                    && !matches!(after, Some(TokenTree::Punct(p))
                        if p.as_char() == '=' && p.spacing() == Spacing::Alone) =>
            {
                out.extend(with(ident));
            }
            other => out.push(other.clone()),
        }
    }
    out.into_iter().collect()
}

/// Where an expression would leave the expression it is in (`return`,
/// `break`, `continue`, or `?` already spelled out as a `return`), if it
/// does, outside closures and async blocks.
pub(super) fn leaves_expression(expr: &Expr) -> Option<Span> {
    struct Finder(Option<Span>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr(&mut self, node: &'ast Expr) {
            if self.0.is_some() {
                return;
            }
            match node {
                Expr::Return(e) => self.0 = Some(e.return_token.span),
                Expr::Break(e) => self.0 = Some(e.break_token.span),
                Expr::Continue(e) => self.0 = Some(e.continue_token.span),
                Expr::Closure(_) | Expr::Async(_) => {}
                other => syn::visit::visit_expr(self, other),
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(None);
    finder.visit_expr(expr);
    finder.0
}

/// A loop or block keeps its label only while something still breaks to
/// it: an arm may have cut the `break` away with the code after a
/// suspension.
pub(super) fn strip_unused_label(expr: &mut Expr) {
    let (label, stmts) = match expr {
        Expr::Loop(e) => (&mut e.label, &e.body.stmts),
        Expr::While(e) => (&mut e.label, &e.body.stmts),
        Expr::ForLoop(e) => (&mut e.label, &e.body.stmts),
        Expr::Block(e) => (&mut e.label, &e.block.stmts),
        _ => return,
    };
    if let Some(name) = label.as_ref().map(|l| l.name.clone())
        && !super::flow::breaks_to(stmts, Some(&name))
    {
        *label = None;
    }
}

/// Whether a condition, when it finishes, is always `false`: a chain of
/// `&&` where some test suspends (or is itself always false).
pub(super) fn only_false(cond: &Expr) -> bool {
    match cond {
        Expr::Binary(e) if matches!(e.op, syn::BinOp::And(_)) => {
            only_false(&e.left) || only_false(&e.right) || diverges(&e.right)
        }
        Expr::Paren(e) => only_false(&e.expr),
        _ => false,
    }
}

/// Whether a condition, when it finishes, is always `true` (see [`only_false`]).
pub(super) fn only_true(cond: &Expr) -> bool {
    match cond {
        Expr::Binary(e) if matches!(e.op, syn::BinOp::Or(_)) => {
            only_true(&e.left) || only_true(&e.right) || diverges(&e.right)
        }
        Expr::Paren(e) => only_true(&e.expr),
        _ => false,
    }
}

/// The scrutinee of a `let` condition, or the condition itself.
pub(super) fn unwrap_let(cond: Expr) -> Expr {
    match cond {
        Expr::Let(e) => *e.expr,
        other => other,
    }
}

/// A `let` whose initializer never finishes binds nothing: it is just its
/// initializer (which also keeps an uninferable pattern out of the code).
pub(super) fn prune_let(stmt: Stmt) -> Stmt {
    match stmt {
        Stmt::Local(local) if local.init.as_ref().is_some_and(|init| diverges(&init.expr)) => {
            let init = local.init.expect("checked");
            Stmt::Expr(*init.expr, Some(local.semi_token))
        }
        other => other,
    }
}

/// A statement that no longer ends its block gets its semicolon: a
/// rewrite can turn a block-like statement (`if .. {}`) into a plain
/// expression, which needs one before the next statement.
pub(super) fn terminate(stmt: Stmt, last: bool) -> Stmt {
    match stmt {
        Stmt::Expr(expr, None) if !last => Stmt::Expr(expr, Some(Default::default())),
        other => other,
    }
}

pub(super) fn block_expr(block: Block) -> Expr {
    Expr::Block(syn::ExprBlock {
        attrs: Vec::new(),
        label: None,
        block,
    })
}

/// The last touches to an arm: removes the inert markers lowering put on
/// await points and constructs, and flattens a block whose only content is
/// another block (re-entry nests them; both end at the same point, so
/// nothing is dropped at a different time).
pub(super) struct Tidy;

impl VisitMut for Tidy {
    fn visit_attributes_mut(&mut self, attrs: &mut Vec<syn::Attribute>) {
        strip_marker(attrs);
        strip_transit_markers(attrs);
    }

    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        visit_mut::visit_expr_method_call_mut(self, call);
        // `fill((value))`: the parentheses kept the value where it was in
        // the lowered body (`pinned::in_place`); the emitted code needs none.
        if (call.method == "fill" || call.method == "with")
            && call.args.len() == 1
            && let Some(Expr::Paren(paren)) = call.args.first_mut()
        {
            let inner = std::mem::replace(&mut *paren.expr, Expr::PLACEHOLDER);
            call.args[0] = inner;
        }
    }

    fn visit_block_mut(&mut self, block: &mut Block) {
        // Room lowering left for fills that were not needed (`lower::fills`).
        block
            .stmts
            .retain(|stmt| !crate::lower::is_placeholder(stmt));
        visit_mut::visit_block_mut(self, block);
        // A suspension's typed tail not kept on an operand: it goes, and the
        // suspension is `!` again (see `resume::typed`).
        drop_marked_tail(block);
        prune_unassigned(&mut block.stmts);
        // (A block statement ending in `;` whose inner block ends in a value
        // stays: flattened, the block would have that value.)
        while let [Stmt::Expr(Expr::Block(inner), semi)] = block.stmts.as_mut_slice()
            && inner.label.is_none()
            && inner.attrs.is_empty()
            && (semi.is_none() || !matches!(inner.block.stmts.last(), Some(Stmt::Expr(_, None))))
        {
            block.stmts = std::mem::take(&mut inner.block.stmts);
        }
    }
}

fn is_typed_tail(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|attr| attr.path().is_ident("__desugar_typed"))
}

/// Removes a suspension's typed tail that is still marked.
fn drop_marked_tail(block: &mut Block) {
    if let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.last()
        && is_typed_tail(&call.attrs)
    {
        block.stmts.pop();
    }
}

/// Makes the suspension `expr` (if it is one) `!` for good: its typed
/// tail goes, whether or not it was kept (see `resume::typed`).
pub(super) fn drop_typed_tail(expr: &mut Expr) {
    if let Expr::Block(block) = expr
        && let Some(Stmt::Expr(Expr::Call(call), None)) = block.block.stmts.last()
        && is_typed_tail(&call.attrs)
    {
        block.block.stmts.pop();
    }
}

/// Keeps the typed tail (see `resume::typed`) of each suspension that is
/// an operand of `expr`, when `expr` computes a value from its operands
/// (an operator, a call, a field, a literal of a compound type), by
/// taking its mark off. Called on an expression kept around a suspension
/// as the user wrote it, so that the suspension stands where their
/// `.await` did.
pub(super) fn keep_typed_operands(expr: &mut Expr) {
    // (`&&` and `||` take `bool`s, which `!` already is; their left side
    // may be what is left of a `let` scrutinee, typed otherwise.)
    let computes = matches!(
        expr,
        Expr::Binary(binary) if !matches!(binary.op, syn::BinOp::And(_) | syn::BinOp::Or(_))
    ) || matches!(
        expr,
        Expr::Unary(_)
            | Expr::Call(_)
            | Expr::MethodCall(_)
            | Expr::Field(_)
            | Expr::Index(_)
            | Expr::Cast(_)
            | Expr::Struct(_)
            | Expr::Tuple(_)
            | Expr::Array(_)
            | Expr::Reference(_)
            | Expr::Repeat(_)
            | Expr::Range(_)
    );
    if !computes {
        return;
    }
    for operand in crate::syntax::operands_mut(expr) {
        let mut operand: &mut Expr = operand;
        while let Expr::Paren(paren) = operand {
            operand = &mut paren.expr;
        }
        if let Expr::Block(block) = operand
            && let Some(Stmt::Expr(Expr::Call(call), None)) = block.block.stmts.last_mut()
        {
            call.attrs
                .retain(|attr| !attr.path().is_ident("__desugar_typed"));
        }
    }
}

//! Polling in place: which of the machine's two shapes a body gets.
//!
//! rustc resumes a coroutine in the middle of its control flow graph, and
//! after an `.await` whose future is ready at once, the code simply goes
//! on: no state is stored or read back, no dispatch is made. Rust source
//! has no `goto`, so `#[desugar]` writes one of two shapes:
//!
//! - **Polled in place**, the default. Each `.await` stores its future in
//!   the state and polls it right there, where the running code stands.
//!   If the future is ready, the code goes on with its output, as rustc's
//!   does. Only when it is pending does the arm hand the state the locals
//!   that live across the point and return `Pending`. The arm of that state
//!   re-enters the body at the point and runs on to the end, so code after
//!   an await point is written once in each arm that can reach it: a loop
//!   that awaits is written again in the arm of each of its await points.
//! - **With transit points** (see `transit`): each piece of code is written
//!   once, and reaching a loop or the code after a branch that awaited goes
//!   round the poll loop, through a state of its own. Every `.await` goes
//!   round it too, to the arm that polls its future.
//!
//! The first is as fast as rustc's machine (`cargo bench --bench
//! poll_cost`); a dispatch round the poll loop at every await and loop
//! head costs two to three times that in a tight loop, as LLVM does not
//! thread jumps through the `match` on the state. But code written twice
//! must mean the same thing twice, and in Rust it may not: every closure,
//! `async` block and item has a type of its own, so two copies of
//! `let f = || 1;` make two types, and a state field cannot hold both. A
//! body with any of them after its first `.await` (what runs before it is
//! written in the `Start` arm alone), or with a macro there that may expand
//! to one, keeps the transit points.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// Whether every part of `body` that may be written more than once keeps
/// its types there: no closure, `async` block or item, and only macros
/// known to expand to none that could reach a state. The statements before
/// the first that awaits run only from the start, so only the `Start` arm
/// writes them: anything goes there (`let add = |a, b| a + b;`).
pub(super) fn allows_copies(body: &syn::Block) -> bool {
    let mut finder = Finder { unique: false };
    body.stmts
        .iter()
        .skip_while(|stmt| !super::visit::stmt_contains_await(stmt))
        .for_each(|stmt| finder.visit_stmt(stmt));
    !finder.unique
}

struct Finder {
    /// Found something whose type is its own.
    unique: bool,
}

/// Macros whose value has a type that no copy can change: the standard
/// formatting, assertion and panic macros, and the `log` and `tracing`
/// events (whose expansion has closures and statics, but whose value is
/// `()`). `vec!` and `dbg!` give back what they are given, so their
/// arguments count.
const KNOWN_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "concat",
    "debug",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "eprint",
    "eprintln",
    "error",
    "event",
    "format",
    "info",
    "matches",
    "panic",
    "print",
    "println",
    "stringify",
    "todo",
    "trace",
    "unimplemented",
    "unreachable",
    "warn",
    "write",
    "writeln",
];

/// Macros that give back a value built from their arguments.
const PASSING_MACROS: &[&str] = &["vec", "dbg"];

impl Finder {
    fn mac(&mut self, mac: &syn::Macro) {
        let Some(name) = mac.path.segments.last().map(|s| s.ident.to_string()) else {
            return;
        };
        if PASSING_MACROS.contains(&name.as_str()) {
            self.unique |= may_make_a_type(mac.tokens.clone());
        } else if !KNOWN_MACROS.contains(&name.as_str()) {
            self.unique = true;
        }
    }
}

/// Whether tokens may hold a closure or an `async` block: a `|`, or the
/// `async` keyword.
fn may_make_a_type(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Punct(punct) => punct.as_char() == '|',
        TokenTree::Ident(ident) => ident == "async",
        TokenTree::Group(group) => may_make_a_type(group.stream()),
        TokenTree::Literal(_) => false,
    })
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {
        self.unique = true;
    }
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {
        self.unique = true;
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {
        self.unique = true;
    }
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.mac(mac);
        visit::visit_macro(self, mac);
    }
}

#[cfg(test)]
mod tests {
    use super::allows_copies;

    fn body(text: &str) -> syn::Block {
        syn::parse_str(text).expect("a block")
    }

    #[test]
    fn plain_code_and_known_macros_can_be_written_twice() {
        assert!(allows_copies(&body(
            "{ let x = f().await; println!(\"{x}\"); let v = vec![x, 2]; assert!(matches!(v[0], 1 | 2)); }"
        )));
    }

    #[test]
    fn what_runs_before_the_first_await_can_be_anything() {
        assert!(allows_copies(&body(
            "{ let add = |a: u32, b: u32| a + b; my_macro!(); let t = f().await; add(t, 1) }"
        )));
        assert!(!allows_copies(&body(
            "{ let t = f().await; let add = |a: u32, b: u32| a + b; add(t, 1) }"
        )));
    }

    #[test]
    fn a_closure_an_async_block_or_an_item_after_it_cannot() {
        assert!(!allows_copies(&body(
            "{ x.await; let f = || 1; g(f).await; }"
        )));
        assert!(!allows_copies(&body("{ x.await; async { 1 }.await; }")));
        assert!(!allows_copies(&body("{ x.await; if c { struct S; } }")));
    }

    #[test]
    fn nor_an_unknown_macro_or_a_closure_handed_back_by_vec_or_dbg() {
        assert!(!allows_copies(&body("{ x.await; my_macro!(x); }")));
        assert!(!allows_copies(&body(
            "{ x.await; let v = vec![|| 1]; y.await; }"
        )));
        assert!(!allows_copies(&body(
            "{ x.await; let f = dbg!(async { 1 }); f.await; }"
        )));
    }
}

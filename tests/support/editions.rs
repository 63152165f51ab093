//! The same test files run in editions 2018, 2021 and 2024 (see the
//! `[[test]]` targets in `Cargo.toml`), and a few cases use syntax that only
//! edition 2024 parses: `let` chains. [`edition_2024!`] keeps them out of
//! the older builds.
//!
//! There is no `cfg` for the edition, but `macro_rules!` fragments follow it:
//! from edition 2024 on, an `expr` fragment also matches `_`. So the macro
//! asks whether `_` is an expression here, and the tokens it guards are only
//! parsed when the answer is yes.

/// Expands to the items it is given in edition 2024, to nothing before.
#[allow(
    unused_macros,
    reason = "only the files with edition 2024 cases use it"
)]
macro_rules! edition_2024 {
    (@probe $underscore:expr; $($item:tt)*) => { $($item)* };
    (@probe _; $($item:tt)*) => {};
    ($($item:tt)*) => { edition_2024!(@probe _; $($item)*); };
}

pub(crate) use edition_2024;

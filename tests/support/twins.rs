//! Twins compared by hand, for what `differential!` cannot write: methods,
//! generic items, recursion. [`twins!`] writes the items once natively and
//! once under `#[desugar]`; [`same!`] makes the comparisons `differential!`
//! makes, for one call of each twin.

/// Writes the items once in `native` and once, under `#[desugar]`, in
/// `desugared`.
#[allow(unused_macros, reason = "only the files with hand-made twins use it")]
macro_rules! twins {
    ($($item:tt)*) => {
        pub(crate) mod native {
            #[allow(unused_imports)]
            use super::*;
            $($item)*
        }
        pub(crate) mod desugared {
            #[allow(unused_imports)]
            use super::*;
            #[::desugar::desugar]
            $($item)*
        }
    };
}

/// Compares the twins of one call: `$call` uses `$module` for the twin.
#[allow(unused_macros, reason = "only the files with hand-made twins use it")]
macro_rules! same {
    ($label:literal, $module:ident => $call:expr) => {{
        let native = || {
            use native as $module;
            $call
        };
        let desugared = || {
            use desugared as $module;
            $call
        };
        same_runs($label, native, desugared);
        same_cancellations($label, native, desugared);
        same_repolls($label, native, desugared);
    }};
}

pub(crate) use {same, twins};

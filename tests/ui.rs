//! ui tests: what `#[desugar]` says about input it cannot rewrite, and what
//! rustc says about the futures it generates.
//!
//! `ui/fail/` holds one concern per file, each opening with a comment saying
//! what it shows; its expected compiler output sits beside it as `.stderr`.
//! Every macro error should be a single error, in rustc's voice, at the
//! narrowest span, saying what to write instead. `ui/pass/` holds programs
//! that must compile: the seed example, a `#![deny(warnings)]` crate, and a
//! crate whose root shadows `core` and `std` (generated code names them only
//! as `::core` and `::std`).
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui`
//! and read every one before checking it in.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

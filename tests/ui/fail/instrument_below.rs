//! `#[tracing::instrument]` below `#[desugar]` would see a plain fn and
//! enter its span only while the future is made: refused, with the fix.

use desugar::desugar;

#[desugar]
#[tracing::instrument]
async fn instrumented(n: u32) -> u32 {
    n + 1
}

fn main() {
    let _ = instrumented(1);
}

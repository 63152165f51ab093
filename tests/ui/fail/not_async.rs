// `#[desugar]` on a function that is not `async`: the error points at `fn`.
use desugar::desugar;

#[desugar]
fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}

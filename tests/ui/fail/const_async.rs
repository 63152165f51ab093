// `const async fn` is not a thing: exactly one error, ours.
use desugar::desugar;

#[desugar]
const async fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}

// `trace` given twice: the error points at the second one.
use desugar::desugar;

#[desugar(trace, trace)]
async fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}

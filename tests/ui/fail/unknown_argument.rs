// An argument the attribute does not know: the error names it and lists `trace`.
use desugar::desugar;

#[desugar(fast)]
async fn answer() -> u32 {
    42
}

fn main() {
    let _ = answer();
}

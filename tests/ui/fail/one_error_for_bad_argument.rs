// Never fail empty: a bad argument is the only error, though callers call and await the fn.
use desugar::desugar;

#[desugar(fast)]
async fn fetch() -> u32 {
    42
}

#[desugar]
async fn double() -> u32 {
    fetch().await * 2
}

fn main() {
    let total = desugar::block_on(async { fetch().await + double().await });
    assert_eq!(total, 126);
}

// `#[desugar]` on an `impl` block: it goes on each `async fn` inside instead.
use desugar::desugar;

struct Counter;

#[desugar]
impl Counter {
    async fn next() -> u32 {
        1
    }
}

fn main() {
    let _ = Counter::next();
}

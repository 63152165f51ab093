// A method with a `self` receiver inside an `impl`: the receiver travels as `__self`.
use desugar::desugar;

struct Counter {
    count: u32,
}

impl Counter {
    #[desugar]
    async fn get(&self) -> u32 {
        self.count
    }
}

fn main() {
    let counter = Counter { count: 1 };
    let _ = counter.get();
}

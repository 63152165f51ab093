// The seed example: two awaits with a synchronous step between them.
use desugar::desugar;

struct Data(u32);

async fn fetch() -> Data {
    Data(20)
}

fn process(data: Data) -> u32 {
    data.0 + 1
}

async fn save(result: u32) -> u32 {
    result * 2
}

#[desugar]
async fn example() -> u32 {
    let data = fetch().await; // Start -> Await0
    let result = process(data); // synchronous, no state transition
    save(result).await // Await0 -> Await1
}

fn main() {
    assert_eq!(desugar::block_on(example()), 42);
}

// `#[desugar]` on a struct: it only goes on an `async fn`.
use desugar::desugar;

#[desugar]
struct Point {
    x: u32,
}

fn main() {
    let _ = Point { x: 1 }.x;
}

// An awaited future whose output borrows a local of the function: rustc's own
// lowering accepts it, but the state moves its locals between states, so the
// macro's check (an async closure's output cannot borrow its arguments) rejects
// it rather than let the reference dangle.
use desugar::desugar;

async fn first(values: &Vec<u8>) -> &u8 {
    &values[0]
}

#[desugar]
async fn head() -> u8 {
    let values = vec![1, 2, 3];
    let first = first(&values).await;
    *first
}

fn main() {
    let _ = head();
}

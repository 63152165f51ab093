// A local that is borrowed across an `.await` stays in place in the future for
// its whole scope, so it cannot be moved into an `async move` block, even after
// the borrow ends; the error says to borrow it or move a clone.
use desugar::desugar;

async fn tick() {}

#[desugar]
async fn hand_over() -> usize {
    let items = vec![1, 2, 3];
    let view = &items;
    tick().await;
    let n = view.len();
    let task = async move { items.len() };
    n + task.await
}

fn main() {
    let _ = hand_over();
}

// A local that is borrowed across an `.await` stays in place in the future for
// its whole scope. An `async move` block may take it whole, but one that names
// only a field of it takes that field alone (edition 2021 on), which its slot
// cannot give: the error says what to move instead.
use desugar::desugar;

async fn tick() {}

struct Pair {
    left: Vec<u32>,
    right: Vec<u32>,
}

#[desugar]
async fn hand_over() -> usize {
    let pair = Pair { left: vec![1, 2, 3], right: vec![4] };
    let view = &pair;
    tick().await;
    let n = view.right.len();
    let task = async move { pair.left.len() };
    n + task.await
}

fn main() {
    let _ = hand_over();
}

// A local borrowed across an `.await` is kept in its own slot; one bound by a
// pattern shares its declaration with others, so the macro asks for a plain
// `let` instead.
use desugar::desugar;

async fn tick() {}

#[desugar]
async fn pair() -> usize {
    let (items, count) = (vec![1, 2, 3], 3);
    let view = &items;
    tick().await;
    view.len() + count
}

fn main() {
    let _ = pair();
}

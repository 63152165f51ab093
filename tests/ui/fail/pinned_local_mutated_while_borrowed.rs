// `text` is borrowed by `view` across the `.await`, so it stays in place in the
// future and is reached through a reference rustc cannot check. The body is
// also compiled as its native `async` block (never run), so pushing to `text`
// while `view` still borrows it is rustc's own borrow error, at the user's code.
use desugar::desugar;

async fn tick() {}

#[desugar]
async fn grow() -> usize {
    let mut text = String::from("hello");
    let view = &text;
    tick().await;
    text.push('!');
    view.len()
}

fn main() {
    let _ = grow();
}

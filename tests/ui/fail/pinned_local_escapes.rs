// A borrow of a local that is kept in place must not outlive the future: the
// native twin of the body rejects returning it, as rustc rejects it in a plain
// `async fn`.
use desugar::desugar;

async fn tick() {}

#[desugar]
async fn escape() -> &'static str {
    let text = String::from("hello");
    let tail = &text[1..];
    tick().await;
    tail
}

fn main() {
    let _ = escape();
}

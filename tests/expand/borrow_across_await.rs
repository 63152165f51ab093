// `tail` points into `text`, and both live across the second `.await`, so
// `text` must not move: it stays in its slot in the pinned future, and the
// state holds a marker in its place. The body is also compiled as the native
// `async` block it is (never run), where rustc checks the borrows.
#[desugar::desugar]
async fn tail_len() -> (usize, usize, usize) {
    let text = fetch().await;
    let tail = &text[1..];
    let before = std::ptr::from_ref(&text) as usize;
    save(text.to_uppercase()).await;
    let after = std::ptr::from_ref(&text) as usize;
    (before, after, tail.len())
}

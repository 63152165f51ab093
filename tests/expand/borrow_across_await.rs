// `tail` points into `text` and both live across the second `.await`, so
// `text` must not move: it stays in its slot in the pinned future, and the
// states hold a handle to it. The body is also compiled as the native
// `async` block it is (never run), where rustc checks the borrows.
#[desugar::desugar]
async fn tail_len() -> u32 {
    let text = fetch().await;
    let tail = &text[1..];
    let doubled = double(tail.len() as u32).await;
    doubled + tail.len() as u32
}

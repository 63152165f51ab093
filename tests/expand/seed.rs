// The seed example: two awaits, and synchronous code between them.
// `trace` makes the generated `poll` print every state transition.
#[desugar::desugar(trace)]
async fn example() {
    let data = fetch().await; // Start -> Await0
    let result = process(data); // synchronous, no state transition
    save(result).await; // Await0 -> Await1 -> Done
}

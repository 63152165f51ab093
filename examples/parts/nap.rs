#[desugar::desugar(trace)]
async fn nap(id: u64) -> u64 {
    say(id, "starts");
    time::sleep(Duration::from_millis(10)).await;
    say(id, "woke up");
    time::sleep(Duration::from_millis(5 * id)).await;
    say(id, "is done");
    id
}

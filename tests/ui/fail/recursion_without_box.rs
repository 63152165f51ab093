// Recursion without boxing: an infinitely large future, refused as rustc
// refuses the native `async fn` (which says E0733).
use desugar::desugar;

#[desugar]
async fn countdown(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    countdown(n - 1).await + 1
}

fn main() {
    let _ = countdown(3);
}

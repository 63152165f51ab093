// `.await` in a match guard: the match becomes a chain of `if let`s that the state machine resumes.
use desugar::desugar;

async fn is_even(n: u32) -> bool {
    n % 2 == 0
}

#[desugar]
async fn classify(n: u32) -> &'static str {
    match n {
        0 => "zero",
        n if is_even(n).await => "even",
        _ => "odd",
    }
}

fn main() {
    let _ = classify(3);
}

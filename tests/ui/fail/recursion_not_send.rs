// A recursive function promises a `Send` future, so holding an `Rc` across
// the recursive `.await` is an error; `#[desugar(local)]` is the opt-out.
use std::rc::Rc;

use desugar::desugar;

#[desugar]
async fn sum(n: u32) -> u32 {
    let shared = Rc::new(n);
    if n == 0 {
        return 0;
    }
    let below = Box::pin(sum(n - 1)).await;
    *shared + below
}

fn main() {
    let _ = sum(4);
}

// A recursive function whose future is not `Send` (it holds an `Rc` across
// the recursive `.await`): `#[desugar(local)]` boxes the recursive future
// as `dyn Future` without `Send`, and it runs.
use std::rc::Rc;

use desugar::desugar;

#[desugar(local)]
async fn sum(n: u32) -> u32 {
    let shared = Rc::new(n);
    if n == 0 {
        return 0;
    }
    let below = Box::pin(sum(n - 1)).await;
    *shared + below
}

fn main() {
    assert_eq!(desugar::block_on(sum(4)), 10);
}

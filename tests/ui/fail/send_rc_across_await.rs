// An `Rc` held across an `.await` makes the desugared future `!Send`, as rustc's would be.
use std::rc::Rc;

use desugar::desugar;

async fn yield_once() {}

#[desugar]
async fn holds_rc() -> u32 {
    let shared = Rc::new(1);
    yield_once().await;
    *shared
}

fn require_send<T: Send>(_: T) {}

fn main() {
    require_send(holds_rc());
}

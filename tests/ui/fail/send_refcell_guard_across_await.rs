// A `RefCell` borrow guard held across an `.await` makes the desugared future `!Send`.
use std::cell::RefCell;

use desugar::desugar;

async fn yield_once() {}

#[desugar]
async fn holds_guard() -> u32 {
    // Leaked, so the guard (not a borrow of a local) is the only `!Send` thing held.
    let guard = Box::leak(Box::new(RefCell::new(1))).borrow();
    yield_once().await;
    *guard
}

fn require_send<T: Send>(_: T) {}

fn main() {
    require_send(holds_guard());
}

// `task::spawn` needs a `Send` future: the task may be polled on any worker
// thread. A desugared future that holds an `Rc` across an `.await` is not.
use std::rc::Rc;

use desugar::desugar;
use desugar::runtime::task;

#[desugar]
async fn holds_rc() -> u32 {
    let shared = Rc::new(1);
    task::yield_now().await;
    *shared
}

fn main() {
    let runtime = desugar::runtime::Builder::new_multi_thread().build().unwrap();
    runtime.block_on(async {
        task::spawn(holds_rc());
    });
}

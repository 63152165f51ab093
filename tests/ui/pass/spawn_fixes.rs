// The seed's fixes for `Send + 'static`, on desugared functions: share with
// `Arc` (cloned into the task), drop an `Rc` before the `.await`, and own
// what the task uses. All three can be spawned.
use std::rc::Rc;
use std::sync::Arc;

use desugar::desugar;

struct Database;

impl Database {
    fn query(&self) -> u32 {
        1
    }
}

/// Stands for a runtime's `spawn`: the task may outlive the caller and run
/// on another thread.
fn spawn<F: std::future::Future + Send + 'static>(_task: F) {}

#[desugar]
async fn query_shared(db: Arc<Database>) -> u32 {
    std::future::ready(()).await;
    db.query()
}

#[desugar]
async fn rc_dropped_before_await() -> u32 {
    let counter = Rc::new(1);
    let value = *counter;
    drop(counter);
    std::future::ready(()).await;
    value
}

#[desugar]
async fn owns_its_data(names: Vec<String>) -> usize {
    std::future::ready(()).await;
    names.len()
}

fn main() {
    let db = Arc::new(Database);
    let for_task = Arc::clone(&db);
    spawn(query_shared(for_task));
    spawn(rc_dropped_before_await());
    spawn(owns_its_data(vec![String::from("a")]));
    assert_eq!(desugar::block_on(query_shared(db)), 1);
}

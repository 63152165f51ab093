// The seed's `'static` rule: a task must own what it uses. A future that
// borrows a local (`&db`) cannot be spawned, desugared or not.
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
async fn query(db: &Database) -> u32 {
    std::future::ready(()).await;
    db.query()
}

fn main() {
    let database = Database;
    spawn(query(&database));
}

// `task::spawn` needs a `'static` future: the task may outlive the caller.
// A future that borrows the caller's local is not; move it in, or share it
// with an `Arc`. (The note about `use<...>` capture rules is rustc's, about
// the `-> impl Future` the macro writes; a native `async fn` gets the E0597
// alone.)
use desugar::desugar;
use desugar::runtime::task;

#[desugar]
async fn sum(values: &[u32]) -> u32 {
    task::yield_now().await;
    values.iter().sum()
}

fn main() {
    let runtime = desugar::runtime::Builder::new_multi_thread().build().unwrap();
    runtime.block_on(async {
        let values = vec![1, 2, 3];
        let handle = task::spawn(sum(&values));
        handle.await.unwrap();
    });
}

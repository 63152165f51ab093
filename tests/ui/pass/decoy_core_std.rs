// Decoy `core` and `std` modules at the crate root: generated code uses only `::core`/`::std`.
#![allow(dead_code)]

mod core {}
mod std {}

use desugar::desugar;

async fn fetch(n: u32) -> Result<u32, ()> {
    Ok(n)
}

#[desugar(trace)]
async fn total(items: Vec<u32>) -> Result<u32, ()> {
    let mut sum = 0;
    for item in items {
        sum += fetch(item).await?;
    }
    if sum == 0 {
        return Err(());
    }
    Ok(sum)
}

fn main() {
    assert_eq!(desugar::block_on(total(vec![1, 2, 3])), Ok(6));
}

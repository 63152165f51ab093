// A `for` loop whose body awaits: the iterator and the running total live
// across the `.await`, so the state suspended there holds them.
#[desugar::desugar]
async fn sum(n: u32) -> u32 {
    let mut total = 0;
    for i in 0..n {
        total += double(i).await;
    }
    total
}

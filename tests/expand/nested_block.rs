// A local of an inner block lives across the first `.await` only; the outer
// one across both. Each state holds exactly what is still needed.
#[desugar::desugar]
async fn nested() -> usize {
    let outer = String::from("outer");
    let inner_len = {
        let inner = vec![1, 2, 3];
        double(1).await;
        inner.len()
    };
    double(2).await;
    outer.len() + inner_len
}

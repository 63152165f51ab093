// `?` on an awaited value, and an early `return`: each leaves the machine in
// `Done` from the middle of the body.
#[desugar::desugar]
async fn load(name: String) -> Result<u32, String> {
    let text = read(name).await?;
    if text.is_empty() {
        return Ok(0);
    }
    let n = parse(&text)?;
    Ok(double(n).await)
}

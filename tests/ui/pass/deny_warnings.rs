// Desugared fns with loops, `?` and early returns compile without a single warning.
#![deny(warnings)]

use desugar::desugar;

async fn parse(text: &str) -> Result<u32, String> {
    text.parse().map_err(|_| format!("not a number: {text:?}"))
}

async fn double(n: u32) -> u32 {
    n * 2
}

#[desugar]
async fn sum(texts: Vec<&'static str>) -> Result<u32, String> {
    let mut total = 0;
    for text in texts {
        total += parse(text).await?;
    }
    Ok(total)
}

#[desugar]
async fn first_big(limit: u32) -> Option<u32> {
    let mut n = 0;
    while n < 10 {
        let doubled = double(n).await;
        if doubled > limit {
            return Some(doubled);
        }
        n += 1;
    }
    None
}

#[desugar]
async fn count_down(mut n: u32) -> u32 {
    let mut steps = 0;
    loop {
        if n == 0 {
            break steps;
        }
        n = double(n).await / 2 - 1;
        steps += 1;
    }
}

#[desugar(trace)]
async fn traced(text: &'static str) -> Result<u32, String> {
    let n = parse(text).await?;
    if n == 0 {
        return Err("zero".to_string());
    }
    Ok(double(n).await)
}

fn main() {
    assert_eq!(desugar::block_on(sum(vec!["1", "2", "3"])), Ok(6));
    assert!(desugar::block_on(sum(vec!["1", "x"])).is_err());
    assert_eq!(desugar::block_on(first_big(7)), Some(8));
    assert_eq!(desugar::block_on(count_down(3)), 3);
    assert_eq!(desugar::block_on(traced("4")), Ok(8));
}

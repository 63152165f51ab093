// `?` inside `println!`'s arguments: lowered like a call's argument.
use desugar::desugar;

fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    text.parse()
}

#[desugar]
async fn show(text: &str) -> Result<(), std::num::ParseIntError> {
    println!("{}", parse(text)?);
    Ok(())
}

fn main() {
    let _ = show("1");
}

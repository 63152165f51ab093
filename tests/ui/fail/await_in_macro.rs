// `.await` inside a macro call's arguments, which the macro cannot rewrite.
use desugar::desugar;

async fn fetch() -> u32 {
    1
}

#[desugar]
async fn show() {
    println!("{}", fetch().await);
}

fn main() {
    let _ = show();
}

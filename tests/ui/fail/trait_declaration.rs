// `#[desugar]` on a trait method declaration, which has no body to rewrite.
use desugar::desugar;

trait Source {
    #[desugar]
    async fn read(&self) -> u32;
}

fn main() {}

// `.await` inside the arguments of a macro whose arguments are not known to
// be expressions (here `dbg!`, or any user macro): refused, with what to do.
use desugar::desugar;

async fn fetch() -> u32 {
    1
}

#[desugar]
async fn show() -> u32 {
    dbg!(fetch().await)
}

fn main() {
    let _ = show();
}

// A local that must live across an `.await` but is shadowed there, where both are named
// only inside macro arguments, which the macro cannot rename: it says what to do.
use desugar::desugar;

struct Noisy(u32);

impl Drop for Noisy {
    fn drop(&mut self) {
        println!("drop {}", self.0);
    }
}

async fn f() {}

#[desugar]
async fn shadow() {
    let a = Noisy(1);
    println!("{}", a.0);
    let a = Noisy(2);
    f().await;
    println!("{}", a.0);
}

fn main() {
    let _ = shadow();
}

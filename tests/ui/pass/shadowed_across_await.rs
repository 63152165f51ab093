// A local with a destructor shadowed before an `.await` is renamed so the state can hold it.
use desugar::desugar;

struct Noisy;

impl Noisy {
    fn touch(&self) {}
}

impl Drop for Noisy {
    fn drop(&mut self) {
        println!("drop");
    }
}

async fn f() {}

#[desugar]
async fn shadow() {
    let a = Noisy;
    a.touch();
    let a = Noisy;
    f().await;
    a.touch();
}

fn main() {
    let _ = shadow();
}

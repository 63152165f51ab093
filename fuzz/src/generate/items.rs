//! The helper items every program may call: synchronous fns that log, native
//! `async fn`s that await leaves, generic fns, and the struct `Acc` with a
//! method for each receiver. They are the same in every program; the
//! reducer deletes the ones a reduced case no longer uses.

use crate::tree::{Kind, Node};

/// Each helper, as its source text.
const HELPERS: &[(Kind, &str)] = &[
    (
        Kind::Call,
        "/// Adds, wrapping, and logs the call.
pub(crate) fn add(a: u32, b: u32) -> u32 {
    log(format!(\"add {a} {b}\"));
    a.wrapping_add(b)
}",
    ),
    (
        Kind::Call,
        "/// The length of a string, through a reference.
pub(crate) fn length(text: &str) -> u32 {
    text.len() as u32
}",
    ),
    (
        Kind::Call,
        "/// Takes a `Noisy` by value (dropping it at the end) and returns `n`.
pub(crate) fn consume(noisy: Noisy, n: u32) -> u32 {
    noisy.touch();
    n
}",
    ),
    (
        Kind::Call,
        "/// `Err` for numbers that leave 2 when divided by 3.
pub(crate) fn check(n: u32) -> Result<u32, String> {
    log(format!(\"check {n}\"));
    if n % 3 == 2 { Err(format!(\"bad {n}\")) } else { Ok(n) }
}",
    ),
    (
        Kind::Call,
        "/// Half of an even number.
pub(crate) fn half(n: u32) -> Option<u32> {
    (n % 2 == 0).then_some(n / 2)
}",
    ),
    (
        Kind::Generic,
        "/// One of two values of any type; logs the choice.
pub(crate) fn pick<T: Debug>(flag: bool, a: T, b: T) -> T {
    log(format!(\"pick {flag} {a:?} {b:?}\"));
    if flag { a } else { b }
}",
    ),
    (
        Kind::Generic,
        "/// Any value's `Debug`, through a reference.
pub(crate) fn show<T: Debug + ?Sized>(value: &T) -> String {
    format!(\"{value:?}\")
}",
    ),
    (
        Kind::AwaitHelper,
        "/// Twice `n`, after an await.
pub(crate) async fn twice(n: u32) -> u32 {
    leaf(\"twice\", n).await.wrapping_mul(2)
}",
    ),
    (
        Kind::AwaitHelper,
        "/// Holds a `Noisy` across an await, then names it.
pub(crate) async fn named(noisy: Noisy, n: u32) -> String {
    let k = leaf(\"named\", n).await;
    noisy.touch();
    format!(\"{}{k}\", noisy.name())
}",
    ),
    (
        Kind::AwaitHelper,
        "/// Borrows a string across an await.
pub(crate) async fn measure(text: &str) -> u32 {
    leaf(\"measure\", text.len() as u32).await
}",
    ),
    (
        Kind::AwaitHelper,
        "/// `check` after an await.
pub(crate) async fn checked(n: u32) -> Result<u32, String> {
    let n = leaf(\"checked\", n).await;
    if n % 3 == 2 { Err(format!(\"checked {n}\")) } else { Ok(n) }
}",
    ),
    (
        Kind::AwaitHelper,
        "/// `half` after an await.
pub(crate) async fn maybe(n: u32) -> Option<u32> {
    let n = leaf(\"maybe\", n).await;
    (n % 2 == 0).then_some(n / 2)
}",
    ),
    (
        Kind::Generic,
        "/// Any value back, after logging it and an await.
pub(crate) async fn echo<T: Debug>(value: T) -> T {
    log(format!(\"echo {value:?}\"));
    leaf(\"echo\", value).await
}",
    ),
    (
        Kind::MethodRef,
        "/// A counter with a logged name, and a method for each receiver.
#[derive(Debug)]
pub(crate) struct Acc {
    pub(crate) n: u32,
    pub(crate) tag: Noisy,
}

impl Acc {
    pub(crate) fn new(name: &str, n: u32) -> Acc {
        log(format!(\"new {name}\"));
        Acc { n, tag: Noisy::new(name) }
    }

    pub(crate) fn get(&self) -> u32 {
        self.tag.touch();
        self.n
    }

    pub(crate) fn bump(&mut self, k: u32) -> u32 {
        self.n = self.n.wrapping_add(k);
        self.n
    }

    pub(crate) fn finish(self) -> u32 {
        log(format!(\"finish {}\", self.tag.name()));
        self.n
    }

    pub(crate) async fn fetch(&self, k: u32) -> u32 {
        leaf(\"fetch\", self.n ^ k).await
    }

    pub(crate) async fn grow(&mut self, k: u32) -> u32 {
        self.n = self.n.wrapping_add(leaf(\"grow\", k).await);
        self.n
    }
}",
    ),
];

/// The helper items, each a removable node.
pub(super) fn items(next_id: &mut u32) -> Vec<Node> {
    HELPERS
        .iter()
        .map(|&(kind, source)| {
            *next_id += 1;
            Node::new(*next_id, kind).text(source).removable()
        })
        .collect()
}

//! The expansion snapshots are Rust that compiles and runs.
//!
//! `desugar-macro/src/snapshots.rs` keeps each `tests/expand/NAME.expanded.rs`
//! equal to what `#[desugar]` writes for `NAME.rs`. Here each snapshot is
//! compiled as it is printed, in a module beside the helpers it calls, and
//! run next to the macro's own expansion of `NAME.rs`: both must return the
//! same value. So the text the `tour` example shows is code that works, and
//! the pretty-printing lost nothing that matters (hygiene included: the
//! snapshot's `__state` and `'__poll` are plain names here).

#![allow(
    clippy::undocumented_unsafe_blocks,
    reason = "the `// SAFETY:` comments are beside the `quote!` in the macro; comments do not \
              survive a token stream, so the printed snapshot has none"
)]
#![allow(
    clippy::print_literal,
    clippy::single_match,
    reason = "not lint-clean yet: `trace` prints with `println!(\"{}\", \"..\")`, and \
              `drop_awaitee` matches a single variant when there is one await"
)]

/// What the inputs in `tests/expand/` call.
mod helpers {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A future that is `Pending` once (waking its waker), then ready.
    pub(crate) struct YieldOnce<T>(Option<T>, bool);

    impl<T: Unpin> Future for YieldOnce<T> {
        type Output = T;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
            let this = self.get_mut();
            if this.1 {
                return Poll::Ready(this.0.take().expect("not polled after Ready"));
            }
            this.1 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    fn later<T>(value: T) -> YieldOnce<T> {
        YieldOnce(Some(value), false)
    }

    pub(crate) fn fetch() -> YieldOnce<String> {
        later("data".to_owned())
    }

    pub(crate) fn process(data: String) -> String {
        data.to_uppercase()
    }

    pub(crate) fn save(result: String) -> YieldOnce<()> {
        assert_eq!(result, "DATA");
        later(())
    }

    pub(crate) fn double(n: u32) -> YieldOnce<u32> {
        later(2 * n)
    }

    pub(crate) fn read(name: String) -> YieldOnce<Result<String, String>> {
        later(if name == "missing" {
            Err(format!("no such file: {name}"))
        } else {
            Ok(name)
        })
    }

    pub(crate) fn parse(text: &str) -> Result<u32, String> {
        text.parse().map_err(|_| format!("not a number: {text:?}"))
    }
}

/// For a snapshot `NAME`: a module holding the snapshot and one holding its
/// input under the macro, and a test that runs each call in both.
macro_rules! snapshot {
    ($name:ident: $($call:expr),+ $(,)?) => {
        mod $name {
            mod printed {
                #[allow(clippy::wildcard_imports, reason = "the input calls whichever it needs")]
                use crate::helpers::*;
                include!(concat!("expand/", stringify!($name), ".expanded.rs"));

                pub(super) fn outputs() -> Vec<String> {
                    vec![$(format!("{:?}", desugar::block_on($call))),+]
                }
            }

            mod macro_ {
                #[allow(clippy::wildcard_imports, reason = "the input calls whichever it needs")]
                use crate::helpers::*;
                include!(concat!("expand/", stringify!($name), ".rs"));

                pub(super) fn outputs() -> Vec<String> {
                    vec![$(format!("{:?}", desugar::block_on($call))),+]
                }
            }

            #[test]
            fn printed_snapshot_behaves_like_the_macro() {
                assert_eq!(printed::outputs(), macro_::outputs());
            }
        }
    };
}

snapshot!(seed: example());
snapshot!(for_loop: sum(0), sum(4));
snapshot!(early_return:
    load("21".to_owned()),
    load(String::new()),
    load("x".to_owned()),
    load("missing".to_owned()),
);
snapshot!(nested_block: nested());
snapshot!(borrow_across_await: async {
    // The address of `text` differs between the two futures; that it does not
    // change across the `.await` does not.
    let (before, after, len) = tail_len().await;
    (before == after, len)
});

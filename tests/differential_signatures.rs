//! Differential tests for signatures: generics, lifetimes, `impl Trait`,
//! receivers behind smart pointers, trait default methods.
//!
//! The state machine never names the function's types (its enum is generic
//! over everything it holds and rustc infers the rest), so a signature
//! passes through as written: these cases check that it does, and that the
//! future behaves as rustc's. Each case is one function written once and
//! compiled twice by `twins!`; the tests compare the two as `differential!`
//! does.

#[allow(
    unused_macros,
    reason = "these cases are compared by hand, not with `differential!`"
)]
mod support;

use std::fmt::Debug;
use std::pin::Pin;
use std::sync::Arc;

use support::*;

mod generics {
    use super::*;

    twins! {
        /// Type and const parameters, a `where` clause and an `impl Trait` argument.
        #[allow(clippy::multiple_bound_locations, reason = "a bound in each place is the point")]
        pub(crate) async fn describe<T: Debug + Clone, const N: usize>(
            items: [T; N],
            label: impl AsRef<str>,
        ) -> String
        where
            T: PartialEq,
        {
            let keep = Noisy::new("keep");
            let first = leaf("first", items[0].clone()).await;
            keep.touch();
            let same = leaf("compare", first == items[N - 1]).await;
            format!("{}: {first:?} of {N}, same ends: {same}", label.as_ref())
        }
    }

    #[test]
    fn generic_parameters_pass_through() {
        same!("describe", twin => twin::describe([1, 2, 1], "numbers"));
        same!("describe strings", twin => twin::describe([String::from("a")], String::from("one")));
    }
}

mod lifetimes {
    use super::*;

    twins! {
        /// A named lifetime in and out: the output borrows the argument.
        #[allow(clippy::needless_lifetimes, reason = "the named lifetime is the point")]
        pub(crate) async fn first<'a>(values: &'a [u8]) -> &'a u8 {
            leaf("wait", ()).await;
            &values[leaf("index", 0).await]
        }
    }

    static VALUES: [u8; 2] = [7, 8];

    #[test]
    fn output_borrows_an_argument() {
        same!("first", twin => twin::first(&VALUES));
    }
}

mod elided {
    use super::*;

    twins! {
        /// An elided lifetime, captured by the returned future (edition 2024).
        pub(crate) async fn trimmed(text: &str) -> &str {
            let guard = Noisy::new("guard");
            leaf("wait", ()).await;
            guard.touch();
            text.trim()
        }
    }

    #[test]
    fn elided_lifetimes_are_captured() {
        same!("trimmed", twin => twin::trimmed("  spaced  "));
    }
}

mod opaque_output {
    use super::*;

    twins! {
        /// `-> impl Trait`: the output type is opaque.
        pub(crate) async fn repeated(n: u32) -> impl Debug {
            let m = leaf("n", n).await;
            vec![m; 2]
        }
    }

    #[test]
    fn impl_trait_output() {
        same!("repeated", twin => twin::repeated(3));
    }
}

mod coerced_output {
    use super::*;

    twins! {
        /// `-> Box<dyn Trait>`: the tail and `return` coerce to it.
        pub(crate) async fn boxed(n: u32) -> Box<dyn Debug> {
            if leaf("small?", n < 2).await {
                return Box::new("small");
            }
            Box::new(leaf("n", n).await)
        }
    }

    #[test]
    fn returns_coerce_to_the_declared_output() {
        same!("boxed small", twin => twin::boxed(1));
        same!("boxed big", twin => twin::boxed(5));
    }
}

mod smart_receivers {
    use super::*;

    macro_rules! counter_methods {
        ($($attr:meta)?) => {
            /// A counter behind smart pointers.
            #[derive(Debug)]
            pub(crate) struct Counter {
                pub(crate) name: Noisy,
                pub(crate) count: u32,
            }

            impl Counter {
                /// `self: Arc<Self>`, kept across an await.
                $(#[$attr])?
                pub(crate) async fn shared(self: Arc<Self>) -> u32 {
                    let n = leaf("shared", self.count).await;
                    self.name.touch();
                    n + self.count
                }

                /// `self: Pin<&mut Self>`, changed after an await.
                $(#[$attr])?
                pub(crate) async fn pinned(mut self: Pin<&mut Self>) -> u32 {
                    let add = leaf("pinned", 2).await;
                    self.count += add;
                    self.count
                }
            }
        };
    }

    pub(crate) mod native {
        use super::*;
        counter_methods!();
    }

    pub(crate) mod desugared {
        use super::*;
        counter_methods!(desugar::desugar);
    }

    #[test]
    fn arc_self() {
        same!("arc", twin => Arc::new(twin::Counter { name: Noisy::new("arc"), count: 1 }).shared());
    }

    #[test]
    fn pinned_self() {
        same!("pin", twin => async {
            let mut counter = Box::pin(twin::Counter { name: Noisy::new("pin"), count: 1 });
            counter.as_mut().pinned().await
        });
    }
}

mod trait_default {
    use super::*;

    macro_rules! greeter {
        ($($attr:meta)?) => {
            /// A trait whose default method awaits.
            pub(crate) trait Greeter {
                fn name(&self) -> String;

                $(#[$attr])?
                async fn greet(&self, greeting: &str) -> String {
                    let name = leaf("name", self.name()).await;
                    format!("{greeting}, {name}")
                }
            }

            pub(crate) struct Person;

            impl Greeter for Person {
                fn name(&self) -> String {
                    String::from("Ada")
                }
            }
        };
    }

    pub(crate) mod native {
        use super::*;
        greeter!();
    }

    pub(crate) mod desugared {
        use super::*;
        greeter!(desugar::desugar);
    }

    #[test]
    fn default_method_in_a_trait() {
        same!("greet", twin => async {
            use twin::Greeter as _;
            twin::Person.greet("Hello").await
        });
    }
}

mod recursion {
    use super::*;

    twins! {
        /// Recursion through `Box::pin(..).await`, with a `Noisy` per level.
        pub(crate) async fn countdown(n: u32) -> u32 {
            let level = Noisy::new(format!("level {n}"));
            if n == 0 {
                return leaf("bottom", 0).await;
            }
            let below = Box::pin(countdown(n - 1)).await;
            level.touch();
            below + 1
        }
    }

    #[test]
    fn boxed_recursion() {
        same!("countdown", twin => twin::countdown(3));
    }
}

//! Differential tests for methods: `#[desugar]` on `async fn`s with `self`.
//!
//! The receiver travels in the `Start` state as `__self`, and every `self`
//! in the body is renamed to it (see `desugar-macro/src/lower/receiver.rs`).
//! Each method below is written once, in `account_methods!`, and compiled in
//! two twins of the same type: `native::Account`, with rustc's lowering,
//! and `desugared::Account`, with `#[desugar]` on every method. The tests
//! drive both the same way and compare outputs, every event (polls, wakes,
//! touches, drops), cancellation at every poll, polling after the end, and
//! auto traits, as `differential!` does for free functions.

#[allow(
    unused_macros,
    reason = "methods are compared by hand, not with `differential!`"
)]
mod support;

use support::*;

/// The methods under test; `$attr` is `desugar::desugar` in one twin and
/// nothing in the other.
macro_rules! account_methods {
    ($($attr:meta)?) => {
        /// An account whose owner logs when dropped.
        #[derive(Debug)]
        pub(crate) struct Account {
            pub(crate) owner: Noisy,
            pub(crate) balance: u32,
        }

        impl Account {
            pub(crate) fn new(owner: &str) -> Self {
                Account { owner: Noisy::new(owner), balance: 10 }
            }

            /// `&mut self` across two awaits, with a local between them.
            $(#[$attr])?
            pub(crate) async fn deposit(&mut self, amount: u32) -> u32 {
                let receipt = Noisy::new("receipt");
                self.balance += leaf("amount", amount).await;
                self.owner.touch();
                receipt.touch();
                self.balance += leaf("bonus", 1).await;
                self.balance
            }

            /// `&self`, with `self` in a closure and in a macro's arguments.
            $(#[$attr])?
            pub(crate) async fn describe(&self) -> String {
                let scale = |n: u32| n * self.balance;
                let n = leaf("n", 2).await;
                format!("{} has {}", self.owner.name(), scale(n))
            }

            /// `self` by value: the receiver is dropped with the other parameters.
            $(#[$attr])?
            pub(crate) async fn close(self, note: Noisy) -> u32 {
                leaf("close", ()).await;
                note.touch();
                self.balance
            }

            /// `mut self` by value, changed after an await and returned.
            $(#[$attr])?
            pub(crate) async fn renamed(mut self, owner: &'static str) -> Self {
                leaf("rename", ()).await;
                self.owner = Noisy::new(owner);
                self
            }

            /// `self: Box<Self>`, with an early return through `?`.
            $(#[$attr])?
            pub(crate) async fn boxed_withdraw(self: Box<Self>, amount: u32) -> Result<u32, String> {
                let available = leaf("check", self.balance).await;
                let left = available.checked_sub(amount).ok_or(format!("{} is short", self.owner.name()))?;
                leaf("withdraw", ()).await;
                Ok(left.min(self.balance))
            }

            /// `Self` and an associated function used in the body.
            $(#[$attr])?
            pub(crate) async fn twin(&self) -> u32 {
                let other = Self::new("twin");
                leaf("twin", ()).await;
                other.balance + self.balance
            }
        }

        /// A trait with an async method, implemented below.
        pub(crate) trait Greet {
            async fn greet(&self, greeting: &str) -> String;
        }

        impl Greet for Account {
            $(#[$attr])?
            async fn greet(&self, greeting: &str) -> String {
                let name = leaf("name", self.owner.name().to_owned()).await;
                format!("{greeting}, {name}")
            }
        }
    };
}

mod native {
    use super::*;
    account_methods!();
}

mod desugared {
    use super::*;
    account_methods!(desugar::desugar);
}

/// Compares both twins of one call, written once with `$account` standing
/// for a fresh `Account` of the twin's type.
macro_rules! same {
    ($label:literal, |$account:ident| $call:expr) => {{
        #[allow(unused_mut, reason = "some calls take `&mut self`, others `self`")]
        let native = || async {
            let mut $account = native::Account::new("owner");
            $call
        };
        #[allow(unused_mut, reason = "some calls take `&mut self`, others `self`")]
        let desugared = || async {
            let mut $account = desugared::Account::new("owner");
            $call
        };
        same_runs($label, native, desugared);
        same_cancellations($label, native, desugared);
        same_repolls($label, native, desugared);
    }};
}

#[test]
fn mut_self_across_awaits() {
    same!("deposit", |account| account.deposit(5).await);
}

#[test]
fn shared_self_in_closures_and_macros() {
    same!("describe", |account| account.describe().await);
}

#[test]
fn self_by_value_is_dropped_with_the_parameters() {
    same!("close", |account| account.close(Noisy::new("note")).await);
}

#[test]
fn mut_self_by_value_is_returned() {
    same!("renamed", |account| account
        .renamed("new owner")
        .await
        .balance);
}

#[test]
fn boxed_self_and_question_mark() {
    same!("boxed ok", |account| Box::new(account)
        .boxed_withdraw(3)
        .await);
    same!("boxed short", |account| Box::new(account)
        .boxed_withdraw(30)
        .await);
}

#[test]
fn self_type_in_the_body() {
    same!("twin", |account| account.twin().await);
}

#[test]
fn async_fn_in_a_trait_impl() {
    use desugared::Greet as _;
    use native::Greet as _;
    same!("greet", |account| account.greet("hello").await);
}

#[test]
fn method_futures_have_the_same_auto_traits() {
    same_auto_traits(
        "close",
        auto_traits!(native::Account::new("a").close(Noisy::new("n"))),
        auto_traits!(desugared::Account::new("a").close(Noisy::new("n"))),
    );
}

#[test]
fn size_summary() {
    let native = std::mem::size_of_val(&native::Account::new("a").close(Noisy::new("n")));
    let desugared = std::mem::size_of_val(&desugared::Account::new("a").close(Noisy::new("n")));
    print_size_table(&[("close (self by value)", native, desugared)]);
}

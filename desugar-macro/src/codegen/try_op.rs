//! `?`, spelled out.
//!
//! Inside the generated closure a plain `?` would return from the closure,
//! and rustc's `Try` trait, which would let us write the desugaring
//! directly, is unstable. These two small traits do its work for the types
//! `?` is used on in an `async fn` body, `Result` and `Option`:
//!
//! ```text
//! match __Try::branch(expr) {
//!     ControlFlow::Continue(value) => value,
//!     ControlFlow::Break(residual) => return Poll::Ready(__FromResidual::from_residual(residual)),
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;

/// The helper traits, emitted only when the body uses `?`.
pub(super) fn items() -> TokenStream {
    quote! {
        /// `?`'s first half: go on with the value, or leave with the residual.
        trait __Try {
            type Output;
            type Residual;
            fn branch(self) -> ::core::ops::ControlFlow<Self::Residual, Self::Output>;
        }

        impl<T, E> __Try for ::core::result::Result<T, E> {
            type Output = T;
            type Residual = ::core::result::Result<::core::convert::Infallible, E>;
            fn branch(self) -> ::core::ops::ControlFlow<Self::Residual, T> {
                match self {
                    ::core::result::Result::Ok(value) => ::core::ops::ControlFlow::Continue(value),
                    ::core::result::Result::Err(error) => {
                        ::core::ops::ControlFlow::Break(::core::result::Result::Err(error))
                    }
                }
            }
        }

        impl<T> __Try for ::core::option::Option<T> {
            type Output = T;
            type Residual = ::core::option::Option<::core::convert::Infallible>;
            fn branch(self) -> ::core::ops::ControlFlow<Self::Residual, T> {
                match self {
                    ::core::option::Option::Some(value) => ::core::ops::ControlFlow::Continue(value),
                    ::core::option::Option::None => {
                        ::core::ops::ControlFlow::Break(::core::option::Option::None)
                    }
                }
            }
        }

        /// `?`'s second half: the function's return value made from the residual.
        trait __FromResidual<R> {
            fn from_residual(residual: R) -> Self;
        }

        impl<T, E, F: ::core::convert::From<E>>
            __FromResidual<::core::result::Result<::core::convert::Infallible, E>>
            for ::core::result::Result<T, F>
        {
            fn from_residual(
                residual: ::core::result::Result<::core::convert::Infallible, E>,
            ) -> Self {
                match residual {
                    ::core::result::Result::Err(error) => {
                        ::core::result::Result::Err(::core::convert::From::from(error))
                    }
                    ::core::result::Result::Ok(never) => match never {},
                }
            }
        }

        impl<T> __FromResidual<::core::option::Option<::core::convert::Infallible>>
            for ::core::option::Option<T>
        {
            fn from_residual(_: ::core::option::Option<::core::convert::Infallible>) -> Self {
                ::core::option::Option::None
            }
        }
    }
}

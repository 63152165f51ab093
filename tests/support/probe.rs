//! Auto-trait probes: `is_send!(value)` is `true` exactly when the value's type
//! is `Send`, even when that type is an opaque `impl Future`.
//!
//! Generic code cannot branch on a trait bound, but method lookup can. For a
//! call `(&probe).is_send()` on `&Probe<T>`, lookup first tries the receiver
//! type as it is, `&Probe<T>`, which fits the method of `IsSend` (implemented
//! for `Probe<T>` where `T: Send`, taking `&self`). Only when that impl does
//! not apply does it add a reference and find the method of `NotSend`,
//! implemented for every `&Probe<T>`. This is autoref specialization. It
//! decides at the call site, so the type must be concrete there: the probes
//! are macros, and they see through opaque types because auto traits leak.

use std::marker::PhantomData;

/// A stand-in for a value of type `T`, used only for its type.
pub(crate) struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    /// A probe for the type of `value`.
    pub(crate) fn of(_value: &T) -> Self {
        Probe(PhantomData)
    }
}

/// Declares the pair of traits behind one probe: `$yes` applies when `T`
/// implements `$bound`, `$no` otherwise.
macro_rules! probe_traits {
    ($method:ident: $yes:ident, $no:ident for $bound:path) => {
        #[doc = concat!("Answers `true` for `Probe<T>` when `T: ", stringify!($bound), "`.")]
        pub(crate) trait $yes {
            #[doc = concat!("`true`: the type is `", stringify!($bound), "`.")]
            fn $method(&self) -> bool {
                true
            }
        }
        impl<T: ?Sized + $bound> $yes for Probe<T> {}

        #[doc = concat!("Answers `false` when [`", stringify!($yes), "`] does not apply.")]
        pub(crate) trait $no {
            #[doc = concat!("`false`: the type is not `", stringify!($bound), "`.")]
            fn $method(&self) -> bool {
                false
            }
        }
        impl<T: ?Sized> $no for &Probe<T> {}
    };
}

probe_traits!(is_send: IsSend, NotSend for Send);
probe_traits!(is_sync: IsSync, NotSync for Sync);
probe_traits!(is_unpin: IsUnpin, NotUnpin for Unpin);

/// `is_send!(value)`: whether the type of `value` is `Send`.
macro_rules! is_send {
    ($value:expr) => {{
        #[allow(unused_imports)]
        use $crate::support::probe::{IsSend as _, NotSend as _};
        (&$crate::support::probe::Probe::of(&$value)).is_send()
    }};
}

/// `is_sync!(value)`: whether the type of `value` is `Sync`.
macro_rules! is_sync {
    ($value:expr) => {{
        #[allow(unused_imports)]
        use $crate::support::probe::{IsSync as _, NotSync as _};
        (&$crate::support::probe::Probe::of(&$value)).is_sync()
    }};
}

/// `is_unpin!(value)`: whether the type of `value` is `Unpin`.
macro_rules! is_unpin {
    ($value:expr) => {{
        #[allow(unused_imports)]
        use $crate::support::probe::{IsUnpin as _, NotUnpin as _};
        (&$crate::support::probe::Probe::of(&$value)).is_unpin()
    }};
}

/// `auto_traits!(value)`: all three probes as an [`AutoTraits`](super::AutoTraits).
macro_rules! auto_traits {
    ($value:expr) => {
        $crate::support::AutoTraits {
            send: $crate::support::is_send!($value),
            sync: $crate::support::is_sync!($value),
            unpin: $crate::support::is_unpin!($value),
        }
    };
}

pub(crate) use {auto_traits, is_send, is_sync, is_unpin};

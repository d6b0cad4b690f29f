//! `hyperparameter`: scoped hyperparameters with one state shared by Rust, C, C++ and Python.
//!
//! The engine owns every parameter. Rust code uses it directly (this crate, [`with_params!`]);
//! C and C++ link the same library through the C ABI in [`ffi`] (header
//! `include/hyperparameter.h`); Python reaches it through cffi. A value set in one language on a
//! thread is the value every other language reads on that thread.
//!
//! ```
//! use hyperparameter::*;
//!
//! fn lr() -> f64 {
//!     with_params! {
//!         get lr = train.lr or 0.001f64;
//!         lr
//!     }
//! }
//!
//! assert_eq!(lr(), 0.001);
//! with_params! {
//!     set train.lr = 0.01f64;
//!     assert_eq!(lr(), 0.01);
//! }
//! assert_eq!(lr(), 0.001);
//! ```
//!
//! # Changes
//!
//! Breaking changes for Rust users, newest first:
//!
//! - [`Error`] has a new variant, `OtherEngine { ours, other }`: another copy of the engine is
//!   loaded in the process, so this one refuses to work (C status `HP_OTHER_ENGINE`).
//! - [`Error::ScopeOrder`] is a struct variant, `ScopeOrder { kind, open }`: why the exit was
//!   refused ([`ScopeOrderKind`]) and how many scopes were open on the thread. It was
//!   `ScopeOrder(String)`; its message (`to_string()`) is word for word what the string was.
//!   Match `Error::ScopeOrder { .. }` where you matched `Error::ScopeOrder(_)`.
//! - `read_current`, `read_current_value`, `Scope::generation`, `Scope::watch` and
//!   `HostObject::disarm` are no longer public: they are the engine's plumbing for the C ABI
//!   and host runtimes. Read with [`get_param`] or [`Scope::get`]; a scope's write counter
//!   stays available to bindings as `ffi::hp_scope_generation`, reports of writes as
//!   `ffi::hp_scope_watch`.

mod cache;
mod convert;
mod error;
pub mod ffi;
mod fork;
mod hash;
mod host;
mod instance;
mod key;
mod macros;
mod param;
mod scope;
mod value;

pub use convert::{format_float, parse_bool, parse_value, to_bool, to_f64, to_i64, to_str};
pub use error::{Error, Result, ScopeOrderKind};
pub use hash::{hash_bytes, hash_key, SEED};
pub use key::{validate_key, KeyError, MAX_KEY_LEN};
pub use param::{
    frozen, get_param, get_param_kept, parse_definition, KeptAnswer, Param, ParamScope, ScopeGuard,
};
pub use scope::{checked_hash, Entry, Scope};
pub use value::{live_host_objects, HostObject, Value};

// The Rust examples of the README are compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;

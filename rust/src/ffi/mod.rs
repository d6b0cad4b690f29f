//! The C ABI: every `extern "C"` function of the library, the table of contents of
//! `include/hyperparameter.h` (generated from this folder by cbindgen).
//!
//! Conventions, as in sqlite3.h and rustls-ffi:
//! - every function is prefixed `hp_`; fallible ones return an `int32_t` status (`HP_OK` or an
//!   error code) and write results through out-parameters, which are left untouched on error;
//! - text goes in as a (pointer, length) pair of UTF-8 bytes, need not be NUL-terminated, and is
//!   only borrowed for the duration of the call; NULL and invalid UTF-8 are errors;
//! - text the library returns is an `hp_string` the caller owns and frees with `hp_string_free`;
//! - `hp_last_error()` holds the message of the calling thread's latest failed call;
//! - no panic crosses this boundary: an internal bug returns `HP_PANIC` (or the documented
//!   fallback) with its message in `hp_last_error()`.
//!
//! Scope arguments accept NULL, meaning the calling thread's current (innermost) scope.
//!
//! One module per concern, each depending only on those above it:
//!
//! | module     | owns                                                                      |
//! |------------|---------------------------------------------------------------------------|
//! | `boundary` | status codes, the calling thread's last error, the panic boundary         |
//! | `marshal`  | the C types (`hp_scope`, `hp_string`, `hp_value`) and conversions to them |
//! | `keys`     | hashing and checking keys                                                 |
//! | `scopes`   | scope handles, entering and leaving, the host runtime's hooks, listings   |
//! | `set`      | writes, to the given scope only                                           |
//! | `get`      | reads by key text, and the fast reads by precomputed hash                 |
//! | `word`     | the read word, for readers that keep their own answers                    |
//! | `values`   | conversion, freeing strings and values, host objects                      |
//!
//! cbindgen writes the header in the order it meets items: this file first, then the modules
//! in the order declared below. That order is the header's; keep it when adding a module.

#![allow(non_camel_case_types)]

// One `mod` per group: rustfmt sorts adjacent `mod` lines by name, which would reorder the
// header.
mod boundary;

mod marshal;

mod keys;

mod scopes;

mod set;

mod get;

mod word;

mod values;

use boundary::boundary_unsynced;
pub use boundary::*;
pub use get::*;
pub use keys::*;
pub use marshal::*;
pub use scopes::*;
pub use set::*;
pub use values::*;
pub use word::*;

/// Version of this ABI. Bindings compare it with `hp_abi_version()` when they load the library.
pub const HP_ABI_VERSION: u32 = 3;

/// The ABI version of the loaded library; equals `HP_ABI_VERSION` of a matching header.
#[no_mangle]
pub extern "C-unwind" fn hp_abi_version() -> u32 {
    HP_ABI_VERSION
}

/// `HP_OK` if this copy of the engine is the only one loaded in the process, else
/// `HP_OTHER_ENGINE`, with both files named in `hp_last_error()`. A copy that finds another
/// fails every call that way: two copies would keep two sets of scopes, and values set through
/// one would silently be invisible to the other. Bindings call this once when they load the
/// library, to fail there with the message.
#[no_mangle]
pub extern "C-unwind" fn hp_engine_check() -> i32 {
    boundary_unsynced(|| Ok(()))
}

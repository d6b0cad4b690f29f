//! Writes: each goes to the scope given (NULL: the calling thread's current scope) and to no
//! other.

use std::ffi::{c_char, c_void};
use std::sync::Arc;

use super::marshal::{boundary_on, hp_release_fn, hp_scope, scope_of, text};
use crate::error::Result;
use crate::param::parse_definition;
use crate::value::{HostObject, Value};

/// Set `key` in `scope` (NULL: the current scope).
///
/// # Safety
/// `key` must point to `key_len` readable bytes; `scope` must be NULL or a live handle.
unsafe fn set(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    value: impl FnOnce() -> Result<Value>,
) -> i32 {
    boundary_on(scope, || {
        // SAFETY: the caller's promises are passed on.
        let key = unsafe { text(key, key_len, "key") }?;
        // SAFETY: as above.
        unsafe { scope_of(scope) }.set(key, value()?)
    })
}

/// Set `key` to null. Errors: `HP_INVALID_KEY`, `HP_KEY_COLLISION`, `HP_NULL_POINTER`,
/// `HP_INVALID_UTF8`.
///
/// # Safety
/// `key` must point to `key_len` readable bytes; `scope` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_set_null(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe { set(scope, key, key_len, || Ok(Value::Null)) }
}

/// Set `key` to a boolean. Errors as `hp_set_null`.
///
/// # Safety
/// As `hp_set_null`.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_set_bool(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    value: bool,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe { set(scope, key, key_len, || Ok(Value::Bool(value))) }
}

/// Set `key` to an integer. Errors as `hp_set_null`.
///
/// # Safety
/// As `hp_set_null`.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_set_i64(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    value: i64,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe { set(scope, key, key_len, || Ok(Value::Int(value))) }
}

/// Set `key` to a float (NaN and infinities are kept as they are). Errors as `hp_set_null`.
///
/// # Safety
/// As `hp_set_null`.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_set_f64(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    value: f64,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe { set(scope, key, key_len, || Ok(Value::Float(value))) }
}

/// Set `key` to a copy of the UTF-8 text (`value`, `value_len`). Errors as `hp_set_null`.
///
/// # Safety
/// As `hp_set_null`, and `value` must point to `value_len` readable bytes.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_set_str(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe {
        set(scope, key, key_len, || {
            Ok(Value::Str(text(value, value_len, "value")?.into()))
        })
    }
}

/// Set `key` to a host object. The library never reads `object`; it calls `release(object)`
/// exactly once, from whichever thread drops the last copy (when the scope holding it ends or
/// the key is overwritten). Native readers get `HP_TYPE_MISMATCH` for it. Errors as
/// `hp_set_null`; on error `release` is not called and the object stays the caller's.
///
/// # Safety
/// As `hp_set_null`; `release`, if not NULL, must be callable from any thread.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_set_host(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    object: *mut c_void,
    release: hp_release_fn,
) -> i32 {
    boundary_on(scope, || {
        // SAFETY: the caller's promises are passed on.
        let key = unsafe { text(key, key_len, "key") }?;
        let host = Arc::new(HostObject::new(object, release));
        // SAFETY: as above.
        let stored = unsafe { scope_of(scope) }.set(key, Value::Host(host.clone()));
        if stored.is_err() {
            // Not stored: the object stays the caller's, as documented.
            host.disarm();
        }
        stored
    })
}

/// The provenance label of a value parsed from a `key=value` definition written in code.
const DEFINITION: &str = "key=value";

/// Parse a `key=value` definition (as from `-D` on a command line) and set it in `scope`.
/// The value becomes an int, float, bool (`true`/`false`), null (`null`/`none`) or else a string.
/// Its provenance label is `key=value`, as for the same definition given to Python's
/// `hp.scope("key=value")` (a command line labels its own `-D` values `-D`).
/// Errors: `HP_INVALID_ARGUMENT` (no `=`) and those of `hp_set_null`.
///
/// # Safety
/// As `hp_set_null`, with `definition` of `len` readable bytes.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_set_parsed(
    scope: *const hp_scope,
    definition: *const c_char,
    len: usize,
) -> i32 {
    boundary_on(scope, || {
        // SAFETY: the caller's promises are passed on.
        let (key, value) = parse_definition(unsafe { text(definition, len, "definition") }?)?;
        // SAFETY: as above.
        unsafe { scope_of(scope) }.set_entry(&key, value, Some(DEFINITION))
    })
}

/// Label where the value of `key` in `scope` itself came from (`"config.yaml:train.lr"`,
/// `"-D"`, ...). Errors: `HP_NOT_FOUND` if `scope` itself does not hold `key`, and those of
/// `hp_set_null`.
///
/// # Safety
/// As `hp_set_null`, with `source` of `source_len` readable bytes.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_set_source(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    source: *const c_char,
    source_len: usize,
) -> i32 {
    boundary_on(scope, || {
        // SAFETY: the caller's promises are passed on.
        let (key, source) = unsafe {
            (
                text(key, key_len, "key")?,
                text(source, source_len, "source")?,
            )
        };
        // SAFETY: as above.
        unsafe { scope_of(scope) }.set_source(key, Some(source))
    })
}

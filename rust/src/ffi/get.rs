//! Reads: by key text (validated, collision-checked) from any scope, and the fast reads by
//! precomputed hash from the calling thread's current scope (C++ `GET_PARAM`).

use std::ffi::c_char;

use super::boundary::{
    boundary, boundary_or, record_error, record_hash_not_found, HP_NOT_FOUND, HP_OK,
};
use super::marshal::{
    boundary_on, hp_scope, hp_string, hp_value, owned_string, put, scope_of, text, value_out,
    OutValue,
};
use crate::cache::{self, Cached};
use crate::convert;
use crate::error::{Error, Result};
use crate::scope::{read_current, read_current_value};
use crate::value::Value;

// ---------------------------------------------------------------------------------------------
// Reads by key text (validated, collision-checked)

/// Read `key` as seen from `scope` (NULL: the current scope) into `*out`, with its kind.
/// Strings are copied (free with `hp_value_clear`); host objects are borrowed.
/// Errors: `HP_NOT_FOUND`, `HP_INVALID_KEY`, `HP_NULL_POINTER`, `HP_INVALID_UTF8`.
///
/// # Safety
/// `key` must point to `key_len` readable bytes; `scope` NULL or live; `out` writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    out: *mut hp_value,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe { get_with(scope, key, key_len, out, |_, v| Ok(value_out(v))) }
}

/// Read and convert by the library's rule set.
///
/// # Safety
/// As `hp_get`.
unsafe fn get_with<T: OutValue>(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    out: *mut T,
    convert: impl FnOnce(&str, &Value) -> Result<T>,
) -> i32 {
    boundary_on(scope, || {
        // SAFETY: the caller's promises are passed on.
        let key = unsafe { text(key, key_len, "key") }?;
        // SAFETY: as above.
        let entry = unsafe { scope_of(scope) }.get(key)?;
        let value = convert(key, &entry.value).map_err(|e| e.with_key(key))?;
        // SAFETY: as above.
        unsafe { put(out, value) }
    })
}

/// Read `key` converted to bool. Errors: those of `hp_get`, and `HP_TYPE_MISMATCH`.
///
/// # Safety
/// As `hp_get`.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get_bool(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    out: *mut bool,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe { get_with(scope, key, key_len, out, |_, v| convert::to_bool(v)) }
}

/// Read `key` converted to int (never truncated: 3.5 is `HP_TYPE_MISMATCH`). Errors as
/// `hp_get_bool`.
///
/// # Safety
/// As `hp_get`.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get_i64(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    out: *mut i64,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe { get_with(scope, key, key_len, out, |_, v| convert::to_i64(v)) }
}

/// Read `key` converted to float. Errors as `hp_get_bool`.
///
/// # Safety
/// As `hp_get`.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get_f64(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    out: *mut f64,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe { get_with(scope, key, key_len, out, |_, v| convert::to_f64(v)) }
}

/// Read `key` converted to a string, copied into `*out` (free with `hp_string_free`).
/// Errors as `hp_get_bool`.
///
/// # Safety
/// As `hp_get`.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get_str(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    out: *mut hp_string,
) -> i32 {
    // SAFETY: the caller's promises are passed on.
    unsafe {
        get_with(scope, key, key_len, out, |_, v| {
            convert::to_str(v).map(owned_string)
        })
    }
}

/// The provenance label of `key` as seen from `scope`, copied into `*out` (empty when none was
/// set). Errors as `hp_get`.
///
/// # Safety
/// As `hp_get`.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get_source(
    scope: *const hp_scope,
    key: *const c_char,
    key_len: usize,
    out: *mut hp_string,
) -> i32 {
    boundary_on(scope, || {
        // SAFETY: the caller's promises are passed on.
        let key = unsafe { text(key, key_len, "key") }?;
        // SAFETY: as above.
        let entry = unsafe { scope_of(scope) }.get(key)?;
        let source = entry.source.map(|s| s.to_string()).unwrap_or_default();
        // SAFETY: as above.
        unsafe { put(out, owned_string(source)) }
    })
}

// ---------------------------------------------------------------------------------------------
// Fast reads by precomputed hash, on the calling thread's current scope (C++ GET_PARAM)

/// Read by precomputed hash and convert; `HP_NOT_FOUND` when missing.
///
/// # Safety
/// `out` must be NULL or writable.
unsafe fn by_hash<T: OutValue>(hash: u64, out: *mut T, convert: fn(&Value) -> Result<T>) -> i32 {
    // The hot path: a valid cache slot holding a value of the wanted type, or "missing".
    match cache::hit(hash) {
        Some(Cached::Missing) => {
            record_hash_not_found(hash);
            return HP_NOT_FOUND;
        }
        Some(cached) if !out.is_null() => {
            if let Some(value) = T::from_cached(cached) {
                // SAFETY: non-NULL, and the caller promises `out` is writable.
                unsafe { out.write(value) };
                return HP_OK;
            }
        }
        _ => {}
    }
    // SAFETY: the caller's promise is passed on.
    unsafe { by_hash_slow(hash, out, convert) }
}

/// Everything but a cache hit, out of line so the hit path stays a few instructions.
///
/// # Safety
/// `out` must be NULL or writable.
#[cold]
#[inline(never)]
unsafe fn by_hash_slow<T: OutValue>(
    hash: u64,
    out: *mut T,
    convert: fn(&Value) -> Result<T>,
) -> i32 {
    let mut missing = false;
    let status = boundary(|| match read_current_value(hash) {
        // SAFETY: the caller's promise is passed on.
        Some(value) => unsafe { put(out, convert(&value).map_err(|err| with_key_of(hash, err))?) },
        None => {
            missing = true;
            Ok(())
        }
    });
    if missing {
        record_hash_not_found(hash);
        return HP_NOT_FOUND;
    }
    status
}

/// Name the key of a failed read by hash (the cold path: look its text up).
#[cold]
fn with_key_of(hash: u64, err: Error) -> Error {
    match read_current(hash, |e| e.key.clone()) {
        Some(key) => err.with_key(&key),
        None => err,
    }
}

/// Read the key whose hash is `hash` (see `hp_hash`) from the calling thread's current scope,
/// converted to bool. The fast path for compiled-in keys: no key text, no validation.
/// Errors: `HP_NOT_FOUND`, `HP_TYPE_MISMATCH`, `HP_NULL_POINTER`.
///
/// # Safety
/// `out` must be writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get_bool_by_hash(hash: u64, out: *mut bool) -> i32 {
    // SAFETY: the caller's promise is passed on.
    unsafe { by_hash(hash, out, convert::to_bool) }
}

/// As `hp_get_bool_by_hash`, converted to int.
///
/// # Safety
/// `out` must be writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get_i64_by_hash(hash: u64, out: *mut i64) -> i32 {
    // SAFETY: the caller's promise is passed on.
    unsafe { by_hash(hash, out, convert::to_i64) }
}

/// As `hp_get_bool_by_hash`, converted to float.
///
/// # Safety
/// `out` must be writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get_f64_by_hash(hash: u64, out: *mut f64) -> i32 {
    // SAFETY: the caller's promise is passed on.
    unsafe { by_hash(hash, out, convert::to_f64) }
}

/// As `hp_get_bool_by_hash`, converted to a string copied into `*out` (free with
/// `hp_string_free`).
///
/// # Safety
/// `out` must be writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_get_str_by_hash(hash: u64, out: *mut hp_string) -> i32 {
    // SAFETY: the caller's promise is passed on.
    unsafe { by_hash(hash, out, |v| convert::to_str(v).map(owned_string)) }
}

/// Read by hash with a default. A missing key is the common case of a default and costs no
/// more than the probe (no error is recorded); a value that cannot convert also gives the
/// default, with the reason in `hp_last_error()`.
fn by_hash_or<T: Copy + OutValue>(
    hash: u64,
    default_value: T,
    convert: fn(&Value) -> Result<T>,
) -> T {
    match cache::hit(hash) {
        Some(Cached::Missing) => return default_value,
        Some(cached) => {
            if let Some(value) = T::from_cached(cached) {
                return value;
            }
        }
        None => {}
    }
    by_hash_or_slow(hash, default_value, convert)
}

#[cold]
#[inline(never)]
fn by_hash_or_slow<T: Copy>(hash: u64, default_value: T, convert: fn(&Value) -> Result<T>) -> T {
    boundary_or(default_value, || match read_current_value(hash) {
        None => default_value,
        Some(value) => convert(&value).unwrap_or_else(|err| {
            record_error(with_key_of(hash, err).to_string());
            default_value
        }),
    })
}

/// Read by hash with a default: `default_value` when the key is missing, and also when it
/// cannot be converted, in which case `hp_last_error()` says why. Use the `_by_hash` form to
/// tell the two apart.
#[no_mangle]
pub extern "C-unwind" fn hp_get_bool_or(hash: u64, default_value: bool) -> bool {
    by_hash_or(hash, default_value, convert::to_bool)
}

/// As `hp_get_bool_or`, for int.
#[no_mangle]
pub extern "C-unwind" fn hp_get_i64_or(hash: u64, default_value: i64) -> i64 {
    by_hash_or(hash, default_value, convert::to_i64)
}

/// As `hp_get_bool_or`, for float.
#[no_mangle]
pub extern "C-unwind" fn hp_get_f64_or(hash: u64, default_value: f64) -> f64 {
    by_hash_or(hash, default_value, convert::to_f64)
}

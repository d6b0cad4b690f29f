//! Keys: hashing them as the library does, and checking them against the key rules.

use std::ffi::c_char;

use super::boundary::boundary_unsynced;
use super::marshal::{put, text};
use crate::error::Error;
use crate::hash::hash_bytes;
use crate::scope::checked_hash;

/// Hash `len` bytes at `key` with XXH64, seed 42 (the key is not validated, so any bytes hash).
/// Writes the hash to `*out`. Errors: `HP_NULL_POINTER`.
///
/// # Safety
/// `key` must point to `len` readable bytes; `out` must be writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_hash(key: *const c_char, len: usize, out: *mut u64) -> i32 {
    boundary_unsynced(|| {
        if key.is_null() {
            return Err(Error::NullPointer("key"));
        }
        // SAFETY: non-NULL, and the caller promises `len` readable bytes.
        let bytes = unsafe { std::slice::from_raw_parts(key.cast::<u8>(), len) };
        // SAFETY: the caller promises `out` is writable.
        unsafe { put(out, hash_bytes(bytes)) }
    })
}

/// Check a key against the key rules: segments of letters, digits, `_` or `-`, joined by `.`,
/// at most 1024 bytes. Errors: `HP_INVALID_KEY`, `HP_INVALID_UTF8`, `HP_NULL_POINTER`.
///
/// # Safety
/// `key` must point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_key_check(key: *const c_char, len: usize) -> i32 {
    // SAFETY: the caller's promise is passed on.
    boundary_unsynced(|| checked_hash(unsafe { text(key, len, "key") }?).map(drop))
}

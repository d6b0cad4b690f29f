//! Values: converting and parsing them by the library's one rule set, freeing the strings and
//! values the library hands out, and host objects.

use std::ffi::c_char;

use super::boundary::{boundary_or_unsynced, boundary_unsynced};
use super::marshal::{
    free_string, hp_string, hp_value, put, text, value_in, value_out, HP_KIND_BOOL, HP_KIND_FLOAT,
    HP_KIND_INT, HP_KIND_NULL, HP_KIND_STR,
};
use crate::convert;
use crate::error::Error;
use crate::host;
use crate::value::{self, Value};

/// Convert `*value` to `kind` (`HP_KIND_BOOL`, `HP_KIND_INT`, `HP_KIND_FLOAT` or `HP_KIND_STR`)
/// by the library's one rule set, writing `*out` (a string result must be freed with
/// `hp_value_clear`). Host values cannot be given. Errors: `HP_TYPE_MISMATCH`,
/// `HP_INVALID_ARGUMENT`, `HP_NULL_POINTER`, `HP_INVALID_UTF8`.
///
/// # Safety
/// `value` must point to an initialised `hp_value`; `out` must be writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_convert(
    value: *const hp_value,
    kind: i32,
    out: *mut hp_value,
) -> i32 {
    boundary_unsynced(|| {
        // SAFETY: the caller's promise is passed on.
        let value = unsafe { value_in(value) }?;
        let converted = match kind {
            HP_KIND_BOOL => Value::Bool(convert::to_bool(&value)?),
            HP_KIND_INT => Value::Int(convert::to_i64(&value)?),
            HP_KIND_FLOAT => Value::Float(convert::to_f64(&value)?),
            HP_KIND_STR => Value::Str(convert::to_str(&value)?.into()),
            other => {
                return Err(Error::InvalidArgument(format!(
                    "cannot convert to kind {other}"
                )))
            }
        };
        // SAFETY: the caller's promise is passed on.
        unsafe { put(out, value_out(&converted)) }
    })
}

/// Parse the text of a definition's value the way `hp_set_parsed` does (int, float,
/// `true`/`false`, `null`/`none`, else the text itself) into `*out` (free with
/// `hp_value_clear`). Errors: `HP_NULL_POINTER`, `HP_INVALID_UTF8`.
///
/// # Safety
/// `text` must point to `len` readable bytes; `out` must be writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_parse_value(
    text: *const c_char,
    len: usize,
    out: *mut hp_value,
) -> i32 {
    boundary_unsynced(|| {
        // SAFETY: the caller's promises are passed on.
        let value = convert::parse_value(unsafe { self::text(text, len, "text") }?);
        // SAFETY: as above.
        unsafe { put(out, value_out(&value)) }
    })
}

/// Free a string returned by the library (a zeroed `hp_string` is ignored).
///
/// # Safety
/// `string` must come from this library and not be freed before.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_string_free(string: hp_string) {
    // SAFETY: the caller promises a string from this library, not freed before.
    boundary_or_unsynced((), || unsafe { free_string(string) })
}

/// Free the string a value may own and reset it to null (NULL is ignored).
///
/// # Safety
/// `value` must be NULL or a value filled by this library.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_value_clear(value: *mut hp_value) {
    // SAFETY: the caller promises NULL or a value filled by the library.
    if let Some(value) = unsafe { value.as_mut() } {
        let string = std::mem::replace(
            &mut value.string,
            hp_string {
                ptr: std::ptr::null_mut(),
                len: 0,
            },
        );
        // SAFETY: the string was made by `owned_string`.
        unsafe { hp_string_free(string) };
        value.kind = HP_KIND_NULL;
    }
}

/// The number of host objects the library holds now (for leak tests: it returns to its
/// earlier value once the scopes holding them end).
#[no_mangle]
pub extern "C-unwind" fn hp_live_host_objects() -> usize {
    value::live_host_objects()
}

/// Stop calling host release callbacks from now on, for a host runtime that is shutting down
/// (objects still held are then simply forgotten). Cannot be undone.
#[no_mangle]
pub extern "C-unwind" fn hp_disable_host_release() {
    host::disable_release()
}

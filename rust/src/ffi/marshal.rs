//! What crosses the boundary and how: the C types (`hp_scope` handles, `hp_string`,
//! `hp_value`), borrowed text in, owned strings and values out, results through
//! out-parameters. Memory the library hands out is made and freed here.

use std::ffi::{c_char, c_void};

use super::boundary::{boundary, boundary_or, boundary_or_unsynced, boundary_unsynced};
use crate::cache::Cached;
use crate::error::{Error, Result};
use crate::scope::Scope;
use crate::value::Value;

/// Kind of a value: null (`None` in Python).
pub const HP_KIND_NULL: i32 = 0;
/// Kind of a value: boolean.
pub const HP_KIND_BOOL: i32 = 1;
/// Kind of a value: 64-bit signed integer.
pub const HP_KIND_INT: i32 = 2;
/// Kind of a value: 64-bit float.
pub const HP_KIND_FLOAT: i32 = 3;
/// Kind of a value: UTF-8 string.
pub const HP_KIND_STR: i32 = 4;
/// Kind of a value: an opaque object owned by a host runtime (a Python object, say).
pub const HP_KIND_HOST: i32 = 5;

/// A handle to a scope. Obtained from `hp_scope_new`, `hp_scope_new_empty`, `hp_scope_push` or
/// `hp_scope_current`; released with `hp_scope_free`. A scope lives as long as any handle to it,
/// any child of it, or any thread that has it entered.
pub struct hp_scope {
    pub(super) scope: Scope,
}

/// A string owned by the caller: `ptr` is NUL-terminated UTF-8 of `len` bytes (the NUL not
/// counted). Free it exactly once with `hp_string_free`. `ptr` is NULL for an empty result.
#[repr(C)]
pub struct hp_string {
    pub ptr: *mut c_char,
    pub len: usize,
}

/// Called exactly once, from any thread, when the library drops its last copy of a host object.
pub type hp_release_fn = Option<unsafe extern "C-unwind" fn(object: *mut c_void)>;

/// A value read from, or given to, the library. `kind` says which field holds it.
/// For `HP_KIND_STR` read by `hp_get`, `string` is owned by the caller (free it with
/// `hp_value_clear`). For `HP_KIND_HOST`, `host` is borrowed: it stays valid while the entry
/// holding it is set.
#[repr(C)]
pub struct hp_value {
    pub kind: i32,
    pub boolean: bool,
    pub integer: i64,
    pub number: f64,
    pub string: hp_string,
    pub host: *mut c_void,
}

// ---------------------------------------------------------------------------------------------
// Text in

/// Borrow (pointer, length) text as `&str`.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that outlive the returned borrow.
pub(super) unsafe fn text<'a>(
    ptr: *const c_char,
    len: usize,
    what: &'static str,
) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::NullPointer(what));
    }
    // SAFETY: non-NULL and, per this function's contract, `len` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|e| Error::InvalidUtf8 {
        what,
        detail: e.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// Scope handles

/// The scope a handle names, or the calling thread's current scope for NULL.
///
/// # Safety
/// `scope` must be NULL or a live handle from this library.
pub(super) unsafe fn scope_of(scope: *const hp_scope) -> Scope {
    // SAFETY: per this function's contract.
    match unsafe { scope.as_ref() } {
        Some(handle) => handle.scope.clone(),
        None => Scope::current(),
    }
}

/// The boundary of a call that works on the scope `scope` names: it syncs with the host only
/// for NULL (the calling thread's current scope).
pub(super) fn boundary_on(scope: *const hp_scope, body: impl FnOnce() -> Result<()>) -> i32 {
    if scope.is_null() {
        boundary(body)
    } else {
        boundary_unsynced(body)
    }
}

/// As `boundary_or`, syncing only when `scope` is NULL (the calling thread's current scope).
pub(super) fn boundary_or_on<T>(
    scope: *const hp_scope,
    fallback: T,
    body: impl FnOnce() -> T,
) -> T {
    if scope.is_null() {
        boundary_or(fallback, body)
    } else {
        boundary_or_unsynced(fallback, body)
    }
}

pub(super) fn new_handle(scope: Scope) -> *mut hp_scope {
    Box::into_raw(Box::new(hp_scope { scope }))
}

// ---------------------------------------------------------------------------------------------
// Strings and values out

pub(super) fn owned_string(text: String) -> hp_string {
    if text.is_empty() {
        return hp_string {
            ptr: std::ptr::null_mut(),
            len: 0,
        };
    }
    let len = text.len();
    // Interior NULs are kept by length; the terminating NUL is for C convenience only.
    let mut bytes = text.into_bytes();
    bytes.push(0);
    let ptr = Box::into_raw(bytes.into_boxed_slice()).cast::<c_char>();
    hp_string { ptr, len }
}

/// Free a string made by `owned_string` (a zeroed one is ignored).
///
/// # Safety
/// `string` must be zeroed or come from `owned_string`, and not be freed before.
pub(super) unsafe fn free_string(string: hp_string) {
    if !string.ptr.is_null() {
        let slice = std::ptr::slice_from_raw_parts_mut(string.ptr.cast::<u8>(), string.len + 1);
        // SAFETY: built by `owned_string` from a boxed slice of `len + 1` bytes.
        drop(unsafe { Box::from_raw(slice) });
    }
}

pub(super) fn value_out(value: &Value) -> hp_value {
    let mut out = hp_value {
        kind: HP_KIND_NULL,
        boolean: false,
        integer: 0,
        number: 0.0,
        string: hp_string {
            ptr: std::ptr::null_mut(),
            len: 0,
        },
        host: std::ptr::null_mut(),
    };
    match value {
        Value::Null => {}
        Value::Bool(b) => (out.kind, out.boolean) = (HP_KIND_BOOL, *b),
        Value::Int(i) => (out.kind, out.integer) = (HP_KIND_INT, *i),
        Value::Float(x) => (out.kind, out.number) = (HP_KIND_FLOAT, *x),
        Value::Str(s) => (out.kind, out.string) = (HP_KIND_STR, owned_string(s.to_string())),
        Value::Host(h) => (out.kind, out.host) = (HP_KIND_HOST, h.pointer()),
    }
    out
}

/// Read a caller's `hp_value` as a `Value` (strings copied; host objects are refused because a
/// borrowed host pointer carries no release callback).
///
/// # Safety
/// `value` must be NULL or point to an initialised `hp_value` whose string, for `HP_KIND_STR`,
/// is `len` readable bytes.
pub(super) unsafe fn value_in(value: *const hp_value) -> Result<Value> {
    // SAFETY: per this function's contract.
    let value = unsafe { value.as_ref() }.ok_or(Error::NullPointer("value"))?;
    Ok(match value.kind {
        HP_KIND_NULL => Value::Null,
        HP_KIND_BOOL => Value::Bool(value.boolean),
        HP_KIND_INT => Value::Int(value.integer),
        HP_KIND_FLOAT => Value::Float(value.number),
        HP_KIND_STR if value.string.len == 0 => Value::Str("".into()),
        // SAFETY: per this function's contract.
        HP_KIND_STR => {
            Value::Str(unsafe { text(value.string.ptr, value.string.len, "value string") }?.into())
        }
        kind => {
            return Err(Error::InvalidArgument(format!(
                "value kind {kind} cannot be converted"
            )))
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Out-parameters

/// A result written through an out-parameter. `hp_string` and `hp_value` own library memory
/// but are plain C structs without `Drop`, so a result that cannot be delivered must be freed
/// explicitly or it leaks.
pub(super) trait OutValue: Sized {
    /// Free what the value owns (nothing, for plain numbers).
    fn discard(self) {}
    /// The value straight from a read-cache slot, when it already has this type.
    fn from_cached(_cached: Cached) -> Option<Self> {
        None
    }
}

impl OutValue for bool {
    fn from_cached(cached: Cached) -> Option<bool> {
        match cached {
            Cached::Bool(b) => Some(b),
            _ => None,
        }
    }
}

impl OutValue for i64 {
    fn from_cached(cached: Cached) -> Option<i64> {
        match cached {
            Cached::Int(i) => Some(i),
            _ => None,
        }
    }
}

impl OutValue for u64 {}

impl OutValue for f64 {
    fn from_cached(cached: Cached) -> Option<f64> {
        match cached {
            Cached::Float(x) => Some(x),
            _ => None,
        }
    }
}

impl OutValue for hp_string {
    fn discard(self) {
        // SAFETY: every `hp_string` this module produces comes from `owned_string`.
        unsafe { free_string(self) }
    }
}

impl OutValue for hp_value {
    fn discard(self) {
        // SAFETY: every `hp_value` this module produces comes from `value_out`, whose string
        // comes from `owned_string`.
        unsafe { free_string(self.string) }
    }
}

/// Write `value` through `out`, or free it and report NULL.
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
pub(super) unsafe fn put<T: OutValue>(out: *mut T, value: T) -> Result<()> {
    if out.is_null() {
        value.discard();
        return Err(Error::NullPointer("output pointer"));
    }
    // SAFETY: non-NULL and writable per this function's contract.
    unsafe { out.write(value) };
    Ok(())
}

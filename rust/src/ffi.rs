//! The C ABI: every `extern "C"` function of the library, the table of contents of
//! `include/hyperparameter.h` (generated from this file by cbindgen).
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

#![allow(non_camel_case_types)]

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicU64;

use crate::cache::{self, Cached};
use crate::convert;
use crate::error::{Error, Result};
use crate::hash::hash_bytes;
use crate::host;
use crate::param::{frozen, parse_definition};
use crate::scope::{checked_hash, read_current, read_current_value, Scope};
use crate::value::{self, HostObject, Value};

/// Version of this ABI. Bindings compare it with `hp_abi_version()` when they load the library.
pub const HP_ABI_VERSION: u32 = 2;

/// Success.
pub const HP_OK: i32 = 0;
/// The key is not set in the scope or any scope it reads through.
pub const HP_NOT_FOUND: i32 = 1;
/// The value cannot be converted to the requested type (message names key, value and type).
pub const HP_TYPE_MISMATCH: i32 = 2;
/// The key is empty, has an empty segment, a character outside the key set, or is too long.
pub const HP_INVALID_KEY: i32 = 3;
/// An argument is out of its domain (a malformed `key=value`, an unknown kind, ...).
pub const HP_INVALID_ARGUMENT: i32 = 4;
/// A scope was exited while it was not the calling thread's innermost scope. Nothing changed.
pub const HP_SCOPE_ORDER: i32 = 5;
/// A required pointer argument was NULL.
pub const HP_NULL_POINTER: i32 = 6;
/// A text argument is not valid UTF-8.
pub const HP_INVALID_UTF8: i32 = 7;
/// A different key with the same hash is already set in this scope.
pub const HP_KEY_COLLISION: i32 = 8;
/// An internal error was caught at the boundary; the library stays usable.
pub const HP_PANIC: i32 = 9;
/// The host runtime (Python) could not bring this thread's scopes up to date, so the read
/// did not happen: a value from an outdated scope would be silently wrong. The message says why.
pub const HP_HOST_ERROR: i32 = 10;

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
    scope: Scope,
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
// Errors and the panic boundary

thread_local! {
    static LAST_ERROR: RefCell<LastError> = const { RefCell::new(LastError::Message(None)) };
}

/// The calling thread's latest error. A miss of a read by hash (the everyday "not set: use the
/// default" of C++ `GET_PARAM`) is kept unformatted, so that path allocates nothing; the
/// message is built only if `hp_last_error()` asks for it.
enum LastError {
    Message(Option<CString>),
    HashNotFound(u64),
}

/// The status code the C ABI reports for an engine error.
pub fn status_of(err: &Error) -> i32 {
    match err {
        Error::NotFound { .. } => HP_NOT_FOUND,
        Error::TypeMismatch { .. } => HP_TYPE_MISMATCH,
        Error::InvalidKey { .. } => HP_INVALID_KEY,
        Error::KeyCollision { .. } => HP_KEY_COLLISION,
        Error::ScopeOrder(_) => HP_SCOPE_ORDER,
        Error::InvalidArgument(_) => HP_INVALID_ARGUMENT,
        Error::NullPointer(_) => HP_NULL_POINTER,
        Error::InvalidUtf8 { .. } => HP_INVALID_UTF8,
        Error::Host(_) => HP_HOST_ERROR,
    }
}

fn record_error(message: String) {
    let message = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = LastError::Message(Some(message)));
}

fn record_hash_not_found(hash: u64) {
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = LastError::HashNotFound(hash));
}

fn hash_not_found(hash: u64) -> Error {
    Error::NotFound {
        key: format!("#{hash:016x}"),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error: {detail}")
}

/// The one boundary every fallible entry point goes through: brings the thread up to date
/// with the host, runs `body`, turns its error into a status code plus `hp_last_error()`
/// message, and turns a panic into `HP_PANIC`. Calls into the host happen outside the
/// `catch_unwind` (see `host.rs`: a host may end the thread from inside a callback).
fn boundary(body: impl FnOnce() -> Result<()>) -> i32 {
    boundary_with(true, body)
}

/// The boundary of a call that works on the scope `scope` names: it syncs with the host only
/// for NULL (the calling thread's current scope).
fn boundary_on(scope: *const hp_scope, body: impl FnOnce() -> Result<()>) -> i32 {
    boundary_with(scope.is_null(), body)
}

/// The boundary of a call that never looks at the calling thread's current scope.
fn boundary_unsynced(body: impl FnOnce() -> Result<()>) -> i32 {
    boundary_with(false, body)
}

fn boundary_with(sync: bool, body: impl FnOnce() -> Result<()>) -> i32 {
    if sync {
        if let Err(reason) = host::sync() {
            return fail(Error::Host(reason));
        }
    }
    match host::deferring(|| catch_unwind(AssertUnwindSafe(body))) {
        Ok(Ok(())) => HP_OK,
        Ok(Err(err)) => fail(err),
        Err(payload) => {
            record_error(panic_message(&*payload));
            HP_PANIC
        }
    }
}

fn fail(err: Error) -> i32 {
    let status = status_of(&err);
    record_error(err.to_string());
    status
}

/// The boundary for functions that cannot report a status: a panic, or a failed host sync,
/// yields `fallback` (with the reason in `hp_last_error()`).
fn boundary_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    if let Err(reason) = host::sync() {
        record_error(reason);
        return fallback;
    }
    boundary_or_unsynced(fallback, body)
}

/// As `boundary_or`, syncing only when `scope` is NULL (the calling thread's current scope).
fn boundary_or_on<T>(scope: *const hp_scope, fallback: T, body: impl FnOnce() -> T) -> T {
    if scope.is_null() {
        boundary_or(fallback, body)
    } else {
        boundary_or_unsynced(fallback, body)
    }
}

/// As `boundary_or`, for functions that never look at the calling thread's current scope
/// (releasing a handle, say): they need no sync with the host.
fn boundary_or_unsynced<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    host::deferring(|| catch_unwind(AssertUnwindSafe(body))).unwrap_or_else(|payload| {
        record_error(panic_message(&*payload));
        fallback
    })
}

// ---------------------------------------------------------------------------------------------
// Argument helpers

/// Borrow (pointer, length) text as `&str`.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes that outlive the returned borrow.
unsafe fn text<'a>(ptr: *const c_char, len: usize, what: &'static str) -> Result<&'a str> {
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

/// The scope a handle names, or the calling thread's current scope for NULL.
///
/// # Safety
/// `scope` must be NULL or a live handle from this library.
unsafe fn scope_of(scope: *const hp_scope) -> Scope {
    // SAFETY: per this function's contract.
    match unsafe { scope.as_ref() } {
        Some(handle) => handle.scope.clone(),
        None => Scope::current(),
    }
}

/// A result written through an out-parameter. `hp_string` and `hp_value` own library memory
/// but are plain C structs without `Drop`, so a result that cannot be delivered must be freed
/// explicitly or it leaks.
trait OutValue: Sized {
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
        unsafe { hp_string_free(self) }
    }
}

impl OutValue for hp_value {
    fn discard(mut self) {
        // SAFETY: every `hp_value` this module produces comes from `value_out`.
        unsafe { hp_value_clear(&mut self) }
    }
}

/// Write `value` through `out`, or free it and report NULL.
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
unsafe fn put<T: OutValue>(out: *mut T, value: T) -> Result<()> {
    if out.is_null() {
        value.discard();
        return Err(Error::NullPointer("output pointer"));
    }
    // SAFETY: non-NULL and writable per this function's contract.
    unsafe { out.write(value) };
    Ok(())
}

fn new_handle(scope: Scope) -> *mut hp_scope {
    Box::into_raw(Box::new(hp_scope { scope }))
}

fn owned_string(text: String) -> hp_string {
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

fn value_out(value: &Value) -> hp_value {
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
unsafe fn value_in(value: *const hp_value) -> Result<Value> {
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
// Library, errors, keys

/// The ABI version of the loaded library; equals `HP_ABI_VERSION` of a matching header.
#[no_mangle]
pub extern "C-unwind" fn hp_abi_version() -> u32 {
    HP_ABI_VERSION
}

/// The message of the calling thread's most recent failed call, as NUL-terminated UTF-8
/// (empty if none failed yet). Owned by the library; valid until the next failing call on this
/// thread. Successful calls do not clear it.
#[no_mangle]
pub extern "C-unwind" fn hp_last_error() -> *const c_char {
    boundary_or_unsynced(c"".as_ptr(), || {
        LAST_ERROR
            .try_with(|slot| {
                let mut slot = slot.borrow_mut();
                if let LastError::HashNotFound(hash) = *slot {
                    let message =
                        CString::new(hash_not_found(hash).to_string()).unwrap_or_default();
                    *slot = LastError::Message(Some(message));
                }
                match &*slot {
                    LastError::Message(Some(message)) => message.as_ptr(),
                    _ => c"".as_ptr(),
                }
            })
            .unwrap_or(c"".as_ptr())
    })
}

/// The constant's name of a status code (`"HP_NOT_FOUND"`), or `"HP_UNKNOWN"`. Static storage.
#[no_mangle]
pub extern "C-unwind" fn hp_status_name(status: i32) -> *const c_char {
    let name = match status {
        HP_OK => c"HP_OK",
        HP_NOT_FOUND => c"HP_NOT_FOUND",
        HP_TYPE_MISMATCH => c"HP_TYPE_MISMATCH",
        HP_INVALID_KEY => c"HP_INVALID_KEY",
        HP_INVALID_ARGUMENT => c"HP_INVALID_ARGUMENT",
        HP_SCOPE_ORDER => c"HP_SCOPE_ORDER",
        HP_NULL_POINTER => c"HP_NULL_POINTER",
        HP_INVALID_UTF8 => c"HP_INVALID_UTF8",
        HP_KEY_COLLISION => c"HP_KEY_COLLISION",
        HP_PANIC => c"HP_PANIC",
        HP_HOST_ERROR => c"HP_HOST_ERROR",
        _ => c"HP_UNKNOWN",
    };
    name.as_ptr()
}

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

// ---------------------------------------------------------------------------------------------
// Scopes

/// A new handle to the calling thread's current scope. Never NULL.
#[no_mangle]
pub extern "C-unwind" fn hp_scope_current() -> *mut hp_scope {
    boundary_or(std::ptr::null_mut(), || new_handle(Scope::current()))
}

/// A new scope, child of `parent` (NULL: of the calling thread's current scope). It sees all its
/// parent sees; writes to it stay in it. It is not entered. Never NULL.
///
/// # Safety
/// `parent` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_scope_new(parent: *const hp_scope) -> *mut hp_scope {
    // SAFETY: the caller's promise is passed on.
    boundary_or_on(parent, std::ptr::null_mut(), || {
        new_handle(unsafe { scope_of(parent) }.child())
    })
}

/// A new scope that inherits nothing: no outer scopes, no baseline. It is not entered.
#[no_mangle]
pub extern "C-unwind" fn hp_scope_new_empty() -> *mut hp_scope {
    boundary_or_unsynced(std::ptr::null_mut(), || new_handle(Scope::empty()))
}

/// Create a child of the current scope and enter it: the C form of a `with` block. Returns its
/// handle; leave with `hp_scope_exit`, then release with `hp_scope_free`.
#[no_mangle]
pub extern "C-unwind" fn hp_scope_push() -> *mut hp_scope {
    boundary_or(std::ptr::null_mut(), || {
        let scope = Scope::child_of_current();
        scope.enter();
        new_handle(scope)
    })
}

/// Make `scope` the calling thread's current scope until `hp_scope_exit(scope)`.
/// Errors: `HP_NULL_POINTER`.
///
/// # Safety
/// `scope` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_scope_enter(scope: *const hp_scope) -> i32 {
    boundary(|| {
        // SAFETY: the caller promises NULL or a live handle.
        let handle = unsafe { scope.as_ref() }.ok_or(Error::NullPointer("scope"))?;
        handle.scope.enter();
        Ok(())
    })
}

/// Leave `scope`. It must be the calling thread's innermost entered scope; otherwise nothing
/// changes and the result is `HP_SCOPE_ORDER` (out of order, exited twice, or entered on
/// another thread). Errors: `HP_SCOPE_ORDER`, `HP_NULL_POINTER`.
///
/// # Safety
/// `scope` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_scope_exit(scope: *const hp_scope) -> i32 {
    boundary(|| {
        // SAFETY: the caller promises NULL or a live handle.
        let handle = unsafe { scope.as_ref() }.ok_or(Error::NullPointer("scope"))?;
        handle.scope.exit()
    })
}

/// Release a handle (NULL is ignored). The scope itself lives on while entered or shared.
///
/// # Safety
/// `scope` must be NULL or a live handle, not used after this call.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_scope_free(scope: *mut hp_scope) {
    boundary_or_unsynced((), || {
        if !scope.is_null() {
            // SAFETY: the handle came from `Box::into_raw` in `new_handle` and is freed once.
            drop(unsafe { Box::from_raw(scope) });
        }
    })
}

/// Make `scope` the calling thread's current scope beneath any scopes entered with
/// `hp_scope_enter`/`hp_scope_push` (NULL: back to the thread's root). For host runtimes that
/// track the current scope per task themselves (Python does, per asyncio task): it has no
/// last-in-first-out rule and never fails. The library keeps its own reference to `scope`.
///
/// # Safety
/// `scope` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_scope_activate(scope: *const hp_scope) {
    // SAFETY: the caller promises NULL or a live handle.
    let scope = unsafe { scope.as_ref() }.map(|h| &h.scope);
    boundary_or_unsynced((), || Scope::activate(scope))
}

/// A new handle to the calling thread's root scope (what the thread sees outside every scope;
/// it reads through to the baseline). Never NULL.
#[no_mangle]
pub extern "C-unwind" fn hp_scope_thread_root() -> *mut hp_scope {
    boundary_or(std::ptr::null_mut(), || new_handle(Scope::thread_root()))
}

/// A new scope with no parent that reads through to the baseline: its keys and values are
/// the baseline's until written. It is not entered. Never NULL.
#[no_mangle]
pub extern "C-unwind" fn hp_scope_new_root() -> *mut hp_scope {
    boundary_or_unsynced(std::ptr::null_mut(), || new_handle(Scope::root()))
}

/// A counter bumped each time `hp_frozen` publishes a baseline, so a binding that mirrors the
/// baseline knows when to reload it. Static storage; read it as an atomic 64-bit value.
#[no_mangle]
pub extern "C-unwind" fn hp_baseline_generation() -> *const u64 {
    (crate::scope::baseline_generation() as *const AtomicU64).cast()
}

/// Called by the library before native code reads or enters the calling thread's current
/// scope, when the host changed its scopes (stale flag, `hp_host_stale_flag`) or switched its
/// context (`hp_host_context_watch`) since the last call, and on a thread's first access. It
/// brings the native side up to date and returns `HP_OK`; or it calls `hp_host_sync_fail` with
/// the reason and returns non-zero, and the read fails with `HP_HOST_ERROR` instead of reading
/// an outdated scope (the thread stays stale, so the next access asks again). It may end the
/// thread (a host shutting down): the library lets that unwind pass.
pub type hp_sync_fn = Option<unsafe extern "C-unwind" fn() -> i32>;

/// Register the host runtime's sync callback (NULL removes it). A host that keeps its own
/// scopes (Python) raises a thread's stale flag whenever they change and brings the native
/// side up to date from the callback, which runs on that thread, only when native code looks.
#[no_mangle]
pub extern "C-unwind" fn hp_host_sync_register(callback: hp_sync_fn) {
    host::set_sync(callback)
}

/// Inside the sync callback: the reason it is about to fail (UTF-8; invalid bytes are
/// replaced). The failing read's `hp_last_error()` is this text.
///
/// # Safety
/// `message` must be NULL or point to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_host_sync_fail(message: *const c_char, len: usize) {
    if message.is_null() {
        return;
    }
    // SAFETY: non-NULL and, per this function's contract, `len` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(message.cast::<u8>(), len) };
    host::fail_sync(&String::from_utf8_lossy(bytes));
}

/// The calling thread's stale flag: storing `true` through it makes the next native access to
/// this thread's current scope call the registered sync callback first. Valid for the life of
/// the calling thread, and only to be used from it. Never NULL.
#[no_mangle]
pub extern "C-unwind" fn hp_host_stale_flag() -> *mut bool {
    crate::cache::stale_flag()
}

/// Follow the host's context counter for the calling thread (NULL stops): while `*counter`
/// keeps the value it had when the last sync returned, the thread's native view is current;
/// when it moves (the host switched contexts: Python's `Context.run`, an asyncio task step),
/// the next native access syncs first. Checking costs a load and a compare per read. The
/// counter must stay readable from this thread until it is replaced, the thread calls this
/// with NULL, or the sync callback is unregistered. Registering one also marks the thread
/// as the host's: scopes native code enters and exits on it are reported to the stack hook.
#[no_mangle]
pub extern "C-unwind" fn hp_host_context_watch(counter: *const u64) {
    crate::cache::watch_context(counter)
}

/// Called on a host thread (see `hp_host_context_watch`) after native code entered a scope
/// (`entered` true: it is the thread's current scope now, `hp_scope_current` gives a handle)
/// or exited one (`entered` false; `exited_tag`: the tag the host watches the exited scope
/// under, 0 if none). A host that keeps its own scopes (Python) mirrors the native scope as
/// its innermost one, so its reads see the native scope's values and a scope it opens inside
/// builds on it.
pub type hp_host_stack_fn = Option<unsafe extern "C-unwind" fn(entered: bool, exited_tag: u64)>;

/// Register the host runtime's stack hook (NULL removes it).
#[no_mangle]
pub extern "C-unwind" fn hp_host_stack_register(hook: hp_host_stack_fn) {
    host::set_stack(hook)
}

/// Called by the library after a write to a scope the host watches (see `hp_scope_watch`):
/// the tag the host gave it and the key written (UTF-8, not NUL-terminated; valid during the
/// call), or NULL and 0 when the scope was cleared. It runs on the watching thread, which
/// made the write, after the writing call's work is done and with no lock held, so it may read
/// the new value back with `hp_get`.
pub type hp_host_write_fn =
    Option<unsafe extern "C-unwind" fn(tag: u64, key: *const c_char, key_len: usize)>;

/// Register the host runtime's write hook (NULL removes it). A host that mirrors its own
/// scopes into the library (Python) learns this way what native code writes into them.
#[no_mangle]
pub extern "C-unwind" fn hp_host_write_register(hook: hp_host_write_fn) {
    host::set_write(hook)
}

/// Report later writes to `scope` (set, relabel, clear; through any handle) made on the
/// calling thread to the registered write hook under `tag`; 0 stops reporting. Writes from
/// other threads are not reported: the hook would have to take the host's lock (Python's GIL)
/// while the host thread may be waiting for the writer.
///
/// # Safety
/// `scope` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_scope_watch(scope: *const hp_scope, tag: u64) -> i32 {
    boundary_unsynced(|| {
        // SAFETY: the caller promises NULL or a live handle.
        let handle = unsafe { scope.as_ref() }.ok_or(Error::NullPointer("scope"))?;
        handle.scope.watch(tag);
        Ok(())
    })
}

/// How many scopes the calling thread has entered and not yet exited.
#[no_mangle]
pub extern "C-unwind" fn hp_scope_depth() -> usize {
    boundary_or(0, Scope::depth)
}

/// A counter bumped by every write to `scope` itself (not its parents), so a binding can keep a
/// read cache and notice when native code changed the scope. Valid while the handle lives.
/// NULL for a NULL handle.
///
/// # Safety
/// `scope` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_scope_generation(scope: *const hp_scope) -> *const u64 {
    // SAFETY: the caller promises NULL or a live handle.
    match unsafe { scope.as_ref() } {
        Some(handle) => (handle.scope.generation() as *const AtomicU64).cast(),
        None => std::ptr::null(),
    }
}

/// Remove every entry `scope` itself holds (NULL: the current scope); its parents keep theirs.
///
/// # Safety
/// `scope` must be NULL or a live handle.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_scope_clear(scope: *const hp_scope) -> i32 {
    // SAFETY: the caller's promise is passed on.
    boundary_on(scope, || {
        unsafe { scope_of(scope) }.clear();
        Ok(())
    })
}

/// Publish what the calling thread sees now as the frozen baseline: every thread reads it for
/// the keys its own scopes do not set, and new threads start from it. Atomic.
#[no_mangle]
pub extern "C-unwind" fn hp_frozen() -> i32 {
    boundary(|| {
        frozen();
        Ok(())
    })
}

/// All keys visible in `scope` (NULL: the current scope), sorted, joined by `'\n'`, into
/// `*out` (free with `hp_string_free`). Errors: `HP_NULL_POINTER`.
///
/// # Safety
/// `scope` must be NULL or a live handle; `out` must be writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_keys(scope: *const hp_scope, out: *mut hp_string) -> i32 {
    boundary_on(scope, || {
        // SAFETY: the caller's promise is passed on.
        let entries = unsafe { scope_of(scope) }.entries();
        let joined = entries
            .iter()
            .map(|e| &*e.key)
            .collect::<Vec<_>>()
            .join("\n");
        // SAFETY: the caller promises `out` is writable.
        unsafe { put(out, owned_string(joined)) }
    })
}

/// The keys `scope` itself holds (NULL: the current scope), not those it only reads through
/// from its parents or the baseline: sorted, joined by `'\n'`, into `*out` (free with
/// `hp_string_free`). Errors: `HP_NULL_POINTER`.
///
/// # Safety
/// `scope` must be NULL or a live handle; `out` must be writable.
#[no_mangle]
pub unsafe extern "C-unwind" fn hp_keys_own(scope: *const hp_scope, out: *mut hp_string) -> i32 {
    boundary_on(scope, || {
        // SAFETY: the caller's promise is passed on.
        let keys = unsafe { scope_of(scope) }.own_keys();
        // SAFETY: the caller promises `out` is writable.
        unsafe { put(out, owned_string(keys.join("\n"))) }
    })
}

// ---------------------------------------------------------------------------------------------
// Writes (to the given scope only)

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
        let host = std::sync::Arc::new(HostObject::new(object, release));
        // SAFETY: as above.
        let stored = unsafe { scope_of(scope) }.set(key, Value::Host(host.clone()));
        if stored.is_err() {
            // Not stored: the object stays the caller's, as documented.
            host.disarm();
        }
        stored
    })
}

/// Parse a `key=value` definition (as from `-D` on a command line) and set it in `scope`.
/// The value becomes an int, float, bool (`true`/`false`), null (`null`/`none`) or else a string.
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
        unsafe { scope_of(scope) }.set_entry(&key, value, Some("-D"))
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

// ---------------------------------------------------------------------------------------------
// Conversion, memory, diagnostics

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
    boundary_or_unsynced((), || {
        if !string.ptr.is_null() {
            let slice = std::ptr::slice_from_raw_parts_mut(string.ptr.cast::<u8>(), string.len + 1);
            // SAFETY: built by `owned_string` from a boxed slice of `len + 1` bytes.
            drop(unsafe { Box::from_raw(slice) });
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        // SAFETY: the library returns a NUL-terminated string valid until the next failure.
        unsafe { std::ffi::CStr::from_ptr(hp_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    /// No panic crosses the C ABI: the boundary turns one into `HP_PANIC` (or the documented
    /// fallback) with the panic's message, and the library stays usable afterwards. Nothing
    /// in the library is known to panic, so the panic is made here.
    #[test]
    fn a_panic_inside_the_boundary_is_a_status_not_an_unwind() {
        assert_eq!(boundary(|| panic!("boom")), HP_PANIC);
        assert_eq!(last_error(), "internal error: boom");
        assert_eq!(boundary_or(7, || -> i32 { panic!("{}", "formatted") }), 7);
        assert_eq!(last_error(), "internal error: formatted");
        let mut hash = 0u64;
        // SAFETY: a one-byte key and a local output.
        assert_eq!(unsafe { hp_hash(c"a".as_ptr(), 1, &mut hash) }, HP_OK);
        assert_eq!(hash, crate::hash_key("a"));
    }
}

//! The boundary every entry point goes through: status codes, the calling thread's last error,
//! and the functions that run a body with panics caught and errors turned into a status.
//! (The variants for calls on a scope handle, which sync with the host only for NULL, sit
//! beside `scope_of` in `marshal.rs`.)

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result};
use crate::host;
use crate::instance;

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
/// Another copy of the engine is loaded in this process (a second file, bundled by an
/// extension, say), so this copy refuses to work; the message names both files.
pub const HP_OTHER_ENGINE: i32 = 11;

/// The status code the C ABI reports for an engine error.
pub fn status_of(err: &Error) -> i32 {
    match err {
        Error::NotFound { .. } => HP_NOT_FOUND,
        Error::TypeMismatch { .. } => HP_TYPE_MISMATCH,
        Error::InvalidKey { .. } => HP_INVALID_KEY,
        Error::KeyCollision { .. } => HP_KEY_COLLISION,
        Error::ScopeOrder { .. } => HP_SCOPE_ORDER,
        Error::InvalidArgument(_) => HP_INVALID_ARGUMENT,
        Error::NullPointer(_) => HP_NULL_POINTER,
        Error::InvalidUtf8 { .. } => HP_INVALID_UTF8,
        Error::Host(_) => HP_HOST_ERROR,
        Error::OtherEngine { .. } => HP_OTHER_ENGINE,
    }
}

// ---------------------------------------------------------------------------------------------
// The last error

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

pub(super) fn record_error(message: String) {
    let message = CString::new(message.replace('\0', "\\0")).unwrap_or_default();
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = LastError::Message(Some(message)));
}

pub(super) fn record_hash_not_found(hash: u64) {
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = LastError::HashNotFound(hash));
}

fn hash_not_found(hash: u64) -> Error {
    Error::NotFound {
        key: format!("#{hash:016x}"),
    }
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
        HP_OTHER_ENGINE => c"HP_OTHER_ENGINE",
        _ => c"HP_UNKNOWN",
    };
    name.as_ptr()
}

// ---------------------------------------------------------------------------------------------
// The panic boundary

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
pub(super) fn boundary(body: impl FnOnce() -> Result<()>) -> i32 {
    boundary_with(true, body)
}

/// The boundary of a call that never looks at the calling thread's current scope.
pub(super) fn boundary_unsynced(body: impl FnOnce() -> Result<()>) -> i32 {
    boundary_with(false, body)
}

fn boundary_with(sync: bool, body: impl FnOnce() -> Result<()>) -> i32 {
    if let Some(err) = instance::refusal() {
        return fail(err.clone());
    }
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
pub(super) fn boundary_or<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    if let Some(err) = instance::refusal() {
        record_error(err.to_string());
        return fallback;
    }
    if let Err(reason) = host::sync() {
        record_error(reason);
        return fallback;
    }
    boundary_or_unsynced(fallback, body)
}

/// As `boundary_or`, for functions that never look at the calling thread's current scope
/// (releasing a handle, say): they need no sync with the host.
pub(super) fn boundary_or_unsynced<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    host::deferring(|| catch_unwind(AssertUnwindSafe(body))).unwrap_or_else(|payload| {
        record_error(panic_message(&*payload));
        fallback
    })
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
        assert_eq!(boundary(|| Ok(())), HP_OK);
        assert_eq!(boundary_or(7, || 8), 8);
        assert_eq!(boundary(|| Err(Error::NullPointer("key"))), HP_NULL_POINTER);
        assert_eq!(last_error(), "key is NULL");
    }
}

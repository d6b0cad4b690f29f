//! Scopes through handles: making, entering, leaving and releasing them; the hooks a host
//! runtime with scopes of its own (Python) uses to stay in step; the baseline; listings.

use std::ffi::c_char;
use std::sync::atomic::AtomicU64;

use super::boundary::{boundary, boundary_or, boundary_or_unsynced, boundary_unsynced};
use super::marshal::{
    boundary_on, boundary_or_on, hp_scope, hp_string, new_handle, owned_string, put, scope_of,
};
use crate::cache;
use crate::error::Error;
use crate::host;
use crate::scope::{baseline_generation, frozen, Scope};

// ---------------------------------------------------------------------------------------------
// Handles, entering and leaving

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

// ---------------------------------------------------------------------------------------------
// The host runtime's hooks: keeping a host that has its own scopes (Python) in step

/// A counter bumped each time `hp_frozen` publishes a baseline, so a binding that mirrors the
/// baseline knows when to reload it. Static storage; read it as an atomic 64-bit value.
#[no_mangle]
pub extern "C-unwind" fn hp_baseline_generation() -> *const u64 {
    (baseline_generation() as *const AtomicU64).cast()
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
    cache::stale_flag()
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
    cache::watch_context(counter)
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

// ---------------------------------------------------------------------------------------------
// Depth, write counters, clearing, the baseline, listings

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

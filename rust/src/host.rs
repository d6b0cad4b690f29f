//! The host runtime's hooks: a runtime that keeps scopes of its own (Python) brings a thread's
//! native view up to date through the sync callback, hears about native writes into the scopes
//! it mirrors through the write hook, and about scopes native code enters and exits on its
//! threads through the stack hook.
//!
//! A host may end a thread from inside a callback: CPython ends a daemon thread with
//! `pthread_exit` when it asks for the interpreter during shutdown. That forced unwind must pass
//! through the engine's frames; a `catch_unwind` on its way would stop it, and the C runtime then
//! aborts the whole process. So the C ABI never calls the host from inside its panic boundary:
//! it syncs before it enters the boundary ([`sync`]), and the host calls its body would make
//! (write reports, releases of host objects) wait until the body is done ([`deferring`]).

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::cache;

/// Called once, when the last copy of a host object is dropped by the engine.
pub type ReleaseFn = unsafe extern "C-unwind" fn(object: *mut c_void);

/// Brings the calling thread's native view up to date; returns 0, or non-zero after telling
/// the engine why with [`fail_sync`].
pub type SyncFn = unsafe extern "C-unwind" fn() -> i32;

/// Told after a write to a scope the host watches: its tag and the key written (UTF-8, not
/// NUL-terminated), or NULL and 0 when the scope was cleared.
pub type WriteFn = unsafe extern "C-unwind" fn(tag: u64, key: *const c_char, key_len: usize);

/// Told when native code entered a scope on one of the host's threads (`entered`; it is the
/// thread's current scope now) or exited one (`exited_tag`: the tag the host watches it under,
/// 0 if none).
pub type StackFn = unsafe extern "C-unwind" fn(entered: bool, exited_tag: u64);

/// Cleared by a host runtime that is shutting down: its release callbacks must not run any more.
static RELEASE_ENABLED: AtomicBool = AtomicBool::new(true);
static SYNC: AtomicUsize = AtomicUsize::new(0);
static WRITE: AtomicUsize = AtomicUsize::new(0);
static STACK: AtomicUsize = AtomicUsize::new(0);

/// Register (or, with `None`, remove) the host's sync callback.
pub fn set_sync(callback: Option<SyncFn>) {
    SYNC.store(callback.map_or(0, |f| f as usize), Ordering::Release);
    cache::set_host_present(callback.is_some());
}

/// Register (or, with `None`, remove) the host's write hook.
pub fn set_write(hook: Option<WriteFn>) {
    WRITE.store(hook.map_or(0, |f| f as usize), Ordering::Release);
}

/// Register (or, with `None`, remove) the host's stack hook.
pub fn set_stack(hook: Option<StackFn>) {
    STACK.store(hook.map_or(0, |f| f as usize), Ordering::Release);
}

struct HostThread {
    /// Inside the C ABI's panic boundary: host calls wait in the queues below.
    depth: Cell<u32>,
    /// Inside the sync callback: the host's own calls into the library must not sync again.
    syncing: Cell<bool>,
    /// Why the last sync failed, as the host said.
    failure: RefCell<String>,
    /// Host calls waiting for the boundary's body to finish, in order.
    pending: RefCell<Vec<Pending>>,
}

enum Pending {
    Write(u64, Option<Arc<str>>),
    Release(ReleaseFn, usize),
    Stack(bool, u64),
}

thread_local! {
    static THREAD: HostThread = const {
        HostThread {
            depth: Cell::new(0),
            syncing: Cell::new(false),
            failure: RefCell::new(String::new()),
            pending: RefCell::new(Vec::new()),
        }
    };
}

/// Bring the calling thread's native view up to date if the host changed it since the last
/// sync. Inside the panic boundary, or inside the sync callback itself, this does nothing: the
/// boundary synced before it was entered.
#[inline]
/// `Err` holds the host's reason.
pub(crate) fn sync() -> Result<(), String> {
    if cache::needs_sync() {
        return sync_now();
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn sync_now() -> Result<(), String> {
    let busy = THREAD
        .try_with(|t| t.depth.get() > 0 || t.syncing.get())
        .unwrap_or(true);
    if busy {
        return Ok(());
    }
    cache::lower_stale();
    let callback = SYNC.load(Ordering::Acquire);
    if callback == 0 {
        return Ok(());
    }
    // SAFETY: the only non-zero values stored are `SyncFn` pointers (see `set_sync`).
    let callback: SyncFn = unsafe { std::mem::transmute::<usize, SyncFn>(callback) };
    THREAD.with(|t| t.syncing.set(true));
    // SAFETY: the host registered it to be called on its own threads with no arguments. No
    // borrow or lock is held: its calls back into the library (which do not sync again,
    // `syncing` is set) may do anything, and it may end the thread.
    let status = unsafe { callback() };
    THREAD.with(|t| t.syncing.set(false));
    if status != 0 {
        // Stay stale: every read retries and fails loudly until the host can sync again.
        cache::raise_stale();
        let reason = THREAD.with(|t| std::mem::take(&mut *t.failure.borrow_mut()));
        return Err(if reason.is_empty() {
            format!("the host runtime could not sync this thread's scopes (status {status})")
        } else {
            reason
        });
    }
    cache::context_synced();
    Ok(())
}

/// The host's reason for the sync it is about to fail.
pub fn fail_sync(reason: &str) {
    let _ = THREAD.try_with(|t| *t.failure.borrow_mut() = reason.to_owned());
}

/// Run `body` with host calls deferred, then make them (outside `body`, so outside any
/// `catch_unwind` it contains).
pub(crate) fn deferring<R>(body: impl FnOnce() -> R) -> R {
    THREAD.with(|t| t.depth.set(t.depth.get() + 1));
    let result = body();
    let outermost = THREAD.with(|t| {
        t.depth.set(t.depth.get() - 1);
        t.depth.get() == 0
    });
    if outermost {
        flush();
    }
    result
}

fn deferred() -> bool {
    THREAD.try_with(|t| t.depth.get() > 0).unwrap_or(false)
}

fn flush() {
    loop {
        let pending = THREAD.with(|t| std::mem::take(&mut *t.pending.borrow_mut()));
        if pending.is_empty() {
            return;
        }
        for call in pending {
            match call {
                Pending::Write(tag, key) => call_write(tag, key.as_deref()),
                Pending::Release(release, pointer) => call_release(release, pointer as *mut c_void),
                Pending::Stack(entered, tag) => call_stack(entered, tag),
            }
        }
    }
}

fn defer(call: Pending) {
    THREAD.with(|t| t.pending.borrow_mut().push(call));
}

/// Tell the host about a write to the scope it mirrors under `tag` (now, or when the
/// boundary's body is done).
pub(crate) fn report_write(tag: u64, key: Option<&str>) {
    if deferred() {
        defer(Pending::Write(tag, key.map(Into::into)));
    } else {
        call_write(tag, key);
    }
}

fn call_write(tag: u64, key: Option<&str>) {
    let hook = WRITE.load(Ordering::Acquire);
    if hook == 0 {
        return;
    }
    // SAFETY: the only non-zero values stored are `WriteFn` pointers (see `set_write`).
    let hook: WriteFn = unsafe { std::mem::transmute::<usize, WriteFn>(hook) };
    let (text, len) = key.map_or((std::ptr::null(), 0), |k| (k.as_ptr().cast(), k.len()));
    // SAFETY: the host registered it to be called with a tag it gave and a key that is valid
    // UTF-8 for the duration of the call (or NULL, 0 for a clear).
    unsafe { hook(tag, text, len) };
}

/// Release a host object now, or when the boundary's body is done.
pub(crate) fn release(release: ReleaseFn, pointer: *mut c_void) {
    if deferred() {
        defer(Pending::Release(release, pointer as usize));
    } else {
        call_release(release, pointer);
    }
}

fn call_release(release: ReleaseFn, pointer: *mut c_void) {
    if RELEASE_ENABLED.load(Ordering::Acquire) {
        // SAFETY: the host gave us this callback with this pointer and promised that calling
        // it once, from any thread, is correct.
        unsafe { release(pointer) }
    }
}

/// Stop calling release callbacks (a host runtime is shutting down). Cannot be undone.
pub fn disable_release() {
    RELEASE_ENABLED.store(false, Ordering::Release);
}

/// Whether native scope changes on this thread are the host's business: a thread the host
/// runs on that has synced (the host watches its context).
pub(crate) fn stack_hook_wanted() -> bool {
    STACK.load(Ordering::Relaxed) != 0 && cache::host_thread()
}

/// Tell the host native code entered a scope (`entered`), or exited the scope it watches
/// under `exited_tag`, on this thread.
pub(crate) fn report_stack(entered: bool, exited_tag: u64) {
    if deferred() {
        defer(Pending::Stack(entered, exited_tag));
    } else {
        call_stack(entered, exited_tag);
    }
}

fn call_stack(entered: bool, exited_tag: u64) {
    let hook = STACK.load(Ordering::Acquire);
    if hook == 0 {
        return;
    }
    // SAFETY: the only non-zero values stored are `StackFn` pointers (see `set_stack`).
    let hook: StackFn = unsafe { std::mem::transmute::<usize, StackFn>(hook) };
    // SAFETY: the host registered it for exactly these arguments.
    unsafe { hook(entered, exited_tag) };
}

/// A number naming the calling thread, never reused in this process (never 0).
pub(crate) fn thread_serial() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local! {
        static SERIAL: u64 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    SERIAL.with(|serial| *serial)
}

//! The per-thread read cache behind reads by hash (C++ `GET_PARAM`, Rust `get`).
//!
//! A read by hash walks the current scope, its ancestors and the baseline. Code that reads
//! parameters in a hot loop asks for the same few keys while nothing changes, so each thread
//! remembers its latest answers in a small direct-mapped table: a hit costs one thread-local
//! access and one slot compare. A slot is valid while the thread's current scope has not
//! changed (a per-thread version, bumped on every enter, exit and activation) and no write
//! happened anywhere (a global counter). Only scalars and "missing" are cached; strings and
//! host objects are always read from the scopes.
//!
//! Whether the thread's native view is current lives here too, so the hot path touches one
//! thread-local: the host's stale flag, and the host's context counter for the thread (Python's
//! per-thread context version, which moves whenever code switches `contextvars` contexts:
//! `Context.run`, an asyncio task step, `asyncio.to_thread`).

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const SLOTS: usize = 64;
/// Never a valid version, so an unused slot never matches.
const UNUSED: u64 = u64::MAX;

/// Bumped by every write to any scope and by every baseline publication.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// A host sync callback is registered. Context counters are read only while it is: a host
/// shutting down unregisters first, then frees the memory the counters live in.
static HOST_PRESENT: AtomicBool = AtomicBool::new(false);

/// What the cache holds for a key.
#[derive(Clone, Copy)]
pub(crate) enum Cached {
    Missing,
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
}

struct Slot {
    hash: Cell<u64>,
    version: Cell<u64>,
    writes: Cell<u64>,
    value: Cell<Cached>,
}

pub(crate) struct ThreadCache {
    /// Raised by a host runtime whose scopes changed (see `host::sync`). A new thread starts
    /// stale: the host decides what it sees (and says whether it runs on it at all).
    pub(crate) stale: Cell<bool>,
    /// The host's context counter for this thread (NULL: none), and its value at the last sync.
    context: Cell<*const u64>,
    context_seen: Cell<u64>,
    version: Cell<u64>,
    slots: [Slot; SLOTS],
}

thread_local! {
    // Constant-initialised and without Drop: no lazy set-up check, never torn down.
    pub(crate) static CACHE: ThreadCache = const {
        ThreadCache {
            stale: Cell::new(true),
            context: Cell::new(std::ptr::null()),
            context_seen: Cell::new(0),
            version: Cell::new(0),
            slots: [const {
                Slot {
                    hash: Cell::new(0),
                    version: Cell::new(UNUSED),
                    writes: Cell::new(0),
                    value: Cell::new(Cached::Missing),
                }
            }; SLOTS],
        }
    };
}

impl ThreadCache {
    /// The host changed this thread's scopes or switched its context since the last sync.
    #[inline(always)]
    fn needs_sync(&self) -> bool {
        self.stale.get() || {
            let context = self.context.get();
            // SAFETY: a registered counter stays valid while the host is present: the host
            // unregisters it (or the whole host) before the memory goes away.
            !context.is_null()
                && HOST_PRESENT.load(Ordering::Relaxed)
                && unsafe { context.read_volatile() } != self.context_seen.get()
        }
    }
}

/// Whether the calling thread must sync with the host before native code reads its scopes.
#[inline]
pub(crate) fn needs_sync() -> bool {
    CACHE.try_with(ThreadCache::needs_sync).unwrap_or(false)
}

pub(crate) fn lower_stale() {
    CACHE.with(|c| c.stale.set(false));
}

pub(crate) fn raise_stale() {
    CACHE.with(|c| c.stale.set(true));
}

/// A sync finished: the thread's view is current for the context it is in now.
pub(crate) fn context_synced() {
    CACHE.with(|c| {
        let context = c.context.get();
        if !context.is_null() {
            // SAFETY: as in `needs_sync`; the sync that just ran registered it on this thread.
            c.context_seen.set(unsafe { context.read_volatile() });
        }
    });
    bump_version();
}

/// Follow the host's context counter for the calling thread (NULL: stop).
pub(crate) fn watch_context(counter: *const u64) {
    CACHE.with(|c| {
        c.context.set(counter);
        c.context_seen.set(if counter.is_null() {
            0
        } else {
            // SAFETY: the host promises the counter is valid for this thread until it
            // unregisters it.
            unsafe { counter.read_volatile() }.wrapping_add(1)
        });
    });
}

/// The host runs on this thread (it registered a context counter for it).
pub(crate) fn host_thread() -> bool {
    CACHE
        .try_with(|c| !c.context.get().is_null())
        .unwrap_or(false)
}

pub(crate) fn set_host_present(present: bool) {
    HOST_PRESENT.store(present, Ordering::Release);
}

/// The calling thread's stale flag, for the host to raise with a plain store.
pub(crate) fn stale_flag() -> *mut bool {
    CACHE.with(|c| c.stale.as_ptr())
}

/// The calling thread's current scope changed.
pub(crate) fn bump_version() {
    CACHE.with(|c| c.version.set(c.version.get().wrapping_add(1) % UNUSED));
}

/// Some scope was written, or a baseline published.
pub(crate) fn note_write() {
    WRITES.fetch_add(1, Ordering::Release);
}

impl ThreadCache {
    /// The value in `hash`'s slot if the slot is valid for this thread's scope and writes.
    #[inline(always)]
    fn valid_slot(&self, hash: u64) -> Option<Cached> {
        let slot = &self.slots[hash as usize % SLOTS];
        let valid = slot.hash.get() == hash
            && slot.version.get() == self.version.get()
            && slot.writes.get() == WRITES.load(Ordering::Acquire);
        valid.then(|| slot.value.get())
    }
}

/// The cached answer for `hash`, if the thread's slot for it is valid: no walk, no sync.
/// `None` means "ask the scopes" (not cached, stale, or the host must sync first).
#[inline]
pub(crate) fn hit(hash: u64) -> Option<Cached> {
    CACHE.with(|c| {
        if c.needs_sync() {
            None
        } else {
            c.valid_slot(hash)
        }
    })
}

/// The thread's valid slot for `hash`, without asking whether the host must sync first (the
/// caller has synced).
#[inline]
pub(crate) fn cached(hash: u64) -> Option<Cached> {
    CACHE.with(|c| c.valid_slot(hash))
}

/// Remember the answer for `hash`, read while the write counter was `writes`.
#[inline]
pub(crate) fn store(hash: u64, writes: u64, value: Cached) {
    CACHE.with(|c| {
        let slot = &c.slots[hash as usize % SLOTS];
        slot.hash.set(hash);
        slot.version.set(c.version.get());
        slot.writes.set(writes);
        slot.value.set(value);
    })
}

/// The global write counter now: read it before reading the scopes whose answer is stored.
#[inline]
pub(crate) fn writes() -> u64 {
    WRITES.load(Ordering::Acquire)
}

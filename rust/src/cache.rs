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
//! The thread's host stale flag lives here too, so the hot path touches one thread-local.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::value::Value;

const SLOTS: usize = 64;
/// Never a valid version, so an unused slot never matches.
const UNUSED: u64 = u64::MAX;

/// Bumped by every write to any scope and by every baseline publication.
static WRITES: AtomicU64 = AtomicU64::new(0);

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
    /// Raised by a host runtime whose scopes changed (see `scope::sync_host`).
    pub(crate) stale: Cell<bool>,
    version: Cell<u64>,
    slots: [Slot; SLOTS],
}

thread_local! {
    // Constant-initialised and without Drop: no lazy set-up check, never torn down.
    pub(crate) static CACHE: ThreadCache = const {
        ThreadCache {
            stale: Cell::new(false),
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

/// The calling thread's current scope changed.
pub(crate) fn bump_version() {
    CACHE.with(|c| c.version.set(c.version.get().wrapping_add(1) % UNUSED));
}

/// Some scope was written, or a baseline published.
pub(crate) fn note_write() {
    WRITES.fetch_add(1, Ordering::Release);
}

/// The cached answer for `hash`, if the thread's slot for it is valid: no walk, no sync.
/// `None` means "ask `read`" (not cached, stale, or the host must sync first).
#[inline]
pub(crate) fn hit(hash: u64) -> Option<Cached> {
    CACHE.with(|c| {
        let slot = &c.slots[hash as usize % SLOTS];
        let valid = !c.stale.get()
            && slot.hash.get() == hash
            && slot.version.get() == c.version.get()
            && slot.writes.get() == WRITES.load(Ordering::Acquire);
        valid.then(|| slot.value.get())
    })
}

/// The value of `hash` in the calling thread's current scope; `walk` answers on a cache miss.
#[inline]
pub(crate) fn read(hash: u64, walk: impl FnOnce() -> Option<Value>) -> Option<Value> {
    CACHE.with(|c| {
        if c.stale.get() {
            crate::scope::run_host_sync();
        }
        let writes = WRITES.load(Ordering::Acquire);
        let slot = &c.slots[hash as usize % SLOTS];
        if slot.hash.get() == hash
            && slot.version.get() == c.version.get()
            && slot.writes.get() == writes
        {
            return match slot.value.get() {
                Cached::Missing => None,
                Cached::Null => Some(Value::Null),
                Cached::Bool(b) => Some(Value::Bool(b)),
                Cached::Int(i) => Some(Value::Int(i)),
                Cached::Float(x) => Some(Value::Float(x)),
            };
        }
        let found = walk();
        let cached = match &found {
            None => Some(Cached::Missing),
            Some(Value::Null) => Some(Cached::Null),
            Some(Value::Bool(b)) => Some(Cached::Bool(*b)),
            Some(Value::Int(i)) => Some(Cached::Int(*i)),
            Some(Value::Float(x)) => Some(Cached::Float(*x)),
            Some(_) => None,
        };
        if let Some(value) = cached {
            slot.hash.set(hash);
            slot.version.set(c.version.get());
            slot.writes.set(writes);
            slot.value.set(value);
        }
        found
    })
}

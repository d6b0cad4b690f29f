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
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::fork::Gated;

const SLOTS: usize = 64;

/// Bumped by every write to any scope and by every baseline publication.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// A host sync callback is registered. Context counters are read only while it is: a host
/// shutting down unregisters first, then frees the memory the counters live in.
static HOST_PRESENT: AtomicBool = AtomicBool::new(false);

/// The context counter of a thread the host does not run on: it never moves.
static NO_CONTEXT: u64 = 0;

/// The context counter of a thread whose host has left. Larger than any real counter, so a
/// thread moved onto it sees its read word grow, as every event must make it do.
static HOST_GONE: u64 = 1 << 62;

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
    word: Cell<u64>,
    value: Cell<Cached>,
}

/// The counters a thread's read word folds (the C ABI's `hp_read_word`, same layout): the word
/// is their sum, and every event that can change what this thread reads makes the sum grow.
/// Each counter only grows, but for the stale flag, whose lowering also adds 2 to `thread`.
#[repr(C)]
pub(crate) struct Word {
    /// This thread's scope changes (enter, exit, activation) and syncs. Written by this thread.
    thread: Cell<u64>,
    /// `WRITES`: writes to any scope and baseline publications, by any thread.
    shared: *const AtomicU64,
    /// The host's context counter for this thread: `NO_CONTEXT`, the host's, or `HOST_GONE`.
    /// Atomic: a host that leaves moves every thread off its counters from its own thread.
    context: AtomicPtr<u64>,
    /// Raised by a host runtime whose scopes changed (see `host::sync`). A new thread starts
    /// stale: the host decides what it sees (and says whether it runs on it at all).
    stale: Cell<bool>,
}

impl Word {
    /// The sum of the counters: equal to an earlier value only while nothing changed.
    #[inline(always)]
    fn now(&self) -> u64 {
        // SAFETY: `shared` is always `&WRITES`; `context` always points to a counter that stays
        // readable while it is installed (see `watch_context` and `set_host_present`).
        let (shared, context) = unsafe {
            (
                (*self.shared).load(Ordering::Acquire),
                self.context.load(Ordering::Acquire).read_volatile(),
            )
        };
        self.thread
            .get()
            .wrapping_add(u64::from(self.stale.get()))
            .wrapping_add(shared)
            .wrapping_add(context)
    }

    fn context_counter(&self) -> *const u64 {
        self.context.load(Ordering::Acquire)
    }

    fn bump(&self, by: u64) {
        self.thread.set(self.thread.get().wrapping_add(by));
    }
}

pub(crate) struct ThreadCache {
    word: Word,
    /// The host's context counter at the last sync.
    context_seen: Cell<u64>,
    slots: [Slot; SLOTS],
}

thread_local! {
    // Constant-initialised and without Drop: no lazy set-up check, never torn down.
    pub(crate) static CACHE: ThreadCache = const {
        ThreadCache {
            word: Word {
                thread: Cell::new(1),
                shared: &WRITES,
                context: AtomicPtr::new(&NO_CONTEXT as *const u64 as *mut u64),
                stale: Cell::new(true),
            },
            context_seen: Cell::new(0),
            slots: [const {
                Slot {
                    hash: Cell::new(0),
                    word: Cell::new(0),
                    value: Cell::new(Cached::Missing),
                }
            }; SLOTS],
        }
    };

    /// Present while this thread follows a host context counter: takes the thread off the
    /// list of such threads when it ends.
    static FOLLOWING: Following = const { Following(Cell::new(false)) };
}

/// The threads that follow a host's context counter, so that a host that leaves can move them
/// off its counters before it frees them. Addresses of their `Word`s, which live until the
/// thread's `FOLLOWING` is dropped.
struct Followers(Vec<usize>);

static FOLLOWERS: Mutex<Followers> = Mutex::new(Followers(Vec::new()));

fn followers() -> Gated<std::sync::MutexGuard<'static, Followers>> {
    Gated::lock(|| FOLLOWERS.lock().unwrap_or_else(|e| e.into_inner()))
}

struct Following(Cell<bool>);

impl Following {
    fn start(&self, word: &Word) {
        if !self.0.replace(true) {
            followers().0.push(word as *const Word as usize);
        }
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        if self.0.get() {
            let word = CACHE.with(|c| &c.word as *const Word as usize);
            followers().0.retain(|w| *w != word);
        }
    }
}

impl ThreadCache {
    /// The host changed this thread's scopes or switched its context since the last sync.
    #[inline(always)]
    fn needs_sync(&self) -> bool {
        self.word.stale.get() || {
            let context = self.word.context_counter();
            // SAFETY: an installed counter stays readable while the host is present (see
            // `Word::now`).
            HOST_PRESENT.load(Ordering::Relaxed)
                && !std::ptr::eq(context, &NO_CONTEXT)
                && unsafe { context.read_volatile() } != self.context_seen.get()
        }
    }
}

/// Whether the calling thread must sync with the host before native code reads its scopes.
#[inline]
pub(crate) fn needs_sync() -> bool {
    CACHE.try_with(ThreadCache::needs_sync).unwrap_or(false)
}

/// A sync is starting: the host's changes are being brought over.
pub(crate) fn lower_stale() {
    CACHE.with(|c| {
        if c.word.stale.replace(false) {
            // The flag's 1 leaves the word: add 2, so the word still grows past every value it
            // had while stale (a reader may have taken one then).
            c.word.bump(2);
        }
    });
}

pub(crate) fn raise_stale() {
    CACHE.with(|c| c.word.stale.set(true));
}

/// A sync finished: the thread's view is current for the context it is in now.
pub(crate) fn context_synced() {
    CACHE.with(|c| {
        // SAFETY: as in `Word::now`.
        c.context_seen
            .set(unsafe { c.word.context_counter().read_volatile() });
        c.word.bump(1);
    });
}

/// Follow the host's context counter for the calling thread (NULL: stop).
pub(crate) fn watch_context(counter: *const u64) {
    let counter = if counter.is_null() {
        &NO_CONTEXT as *const u64
    } else {
        counter
    };
    CACHE.with(|c| {
        let old = c.word.context_counter();
        if std::ptr::eq(old, counter) {
            return;
        }
        // SAFETY: the old counter is readable until replaced, which is now; the new one is
        // readable per the host's promise.
        let (old_value, new_value) = unsafe { (old.read_volatile(), counter.read_volatile()) };
        // The word drops `old_value` and gains `new_value`: make it grow all the same.
        c.word.bump(old_value.wrapping_add(1));
        c.word.context.store(counter as *mut u64, Ordering::Release);
        // Seen as different, so the next access syncs.
        c.context_seen.set(new_value.wrapping_add(1));
        if !std::ptr::eq(counter, &NO_CONTEXT) {
            FOLLOWING.with(|f| f.start(&c.word));
        }
    });
}

/// The host runs on this thread (it registered a context counter for it).
pub(crate) fn host_thread() -> bool {
    CACHE
        .try_with(|c| !std::ptr::eq(c.word.context_counter(), &NO_CONTEXT))
        .unwrap_or(false)
}

pub(crate) fn set_host_present(present: bool) {
    if !present && HOST_PRESENT.load(Ordering::Acquire) {
        // The host is about to free its counters: move every thread off them first.
        for word in &followers().0 {
            // SAFETY: a listed `Word` lives until its thread's `FOLLOWING` drops, which takes
            // this lock to unlist it.
            let word = unsafe { &*(*word as *const Word) };
            if !std::ptr::eq(word.context_counter(), &NO_CONTEXT) {
                word.context
                    .store(&HOST_GONE as *const u64 as *mut u64, Ordering::Release);
            }
        }
    }
    HOST_PRESENT.store(present, Ordering::Release);
    // Whether a thread must sync depends on the host being there: every word moves.
    note_write();
}

/// The calling thread's stale flag, for the host to raise with a plain store.
pub(crate) fn stale_flag() -> *mut bool {
    CACHE.with(|c| c.word.stale.as_ptr())
}

/// The calling thread's read word counters, valid for the thread's life.
pub(crate) fn word_counters() -> *const Word {
    CACHE.with(|c| &c.word as *const Word)
}

/// The calling thread's read word now.
#[inline]
pub(crate) fn word() -> u64 {
    CACHE.with(|c| c.word.now())
}

/// The calling thread's current scope changed.
pub(crate) fn bump_version() {
    CACHE.with(|c| c.word.bump(1));
}

/// Some scope was written, or a baseline published.
pub(crate) fn note_write() {
    WRITES.fetch_add(1, Ordering::Release);
}

impl ThreadCache {
    /// The value in `hash`'s slot if nothing changed since it was stored.
    #[inline(always)]
    fn valid_slot(&self, hash: u64) -> Option<Cached> {
        let slot = &self.slots[hash as usize % SLOTS];
        let valid = slot.hash.get() == hash && slot.word.get() == self.word.now();
        valid.then(|| slot.value.get())
    }
}

/// The cached answer for `hash`, if the thread's slot for it is valid: no walk, no sync (a
/// slot is stored only while the thread needs no sync, and the word it holds moves with
/// every event that would make it need one).
/// `None` means "ask the scopes".
#[inline]
pub(crate) fn hit(hash: u64) -> Option<Cached> {
    CACHE.with(|c| c.valid_slot(hash))
}

/// Remember the answer for `hash`, read while the thread's word was `word` (taken before the
/// read, so a change during the read leaves the slot invalid). Nothing is stored while the
/// thread needs a sync: its reads must keep asking the host.
#[inline]
pub(crate) fn store(hash: u64, word: u64, value: Cached) {
    CACHE.with(|c| {
        if c.needs_sync() {
            return;
        }
        let slot = &c.slots[hash as usize % SLOTS];
        slot.hash.set(hash);
        slot.word.set(word);
        slot.value.set(value);
    })
}

/// `Word`'s size and the offsets of `thread`, `shared`, `context` and `stale`: the C ABI's
/// `hp_read_word` must match them.
pub(crate) const WORD_LAYOUT: [usize; 5] = [
    std::mem::size_of::<Word>(),
    std::mem::offset_of!(Word, thread),
    std::mem::offset_of!(Word, shared),
    std::mem::offset_of!(Word, context),
    std::mem::offset_of!(Word, stale),
];

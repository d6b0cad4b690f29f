//! The read word: what a reader that keeps its own answers checks to know they still hold.

use crate::cache;

/// The counters behind the calling thread's *read word* (ABI version 3). A reader that keeps
/// its own copies of answers (the C++ header's `GET_PARAM` keeps one per call site and thread)
/// may reuse an answer for as long as the word is what it was before the answer was asked for:
///
/// ```c
/// uint64_t hp_word(const hp_read_word *w) {      // wrapping uint64_t arithmetic
///     return w->thread + w->stale
///          + __atomic_load_n(__atomic_load_n(&w->shared, __ATOMIC_ACQUIRE), __ATOMIC_ACQUIRE)
///          + __atomic_load_n(__atomic_load_n(&w->context, __ATOMIC_ACQUIRE), __ATOMIC_ACQUIRE);
/// }
/// ```
///
/// The protocol: take the word, then ask the engine (e.g. `hp_get_f64_by_hash`) and keep the
/// answer (`HP_OK` with its value, or `HP_NOT_FOUND`; never an error) with that word. Later,
/// on the same thread, the kept answer is the engine's answer while the word is unchanged.
/// The word moves on every event that can change what the thread reads: the thread entering
/// or exiting a scope (natively or in the host), any thread writing to any scope, a baseline
/// publication (`hp_frozen`), the host raising the thread's stale flag or switching its
/// context (Python's `contextvars`), and each sync with the host. A word taken before the
/// engine call stays valid when the call itself syncs: the word moves, the next check misses
/// once, and the answer is asked for again.
///
/// `thread` and `stale` change only on the owning thread; `shared`, `context` and the
/// counters they point to may be changed by other threads, so load them atomically.
#[repr(C)]
pub struct hp_read_word {
    /// This thread's scope changes and syncs with the host.
    pub thread: u64,
    /// Writes to any scope and baseline publications, process-wide.
    pub shared: *const u64,
    /// The host's context counter for this thread (a counter that never moves when none).
    pub context: *const u64,
    /// The host's stale flag for this thread (see `hp_host_stale_flag`), counted as 0 or 1.
    pub stale: bool,
}

const _: () = {
    let layout = cache::WORD_LAYOUT;
    assert!(layout[0] == std::mem::size_of::<hp_read_word>());
    assert!(layout[1] == std::mem::offset_of!(hp_read_word, thread));
    assert!(layout[2] == std::mem::offset_of!(hp_read_word, shared));
    assert!(layout[3] == std::mem::offset_of!(hp_read_word, context));
    assert!(layout[4] == std::mem::offset_of!(hp_read_word, stale));
};

/// The calling thread's read word counters (see `hp_read_word`). Valid for the life of the
/// calling thread and only to be read on it. Never NULL.
#[no_mangle]
pub extern "C-unwind" fn hp_thread_word() -> *const hp_read_word {
    cache::word_counters().cast()
}

/// The calling thread's read word now: the sum `hp_read_word` describes.
#[no_mangle]
pub extern "C-unwind" fn hp_word_now() -> u64 {
    cache::word()
}

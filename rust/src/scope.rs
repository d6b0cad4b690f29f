//! Scopes: a tree of nodes, one current node per thread, and the frozen global baseline.
//!
//! A scope node holds only its own writes and a pointer to its parent, so entering a scope is
//! one allocation, never a copy of the entries it can see. A read probes the current node, then
//! its ancestors, then the baseline; every probe is one lookup in a map keyed by the key's
//! precomputed hash (identity hasher, no rehashing).
//!
//! Each thread keeps a stack of the scopes it entered; exits are strictly last-in-first-out and
//! anything else is refused without touching state. The bottom of every thread's stack is a
//! root scope of its own that reads through to the baseline, so a new thread, of any kind,
//! starts from the baseline. `frozen()` publishes a thread's view as the new baseline in one
//! atomic swap; the baseline is read live, so every thread sees it for keys its own scopes do
//! not set.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::cache::{self, Cached};
use crate::error::ScopeOrderKind::{HostScopeOpen, NoneOpen, NotOpen, OutOfOrder};
use crate::error::{Error, Result};
use crate::fork::Gated;
use crate::hash::hash_key;
use crate::host;
use crate::key::validate_key;
use crate::value::Value;

/// Keys are already XXH64 hashes: hashing them again would only cost time.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are ever hashed; fold anything else so the hasher stays total.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
}

type Map = HashMap<u64, Entry, BuildHasherDefault<IdentityHasher>>;

/// One parameter: its key text (to detect collisions and list keys), value, and provenance.
#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Arc<str>,
    pub value: Value,
    /// Who set it: `"default"`, `"config.yaml:train.lr"`, `"-D"`, ... or `None`.
    pub source: Option<Arc<str>>,
}

struct Node {
    parent: Option<Arc<Node>>,
    reads_baseline: bool,
    entries: RwLock<Map>,
    /// Bumped on every write, so front ends can keep a read cache and know when it is stale.
    generation: AtomicU64,
    /// The host's tag for a scope it mirrors (0: none); writes to it are reported back.
    watch: AtomicU64,
    /// The thread that asked for the reports (see `Scope::watch`).
    watcher: AtomicU64,
}

impl Drop for Node {
    /// Unlink long parent chains iteratively: 100,000 nested scopes must not overflow the stack.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(parent) = next {
            next = match Arc::try_unwrap(parent) {
                Ok(mut node) => node.parent.take(),
                Err(_) => None,
            };
        }
    }
}

/// A handle to a scope. Cheap to clone; the scope lives as long as any handle or child does.
#[derive(Clone)]
pub struct Scope(Arc<Node>);

impl Scope {
    fn with_parent(parent: Option<Arc<Node>>, reads_baseline: bool) -> Scope {
        Scope(Arc::new(Node {
            parent,
            reads_baseline,
            entries: RwLock::new(Map::default()),
            generation: AtomicU64::new(0),
            watch: AtomicU64::new(0),
            watcher: AtomicU64::new(0),
        }))
    }

    /// A new scope that sees everything `self` sees and writes only to itself.
    pub fn child(&self) -> Scope {
        Scope::with_parent(Some(self.0.clone()), false)
    }

    /// A new child of the calling thread's current scope.
    pub fn child_of_current() -> Scope {
        Scope::current().child()
    }

    /// A scope that inherits nothing: not the outer scopes, not the baseline.
    pub fn empty() -> Scope {
        Scope::with_parent(None, false)
    }

    /// A fresh root that reads through to the baseline (what every thread starts from).
    pub fn root() -> Scope {
        Scope::with_parent(None, true)
    }

    /// The calling thread's current (innermost) scope.
    pub fn current() -> Scope {
        // A failed host sync keeps the thread stale; the C ABI reports it, Rust reads on.
        let _ = host::sync();
        with_thread(|t| t.current().clone())
    }

    /// Whether two handles name the same scope.
    pub fn same(&self, other: &Scope) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The write counter of this scope (not of its parents).
    pub(crate) fn generation(&self) -> &AtomicU64 {
        &self.0.generation
    }

    /// Read a key, by text: validated, hashed, and checked against the stored key text.
    pub fn get(&self, key: &str) -> Result<Entry> {
        let hash = checked_hash(key)?;
        self.lookup(hash, Some(key), Entry::clone)
            .ok_or_else(|| Error::NotFound {
                key: key.to_owned(),
            })
    }

    /// Read by precomputed hash and apply `f` to the entry found, without cloning it.
    pub fn lookup<R>(
        &self,
        hash: u64,
        key: Option<&str>,
        f: impl FnOnce(&Entry) -> R,
    ) -> Option<R> {
        let matches = |e: &Entry| key.map_or(true, |k| &*e.key == k);
        let mut node = &*self.0;
        loop {
            if let Some(entry) = read(&node.entries).get(&hash).filter(|e| matches(e)) {
                return Some(f(entry));
            }
            match &node.parent {
                Some(parent) => node = parent,
                None => break,
            }
        }
        if !node.reads_baseline {
            return None;
        }
        with_baseline(|map| map.get(&hash).filter(|e| matches(e)).map(f))
    }

    /// Write a key in this scope only.
    pub fn set(&self, key: &str, value: Value) -> Result<()> {
        self.set_entry(key, value, None)
    }

    /// Write a key with a provenance label.
    pub fn set_entry(&self, key: &str, value: Value, source: Option<&str>) -> Result<()> {
        let hash = checked_hash(key)?;
        let entry = Entry {
            key: key.into(),
            value,
            source: source.map(Into::into),
        };
        let replaced = {
            let mut map = write(&self.0.entries);
            if let Some(existing) = map.get(&hash).filter(|e| *e.key != *key) {
                return Err(Error::KeyCollision {
                    key: key.into(),
                    existing: existing.key.to_string(),
                });
            }
            map.insert(hash, entry)
        };
        self.0.generation.fetch_add(1, Ordering::Release);
        cache::note_write();
        // Dropped here, outside the lock: a host release callback may call back into us.
        drop(replaced);
        self.report_write(Some(key));
        Ok(())
    }

    /// Label where the value of `key` held by this scope itself came from. The value is kept;
    /// a key only inherited from a parent is `NotFound` (relabelling must not copy it here).
    pub fn set_source(&self, key: &str, source: Option<&str>) -> Result<()> {
        let hash = checked_hash(key)?;
        {
            let mut map = write(&self.0.entries);
            let entry = map.get_mut(&hash).filter(|e| *e.key == *key);
            let entry = entry.ok_or_else(|| Error::NotFound {
                key: key.to_owned(),
            })?;
            entry.source = source.map(Into::into);
        }
        self.report_write(Some(key));
        Ok(())
    }

    /// Remove every entry this scope itself holds (its parents keep theirs).
    pub fn clear(&self) {
        let removed = std::mem::take(&mut *write(&self.0.entries));
        self.0.generation.fetch_add(1, Ordering::Release);
        cache::note_write();
        drop(removed);
        self.report_write(None);
    }

    /// Report later writes to this scope made on the calling thread to the host's write hook
    /// under `tag` (0 stops). Only that thread's: a hook run on another thread would have to
    /// take the host's lock (Python's GIL) while its owner may be waiting for that thread.
    pub(crate) fn watch(&self, tag: u64) {
        self.0
            .watcher
            .store(host::thread_serial(), Ordering::Release);
        self.0.watch.store(tag, Ordering::Release);
    }

    /// Tell the host a scope it mirrors changed: `key`, or everything (`None`, a clear).
    /// Called with no lock held: the host reads the new value back through the library.
    fn report_write(&self, key: Option<&str>) {
        let tag = self.watch_tag();
        if tag != 0 {
            host::report_write(tag, key);
        }
    }

    /// The host's tag for this scope if the calling thread watches it (0: not watched here).
    fn watch_tag(&self) -> u64 {
        let tag = self.0.watch.load(Ordering::Acquire);
        if tag == 0 || self.0.watcher.load(Ordering::Acquire) != host::thread_serial() {
            return 0;
        }
        tag
    }

    /// The keys this scope itself holds (not its parents'), sorted.
    pub fn own_keys(&self) -> Vec<Arc<str>> {
        let mut keys: Vec<Arc<str>> = read(&self.0.entries)
            .values()
            .map(|e| e.key.clone())
            .collect();
        keys.sort();
        keys
    }

    /// Everything this scope sees, flattened (inner values win), sorted by key.
    pub fn entries(&self) -> Vec<Entry> {
        let mut flat = Map::default();
        let mut chain = vec![&*self.0];
        while let Some(parent) = &chain[chain.len() - 1].parent {
            chain.push(parent);
        }
        if chain[chain.len() - 1].reads_baseline {
            with_baseline(|map| flat.extend(map.iter().map(|(h, e)| (*h, e.clone()))));
        }
        for node in chain.iter().rev() {
            flat.extend(read(&node.entries).iter().map(|(h, e)| (*h, e.clone())));
        }
        let mut entries: Vec<Entry> = flat.into_values().collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        entries
    }

    /// Make this scope the calling thread's current scope, until [`Scope::exit`].
    pub fn enter(&self) {
        with_thread(|t| t.stack.push(self.clone()));
        cache::bump_version();
        if host::stack_hook_wanted() {
            host::report_stack(true, 0);
        }
    }

    /// Leave this scope. It must be the calling thread's current scope, entered on this thread,
    /// with no host scope opened above it; otherwise nothing changes and the error says why.
    pub fn exit(&self) -> Result<()> {
        let (popped, was_base) = with_thread(|t| t.pop(self))?;
        cache::bump_version();
        if was_base {
            // The host mirrored this very scope as its current one; it re-activates its own
            // current scope when told of the exit, and until then the thread is stale.
            cache::raise_stale();
        }
        let tag = self.watch_tag();
        drop(popped);
        if host::stack_hook_wanted() {
            host::report_stack(false, tag);
        }
        Ok(())
    }

    /// Make `scope` (or, for `None`, the thread's root) the host's current scope on this
    /// thread. For host runtimes that track their own current scope per task (Python's
    /// asyncio): they switch it when their current scope changes, with no LIFO rule. It sits
    /// above the natively entered scopes it builds on (a host scope opened inside a native
    /// guard) and beneath the others, which keep their own LIFO rule.
    pub fn activate(scope: Option<&Scope>) {
        let previous = with_thread(|t| {
            t.base_above = scope.map_or(0, |s| t.entries_below(s));
            std::mem::replace(&mut t.base, scope.cloned())
        });
        cache::bump_version();
        drop(previous);
    }

    /// The calling thread's root scope: what it sees before entering anything.
    pub fn thread_root() -> Scope {
        with_thread(|t| t.root.clone())
    }

    /// How many scopes the calling thread has entered and not yet exited.
    pub fn depth() -> usize {
        with_thread(|t| t.stack.len())
    }
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.entries()
                    .iter()
                    .map(|e| (e.key.clone(), e.value.clone())),
            )
            .finish()
    }
}

/// Validate a key and hash it.
pub fn checked_hash(key: &str) -> Result<u64> {
    validate_key(key).map_err(|reason| Error::InvalidKey {
        key: key.to_owned(),
        reason,
    })?;
    Ok(hash_key(key))
}

// A poisoned lock only means a panic happened elsewhere while writing a plain map insert; the
// map itself is still consistent. Every lock is taken inside the fork gate (see `fork.rs`).

fn read<T>(lock: &RwLock<T>) -> Gated<RwLockReadGuard<'_, T>> {
    Gated::lock(|| lock.read().unwrap_or_else(|e| e.into_inner()))
}

fn write<T>(lock: &RwLock<T>) -> Gated<RwLockWriteGuard<'_, T>> {
    Gated::lock(|| lock.write().unwrap_or_else(|e| e.into_inner()))
}

// ---------------------------------------------------------------------------------------------
// Per-thread state

struct ThreadState {
    root: Scope,
    /// The scope a host runtime made current (Python sets its task's scope here).
    base: Option<Scope>,
    /// How many natively entered scopes `base` sits above (those its chain builds on).
    base_above: usize,
    stack: Vec<Scope>,
}

impl ThreadState {
    fn current(&self) -> &Scope {
        match self.stack.last() {
            Some(top) if self.stack.len() > self.base_above => top,
            _ => self.base.as_ref().unwrap_or(&self.root),
        }
    }

    /// How many entries of the stack `scope` builds on: one past the highest entry in its
    /// chain of parents (0: it builds on none, and sits beneath them all).
    fn entries_below(&self, scope: &Scope) -> usize {
        if self.stack.is_empty() {
            return 0;
        }
        let mut node = Some(&scope.0);
        while let Some(n) = node {
            if let Some(i) = self.stack.iter().rposition(|open| Arc::ptr_eq(&open.0, n)) {
                return i + 1;
            }
            node = n.parent.as_ref();
        }
        0
    }

    /// Pop `scope` if it is the innermost entered scope and no host scope sits above it;
    /// whether it was the host's current scope too.
    fn pop(&mut self, scope: &Scope) -> Result<(Option<Scope>, bool)> {
        let open = self.stack.len();
        let refused = |kind| Err(Error::ScopeOrder { kind, open });
        match self.stack.last() {
            Some(top) if top.same(scope) => {}
            Some(_) if self.stack.iter().any(|s| s.same(scope)) => return refused(OutOfOrder),
            Some(_) => return refused(NotOpen),
            None => return refused(NoneOpen),
        }
        let was_base = self.base.as_ref().is_some_and(|b| b.same(scope));
        if self.base_above == open && !was_base {
            return refused(HostScopeOpen);
        }
        self.base_above = self.base_above.min(open - 1);
        if was_base {
            self.base = None;
        }
        Ok((self.stack.pop(), was_base))
    }
}

thread_local! {
    static THREAD: RefCell<ThreadState> = RefCell::new(ThreadState { root: Scope::root(), base: None, base_above: 0, stack: Vec::new() });
    static BASELINE_CACHE: RefCell<(u64, Arc<Map>)> = RefCell::new((0, Arc::new(Map::default())));
}

fn with_thread<R>(f: impl FnOnce(&mut ThreadState) -> R) -> R {
    THREAD.with(|t| f(&mut t.borrow_mut()))
}

/// The calling thread's current scope, without syncing the host first.
fn current_unsynced() -> Scope {
    // A clone, so no borrow of the thread state is held while the scope is read: a read can
    // free an old baseline, whose host objects' release callbacks may call back into us.
    THREAD.with(|t| t.borrow().current().clone())
}

/// Read the calling thread's current scope by precomputed hash and apply `f` to the entry.
pub(crate) fn read_current<R>(hash: u64, f: impl FnOnce(&Entry) -> R) -> Option<R> {
    let _ = host::sync();
    current_unsynced().lookup(hash, None, f)
}

/// The value of a key of the calling thread's current scope, by precomputed hash, through
/// the per-thread read cache: the fast path of compiled-in keys.
#[inline]
pub(crate) fn read_current_value(hash: u64) -> Option<Value> {
    let _ = host::sync();
    if let Some(cached) = cache::hit(hash) {
        return value_of(cached);
    }
    let word = cache::word();
    let found = current_unsynced().lookup(hash, None, |e| e.value.clone());
    if let Some(cached) = cached_of(found.as_ref()) {
        cache::store(hash, word, cached);
    }
    found
}

/// What a read cache keeps of a read's result: scalars and "missing". Strings and host
/// objects are always read from the scopes.
pub(crate) fn cached_of(found: Option<&Value>) -> Option<Cached> {
    match found {
        None => Some(Cached::Missing),
        Some(Value::Null) => Some(Cached::Null),
        Some(Value::Bool(b)) => Some(Cached::Bool(*b)),
        Some(Value::Int(i)) => Some(Cached::Int(*i)),
        Some(Value::Float(x)) => Some(Cached::Float(*x)),
        Some(_) => None,
    }
}

/// The read result a cache entry stands for.
pub(crate) fn value_of(cached: Cached) -> Option<Value> {
    match cached {
        Cached::Missing => None,
        Cached::Null => Some(Value::Null),
        Cached::Bool(b) => Some(Value::Bool(b)),
        Cached::Int(i) => Some(Value::Int(i)),
        Cached::Float(x) => Some(Value::Float(x)),
    }
}

// ---------------------------------------------------------------------------------------------
// The frozen global baseline

static BASELINE: RwLock<Option<Arc<Map>>> = RwLock::new(None);
static BASELINE_GENERATION: AtomicU64 = AtomicU64::new(0);

/// Run `f` on the current baseline, refreshing this thread's cached copy only when a newer one
/// was published (one atomic load on the common path).
fn with_baseline<R>(f: impl FnOnce(&Map) -> R) -> R {
    let published = BASELINE_GENERATION.load(Ordering::Acquire);
    let (result, replaced) = BASELINE_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let mut replaced = None;
        if cache.0 != published {
            let latest = read(&BASELINE).clone();
            replaced = Some(std::mem::replace(
                &mut *cache,
                (published, latest.unwrap_or_default()),
            ));
        }
        (f(&cache.1), replaced)
    });
    // Dropped outside the borrow: this may free the last copy of an old baseline, and a host
    // release callback may call back into the library (and read the baseline).
    drop(replaced);
    result
}

/// How many times a baseline was published (starts at 0).
pub(crate) fn baseline_generation() -> &'static AtomicU64 {
    &BASELINE_GENERATION
}

/// Publish what the calling thread currently sees as the baseline for every thread.
pub fn frozen() {
    let map: Map = Scope::current()
        .entries()
        .into_iter()
        .map(|e| (hash_key(&e.key), e))
        .collect();
    let old = {
        let mut slot = write(&BASELINE);
        let old = slot.replace(Arc::new(map));
        BASELINE_GENERATION.fetch_add(1, Ordering::AcqRel);
        cache::note_write();
        old
    };
    drop(old);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::MAX_KEY_LEN;

    fn generation(scope: &Scope) -> u64 {
        scope.generation().load(Ordering::Acquire)
    }

    #[test]
    fn generation_counts_writes_of_the_scope_itself() {
        let parent = Scope::empty();
        let child = parent.child();
        let g = generation(&child);
        child.set("gen.a", Value::Int(1)).unwrap();
        child.set("gen.a", Value::Int(2)).unwrap();
        assert_eq!(generation(&child), g + 2);
        parent.set("gen.b", Value::Int(1)).unwrap();
        assert_eq!(generation(&child), g + 2, "a parent's write is its own");
        child.clear();
        assert!(generation(&child) > g + 2);
    }

    #[test]
    fn a_refused_write_is_not_counted() {
        let scope = Scope::empty();
        assert!(scope.set("a..b", Value::Null).is_err());
        assert!(scope
            .set(&"k".repeat(MAX_KEY_LEN + 1), Value::Null)
            .is_err());
        assert_eq!(generation(&scope), 0);
    }
}

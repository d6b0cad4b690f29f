//! Fork safety: a child process must never inherit a lock that another thread held.
//!
//! `fork()` copies only the calling thread. A lock some other thread held at that moment stays
//! held in the child forever, and the child's first read of that scope (or the baseline) hangs.
//! The engine's locks cannot be reset in the child, and there are many (one per scope), so
//! every lock is taken inside a gate instead: `fork()` (through `pthread_atfork`) closes the gate
//! and waits until no thread holds any engine lock, forks, and opens it again in both processes.
//! Gate holders never wait for anything but engine locks and never call the host, so the wait
//! is short. Reads served from the per-thread cache take no lock and never touch the gate.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Set while a fork is in progress; the low bits count threads inside the gate.
const FORKING: u64 = 1 << 63;

static GATE: AtomicU64 = AtomicU64::new(0);
static HANDLERS: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// How deep the calling thread is inside the gate (it may take a second lock inside).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// A lock guard that also holds the fork gate; the lock is released first.
pub(crate) struct Gated<G> {
    guard: G,
    _gate: Inside,
}

impl<G> Gated<G> {
    /// Take a lock inside the gate: `lock` runs after the gate is entered.
    pub(crate) fn lock(lock: impl FnOnce() -> G) -> Gated<G> {
        let gate = Inside::enter();
        Gated {
            guard: lock(),
            _gate: gate,
        }
    }
}

impl<G: Deref> Deref for Gated<G> {
    type Target = G::Target;
    fn deref(&self) -> &G::Target {
        &self.guard
    }
}

impl<G: DerefMut> DerefMut for Gated<G> {
    fn deref_mut(&mut self) -> &mut G::Target {
        &mut self.guard
    }
}

struct Inside;

impl Inside {
    fn enter() -> Inside {
        let outermost = DEPTH
            .try_with(|depth| {
                depth.set(depth.get() + 1);
                depth.get() == 1
            })
            .unwrap_or(true);
        if outermost {
            enter_gate();
        }
        Inside
    }
}

impl Drop for Inside {
    fn drop(&mut self) {
        let outermost = DEPTH
            .try_with(|depth| {
                depth.set(depth.get() - 1);
                depth.get() == 0
            })
            .unwrap_or(true);
        if outermost {
            GATE.fetch_sub(1, Ordering::Release);
        }
    }
}

fn enter_gate() {
    if !HANDLERS.load(Ordering::Relaxed) {
        install_handlers();
    }
    loop {
        if GATE.fetch_add(1, Ordering::Acquire) & FORKING == 0 {
            return;
        }
        GATE.fetch_sub(1, Ordering::Release);
        while GATE.load(Ordering::Acquire) & FORKING != 0 {
            std::thread::yield_now();
        }
    }
}

#[cold]
fn install_handlers() {
    if HANDLERS.swap(true, Ordering::AcqRel) {
        return;
    }
    #[cfg(unix)]
    {
        extern "C" {
            fn pthread_atfork(
                prepare: Option<extern "C" fn()>,
                parent: Option<extern "C" fn()>,
                child: Option<extern "C" fn()>,
            ) -> i32;
        }
        // SAFETY: registers three functions that only touch atomics; always valid to call.
        unsafe {
            pthread_atfork(
                Some(before_fork),
                Some(after_fork_parent),
                Some(after_fork_child),
            )
        };
    }
}

extern "C" fn before_fork() {
    GATE.fetch_or(FORKING, Ordering::AcqRel);
    // Holders finish a map probe or insert and leave; nobody new gets in.
    while GATE.load(Ordering::Acquire) & !FORKING != 0 {
        std::thread::yield_now();
    }
}

extern "C" fn after_fork_parent() {
    GATE.fetch_and(!FORKING, Ordering::AcqRel);
}

extern "C" fn after_fork_child() {
    // Only the forking thread lives on, and it held no engine lock.
    GATE.store(0, Ordering::Release);
}

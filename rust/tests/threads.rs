//! Threads: each thread has its own scopes, a new thread starts from the frozen baseline, and
//! `frozen()` publishes atomically to every thread.
//!
//! The baseline is one value shared by every test of this binary, and cargo runs tests in
//! parallel threads, so every test that publishes a baseline or depends on its content holds
//! `BASELINE` and resets the baseline to empty before releasing it. Tests that do not take the
//! lock use keys nobody publishes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use hyperparameter::*;

static BASELINE: Mutex<()> = Mutex::new(());

/// Exclusive use of the baseline for one test; the baseline is empty while it is held.
struct BaselineLock(#[allow(dead_code)] MutexGuard<'static, ()>);

impl BaselineLock {
    fn take() -> BaselineLock {
        let guard = BASELINE.lock().unwrap_or_else(|e| e.into_inner());
        publish_empty_baseline();
        BaselineLock(guard)
    }
}

impl Drop for BaselineLock {
    fn drop(&mut self) {
        publish_empty_baseline();
    }
}

/// Publish an empty baseline: freeze from a scope that inherits nothing.
fn publish_empty_baseline() {
    let empty = Scope::empty();
    empty.enter();
    frozen();
    empty.exit().unwrap();
}

fn read(key: &str) -> Option<i64> {
    match Scope::current().get(key) {
        Ok(entry) => Some(to_i64(&entry.value).unwrap()),
        Err(Error::NotFound { .. }) => None,
        Err(other) => panic!("{key}: {other}"),
    }
}

fn on_new_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    thread::spawn(f).join().unwrap()
}

#[test]
fn a_new_thread_starts_from_the_frozen_baseline_not_the_live_scope() {
    let _lock = BaselineLock::take();
    with_params! {
        set thr.new.k = 1i64;
        assert_eq!(read("thr.new.k"), Some(1));
        assert_eq!(on_new_thread(|| read("thr.new.k")), None, "the parent's live scope is not inherited");

        let scope = Scope::current();
        scope.set("thr.new.k", Value::Int(2)).unwrap();
        scope.set("thr.new.other", Value::Int(5)).unwrap();
        frozen();
        scope.set("thr.new.k", Value::Int(3)).unwrap();
        assert_eq!(read("thr.new.k"), Some(3), "the live value still wins on this thread");
        assert_eq!(on_new_thread(|| read("thr.new.k")), Some(2), "a new thread sees what was frozen");
        assert_eq!(on_new_thread(|| (Scope::depth(), read("thr.new.other"))), (0, Some(5)));
    }
    // Outside every scope this thread reads the baseline too.
    assert_eq!(read("thr.new.k"), Some(2));
    // A thread's own scopes shadow the baseline and roll back to it.
    let seen = on_new_thread(|| {
        let inside = with_params! {
            set thr.new.k = 9i64;
            read("thr.new.k")
        };
        (inside, read("thr.new.k"))
    });
    assert_eq!(seen, (Some(9), Some(2)));
    // An empty scope hides the baseline; a root scope reads it.
    assert_eq!(
        Scope::empty()
            .get("thr.new.k")
            .ok()
            .map(|e| to_i64(&e.value).unwrap()),
        None
    );
    assert_eq!(
        to_i64(&Scope::root().get("thr.new.k").unwrap().value).unwrap(),
        2
    );
}

#[test]
fn existing_threads_see_a_new_baseline_for_keys_they_do_not_set() {
    let _lock = BaselineLock::take();
    let (to_worker, worker_rx) = mpsc::channel::<()>();
    let (to_main, main_rx) = mpsc::channel::<(Option<i64>, Option<i64>)>();
    let worker = thread::spawn(move || {
        with_params! {
            set thr.live.own = 100i64;
            to_main.send((read("thr.live.own"), read("thr.live.shared"))).unwrap();
            worker_rx.recv().unwrap();
            to_main.send((read("thr.live.own"), read("thr.live.shared"))).unwrap();
            worker_rx.recv().unwrap();
            to_main.send((read("thr.live.own"), read("thr.live.shared"))).unwrap();
        }
        to_main
            .send((read("thr.live.own"), read("thr.live.shared")))
            .unwrap();
    });
    assert_eq!(main_rx.recv().unwrap(), (Some(100), None));

    with_params! {
        set thr.live.own = 1i64;
        set thr.live.shared = 7i64;
        frozen();
    }
    to_worker.send(()).unwrap();
    assert_eq!(
        main_rx.recv().unwrap(),
        (Some(100), Some(7)),
        "the worker keeps its own value, sees the new one"
    );

    with_params! {
        set thr.live.shared = 8i64;
        frozen();
    }
    to_worker.send(()).unwrap();
    assert_eq!(
        main_rx.recv().unwrap(),
        (Some(100), Some(8)),
        "a later publication replaces the cached one"
    );
    assert_eq!(
        main_rx.recv().unwrap(),
        (Some(1), Some(8)),
        "after its scope, the worker reads the baseline"
    );
    worker.join().unwrap();
}

#[test]
fn frozen_publishes_atomically() {
    let _lock = BaselineLock::take();
    const ROUNDS: i64 = 2_000;
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(2));

    let reader = {
        let (done, start) = (done.clone(), start.clone());
        thread::spawn(move || {
            start.wait();
            let deadline = Instant::now() + Duration::from_secs(60);
            let (mut last, mut observed) = (-1, 0);
            while !done.load(Ordering::Acquire) || last < ROUNDS - 1 {
                assert!(
                    Instant::now() < deadline,
                    "the reader never saw the last publication (it saw {last})"
                );
                // One listing reads one published baseline: x and y always come from the same one.
                let entries = Scope::current().entries();
                let find = |k: &str| {
                    entries
                        .iter()
                        .find(|e| &*e.key == k)
                        .map(|e| to_i64(&e.value).unwrap())
                };
                let (x, y) = (find("thr.atomic.x"), find("thr.atomic.y"));
                assert_eq!(x, y, "a reader saw half of a publication");
                if let Some(x) = x {
                    assert!(x >= last, "the baseline went back from {last} to {x}");
                    observed += (x != last) as usize;
                    last = x;
                }
            }
            observed
        })
    };

    let publisher = thread::spawn(move || {
        start.wait();
        for i in 0..ROUNDS {
            with_params! {
                set thr.atomic.x = i;
                set thr.atomic.y = i;
                frozen();
            }
        }
        done.store(true, Ordering::Release);
    });
    publisher.join().unwrap();
    let observed = reader.join().unwrap();
    assert!(
        observed >= 1,
        "the reader must have seen at least one publication"
    );
}

#[test]
fn two_threads_interleaving_scopes_never_see_each_other() {
    const ROUNDS: i64 = 5_000;
    let start = Arc::new(Barrier::new(2));
    let workers: Vec<_> = (1..=2i64)
        .map(|id| {
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                let depth = Scope::depth();
                for i in 0..ROUNDS {
                    let mine = id * 1_000_000 + i;
                    with_params! {
                        set thr.iso.v = mine;
                        if i % 64 == 0 {
                            thread::yield_now();
                        }
                        let v = with_params! { get v = thr.iso.v or -1i64; v };
                        assert_eq!(v, mine, "thread {id} saw another thread's value");
                        with_params! {
                            set thr.iso.w = mine + 1;
                            get v = thr.iso.v or -1i64;
                            get w = thr.iso.w or -1i64;
                            assert_eq!((v, w), (mine, mine + 1));
                        }
                        assert_eq!(read("thr.iso.w"), None, "the inner scope rolled back");
                    }
                    assert_eq!(read("thr.iso.v"), None);
                }
                assert_eq!(Scope::depth(), depth);
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}

#[test]
fn exit_on_another_thread_is_refused() {
    let depth = Scope::depth();
    let scope = Scope::child_of_current();
    scope.enter();
    scope.set("thr.exit.k", Value::Int(1)).unwrap();

    let handle = scope.clone();
    let (plain, nested) = on_new_thread(move || {
        // No scope is open here.
        let plain = handle.exit();
        // A scope of its own is open here: still refused, and its own stack is untouched.
        let own = Scope::child_of_current();
        own.enter();
        let nested = handle.exit();
        assert_eq!(Scope::depth(), 1);
        assert!(Scope::current().same(&own));
        own.exit().unwrap();
        (plain, nested)
    });
    let refusal = |exit: &Result<()>| match exit {
        Err(Error::ScopeOrder { kind, open }) => Some((*kind, *open)),
        _ => None,
    };
    assert_eq!(refusal(&plain), Some((ScopeOrderKind::NoneOpen, 0)));
    assert_eq!(refusal(&nested), Some((ScopeOrderKind::NotOpen, 1)));

    assert_eq!(
        Scope::depth(),
        depth + 1,
        "the entering thread's stack is unchanged"
    );
    assert!(Scope::current().same(&scope));
    assert_eq!(read("thr.exit.k"), Some(1));
    scope.exit().unwrap();
    assert_eq!(Scope::depth(), depth);
}

#[test]
fn a_handle_reads_the_same_scope_from_any_thread() {
    // Explicit handles (what Python keeps per asyncio task) are not bound to a thread; only
    // entering is.
    let scope = Scope::empty();
    scope.set("thr.handle.k", Value::Int(3)).unwrap();
    let shared = scope.clone();
    let (seen, current) = on_new_thread(move || {
        shared.set("thr.handle.from_thread", Value::Int(4)).unwrap();
        (
            to_i64(&shared.get("thr.handle.k").unwrap().value).unwrap(),
            read("thr.handle.k"),
        )
    });
    assert_eq!(
        (seen, current),
        (3, None),
        "the handle reads, the other thread's current scope does not"
    );
    assert_eq!(
        to_i64(&scope.get("thr.handle.from_thread").unwrap().value).unwrap(),
        4
    );
}

#[test]
fn an_activated_scope_is_current_beneath_entered_scopes() {
    // A host runtime (Python's asyncio) switches the thread's base scope per task with
    // `activate`, which has no LIFO rule; natively entered scopes stay on top of it.
    on_new_thread(|| {
        let task_a = Scope::empty();
        task_a.set("thr.task.k", Value::Int(1)).unwrap();
        let task_b = Scope::empty();
        task_b.set("thr.task.k", Value::Int(2)).unwrap();

        Scope::activate(Some(&task_a));
        assert_eq!(read("thr.task.k"), Some(1));
        Scope::activate(Some(&task_b));
        assert_eq!(read("thr.task.k"), Some(2));
        assert_eq!(Scope::depth(), 0, "activation is not an entered scope");

        let native = Scope::child_of_current();
        native.enter();
        assert_eq!(
            read("thr.task.k"),
            Some(2),
            "a native scope entered now sits on task b"
        );
        native.set("thr.task.k", Value::Int(3)).unwrap();
        Scope::activate(Some(&task_a));
        assert_eq!(
            read("thr.task.k"),
            Some(3),
            "the entered scope stays on top"
        );
        native.exit().unwrap();
        assert_eq!(read("thr.task.k"), Some(1));

        Scope::activate(None);
        assert_eq!(read("thr.task.k"), None, "back to the thread's root");
        assert!(Scope::current().same(&Scope::thread_root()));
    });
}

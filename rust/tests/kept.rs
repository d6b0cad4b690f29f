//! `with_params!`'s `get` keeps its answer per call site and thread while the thread's read
//! word is unchanged; every event that changes what the thread reads must show through.
//! (The C++ tests count engine calls to show the kept answer is used; these show that Rust
//! reads through it stay right.) One test per binary touches the baseline, so no lock.

use std::sync::mpsc;
use std::thread;

use hyperparameter::*;

fn probe() -> i64 {
    with_params! {
        get value = kept.probe or -1i64;
        value
    }
}

#[test]
fn each_event_shows_through_the_kept_answer() {
    // Repeated reads of an unchanged scope.
    assert_eq!((probe(), probe()), (-1, -1));

    // This thread enters and exits scopes.
    let outer = ScopeGuard::enter_new();
    outer.scope().set("kept.probe", Value::Int(1)).unwrap();
    assert_eq!((probe(), probe()), (1, 1));
    with_params! {
        set kept.probe = 2i64;
        assert_eq!((probe(), probe()), (2, 2));
    }
    assert_eq!(probe(), 1);

    // Another thread writes into the scope this thread is inside.
    let shared = outer.scope().clone();
    thread::spawn(move || shared.set("kept.probe", Value::Int(3)).unwrap())
        .join()
        .unwrap();
    assert_eq!(probe(), 3);
    drop(outer);
    assert_eq!(probe(), -1);

    // Another thread publishes a baseline.
    let (published, wait) = mpsc::channel();
    thread::spawn(move || {
        with_params! {
            set kept.probe = 4i64;
            frozen();
        }
        published.send(()).unwrap();
    });
    wait.recv().unwrap();
    assert_eq!((probe(), probe()), (4, 4));

    // And an empty one again.
    thread::spawn(|| {
        let empty = Scope::empty();
        empty.enter();
        frozen();
        empty.exit().unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(probe(), -1);
}

#[test]
fn a_type_the_value_cannot_convert_to_still_panics_with_the_key() {
    fn as_int() -> i64 {
        with_params! {
            get count = kept.mismatch or 0i64;
            count
        }
    }
    with_params! {
        set kept.mismatch = 2.5f64; // a scalar: kept, and converted again on every read
        for _ in 0..2 {
            let err = std::panic::catch_unwind(as_int).unwrap_err();
            let text = err.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(text.contains("kept.mismatch"), "{text}");
        }
    }
}

//! Thread isolation and `frozen()` (the quick start, section 6.2).
//!
//! `frozen()` publishes what the main thread sees as the baseline every thread starts from;
//! after that, each worker's own scopes stay private to it.

use std::thread;

use hyperparameter::*;

fn worker(id: i64) {
    with_params! {
        set worker.id = id;

        for i in 0..5 {
            with_params! {
                set worker.iter = i;
                get wid = worker.id or -1i64;
                get witer = worker.iter or -1i64;
                get seed = global.seed or -1i64;

                println!("Worker {wid} iter {witer} seed {seed}");
            };
        }
    };
}

fn main() {
    with_params! {
        set global.seed = 42i64;

        frozen(); // publish the current values as the baseline of every thread
    };

    let handles: Vec<_> = (0..4).map(|id| thread::spawn(move || worker(id))).collect();

    for h in handles {
        h.join().unwrap();
    }
}

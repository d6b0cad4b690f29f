#![no_main]
//! `cargo +nightly fuzz run definition_parser`: see fuzz/README.md and `checks::definition_parser`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hyperparameter_fuzz::checks::definition_parser(data));

#![no_main]
//! `cargo +nightly fuzz run key_validation`: see fuzz/README.md and `checks::key_validation`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hyperparameter_fuzz::checks::key_validation(data));

#![no_main]
//! `cargo +nightly fuzz run value_conversion`: see fuzz/README.md and `checks::value_conversion`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hyperparameter_fuzz::checks::value_conversion(data));

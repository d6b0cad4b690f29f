#![no_main]
//! `cargo +nightly fuzz run abi_sequences`: see fuzz/README.md and `checks::abi_sequences`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hyperparameter_fuzz::checks::abi_sequences(data));

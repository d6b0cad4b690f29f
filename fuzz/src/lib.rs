//! The fuzz targets' shared checks. `checks.rs` is also compiled into the stable replay test
//! `rust/tests/fuzz_regressions.rs` (through `#[path]`), so a kept input is checked the same
//! way under libFuzzer and under `cargo test`.

pub mod checks;

//! Replays the inputs kept by the fuzz targets (`fuzz/`), on stable Rust, through the very
//! checks the targets run (`fuzz/src/checks.rs`, included below).
//!
//! For each target `T`, every file of `fuzz/regressions/T/` (inputs that once crashed or found
//! something, one per finding) and of `fuzz/corpus/T/` (the seeds) is run through
//! `checks::T`. A failing input is named in the panic message; reproduce it under libFuzzer
//! with `cargo +nightly fuzz run T fuzz/regressions/T/NAME`.

#[path = "../../fuzz/src/checks.rs"]
mod checks;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The ABI target publishes baselines and counts host objects process-wide: one replay at a
/// time.
static SERIAL: Mutex<()> = Mutex::new(());

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files = Vec::new();
    for kind in ["regressions", "corpus"] {
        let dir = fuzz.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("read a directory entry").path();
            if path.is_file() && path.extension().map_or(true, |e| e != "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn replay(target: &str, check: fn(&[u8]), at_least: usize) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let files = inputs(target);
    assert!(
        files.len() >= at_least,
        "{target}: expected at least {at_least} kept inputs, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} of {} kept inputs fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn key_validation_inputs() {
    replay("key_validation", checks::key_validation, 1);
}

#[test]
fn definition_parser_inputs() {
    replay("definition_parser", checks::definition_parser, 1);
}

#[test]
fn value_conversion_inputs() {
    replay("value_conversion", checks::value_conversion, 1);
}

#[test]
fn abi_sequences_inputs() {
    replay("abi_sequences", checks::abi_sequences, 1);
}

/// The independent XXH64 of the checks agrees with the published value.
#[test]
fn reference_hash_matches_the_documented_vector() {
    assert_eq!(
        checks::reference_xxh64(b"train.lr", 42),
        1_730_067_025_249_070_946
    );
    assert_eq!(
        checks::reference_xxh64(&[b'k'; 100], 42),
        hyperparameter::hash_bytes(&[b'k'; 100])
    );
}

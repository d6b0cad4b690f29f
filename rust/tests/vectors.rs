//! The shared hash vectors (`tests/vectors/hash.json`, computed with the independent `xxhash`
//! package) against the engine's hash, at run time and at compile time.

use hyperparameter::{hash_bytes, hash_key, SEED};
use serde_json::Value as Json;

fn vectors() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/hash.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

#[test]
fn every_vector_matches_at_run_time() {
    let file = vectors();
    assert_eq!(file["algorithm"], "XXH64");
    assert_eq!(file["seed"].as_u64(), Some(SEED));
    assert_eq!(SEED, 42, "the seed of the original library");
    let list = file["vectors"].as_array().expect("a \"vectors\" array");
    assert!(
        list.len() >= 20,
        "the vector file lost entries: {}",
        list.len()
    );
    let mut mismatches = Vec::new();
    for vector in list {
        let key = vector["key"].as_str().expect("key");
        let expected = vector["xxh64_seed42"]
            .as_u64()
            .expect("xxh64_seed42 as an unsigned 64-bit integer");
        assert_eq!(
            vector["utf8_len"].as_u64(),
            Some(key.len() as u64),
            "utf8_len of {key:?}"
        );
        if hash_key(key) != expected || hash_bytes(key.as_bytes()) != expected {
            mismatches.push(format!(
                "{key:?}: engine {} != vector {expected}",
                hash_key(key)
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "hash mismatches:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn the_vectors_cover_the_edge_lengths_and_scripts() {
    // XXH64 has separate paths below 4, 8 and 32 bytes and per 32-byte stripe; keep them covered.
    let file = vectors();
    let lengths: Vec<u64> = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["utf8_len"].as_u64().unwrap())
        .collect();
    for wanted in [0, 1, 3, 5, 8, 31, 32, 33, 64, 65, 100] {
        assert!(lengths.contains(&wanted), "no vector of {wanted} bytes");
    }
    let keys: Vec<&str> = file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert!(keys.iter().any(|k| !k.is_ascii()), "no non-ASCII key");
}

// Compile-time hashing: the values C++ `constexpr` and the Rust macros bake into code.
const TRAIN_LR: u64 = hash_key("train.lr");
const LAYER_SIZE: u64 = hash_key("model.layers._0.size");
const FOO_X: u64 = hash_key("foo.x");
const CJK: u64 = hash_key("模型.学习率");
const EMPTY: u64 = hash_key("");

#[test]
fn const_evaluation_agrees_with_the_vectors() {
    let file = vectors();
    let expected = |key: &str| {
        file["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .and_then(|v| v["xxh64_seed42"].as_u64())
            .unwrap_or_else(|| panic!("no vector for {key:?}"))
    };
    assert_eq!(TRAIN_LR, expected("train.lr"));
    assert_eq!(LAYER_SIZE, expected("model.layers._0.size"));
    assert_eq!(FOO_X, expected("foo.x"));
    assert_eq!(CJK, expected("模型.学习率"));
    assert_eq!(EMPTY, expected(""));
    // Spot values written out, so a changed vector file cannot silently move the seed.
    assert_eq!(TRAIN_LR, 1730067025249070946);
    assert_eq!(LAYER_SIZE, 11695776023850592282);
}

#[test]
fn the_c_abi_hashes_the_same() {
    let file = vectors();
    for vector in file["vectors"].as_array().unwrap() {
        let key = vector["key"].as_str().unwrap();
        let mut out = 0u64;
        // SAFETY: `key` is `key.len()` readable bytes (non-NULL even when empty); `out` is a local.
        let status =
            unsafe { hyperparameter::ffi::hp_hash(key.as_ptr().cast(), key.len(), &mut out) };
        assert_eq!(status, hyperparameter::ffi::HP_OK);
        assert_eq!(
            out,
            vector["xxh64_seed42"].as_u64().unwrap(),
            "hp_hash({key:?})"
        );
    }
}

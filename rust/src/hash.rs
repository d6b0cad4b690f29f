//! Key hashing: XXH64 of the key's UTF-8 bytes with one fixed seed.
//!
//! The seed is the one the original library used, so hashes stay compatible with it.
//! Every front end (C++ `constexpr`, Rust `const`, Python) computes the same value; the shared
//! vectors in `tests/vectors/hash.json` prove it.

/// The one seed used for every key hash.
pub const SEED: u64 = 42;

/// Hash a key's UTF-8 bytes. Usable in `const` context, so macros hash keys at compile time.
///
/// ```
/// const H: u64 = hyperparameter::hash_key("train.lr");
/// assert_eq!(H, 1730067025249070946);
/// ```
pub const fn hash_key(key: &str) -> u64 {
    hash_bytes(key.as_bytes())
}

/// Hash raw bytes with the library's seed (the key need not be valid).
pub const fn hash_bytes(bytes: &[u8]) -> u64 {
    xxhash_rust::const_xxh64::xxh64(bytes, SEED)
}

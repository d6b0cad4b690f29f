//! The committed C header must be exactly what cbindgen generates from `src/ffi/`.

const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/hyperparameter.h"));

#[test]
fn committed_header_is_fresh() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../include/hyperparameter.h");
    let committed = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    if committed == GENERATED {
        return;
    }
    let first_difference = committed
        .lines()
        .zip(GENERATED.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(GENERATED.lines().count()));
    panic!(
        "include/hyperparameter.h is stale: it differs from the header cbindgen generates from \
         rust/src/ffi/ (first difference at line {}).\n\
         committed: {:?}\ngenerated: {:?}\n\
         Regenerate it with `HP_WRITE_HEADER=1 cargo build -p hyperparameter` and commit the result.",
        first_difference + 1,
        committed.lines().nth(first_difference).unwrap_or("<end of file>"),
        GENERATED.lines().nth(first_difference).unwrap_or("<end of file>"),
    );
}

#[test]
fn header_declares_the_abi() {
    // The generated header carries what every front end relies on.
    for needle in [
        "#ifndef HYPERPARAMETER_H",
        "extern \"C\"",
        "#define HP_ABI_VERSION 3",
        "const struct hp_read_word *hp_thread_word(void);",
        "#define HP_HOST_ERROR 10",
        "typedef int32_t (*hp_sync_fn)(void);",
        "#define HP_OK 0",
        "#define HP_SCOPE_ORDER 5",
        "uint32_t hp_abi_version(void);",
        "const char *hp_last_error(void);",
        "typedef struct hp_scope hp_scope;",
    ] {
        assert!(
            GENERATED.contains(needle),
            "generated header lacks {needle:?}"
        );
    }
    assert_eq!(
        GENERATED.matches("#define HP_ABI_VERSION ").count(),
        1,
        "one ABI version constant"
    );
    assert_eq!(
        hyperparameter::ffi::hp_abi_version(),
        hyperparameter::ffi::HP_ABI_VERSION
    );
}

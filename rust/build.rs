//! Generates the C header from the C ABI in `src/ffi/` with cbindgen.
//!
//! cbindgen starts at `src/ffi/mod.rs` and follows its `mod` declarations, so it sees every
//! module of the folder, in the order `mod.rs` declares them (which is the header's order).
//!
//! The header is written to `$OUT_DIR/hyperparameter.h`; a test compares it with the committed
//! `include/hyperparameter.h`. Set `HP_WRITE_HEADER=1` to refresh the committed copy.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=HP_WRITE_HEADER");

    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/ffi/mod.rs"))
        .generate()
        .expect("generate the C header");
    bindings.write_to_file(out_dir.join("hyperparameter.h"));
    if std::env::var_os("HP_WRITE_HEADER").is_some() {
        bindings.write_to_file(crate_dir.join("../include/hyperparameter.h"));
    }
    // Give the shared object a SONAME so programs record a stable name.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhyperparameter.so");
}

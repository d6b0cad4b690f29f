//! Generates the C header from the C ABI in `src/ffi/` with cbindgen.
//!
//! cbindgen starts at `src/ffi/mod.rs` and follows its `mod` declarations, so it sees every
//! module of the folder, in the order `mod.rs` declares them (which is the header's order).
//!
//! The header is written to `$OUT_DIR/hyperparameter.h`; a test compares it with the committed
//! `include/hyperparameter.h`. Set `HP_WRITE_HEADER=1` to refresh the committed copy.
//!
//! It also gives the library the name programs record (`name_the_engine`).

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
    name_the_engine();
}

/// The engine's file name carries its ABI generation, so programs record a name that a later
/// incompatible engine will not answer to: `libhyperparameter.so.0` (SONAME) on Linux and
/// `@rpath/libhyperparameter.0.dylib` (install name) on macOS; Windows links
/// `hyperparameter.dll` through its import library and has no such name.
///
/// Cargo still writes `libhyperparameter.so` (`.dylib`), the name `-lhyperparameter` finds at
/// link time. A program linked against it asks for the recorded name at run time, so a link
/// with that name is put beside cargo's output: `-L target/release -lhyperparameter` with
/// `-Wl,-rpath,target/release` keeps working from a checkout.
fn name_the_engine() {
    let versioned = match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux") | Ok("android") | Ok("freebsd") | Ok("netbsd") | Ok("openbsd") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libhyperparameter.so.0");
            Some(("libhyperparameter.so", "libhyperparameter.so.0"))
        }
        Ok("macos") | Ok("ios") => {
            println!(
                "cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libhyperparameter.0.dylib"
            );
            Some(("libhyperparameter.dylib", "libhyperparameter.0.dylib"))
        }
        _ => None,
    };
    if let Some((built, recorded)) = versioned {
        link_beside_output(built, recorded);
    }
}

/// `<target>/<profile>/libhyperparameter.so.0 -> libhyperparameter.so`. OUT_DIR is
/// `<target>/<profile>/build/<package>-<hash>/out`, so the profile folder is three levels up.
/// The link may dangle until the library is written; a failure only costs that convenience.
#[cfg(unix)]
fn link_beside_output(built: &str, recorded: &str) {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let build_dir = out_dir.ancestors().nth(2);
    let (Some(build_dir), Some(profile_dir)) = (build_dir, out_dir.ancestors().nth(3)) else {
        return;
    };
    if build_dir.file_name() != Some("build".as_ref()) {
        return; // not cargo's usual layout (a separate build directory): leave it alone
    }
    let link = profile_dir.join(recorded);
    if std::fs::read_link(&link).is_ok_and(|target| target == std::path::Path::new(built)) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    if let Err(err) = std::os::unix::fs::symlink(built, &link) {
        println!(
            "cargo:warning=could not link {} to {built}: {err}",
            link.display()
        );
    }
}

#[cfg(not(unix))]
fn link_beside_output(_built: &str, _recorded: &str) {}

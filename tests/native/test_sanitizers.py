"""AddressSanitizer + UndefinedBehaviorSanitizer runs of the native test programs.

The C and C++ programs of tests/native/ and the C++ stress program are compiled with
``-fsanitize=address,undefined`` and linked against a libhyperparameter built by the nightly
Rust toolchain with ``-Zsanitizer=address`` (``target/asan/``, in the ``profiling`` profile: the
release build with symbols), so memory errors on either side of the C ABI are reported, with
the engine's function names. Without a nightly toolchain the Rust side cannot be instrumented:
the C/C++ side is then sanitized against the normal release library, and a warning says so (set
``HP_SANITIZE_RUST=0`` to ask for that, e.g. to skip the ~40 s instrumented build). Without
the sanitizer runtimes (libasan, libubsan) the tests skip, saying why. Leaks are checked by
LeakSanitizer at exit of each program.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = ROOT / "include"
NATIVE = ROOT / "tests" / "native"
TRIPLE = "x86_64-unknown-linux-gnu"
ASAN_TARGET = ROOT / "target" / "asan"

SANITIZE = [
    "-g",
    "-O1",
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=undefined",
]
ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:exitcode=86:detect_stack_use_after_return=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
}
REPORTS = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:")

CANARY = r"""
#include <stdlib.h>
#include <string.h>
#include "hyperparameter.h"
int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "overflow") == 0) {
        /* The library is told the key is 40 bytes long; the buffer holds 8. */
        char *key = (char *)malloc(8);
        uint64_t out = 0;
        memcpy(key, "abcdefgh", 8);
        hp_hash(key, 40, &out);
        free(key);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "leak") == 0) {
        /* A string the library returned, never given back with hp_string_free. */
        hp_string text = {NULL, 0};
        hp_scope *scope = hp_scope_push();
        hp_set_str(NULL, "k", 1, "a string the caller never frees", 31);
        hp_get_str(NULL, "k", 1, &text);
        hp_scope_exit(scope);
        hp_scope_free(scope);
        text.ptr = NULL;
        return 0;
    }
    return 2;
}
"""


@dataclass
class Library:
    directory: Path
    instrumented: bool  # the Rust side is built with AddressSanitizer too
    reason: str = ""  # why not, when it is not


def run(cmd: list, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def compilers(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """gcc and g++ with working AddressSanitizer and UBSan runtimes, or a skip saying why."""
    found = {"c": shutil.which("gcc"), "c++": shutil.which("g++")}
    if not all(found.values()):
        pytest.skip("the sanitizer runs need gcc and g++ (with libasan and libubsan)")
    probe = tmp_path_factory.mktemp("probe") / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    built = run([found["c"], *SANITIZE, str(probe), "-o", str(probe.with_suffix(""))])
    ran = run([str(probe.with_suffix(""))]) if built.returncode == 0 else built
    if built.returncode != 0 or ran.returncode != 0:
        why = (built.stderr + ran.stderr)[-500:]
        pytest.skip(f"no AddressSanitizer/UBSan runtime (libasan, libubsan): {why}")
    return found


def nightly_cargo() -> list | None:
    cargo = shutil.which("cargo")
    if cargo is None or shutil.which("rustup") is None:
        return None
    probe = run([cargo, "+nightly", "--version"], timeout=120)
    return [cargo, "+nightly"] if probe.returncode == 0 else None


@pytest.fixture(scope="module")
def library(compilers: dict) -> Library:
    """libhyperparameter built with -Zsanitizer=address, else the release library (warned)."""
    reason = None
    cargo = nightly_cargo()
    if os.environ.get("HP_SANITIZE_RUST", "1") == "0":
        reason = "HP_SANITIZE_RUST=0 asks for the C/C++ side only"
    elif platform.system() != "Linux" or platform.machine() != "x86_64":
        reason = f"the Rust AddressSanitizer build is set up for {TRIPLE} only"
    elif cargo is None:
        reason = "no nightly Rust toolchain (rustup toolchain install nightly)"
    else:
        env = {**os.environ, "RUSTFLAGS": "-Zsanitizer=address", "CARGO_TARGET_DIR": str(ASAN_TARGET)}
        built = run(
            # The release build with symbols (Cargo.toml): reports name the engine's functions.
            [*cargo, "build", "--profile", "profiling", "--lib", "-p", "hyperparameter", "--target", TRIPLE],
            cwd=ROOT,
            env=env,
            timeout=1500,
        )
        directory = ASAN_TARGET / TRIPLE / "profiling"
        if built.returncode == 0 and (directory / "libhyperparameter.so").is_file():
            return Library(directory, instrumented=True)
        reason = f"the nightly AddressSanitizer build failed:\n{built.stderr[-2000:]}"
    warnings.warn(f"sanitizing the C/C++ side only, against the release library: {reason}", stacklevel=1)
    built = run([shutil.which("cargo") or "cargo", "build", "--release"], cwd=ROOT, timeout=1500)
    assert built.returncode == 0, built.stderr[-4000:]
    return Library(ROOT / "target" / "release", instrumented=False, reason=reason)


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import json

    data = json.loads((ROOT / "tests" / "vectors" / "hash.json").read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("vectors") / "hash_vectors.txt"
    path.write_text(
        "".join(
            f"{v['xxh64_seed42']} {len(v['key'].encode())} {v['key'].encode().hex()}\n"
            for v in data["vectors"]
        ),
        encoding="ascii",
    )
    return path


def build(compilers: dict, library: Library, source: Path, output: Path) -> Path:
    language = "c" if source.suffix == ".c" else "c++"
    standard = "-std=c99" if language == "c" else "-std=c++17"
    cmd = [
        compilers[language],
        standard,
        *SANITIZE,
        "-Wall",
        "-Wextra",
        "-pthread",
        f"-I{INCLUDE}",
        str(source),
        "-o",
        str(output),
        f"-L{library.directory}",
        "-lhyperparameter",
        f"-Wl,-rpath,{library.directory}",
    ]
    result = run(cmd)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stderr[-4000:]}"
    return output


def run_sanitized(program: Path, *args: str) -> subprocess.CompletedProcess:
    return run([str(program), *args], env={**os.environ, **ENV})


PROGRAMS = {
    "test_c_api.c": (NATIVE / "test_c_api.c", True, r"^test_c_api: \d+ checks, 0 failed$"),
    "test_bad_input.c": (NATIVE / "test_bad_input.c", False, r"^test_bad_input: \d+ checks, 0 failed$"),
    "test_matrix.c": (NATIVE / "test_matrix.c", False, r"^test_matrix: \d+ checks, 0 failed$"),
    "test_cpp.cpp": (NATIVE / "test_cpp.cpp", True, r"^test_cpp: \d+ checks, 0 failed$"),
    "stress.cpp": (ROOT / "tests" / "stress" / "stress.cpp", False, r"^stress: 0 checks failed$"),
}
ARGS = {"stress.cpp": ["200000", "8"]}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_is_clean_under_asan_and_ubsan(compilers, library, vectors, tmp_path, name):
    source, needs_vectors, summary = PROGRAMS[name]
    program = build(compilers, library, source, tmp_path / source.stem)
    result = run_sanitized(program, *([str(vectors)] if needs_vectors else []), *ARGS.get(name, []))
    report = f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-8000:]}"
    assert not REPORTS.search(result.stderr), report
    assert result.returncode == 0, report
    assert re.search(summary, result.stdout, re.MULTILINE), report


def test_rust_side_is_instrumented(compilers, library, tmp_path):
    """A read past the caller's buffer inside the Rust library is caught (so ASan sees Rust code)."""
    if not library.instrumented:
        pytest.skip(f"the Rust side is not instrumented, C/C++ side only: {library.reason[:300]}")
    source = tmp_path / "canary.c"
    source.write_text(CANARY)
    result = run_sanitized(build(compilers, library, source, tmp_path / "canary"), "overflow")
    assert result.returncode == 86, result.stderr[-4000:]
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in result.stderr, result.stderr[-4000:]
    assert "xxh64" in result.stderr, "the report should point into the library's hashing code"


def test_leaks_are_reported(compilers, library, tmp_path):
    """LeakSanitizer is live: a string from the library that is never freed is reported."""
    source = tmp_path / "canary.c"
    source.write_text(CANARY)
    result = run_sanitized(build(compilers, library, source, tmp_path / "canary"), "leak")
    assert result.returncode != 0
    assert "ERROR: LeakSanitizer: detected memory leaks" in result.stderr, result.stderr[-4000:]

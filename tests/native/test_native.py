"""The C ABI and the C++ layer, proven by native programs.

Builds libhyperparameter once with cargo, compiles every program in tests/native/ against
include/ and target/release with warnings as errors, runs it, and runs the C programs again
under valgrind. The programs print "<name>: N checks, M failed" and exit non-zero on failure.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NATIVE = ROOT / "tests" / "native"
INCLUDE = ROOT / "include"
LIB_DIR = ROOT / "target" / "release"
DOC = ROOT / "docs" / "c-api.md"

C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror"]
CXX_FLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pthread"]
LINK = [f"-L{LIB_DIR}", "-lhyperparameter", f"-Wl,-rpath,{LIB_DIR}", "-pthread"]
VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite"]

# Programs that take the hash vector file as their one argument.
NEEDS_VECTORS = {"test_c_api", "test_cpp"}
# Extra arguments under valgrind, which runs ~30 times slower: test_matrix's row C-16 sets
# 100,000 keys in one scope there instead of the 1,000,000 of the plain and ASan runs.
VALGRIND_ARGS = {"test_matrix": ["100000"]}


@pytest.fixture(scope="session")
def library() -> Path:
    cargo = shutil.which("cargo")
    assert cargo, "cargo is required: the native tests build libhyperparameter themselves"
    result = subprocess.run(
        [cargo, "build", "--release"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"cargo build --release failed:\n{result.stderr[-4000:]}"
    lib = LIB_DIR / "libhyperparameter.so"
    assert lib.is_file(), f"{lib} was not built"
    # The name the programs record (the SONAME), which rust/build.rs links beside cargo's output.
    recorded = LIB_DIR / "libhyperparameter.so.0"
    assert recorded.resolve() == lib.resolve(), f"{recorded} does not lead to {lib}"
    return lib


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("native")


@pytest.fixture(scope="session")
def vectors(build_dir: Path) -> Path:
    """tests/vectors/hash.json as "<hash> <utf8 length> <hex key>" lines, so C needs no JSON parser."""
    data = json.loads((ROOT / "tests" / "vectors" / "hash.json").read_text(encoding="utf-8"))
    assert data["seed"] == 42 and data["algorithm"] == "XXH64"
    lines = []
    for vector in data["vectors"]:
        key = vector["key"].encode("utf-8")
        assert len(key) == vector["utf8_len"]
        lines.append(f"{vector['xxh64_seed42']} {len(key)} {key.hex()}\n")
    path = build_dir / "hash_vectors.txt"
    path.write_text("".join(lines), encoding="ascii")
    return path


def compile_program(compiler: str, flags: list[str], source: Path, output: Path) -> Path:
    cmd = [compiler, *flags, f"-I{INCLUDE}", str(source), "-o", str(output), *LINK]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stderr}"
    return output


@pytest.fixture(scope="session")
def build(library: Path, build_dir: Path):
    """Compile a program of tests/native/ once per session; C with gcc, C++ with g++."""
    built: dict[str, Path] = {}

    def get(source_name: str) -> Path:
        if source_name not in built:
            source = NATIVE / source_name
            if source.suffix == ".c":
                compiler, flags = _need("gcc"), C_FLAGS
            else:
                compiler, flags = _need("g++"), CXX_FLAGS
            built[source_name] = compile_program(compiler, flags, source, build_dir / source.stem)
        return built[source_name]

    return get


def _need(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is required to build the native tests"
    return path


def run_program(
    program: Path, vectors: Path, prefix: list[str] = (), extra: list[str] = ()
) -> subprocess.CompletedProcess:
    args = [*prefix, str(program)]
    if program.name in NEEDS_VECTORS:
        args.append(str(vectors))
    return subprocess.run([*args, *extra], capture_output=True, text=True, timeout=120)


def assert_all_checks_passed(result: subprocess.CompletedProcess, name: str) -> None:
    report = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-6000:]}"
    assert result.returncode == 0, report
    # Guards against a program that exits 0 without having run its checks.
    summary = re.search(rf"^{name}: (\d+) checks, 0 failed$", result.stdout, re.MULTILINE)
    assert summary and int(summary.group(1)) > 50, report


@pytest.mark.parametrize("source", ["test_c_api.c", "test_bad_input.c", "test_matrix.c", "test_cpp.cpp"])
def test_program(build, vectors: Path, source: str) -> None:
    program = build(source)
    assert_all_checks_passed(run_program(program, vectors), program.name)


@pytest.mark.parametrize("source", ["test_c_api.c", "test_bad_input.c", "test_matrix.c"])
def test_program_under_valgrind(build, vectors: Path, source: str) -> None:
    if shutil.which("valgrind") is None:
        pytest.skip("valgrind is not on PATH: the leak and memory-error run needs it")
    program = build(source)
    result = run_program(program, vectors, prefix=VALGRIND, extra=VALGRIND_ARGS.get(program.name, []))
    assert result.returncode != 99, f"valgrind found errors or definite leaks:\n{result.stderr[-8000:]}"
    assert_all_checks_passed(result, program.name)


@pytest.mark.parametrize("source", ["example.c", "example.cpp"])
def test_documented_example(build, source: str) -> None:
    """The examples in docs/c-api.md are these files, verbatim, and they run."""
    text = (NATIVE / source).read_text(encoding="utf-8").strip()
    fence = "```c\n" if source.endswith(".c") else "```cpp\n"
    assert fence + text + "\n```" in DOC.read_text(encoding="utf-8"), f"docs/c-api.md differs from {source}"
    result = subprocess.run([str(build(source))], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TYPE_MISMATCH" in result.stdout


@pytest.mark.parametrize("std", ["c++17", "c++20"])
def test_header_stands_alone(library: Path, build_dir: Path, std: str) -> None:
    """hyperparameter.hpp compiles on its own, pedantically, in C++17 and later."""
    source = build_dir / f"alone_{std}.cpp"
    source.write_text('#include "hyperparameter.hpp"\n', encoding="utf-8")
    cmd = [_need("g++"), f"-std={std}", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
           "-fsyntax-only", f"-I{INCLUDE}", str(source)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# Each must be a compile error, with a diagnostic that says what is wrong: keys are checked
# when the program is built, not when it runs.
BAD_KEY = "invalid key in GET_PARAM/WITH_PARAMS"
REJECTED = {
    "empty_segment": ("int f() { return GET_PARAM(a..b, 1); }", BAD_KEY),
    "space_in_key": ("int f() { return GET_PARAM(a b, 1); }", BAD_KEY),
    "trailing_dot": ("int f() { return GET_PARAM(a., 1); }", BAD_KEY),
    "bad_key_in_with": ("void f() { auto g = WITH_PARAMS(a, 1, x/y, 2); }", BAD_KEY),
    "odd_arguments": ("void f() { auto g = WITH_PARAMS(a, 1, b); }", "needs_key_value_pairs"),
    "char_default": ("int f() { return GET_PARAM(a, 'x'); }", "parameters are read as bool"),
    "guard_copy": ("void f() { hp::scope_guard g; hp::scope_guard h = g; }", "deleted"),
    # Matrix row CPP-04: a key over 1024 bytes is refused while compiling too.
    "too_long_key": (f"int f() {{ return GET_PARAM({'k' * 1025}, 1); }}", BAD_KEY),
    "too_long_key_in_with": (f"void f() {{ auto g = WITH_PARAMS(a.{'k' * 1023}, 1); }}", BAD_KEY),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_macro_misuse_does_not_compile(library: Path, build_dir: Path, name: str) -> None:
    code, diagnostic = REJECTED[name]
    source = build_dir / f"reject_{name}.cpp"
    source.write_text('#include "hyperparameter.hpp"\n' + code + "\n", encoding="utf-8")
    cmd = [_need("g++"), *CXX_FLAGS, "-fsyntax-only", f"-I{INCLUDE}", str(source)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0, f"{name} compiled, but must be rejected"
    assert diagnostic in result.stderr, result.stderr[-3000:]


def test_cpp_with_clang(library: Path, build_dir: Path, vectors: Path) -> None:
    clang = shutil.which("clang++")
    if clang is None:
        pytest.skip("clang++ is not on PATH; the header is checked with g++ only")
    program = compile_program(clang, CXX_FLAGS, NATIVE / "test_cpp.cpp", build_dir / "test_cpp_clang")
    result = subprocess.run([str(program), str(vectors)], capture_output=True, text=True, timeout=120)
    assert_all_checks_passed(result, "test_cpp")

"""Building native code against the installed package: flags, pkg-config, CMake, one library."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from native_build import CXX

import hyperparameter as hp

PROGRAM = r"""
#include "hyperparameter.hpp"
int main() {
    if (GET_PARAM(build.check, 1) != 1) return 1;
    auto guard = WITH_PARAMS(build.check, 2);
    return GET_PARAM(build.check, 1) == 2 ? 0 : 2;
}
"""

needs_cxx = pytest.mark.skipif(CXX is None, reason="no C++ compiler on PATH")


def flags(*options: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "hyperparameter", *options], capture_output=True, text=True, check=True
    ).stdout
    return shlex.split(out)


def build_and_run(tmp_path: Path, extra: list[str]) -> None:
    source = tmp_path / "main.cpp"
    source.write_text(PROGRAM)
    binary = tmp_path / "main"
    subprocess.run([CXX, "-std=c++17", str(source), "-o", str(binary), *extra], check=True)
    assert subprocess.run([str(binary)]).returncode == 0


def test_headers_and_library_are_installed_in_the_package() -> None:
    include = Path(hp.get_include())
    assert (include / "hyperparameter.h").is_file()
    assert (include / "hyperparameter.hpp").is_file()
    assert Path(hp.get_library()).is_file()


@pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine")
def test_python_uses_the_installed_library_and_only_it() -> None:
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc/self/maps on this system")
    loaded = {line.split()[-1] for line in maps.read_text().splitlines() if "libhyperparameter" in line}
    assert loaded == {os.path.realpath(hp.get_library())}


@needs_cxx
def test_includes_and_libs_flags_build_a_program(tmp_path: Path) -> None:
    words = flags("--includes", "--libs")
    assert f"-I{hp.get_include()}" in words
    # The engine by its exact file name: `-lhyperparameter` would look for a file not installed.
    assert any(word.endswith(Path(hp.get_library()).name) for word in words), words
    build_and_run(tmp_path, words)


@needs_cxx
@pytest.mark.skipif(shutil.which("pkg-config") is None, reason="pkg-config not installed")
def test_pkg_config_file(tmp_path: Path) -> None:
    env = {**os.environ, "PKG_CONFIG_PATH": hp.get_pkgconfig_dir()}
    out = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "hyperparameter"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    build_and_run(tmp_path, shlex.split(out))


@needs_cxx
@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed")
def test_cmake_package_config(tmp_path: Path) -> None:
    (tmp_path / "main.cpp").write_text(PROGRAM)
    (tmp_path / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.14)\n"
        "project(uses_hyperparameter CXX)\n"
        "set(CMAKE_CXX_STANDARD 17)\n"
        "find_package(hyperparameter REQUIRED)\n"
        "add_executable(main main.cpp)\n"
        "target_link_libraries(main PRIVATE hyperparameter::hyperparameter)\n"
    )
    build = tmp_path / "build"
    cmakedir = flags("--cmakedir")[0]
    configure = [
        "cmake",
        "-S",
        str(tmp_path),
        "-B",
        str(build),
        f"-Dhyperparameter_DIR={cmakedir}",
        f"-DCMAKE_CXX_COMPILER={CXX}",
    ]
    subprocess.run(configure, check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True)
    assert subprocess.run([str(build / "main")]).returncode == 0


def test_module_help_explains_itself() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hyperparameter"], capture_output=True, text=True, check=True
    ).stdout
    assert "--includes" in out and "--libs" in out and "--cmakedir" in out


def test_version_and_abi_are_printed(tmp_path: Path) -> None:
    assert flags("--version") == [hp.__version__]
    header = (Path(hp.get_include()) / "hyperparameter.h").read_text(encoding="utf-8")
    (declared,) = [line.split()[-1] for line in header.splitlines() if "#define HP_ABI_VERSION" in line]
    if hp.backend_name() == "native":
        assert flags("--abi") == [declared]
    pure = subprocess.run(
        [sys.executable, "-m", "hyperparameter", "--abi"],
        capture_output=True,
        text=True,
        env={**os.environ, "HYPERPARAMETER_BACKEND": "python"},
    )
    assert pure.returncode == 1 and pure.stdout == ""
    assert "pure-Python backend" in pure.stderr and "no ABI" in pure.stderr


def test_the_fallback_warning_says_what_to_do(tmp_path: Path) -> None:
    # A source tree whose engine was never built, run with no site-packages (so no installed
    # copy can step in): the warning names the folder and the command that builds it.
    tree = tmp_path / "checkout"
    shutil.copytree(Path(hp.__file__).parent, tree / "hyperparameter", ignore=shutil.ignore_patterns("*.so"))
    for name in ("Cargo.toml", "build_ffi.py"):
        (tree / name).write_text("", encoding="utf-8")
    ran = subprocess.run(
        [sys.executable, "-S", "-c", "import hyperparameter as hp; print(hp.backend_name())"],
        cwd=tree,
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key != "HYPERPARAMETER_BACKEND"},
    )
    assert ran.stdout.strip() == "python"
    assert "native engine unavailable" in ran.stderr
    assert f"This is the source tree in {tree.resolve()}" in ran.stderr
    assert "`python -m pip install -e .`" in ran.stderr
    assert "HYPERPARAMETER_BACKEND=python" in ran.stderr

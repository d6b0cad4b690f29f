"""CMake: the package config of an installed wheel (version check, C++17 on the target), and
the checkout's own CMakeLists.txt, which builds the engine with cargo for a project without
Python, through add_subdirectory or FetchContent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from builds import CARGO_TARGET, ROOT, Venv, clean_env, run

import hyperparameter as hp
from hyperparameter import _build_info

CXX = shutil.which("g++") or shutil.which("clang++")
CC = shutil.which("gcc") or shutil.which("clang")
pytestmark = pytest.mark.skipif(
    shutil.which("cmake") is None or CXX is None or CC is None, reason="needs cmake and C/C++ compilers"
)

CPP = r"""
#include "hyperparameter.hpp"
int main() {
    hp::check_abi();
    if (GET_PARAM(build.check, 1) != 1) return 1;
    auto guard = WITH_PARAMS(build.check, 2);
    return GET_PARAM(build.check, 1) == 2 ? 0 : 2;
}
"""

C = r"""
#include "hyperparameter.h"
#define KEY(literal) (literal), (sizeof(literal) - 1)
int main(void) {
    double lr = 0.5;
    hp_scope *scope;
    if (hp_abi_version() != HP_ABI_VERSION) return 1;
    scope = hp_scope_push();
    if (hp_set_f64(NULL, KEY("train.lr"), 0.25) != HP_OK) return 2;
    if (hp_get_f64(NULL, KEY("train.lr"), &lr) != HP_OK || lr != 0.25) return 3;
    hp_scope_exit(scope);
    hp_scope_free(scope);
    return hp_get_f64(NULL, KEY("train.lr"), &lr) == HP_NOT_FOUND ? 0 : 4;
}
"""

# The consumer asks for C++11: only the target's cxx_std_17 makes hyperparameter.hpp compile.
ASKS_FOR_CXX17 = """
get_target_property(features hyperparameter::hyperparameter INTERFACE_COMPILE_FEATURES)
if(NOT "cxx_std_17" IN_LIST features)
  message(FATAL_ERROR "hyperparameter::hyperparameter asks for ${features}, not cxx_std_17")
endif()
"""


def build_and_run(project: Path, cmake_lists: str, source: str, *configure: str) -> Path:
    main = "main.c" if "project(consumer C)" in cmake_lists else "main.cpp"
    (project / main).parent.mkdir(parents=True, exist_ok=True)
    (project / main).write_text(source, encoding="utf-8")
    (project / "CMakeLists.txt").write_text(cmake_lists, encoding="utf-8")
    build = project / "build"
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    compilers = [f"-DCMAKE_CXX_COMPILER={CXX}", f"-DCMAKE_C_COMPILER={CC}"]
    run(["cmake", "-S", project, "-B", build, *generator, *compilers, *configure], env=clean_env())
    run(["cmake", "--build", build], env=clean_env())
    assert subprocess.run([build / "main"], timeout=60).returncode == 0
    return build


def series(version: str, step: str) -> str:
    major, minor = (int(part) for part in version.split(".")[:2])
    return f"{major}.{minor + 1}" if step == "minor" else f"{major + 1}.0"


def test_find_package_checks_the_version_and_asks_for_cxx17(installed: Venv, tmp_path: Path) -> None:
    cmakedir = installed.run("-m", "hyperparameter", "--cmakedir").stdout.strip()
    version = hp.__version__
    # After the search that succeeds: a failed search forgets hyperparameter_DIR.
    refused = "".join(
        f"find_package(hyperparameter {wanted} QUIET)\n"
        f'if(hyperparameter_FOUND)\n  message(FATAL_ERROR "{wanted} accepted {version}")\nendif()\n'
        for wanted in (series(version, "minor"), series(version, "major"))
    )
    lists = (
        "cmake_minimum_required(VERSION 3.16)\nproject(consumer CXX)\nset(CMAKE_CXX_STANDARD 11)\n"
        f"find_package(hyperparameter {'.'.join(version.split('.')[:2])} REQUIRED)\n"
        f'if(NOT hyperparameter_VERSION STREQUAL "{version}")\n'
        '  message(FATAL_ERROR "found version ${hyperparameter_VERSION}")\nendif()\n'
        f"{ASKS_FOR_CXX17}"
        "add_executable(main main.cpp)\n"
        "target_link_libraries(main PRIVATE hyperparameter::hyperparameter)\n"
        f"{refused}"
    )
    build_and_run(tmp_path, lists, CPP, f"-Dhyperparameter_DIR={cmakedir}")


def test_a_checkout_builds_with_cmake_alone_through_fetchcontent(tmp_path: Path) -> None:
    lists = (
        "cmake_minimum_required(VERSION 3.16)\nproject(consumer CXX)\nset(CMAKE_CXX_STANDARD 11)\n"
        "include(FetchContent)\n"
        f'FetchContent_Declare(hyperparameter SOURCE_DIR "{ROOT.as_posix()}")\n'
        "FetchContent_MakeAvailable(hyperparameter)\n"
        f"{ASKS_FOR_CXX17}"
        "add_executable(main main.cpp)\n"
        "target_link_libraries(main PRIVATE hyperparameter::hyperparameter)\n"
    )
    # The repository's cargo target folder: nothing is compiled again.
    build = build_and_run(tmp_path, lists, CPP, f"-DHYPERPARAMETER_CARGO_TARGET_DIR={CARGO_TARGET}")
    (copied,) = build.rglob(_build_info.library_name())
    assert copied.is_file() and not copied.is_symlink()


def test_a_c_project_builds_with_cmake_alone_through_add_subdirectory(tmp_path: Path) -> None:
    lists = (
        "cmake_minimum_required(VERSION 3.16)\nproject(consumer C)\n"
        f'add_subdirectory("{ROOT.as_posix()}" hyperparameter)\n'
        "add_executable(main main.c)\n"
        "target_link_libraries(main PRIVATE hyperparameter::hyperparameter)\n"
    )
    build_and_run(tmp_path, lists, C, f"-DHYPERPARAMETER_CARGO_TARGET_DIR={CARGO_TARGET}")

"""Build glue: compile the Rust engine, put it in the package, then build the cffi extension.

Everything else about the package is declared in pyproject.toml. With
``HYPERPARAMETER_BACKEND=python`` in the environment the package is built without the engine
and without a compiler: pure Python, marked so that using that backend is not warned about.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "hyperparameter"


def _load_build_info():
    # The engine's file names and the marker's name come from the package, read as a file:
    # importing the package would start its backend.
    spec = importlib.util.spec_from_file_location("_hyperparameter_build_info", PACKAGE / "_build_info.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_info = _load_build_info()


def backend_at_build() -> str:
    wanted = os.environ.get("HYPERPARAMETER_BACKEND", "").strip().lower()
    if wanted in ("python", "pure"):
        return "python"
    if wanted in ("", "native", "rust"):
        return "native"
    raise SystemExit(f"hyperparameter: HYPERPARAMETER_BACKEND={wanted!r}: expected 'native' or 'python'")


NO_CARGO = """
hyperparameter: building the native engine needs the Rust toolchain, and `cargo` is not on PATH.
Either install it (https://rustup.rs) and build again, or build the pure-Python backend, which
needs no compiler (C, C++ and Rust code then cannot share Python's parameters):

    HYPERPARAMETER_BACKEND=python python -m pip install --no-cache-dir hyperparameter

(or this sdist or folder; --no-cache-dir keeps pip from offering that wheel again later).
"""


def cargo_outputs() -> dict[str, str]:
    """The files of cargo's build that the package holds: cargo's name -> the package's name."""
    if sys.platform == "win32":
        return {"hyperparameter.dll": "hyperparameter.dll", "hyperparameter.dll.lib": "hyperparameter.lib"}
    if sys.platform == "darwin":
        return {"libhyperparameter.dylib": build_info.library_name()}
    return {"libhyperparameter.so": build_info.library_name()}


def is_rpath(word: str) -> bool:
    return word.startswith(("-Wl,-rpath,", "-Wl,-rpath=", "-Wl,--rpath,", "-Wl,-R"))


class BuildEngineThenExtension(build_ext):
    """``cargo build --release``, copy the engine and what native builds need into the
    package, then let cffi build its module."""

    def run(self) -> None:
        if shutil.which("cargo") is None:
            raise SystemExit(NO_CARGO)
        # --locked: an sdist builds with the dependency versions it was tested with.
        subprocess.check_call(["cargo", "build", "--release", "--locked", "-p", "hyperparameter"], cwd=ROOT)
        for package_dir in self._package_dirs():
            self._install_engine(package_dir)
        super().run()

    def build_extensions(self) -> None:
        # Python's own link command carries the rpath of its installation when it was built with
        # one (pyenv and other --enable-shared builds): an absolute path of the build machine,
        # which the extension does not need and a wheel must not hold. Only the $ORIGIN that
        # build_ffi.py asks for stays.
        for attr in ("linker_so", "linker_so_cxx"):
            command = getattr(self.compiler, attr, None)
            if command:
                setattr(self.compiler, attr, [word for word in command if not is_rpath(word)])
        super().build_extensions()

    def _package_dirs(self) -> list[Path]:
        dirs = [Path(self.build_lib) / "hyperparameter"]
        if self.inplace or getattr(self, "editable_mode", False):
            dirs.append(PACKAGE)
        return dirs

    def _install_engine(self, package_dir: Path) -> None:
        from build_ffi import cargo_release_dir  # it imports cffi, which a pure build goes without

        package_dir.mkdir(parents=True, exist_ok=True)
        (package_dir / build_info.PURE_BUILD_MARKER).unlink(missing_ok=True)
        for built, installed in cargo_outputs().items():
            shutil.copy2(cargo_release_dir() / built, package_dir / installed)
        include = package_dir / "include"
        include.mkdir(exist_ok=True)
        for header in ("hyperparameter.h", "hyperparameter.hpp"):
            shutil.copy2(ROOT / "include" / header, include / header)
        version = self.distribution.get_version()
        cmake = package_dir / "cmake"
        cmake.mkdir(exist_ok=True)
        if cmake != PACKAGE / "cmake":
            shutil.copy2(PACKAGE / "cmake" / "hyperparameterConfig.cmake", cmake)
        (cmake / "hyperparameterConfigVersion.cmake").write_text(
            cmake_version_file(version), encoding="utf-8"
        )
        pkgconfig = package_dir / "pkgconfig"
        pkgconfig.mkdir(exist_ok=True)
        (pkgconfig / "hyperparameter.pc").write_text(pkgconfig_file(version), encoding="utf-8")


class BuildPurePython(build_py):
    """The Python modules alone, and the marker saying the engine was left out on purpose."""

    def run(self) -> None:
        super().run()
        dirs = [Path(self.build_lib) / "hyperparameter"]
        if getattr(self, "editable_mode", False):
            dirs.append(PACKAGE)
        for package_dir in dirs:
            package_dir.mkdir(parents=True, exist_ok=True)
            (package_dir / build_info.PURE_BUILD_MARKER).write_text(
                "Built with HYPERPARAMETER_BACKEND=python: the pure-Python backend, no native engine.\n",
                encoding="utf-8",
            )


def cmake_version_file(version: str) -> str:
    major, minor = (int(part) for part in version.split(".")[:2])
    # While the major version is 0 a minor release may change the ABI, so it must match too.
    same_series, series = f"PACKAGE_FIND_VERSION_MAJOR EQUAL {major}", f"{major}.x"
    if major == 0:
        same_series += f" AND PACKAGE_FIND_VERSION_MINOR EQUAL {minor}"
        series = f"0.{minor}.x"
    bits = 8 * struct.calcsize("P")
    return f"""\
# Generated when the package was built: find_package(hyperparameter X.Y) accepts this engine
# ({version}) when it is no older than X.Y and of the same series ({series}).
set(PACKAGE_VERSION "{version}")
if(NOT PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(PACKAGE_FIND_VERSION VERSION_LESS_EQUAL PACKAGE_VERSION AND {same_series})
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
else()
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
endif()
# A {bits}-bit engine serves only {bits}-bit builds.
if(CMAKE_SIZEOF_VOID_P AND NOT CMAKE_SIZEOF_VOID_P EQUAL {bits // 8})
  set(PACKAGE_VERSION "${{PACKAGE_VERSION}} ({bits}bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
"""


def pkgconfig_file(version: str) -> str:
    return f"""\
prefix=${{pcfiledir}}/..
includedir=${{prefix}}/include
libdir=${{prefix}}

Name: hyperparameter
Description: Scoped hyperparameters shared by Python, C, C++ and Rust
Version: {version}
Libs: {" ".join(build_info.link_flags("${libdir}"))}
Cflags: -I${{includedir}}
"""


if backend_at_build() == "python":
    setup(cmdclass={"build_py": BuildPurePython})
else:
    # build_ffi.py sits beside this file, but a PEP 517 backend does not put this folder on sys.path.
    sys.path.insert(0, str(ROOT))
    setup(
        cffi_modules=["build_ffi.py:ffibuilder"],
        cmdclass={"build_ext": BuildEngineThenExtension},
    )

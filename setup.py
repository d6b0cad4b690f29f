"""Build glue: compile the Rust engine, put it in the package, then build the cffi extension.

Everything else about the package is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
LIBRARY = "libhyperparameter.so"

# build_ffi.py sits beside this file, but a PEP 517 backend does not put this folder on sys.path.
sys.path.insert(0, str(ROOT))
from build_ffi import cargo_release_dir  # noqa: E402


class BuildEngineThenExtension(build_ext):
    """``cargo build --release``, copy the cdylib and headers into the package, then cffi."""

    def run(self) -> None:
        if shutil.which("cargo") is None:
            raise SystemExit(
                "hyperparameter: building needs the Rust toolchain (cargo); install it from https://rustup.rs"
            )
        subprocess.check_call(["cargo", "build", "--release", "-p", "hyperparameter"], cwd=ROOT)
        for package_dir in self._package_dirs():
            self._install_engine(package_dir)
        super().run()

    def _package_dirs(self) -> list[Path]:
        dirs = [Path(self.build_lib) / "hyperparameter"]
        if self.inplace or getattr(self, "editable_mode", False):
            dirs.append(ROOT / "hyperparameter")
        return dirs

    @staticmethod
    def _install_engine(package_dir: Path) -> None:
        package_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(cargo_release_dir() / LIBRARY, package_dir / LIBRARY)
        include = package_dir / "include"
        include.mkdir(exist_ok=True)
        for header in ("hyperparameter.h", "hyperparameter.hpp"):
            if (ROOT / "include" / header).exists():
                shutil.copy2(ROOT / "include" / header, include / header)


setup(
    cffi_modules=["build_ffi.py:ffibuilder"],
    cmdclass={"build_ext": BuildEngineThenExtension},
)

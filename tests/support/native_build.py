"""Compile small C/C++ programs and shared libraries against the installed package."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import hyperparameter as hp
from hyperparameter import _build_info

CXX = shutil.which("g++") or shutil.which("clang++")
CXX_FLAGS = ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pthread"]


def link_flags() -> list[str]:
    """What ``python -m hyperparameter --libs`` prints: the engine by its exact name, and an rpath."""
    return _build_info.link_flags()


def compile_cpp(source: str, output: Path, shared: bool = False, extra_flags: tuple[str, ...] = ()) -> Path:
    """Compile C++ ``source`` against ``hp.get_include()`` and ``hp.get_library()``."""
    src = output.with_suffix(".cpp")
    src.write_text(source, encoding="utf-8")
    extra = ["-shared", "-fPIC", *extra_flags] if shared else list(extra_flags)
    cmd = [CXX, *CXX_FLAGS, *extra, f"-I{hp.get_include()}", str(src), "-o", str(output), *link_flags()]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, f"compile failed: {' '.join(cmd)}\n{result.stderr}"
    return output

"""Functions a process pool's workers import by name (spawn pickles functions by reference)."""

from __future__ import annotations

import ctypes
import threading
from pathlib import Path
from typing import Optional

import hyperparameter as hp


def read_lr() -> float:
    return hp.scope.train.lr | 0.001


def read_lr_in_a_new_thread() -> float:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(read_lr()))
    thread.start()
    thread.join()
    return out[0]


def read_lr_both(kernel: str) -> tuple:
    """What Python and a C++ kernel (a shared library with ``double kernel_lr()``) read."""
    lib = ctypes.CDLL(kernel)
    lib.kernel_lr.restype = ctypes.c_double
    return (read_lr(), lib.kernel_lr())


#: A C++ kernel reading ``train.lr`` as ``GET_PARAM`` does, for ``read_lr_both``.
LR_KERNEL = r"""
#include "hyperparameter.hpp"
extern "C" double kernel_lr() { return GET_PARAM(train.lr, 0.001); }
"""


def build_lr_kernel(folder: Path) -> Optional[str]:
    """The kernel's path, built in ``folder``; None without the native engine or a C++
    compiler (then ``lr_both`` reads from Python alone)."""
    from native_build import CXX, compile_cpp

    if hp.backend_name() != "native" or CXX is None:
        return None
    return str(compile_cpp(LR_KERNEL, folder / "liblrkernel.so", shared=True))


def lr_both(kernel: Optional[str]) -> tuple:
    """``train.lr`` as Python and the C++ kernel read it (Python twice without a kernel)."""
    if kernel is None:
        return (read_lr(),) * 2
    return read_lr_both(kernel)

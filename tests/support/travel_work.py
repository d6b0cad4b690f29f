"""Functions a process pool's workers import by name (spawn pickles functions by reference)."""

from __future__ import annotations

import ctypes
import threading

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

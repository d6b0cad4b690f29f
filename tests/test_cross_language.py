"""One process, one state: C++ loaded into Python reads what Python set on the same thread."""

from __future__ import annotations

import ctypes
import threading

import pytest
from native_build import CXX, compile_cpp

import hyperparameter as hp

pytestmark = [
    pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine"),
    pytest.mark.skipif(CXX is None, reason="no C++ compiler on PATH"),
]

KERNEL = r"""
#include <string>
#include <thread>
#include "hyperparameter.hpp"

extern "C" long long kernel_batch_size() { return GET_PARAM(train.batch_size, 32); }
extern "C" double kernel_lr() { return GET_PARAM(train.lr, 0.001); }
extern "C" int kernel_name_is(const char* expected) {
    return GET_PARAM(model.name, "none") == std::string(expected);
}
extern "C" long long kernel_batch_size_in_new_thread() {
    long long seen = -1;
    std::thread([&] { seen = GET_PARAM(train.batch_size, 32); }).join();
    return seen;
}
extern "C" long long kernel_nested_guard() {
    auto guard = WITH_PARAMS(train.batch_size, 7);
    return GET_PARAM(train.batch_size, 32);
}
extern "C" int kernel_reads_host_object() {
    try { (void)GET_PARAM(model.layers, 0); return 0; } catch (const hp::error&) { return 1; }
}
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    path = compile_cpp(KERNEL, tmp_path_factory.mktemp("kernel") / "libkernel.so", shared=True)
    lib = ctypes.CDLL(str(path))
    lib.kernel_batch_size.restype = ctypes.c_longlong
    lib.kernel_batch_size_in_new_thread.restype = ctypes.c_longlong
    lib.kernel_nested_guard.restype = ctypes.c_longlong
    lib.kernel_lr.restype = ctypes.c_double
    lib.kernel_name_is.argtypes = [ctypes.c_char_p]
    return lib


def test_cpp_reads_what_python_set_in_the_scope(kernel: ctypes.CDLL) -> None:
    assert kernel.kernel_batch_size() == 32
    with hp.scope(**{"train.batch_size": 64, "train.lr": 0.01, "model.name": "resnet"}):
        assert kernel.kernel_batch_size() == 64
        assert kernel.kernel_lr() == 0.01
        assert kernel.kernel_name_is(b"resnet") == 1
        with hp.scope(**{"train.batch_size": 128}):
            assert kernel.kernel_batch_size() == 128
        assert kernel.kernel_batch_size() == 64
    assert kernel.kernel_batch_size() == 32
    assert kernel.kernel_name_is(b"none") == 1


def test_cpp_sees_writes_made_inside_the_scope(kernel: ctypes.CDLL) -> None:
    with hp.scope() as ps:
        ps.train.batch_size = 16
        assert kernel.kernel_batch_size() == 16
    assert kernel.kernel_batch_size() == 32


def test_cpp_thread_starts_from_the_baseline(kernel: ctypes.CDLL) -> None:
    with hp.scope(**{"train.batch_size": 64}):
        assert kernel.kernel_batch_size_in_new_thread() == 32
        with hp.scope(**{"train.batch_size": 48}):
            hp.scope.frozen()
            try:
                assert kernel.kernel_batch_size_in_new_thread() == 48
            finally:
                with hp.scope.empty():
                    hp.scope.frozen()
    assert kernel.kernel_batch_size_in_new_thread() == 32


def test_cpp_guard_inside_python_scope_rolls_back(kernel: ctypes.CDLL) -> None:
    with hp.scope(**{"train.batch_size": 64}):
        assert kernel.kernel_nested_guard() == 7
        assert kernel.kernel_batch_size() == 64
        assert hp.scope.train.batch_size | 0 == 64


def test_python_threads_have_their_own_native_scope(kernel: ctypes.CDLL) -> None:
    seen = {}

    def worker(n: int) -> None:
        with hp.scope(**{"train.batch_size": n}):
            seen[n] = [kernel.kernel_batch_size() for _ in range(200)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {n: set(values) for n, values in seen.items()} == {n: {n} for n in (1, 2, 3, 4)}


def test_python_objects_are_a_type_error_in_cpp(kernel: ctypes.CDLL) -> None:
    with hp.scope(**{"model.layers": [64, 64]}):
        assert kernel.kernel_reads_host_object() == 1

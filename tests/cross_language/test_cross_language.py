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
extern "C" void kernel_autotune(long long tile) {
    hp::set("kernel.tile", tile);
    hp::set("kernel.algo", "winograd");
}
extern "C" long long kernel_autotune_in_new_thread_through_handle(hp_scope* scope) {
    long long status = -1;
    std::thread([&] { status = hp_set_i64(scope, "kernel.tile", 11, 96); }).join();
    return status;
}
extern "C" void kernel_clear() { hp_scope_clear(nullptr); }
static int kernel_buffer[4];
extern "C" void kernel_share_buffer() {
    hp_set_host(nullptr, "kernel.buffer", 13, kernel_buffer, nullptr);
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
    lib.kernel_autotune.argtypes = [ctypes.c_longlong]
    lib.kernel_autotune_in_new_thread_through_handle.argtypes = [ctypes.c_void_p]
    lib.kernel_autotune_in_new_thread_through_handle.restype = ctypes.c_longlong
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


def test_python_reads_what_cpp_wrote_into_the_scope(kernel: ctypes.CDLL) -> None:
    from hyperparameter._backends.native import NativeBackend

    @hp.param("kernel")
    def launch_kernel(tile=32, algo="direct"):
        return tile, algo

    with hp.scope(**{"train.batch_size": 64}) as ps:
        assert launch_kernel() == (32, "direct")  # cached for this scope...
        kernel.kernel_autotune(128)
        assert hp.scope.kernel.tile | 0 == 128  # ... and refreshed by the native write
        assert launch_kernel() == (128, "winograd")
        assert ps.to_dict() == {"train.batch_size": 64, "kernel.tile": 128, "kernel.algo": "winograd"}
        with hp.scope():
            kernel.kernel_autotune(256)  # the innermost scope takes it, as for Python writes
            assert hp.scope.kernel.tile | 0 == 256
        assert hp.scope.kernel.tile | 0 == 128
        ps.kernel.tile = 64  # Python writes on top: both sides agree
        assert hp.scope.kernel.tile | 0 == 64 and NativeBackend.native_get("kernel.tile") == 64
        kernel.kernel_clear()
        assert ps.to_dict() == {}
    assert hp.scope.kernel.tile | 0 == 0
    assert launch_kernel() == (32, "direct")


def test_python_threads_each_take_over_their_own_native_writes(kernel: ctypes.CDLL) -> None:
    seen: dict = {}

    def worker(n: int) -> None:
        got = []
        for i in range(200):
            with hp.scope(**{"train.batch_size": n}):
                kernel.kernel_autotune(n * 1000 + i)
                got.append((hp.scope.kernel.tile | -1) - n * 1000 - i)
            got.append(hp.scope.kernel.tile | 0)  # gone with the scope
        seen[n] = set(got)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {n: {0} for n in (1, 2, 3, 4)}


def test_asyncio_tasks_each_take_over_their_own_native_writes(kernel: ctypes.CDLL) -> None:
    import asyncio

    async def task(n: int) -> list:
        got = []
        with hp.scope(**{"task.n": n}):
            for i in range(50):
                kernel.kernel_autotune(n * 1000 + i)
                await asyncio.sleep(0)  # the other tasks run and write in between
                got.append((hp.scope.kernel.tile | -1) - n * 1000 - i)
        return got

    async def main() -> list:
        return await asyncio.gather(*(task(n) for n in (1, 2, 3)))

    assert [set(got) for got in asyncio.run(main())] == [{0}, {0}, {0}]
    assert hp.scope.kernel.tile | 0 == 0


def test_a_write_from_another_native_thread_is_not_reported(kernel: ctypes.CDLL) -> None:
    # Reporting it would make that thread take the GIL while the Python thread may hold it,
    # waiting for the writer: a deadlock. Native readers see it; Python keeps its own value.
    from hyperparameter._backends.native import NativeBackend, ffi, lib

    with hp.scope(**{"kernel.tile": 1}):
        handle = lib.hp_scope_current()  # C code may hand the scope to a worker thread
        try:
            status = kernel.kernel_autotune_in_new_thread_through_handle(int(ffi.cast("uintptr_t", handle)))
        finally:
            lib.hp_scope_free(handle)
        assert status == 0
        assert NativeBackend.native_get("kernel.tile") == 96
        assert hp.scope.kernel.tile | 0 == 1


def test_a_native_pointer_reaches_python_as_an_opaque_object(kernel: ctypes.CDLL) -> None:
    from hyperparameter._backends.native import NativeObject

    with hp.scope():
        kernel.kernel_share_buffer()
        shared = hp.scope.kernel.buffer | None
        assert type(shared) is NativeObject and shared == hp.scope.kernel.buffer()
        assert "native object at 0x" in repr(shared)
    assert hp.scope.kernel.buffer | None is None


def test_a_definition_gets_one_label_from_python_and_from_the_c_api() -> None:
    from hyperparameter._backends.native import ffi, lib

    with hp.scope("train.lr=0.01") as ps:
        text = b"train.bs=64"
        assert lib.hp_set_parsed(ffi.NULL, text, len(text)) == 0  # the C API, same thread
        assert ps.source("train.lr") == "key=value"
        assert hp.scope.train.bs | 0 == 64  # the native write came back to Python ...
        assert ps.source("train.bs") == "key=value"  # ... with the same label

"""Python and C++ agree on one thread, whatever path the code takes to get there.

Each test here has C++ code (compiled against the installed package, called through ctypes)
read the parameters while Python runs in a copied context (``asyncio.to_thread``, executors,
``Context.run``), in a generator, under a parent scope that has exited, or inside a C++
``WITH_PARAMS`` guard. What Python reads and what C++ reads must be the same value.

Tests that can leave a scope current when they fail run in a fresh thread (its own context and
its own native state), with a timeout, so a failure never leaks into the next test.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import ctypes
import gc
import threading

import pytest
from fresh_thread import in_fresh_thread
from native_build import CXX, compile_cpp

import hyperparameter as hp

pytestmark = [
    pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine"),
    pytest.mark.skipif(CXX is None, reason="no C++ compiler on PATH"),
]

HP_OK = 0
HP_SCOPE_ORDER = 5

KERNEL = r"""
#include "hyperparameter.hpp"

extern "C" double kernel_lr() { return GET_PARAM(train.lr, 0.001); }
extern "C" long long kernel_a() { return GET_PARAM(a, 0); }
extern "C" long long kernel_b() { return GET_PARAM(b, 0); }
extern "C" long long kernel_gen() { return GET_PARAM(gen.v, 0); }
extern "C" long long kernel_kv() { return GET_PARAM(k.v, 0); }
extern "C" void kernel_set_kw(long long value) { hp::set("k.w", value); }

typedef void (*callback_t)(void);

// A C++ guard around a call into Python; what C++ reads once Python has returned.
extern "C" long long kernel_guard_calls(callback_t callback) {
    auto guard = WITH_PARAMS(k.v, 1);
    callback();
    return GET_PARAM(k.v, 0);
}

// The same with the C API, so the exit's status can be tested: push a scope (k.v = 1), call
// Python, which enters a scope of its own and calls kernel_exit_pushed() from inside it.
static hp_scope* pushed = nullptr;

extern "C" int kernel_exit_pushed() { return hp_scope_exit(pushed); }

extern "C" int kernel_push_calls(callback_t callback, long long* seen_after) {
    pushed = hp_scope_push();
    if (pushed == nullptr) return -1;
    if (hp_set_i64(pushed, "k.v", 3, 1) != HP_OK) return -2;
    callback();
    *seen_after = GET_PARAM(k.v, 0);
    const int status = hp_scope_exit(pushed);
    hp_scope_free(pushed);
    pushed = nullptr;
    return status;
}
"""

CALLBACK = ctypes.CFUNCTYPE(None)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    path = compile_cpp(KERNEL, tmp_path_factory.mktemp("reliability") / "libreliability.so", shared=True)
    lib = ctypes.CDLL(str(path))
    lib.kernel_lr.restype = ctypes.c_double
    for name in ("kernel_a", "kernel_b", "kernel_gen", "kernel_kv"):
        getattr(lib, name).restype = ctypes.c_longlong
    lib.kernel_set_kw.argtypes = [ctypes.c_longlong]
    lib.kernel_guard_calls.argtypes = [CALLBACK]
    lib.kernel_guard_calls.restype = ctypes.c_longlong
    lib.kernel_exit_pushed.restype = ctypes.c_int
    lib.kernel_push_calls.argtypes = [CALLBACK, ctypes.POINTER(ctypes.c_longlong)]
    lib.kernel_push_calls.restype = ctypes.c_int
    return lib


# --- native reads follow copied contexts ----------------------------------------------------


def both_lr(kernel: ctypes.CDLL) -> tuple:
    """What Python and C++ read for train.lr here."""
    return (hp.scope.train.lr | 0.001, kernel.kernel_lr())


def test_native_read_in_asyncio_to_thread_sees_the_callers_scope(kernel: ctypes.CDLL) -> None:
    async def main() -> tuple:
        with hp.scope(**{"train.lr": 0.07}):
            return await asyncio.to_thread(both_lr, kernel)

    assert asyncio.run(main()) == (0.07, 0.07)


def test_native_read_in_executor_with_copied_context_sees_the_callers_scope(kernel: ctypes.CDLL) -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        with hp.scope(**{"train.lr": 0.07}):
            future = ex.submit(contextvars.copy_context().run, both_lr, kernel)
        assert future.result(timeout=20) == (0.07, 0.07)


def test_native_read_in_run_in_executor_with_context_sees_the_callers_scope(kernel: ctypes.CDLL) -> None:
    async def main() -> tuple:
        loop = asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
            with hp.scope(**{"train.lr": 0.07}):
                ctx = contextvars.copy_context()
                return await loop.run_in_executor(ex, ctx.run, both_lr, kernel)

    assert asyncio.run(main()) == (0.07, 0.07)


def test_reused_pool_thread_reads_each_requests_own_context(kernel: ctypes.CDLL) -> None:
    """One worker thread serves every request; each carries its own copied context."""
    seen = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
        assert ex.submit(both_lr, kernel).result(timeout=20) == (0.001, 0.001)  # the worker exists
        for value in (0.1, 0.2, 0.3, 0.4):
            with hp.scope(**{"train.lr": value}):
                ctx = contextvars.copy_context()
            seen.append(ex.submit(ctx.run, both_lr, kernel).result(timeout=20))
            # A request without a context reads the worker's own (empty) scope again.
            seen.append(ex.submit(both_lr, kernel).result(timeout=20))
    assert seen == [
        (0.1, 0.1), (0.001, 0.001),
        (0.2, 0.2), (0.001, 0.001),
        (0.3, 0.3), (0.001, 0.001),
        (0.4, 0.4), (0.001, 0.001),
    ]  # fmt: skip


def test_context_run_on_one_thread_switches_native_in_and_back(kernel: ctypes.CDLL) -> None:
    def body() -> list:
        other = contextvars.Context()  # holds a scope that stays entered in it
        held = hp.scope(**{"train.lr": 0.5})
        other.run(held.__enter__)
        try:
            with hp.scope(**{"train.lr": 0.07}):
                steps = [both_lr(kernel)]
                steps.append(other.run(both_lr, kernel))  # native follows Python into the context
                steps.append(both_lr(kernel))  # ... and back out of it
            steps.append(both_lr(kernel))
            steps.append(other.run(both_lr, kernel))
        finally:
            other.run(held.__exit__, None, None, None)
        steps.append(other.run(both_lr, kernel))
        return steps

    inside, switched, back, outer, switched_again, held_exited = in_fresh_thread(body)
    assert (inside, switched, back) == ((0.07, 0.07), (0.5, 0.5), (0.07, 0.07))
    assert (outer, switched_again, held_exited) == ((0.001, 0.001), (0.5, 0.5), (0.001, 0.001))


def test_context_copied_inside_another_scope_is_followed_by_native_reads(kernel: ctypes.CDLL) -> None:
    def body() -> list:
        with hp.scope(**{"train.lr": 0.5}):
            ctx = contextvars.copy_context()
        with hp.scope(**{"train.lr": 0.07}):
            steps = [both_lr(kernel), ctx.run(both_lr, kernel), both_lr(kernel)]
        steps.append(both_lr(kernel))
        return steps

    inside, in_copy, back, outside = in_fresh_thread(body)
    assert in_copy[0] == 0.5  # Python reads the scope the copy was made in ...
    assert in_copy[1] == in_copy[0]  # ... and so does C++
    assert (inside, back, outside) == ((0.07, 0.07), (0.07, 0.07), (0.001, 0.001))


def test_native_reads_on_a_new_python_thread_see_baseline_and_scopes(kernel: ctypes.CDLL, baseline) -> None:
    with hp.scope(**{"train.lr": 0.3, "a": 4}):
        hp.scope.frozen()

    def work() -> list:
        steps = [kernel.kernel_lr()]  # C++ reads before Python ever looked on this thread
        with hp.scope(**{"train.lr": 0.07}):
            steps.append(kernel.kernel_lr())
            steps.append(kernel.kernel_a())
            with hp.scope(a=5):
                steps.append(kernel.kernel_a())
            steps.append(kernel.kernel_a())
        steps.append(kernel.kernel_lr())
        steps.append(hp.scope.train.lr | 0.001)
        return steps

    assert in_fresh_thread(work) == [0.3, 0.07, 4, 5, 4, 0.3, 0.3]


# --- generators -----------------------------------------------------------------------------


def both_gen(kernel: ctypes.CDLL) -> tuple:
    return (hp.scope.gen.v | 0, kernel.kernel_gen())


def test_abandoned_generator_scope_is_gone_when_the_other_scope_exits(kernel: ctypes.CDLL) -> None:
    def body() -> list:
        def gen():
            with hp.scope(**{"gen.v": 1}):
                yield both_gen(kernel)
                yield both_gen(kernel)

        g = gen()
        steps = [next(g)]
        with hp.scope(**{"other.x": 1}):
            kernel.kernel_gen()  # native code looks while the other scope is current
            del g
            gc.collect()
        steps.append(both_gen(kernel))
        with hp.scope(**{"other.y": 1}):
            steps.append(both_gen(kernel))
        steps.append(both_gen(kernel))
        return steps

    assert in_fresh_thread(body) == [(1, 1), (0, 0), (0, 0), (0, 0)]


def test_generator_finished_on_another_thread_leaves_no_values(kernel: ctypes.CDLL) -> None:
    def gen():
        with hp.scope(**{"gen.v": 2}):
            yield both_gen(kernel)
        yield both_gen(kernel)

    def thread_a() -> list:
        g = gen()
        steps = [next(g), both_gen(kernel)]  # started on A: its with is open here
        steps.append(in_fresh_thread(lambda: [next(g), both_gen(kernel)]))  # the with exits on B
        steps.append(both_gen(kernel))
        with hp.scope(**{"x.y": 1}):
            steps.append(both_gen(kernel))
        steps.append(both_gen(kernel))
        return steps

    assert in_fresh_thread(thread_a) == [(2, 2), (2, 2), [(0, 0), (0, 0)], (0, 0), (0, 0), (0, 0)]


# --- a write to an exited parent that a live child still builds on ---------------------------


def test_write_to_exited_parent_is_read_alike_by_python_and_native_in_a_task(kernel: ctypes.CDLL) -> None:
    async def main() -> list:
        ready, go = asyncio.Event(), asyncio.Event()

        async def child() -> list:
            with hp.scope(b=2):
                before = (hp.scope.a | 0, kernel.kernel_a(), kernel.kernel_b())
                ready.set()
                await go.wait()
                return [before, (hp.scope.a | 0, kernel.kernel_a(), kernel.kernel_b())]

        with hp.scope(a=1) as ps:
            task = asyncio.create_task(child())
            await ready.wait()
        ps.a = 5  # ps is not entered: the write goes to ps itself, which the child builds on
        go.set()
        return await task

    assert in_fresh_thread(lambda: asyncio.run(main())) == [(1, 1, 2), (5, 5, 2)]


def test_write_to_exited_parent_is_read_alike_by_python_and_native_in_a_thread(kernel: ctypes.CDLL) -> None:
    ready, go = threading.Event(), threading.Event()
    seen: list = []

    def child() -> None:
        with hp.scope(b=2):
            seen.append((hp.scope.a | 0, kernel.kernel_a(), kernel.kernel_b()))
            ready.set()
            go.wait(20)
            seen.append((hp.scope.a | 0, kernel.kernel_a(), kernel.kernel_b()))

    with hp.scope(a=1) as ps:
        thread = threading.Thread(target=contextvars.copy_context().run, args=(child,), daemon=True)
        thread.start()
        assert ready.wait(20)
    ps.a = 5
    go.set()
    thread.join(20)
    assert not thread.is_alive()
    assert seen == [(1, 1, 2), (5, 5, 2)]


# --- C++ guard -> Python -> C++ ---------------------------------------------------------------


def test_python_called_from_a_cpp_guard_sees_and_scopes_over_it(kernel: ctypes.CDLL) -> None:
    def body() -> tuple:
        seen: dict = {}

        def from_cpp() -> None:
            try:
                seen["python sees the guard"] = hp.scope.k.v | 0
                with hp.scope(**{"k.v": 2}):
                    seen["cpp inside the python scope"] = kernel.kernel_kv()
                    kernel.kernel_set_kw(3)  # a C++ write lands in the innermost (Python) scope
                    seen["python reads the cpp write"] = hp.scope.k.w | 0
                seen["cpp write gone with the python scope"] = hp.scope.k.w | 0
                seen["python after its scope"] = hp.scope.k.v | 0
                seen["cpp after the python scope"] = kernel.kernel_kv()
            except BaseException as exc:  # noqa: B036 - an exception cannot cross into C++
                seen["error"] = repr(exc)

        callback = CALLBACK(from_cpp)
        after = kernel.kernel_guard_calls(callback)
        return seen, after, (hp.scope.k.v | 0, kernel.kernel_kv(), hp.scope.k.w | 0)

    seen, after, outside = in_fresh_thread(body)
    assert seen == {
        "python sees the guard": 1,
        "cpp inside the python scope": 2,
        "python reads the cpp write": 3,
        "cpp write gone with the python scope": 0,
        "python after its scope": 1,
        "cpp after the python scope": 1,
    }
    assert after == 1  # back in C++, under its guard
    assert outside == (0, 0, 0)  # the guard has exited


def test_cpp_exit_under_an_open_python_scope_is_refused(kernel: ctypes.CDLL) -> None:
    def body() -> tuple:
        seen: dict = {}

        def from_cpp() -> None:
            try:
                with hp.scope(**{"k.v": 2}):
                    seen["exit status"] = kernel.kernel_exit_pushed()
                    seen["inside"] = (hp.scope.k.v | 0, kernel.kernel_kv())
                seen["after python scope"] = (hp.scope.k.v | 0, kernel.kernel_kv())
            except BaseException as exc:  # noqa: B036 - an exception cannot cross into C++
                seen["error"] = repr(exc)

        callback = CALLBACK(from_cpp)
        seen_after = ctypes.c_longlong(-1)
        final_status = kernel.kernel_push_calls(callback, ctypes.byref(seen_after))
        return seen, seen_after.value, final_status, (hp.scope.k.v | 0, kernel.kernel_kv())

    seen, seen_after, final_status, outside = in_fresh_thread(body)
    assert seen == {"exit status": HP_SCOPE_ORDER, "inside": (2, 2), "after python scope": (1, 1)}
    assert seen_after == 1  # the refused exit changed nothing: the pushed scope is still there
    assert final_status == HP_OK  # ... and exits normally once Python's scope is gone
    assert outside == (0, 0)


# --- a failed sync reaches the native reader --------------------------------------------------

ERRORS_KERNEL = r"""
#include <cstring>
#include "hyperparameter.hpp"

// GET_PARAM's verdict: 0 and the value, or the status of the hp::error it threw.
extern "C" int kernel_get_param(long long* value, char* message, int capacity) {
    try {
        *value = GET_PARAM(err.v, -1);
        return 0;
    } catch (const hp::error& e) {
        std::strncpy(message, e.what(), capacity - 1);
        return e.status();
    }
}
extern "C" int kernel_by_hash(long long* value) {
    int64_t out = 0;
    const int status = hp_get_i64_by_hash(hp::hash("err.v"), &out);
    *value = out;
    return status;
}
extern "C" long long kernel_or() { return hp_get_i64_or(hp::hash("err.v"), -1); }
"""


@pytest.fixture(scope="module")
def errors_kernel(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    path = compile_cpp(ERRORS_KERNEL, tmp_path_factory.mktemp("errors") / "liberrors.so", shared=True)
    lib = ctypes.CDLL(str(path))
    lib.kernel_get_param.argtypes = [ctypes.POINTER(ctypes.c_longlong), ctypes.c_char_p, ctypes.c_int]
    lib.kernel_by_hash.argtypes = [ctypes.POINTER(ctypes.c_longlong)]
    lib.kernel_or.restype = ctypes.c_longlong
    return lib


def test_a_failed_sync_is_an_error_for_the_native_reader_not_the_outer_value(
    errors_kernel: ctypes.CDLL, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hyperparameter import _state
    from hyperparameter._backends import native

    HP_HOST_ERROR = 10
    value = ctypes.c_longlong()
    message = ctypes.create_string_buffer(512)

    def broken_refresh(self) -> None:
        raise RuntimeError("baseline store unreachable")

    def body() -> tuple:
        with hp.scope(**{"err.v": 1}):
            errors_kernel.kernel_by_hash(ctypes.byref(value))  # synced: the thread is known
        with hp.scope(**{"err.v": 7}):
            monkeypatch.setattr(_state.Baseline, "refresh", broken_refresh)
            try:
                by_hash = errors_kernel.kernel_by_hash(ctypes.byref(value))
                by_hash_message = native.last_error()
                get_param = errors_kernel.kernel_get_param(ctypes.byref(value), message, len(message))
                got_or = errors_kernel.kernel_or()
                or_message = native.last_error()
            finally:
                monkeypatch.undo()
            # The thread stayed stale: once Python can sync again, the read is right.
            recovered = errors_kernel.kernel_get_param(ctypes.byref(value), message, len(message))
            return (
                by_hash,
                by_hash_message,
                get_param,
                message.value,
                got_or,
                or_message,
                recovered,
                value.value,
            )

    by_hash, by_hash_message, get_param, thrown, got_or, or_message, recovered, final = in_fresh_thread(body)
    assert by_hash == HP_HOST_ERROR
    assert "RuntimeError: baseline store unreachable" in by_hash_message
    assert get_param == HP_HOST_ERROR and b"baseline store unreachable" in thrown
    assert got_or == -1 and "baseline store unreachable" in or_message  # the default, and why
    assert (recovered, final) == (0, 7)

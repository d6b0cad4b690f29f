"""GET_PARAM keeps its answer per key and thread while the thread's read word is unchanged.

The C++ reader below counts how often GET_PARAM asks the engine (the link wraps
``hp_get_i64_by_hash``), so each test shows both halves of the promise: a repeated read of an
unchanged state is answered from the kept copy (no engine call), and every event that can
change what the thread reads (each one named in ``hp_read_word``'s documentation) makes the
next read ask again and see the new value.
"""

from __future__ import annotations

import contextvars
import ctypes
import threading

import pytest
from fresh_thread import in_fresh_thread
from native_build import CXX, compile_cpp

import hyperparameter as hp

pytestmark = [
    pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine"),
    pytest.mark.skipif(CXX is None, reason="no C++ compiler on PATH"),
]

READER = r"""
#include <vector>
#include "hyperparameter.hpp"

static thread_local long long asks = 0;

// Every engine read GET_PARAM makes for an int default passes through here.
extern "C" int32_t __real_hp_get_i64_by_hash(uint64_t hash, int64_t* out);
extern "C" int32_t __wrap_hp_get_i64_by_hash(uint64_t hash, int64_t* out) {
    ++asks;
    return __real_hp_get_i64_by_hash(hash, out);
}

extern "C" long long probe() { return GET_PARAM(word.probe, -1); }
extern "C" long long engine_asks() { return asks; }
extern "C" unsigned long long word_now() { return hp_word_now(); }

static thread_local std::vector<hp::scope_guard> guards;
extern "C" void native_enter(long long value) {
    guards.push_back(WITH_PARAMS(word.probe, value));
}
extern "C" void native_exit() { guards.pop_back(); }
"""


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    path = compile_cpp(
        READER,
        tmp_path_factory.mktemp("read_word") / "libreadword.so",
        shared=True,
        extra_flags=("-Wl,--wrap=hp_get_i64_by_hash",),
    )
    lib = ctypes.CDLL(str(path))
    for name in ("probe", "engine_asks"):
        getattr(lib, name).restype = ctypes.c_longlong
    lib.word_now.restype = ctypes.c_ulonglong
    lib.native_enter.argtypes = [ctypes.c_longlong]
    return lib


def read(reader: ctypes.CDLL) -> tuple[int, int]:
    """What GET_PARAM reads, and how many engine calls it took (0: the kept answer)."""
    before = reader.engine_asks()
    value = reader.probe()
    return value, reader.engine_asks() - before


def settled(reader: ctypes.CDLL) -> int:
    """Read until the answer is kept. Each read that syncs with Python moves the word, so the
    answer it keeps is already outdated: a fresh thread's first sync takes two such reads."""
    for _ in range(6):
        value, asked = read(reader)
        if asked == 0:
            return value
    raise AssertionError("GET_PARAM never kept its answer: every read asked the engine")


def test_an_unchanged_state_is_answered_without_the_engine(reader: ctypes.CDLL) -> None:
    def body() -> list:
        with hp.scope(**{"word.probe": 1}):
            settled(reader)
            return [read(reader) for _ in range(5)]

    assert in_fresh_thread(body) == [(1, 0)] * 5


@pytest.mark.parametrize("event", ["enter", "exit", "write", "write_other_key"])
def test_python_scope_changes_on_this_thread_are_seen(reader: ctypes.CDLL, event: str) -> None:
    def body() -> tuple:
        with hp.scope(**{"word.probe": 1}) as ps:
            assert settled(reader) == 1
            if event == "enter":
                with hp.scope(**{"word.probe": 2}):
                    return read(reader)
            if event == "exit":
                with hp.scope(**{"word.probe": 2}):
                    assert settled(reader) == 2
                return read(reader)
            if event == "write":
                ps.word.probe = 3
                return read(reader)
            ps.word.other = 4  # a write elsewhere: asked again, same answer
            return read(reader)

    expected = {"enter": 2, "exit": 1, "write": 3, "write_other_key": 1}[event]
    value, asked = in_fresh_thread(body)
    assert (value, asked >= 1) == (expected, True)


def test_native_scope_changes_on_this_thread_are_seen(reader: ctypes.CDLL) -> None:
    def body() -> list:
        seen = [settled(reader)]
        reader.native_enter(5)
        seen.append(read(reader))
        seen.append(settled(reader))
        reader.native_exit()
        seen.append(read(reader))
        return seen

    seen = in_fresh_thread(body)
    assert seen[0] == -1
    assert seen[1][0] == 5 and seen[1][1] >= 1
    assert seen[2] == 5
    assert seen[3][0] == -1 and seen[3][1] >= 1


def test_another_threads_write_to_a_shared_scope_is_seen(reader: ctypes.CDLL) -> None:
    """Thread B writes into the scope thread A is inside; A's next read asks again."""
    kept = threading.Event()
    written = threading.Event()
    shared = {}

    def a() -> tuple:
        with hp.scope(**{"word.probe": 1}) as ps:
            shared["scope"] = ps
            assert settled(reader) == 1
            kept.set()
            assert written.wait(10)
            return read(reader)

    def b() -> None:
        assert kept.wait(10)
        shared["scope"].word.probe = 7
        written.set()

    writer = threading.Thread(target=b)
    writer.start()
    value, asked = in_fresh_thread(a)
    writer.join()
    assert (value, asked >= 1) == (7, True)


def test_a_baseline_published_by_another_thread_is_seen(reader: ctypes.CDLL, baseline) -> None:
    kept = threading.Event()
    published = threading.Event()

    def a() -> tuple:
        assert settled(reader) == -1
        kept.set()
        assert published.wait(10)
        return read(reader)

    def b() -> None:
        assert kept.wait(10)
        with hp.scope(**{"word.probe": 9}):
            hp.scope.frozen()
        published.set()

    publisher = threading.Thread(target=b)
    publisher.start()
    value, asked = in_fresh_thread(a)
    publisher.join()
    assert (value, asked >= 1) == (9, True)


def test_a_switch_of_python_context_is_seen(reader: ctypes.CDLL) -> None:
    """Context.run switches scopes without any enter or exit on this thread."""

    def body() -> list:
        with hp.scope(**{"word.probe": 11}):
            inside = contextvars.copy_context()
        seen = [settled(reader)]
        seen.append(inside.run(read, reader))
        seen.append(inside.run(settled, reader))
        seen.append(read(reader))
        return seen

    seen = in_fresh_thread(body)
    assert seen[0] == -1
    assert seen[1][0] == 11 and seen[1][1] >= 1
    assert seen[2] == 11
    assert seen[3][0] == -1 and seen[3][1] >= 1


def test_every_event_moves_the_word(reader: ctypes.CDLL) -> None:
    """The word itself, as the C ABI documents it: it moves with each event."""

    def body() -> list:
        moved = []
        reader.probe()
        with hp.scope(**{"word.probe": 1}) as ps:
            before = (reader.probe(), reader.word_now())[1]
            ps.word.probe = 2
            moved.append(reader.word_now() != before)
            reader.probe()
            before = reader.word_now()
            reader.native_enter(3)
            moved.append(reader.word_now() != before)
            before = reader.word_now()
            reader.native_exit()
            moved.append(reader.word_now() != before)
            reader.probe()
            before = reader.word_now()
            moved.append(reader.word_now() == before)  # nothing happened: unchanged
        return moved

    assert in_fresh_thread(body) == [True, True, True, True]

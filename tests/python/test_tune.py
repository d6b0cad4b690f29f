"""hyperparameter.tune: a suggester is called on every read and every @hp.param call that uses it,
never cached, and shown (not called) by every listing."""

from __future__ import annotations

import asyncio
import copy
import doctest
import pickle
import subprocess
import sys
import textwrap
import threading
from typing import Optional

import pytest

import hyperparameter as hp
from hyperparameter import tune
from hyperparameter.tune import LazyDispatch, Suggester, lazy_dispatch, suggest_from


class Counter:
    """1, 2, 3 ...: how many times it was called."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def counter_function() -> int:
    return 7


# --- reads --------------------------------------------------------------------------------------


def test_every_read_calls_the_suggester():
    counter = Counter()
    with hp.scope(x=suggest_from(counter)):
        assert [hp.scope.x(), hp.scope.x(), hp.scope.x()] == [1, 2, 3]
        assert [hp.scope.x | 0, hp.scope.x(0)] == [4, 5]
        assert hp.scope["x"] | 0 == 6
        assert hp.scope["x"]() == 7
    assert hp.scope.x | 0 == 0  # gone with its scope
    assert counter.calls == 7


def test_reads_through_a_scope_object_call_it_too():
    counter = Counter()
    with hp.scope(**{"a.b": suggest_from(counter)}) as ps:
        assert [ps.a.b | 0, ps["a.b"] | 0, ps.a.b()] == [1, 2, 3]
    assert counter.calls == 3


def test_what_it_suggests_converts_to_the_defaults_type():
    with hp.scope(x=suggest_from(lambda: "3")):
        assert hp.scope.x | 0 == 3
        assert hp.scope.x | 0.0 == 3.0
        assert hp.scope.x | "" == "3"
        assert hp.scope.x | None == "3"  # None converts nothing, but the suggester is still called
        assert hp.scope.x() == "3"
    with hp.scope(x=suggest_from(lambda: "many")), pytest.raises(hp.ConversionError, match="'x'"):
        hp.scope.x | 0


def test_a_suggester_suggesting_none_reads_none():
    with hp.scope(x=suggest_from(lambda: None)):
        assert hp.scope.x | 5 is None  # an explicit None is a value, as everywhere


def test_comparing_an_accessor_reads_it():
    with hp.scope(x=suggest_from(lambda: 2)):
        assert hp.scope.x == 2
        assert hp.scope.x != 3


def test_an_outer_scope_or_the_baseline_may_hold_the_suggester(baseline):
    counter = Counter()
    with hp.scope(x=suggest_from(counter)):
        with hp.scope(y=1):
            assert hp.scope.x | 0 == 1
        hp.scope.frozen()
    with hp.scope.empty():
        assert hp.scope.x | 0 == 0
    assert hp.scope.x | 0 == 2  # from the baseline
    seen = []
    worker = threading.Thread(target=lambda: seen.append(hp.scope.x | 0))
    worker.start()
    worker.join()
    assert seen == [3]


# --- @hp.param ----------------------------------------------------------------------------------


def test_each_call_of_a_function_calls_it():
    counter = Counter()

    @hp.param("tune_f")
    def f(x=0, y="y"):
        return x, y

    with hp.scope(**{"tune_f.x": suggest_from(counter)}):
        assert [f(), f(), f()] == [(1, "y"), (2, "y"), (3, "y")]
        assert f(y="z") == (4, "z")
    assert counter.calls == 4


def test_an_argument_given_explicitly_never_calls_it():
    counter = Counter()

    @hp.param("tune_given")
    def f(x=0, y=0):
        return x, y

    with hp.scope(**{"tune_given.x": suggest_from(counter), "tune_given.y": 5}):
        assert f(x=10) == (10, 5)
        assert f(10) == (10, 5)
        assert counter.calls == 0
        assert f() == (1, 5)


def test_the_cache_never_holds_a_suggestion_and_works_again_after():
    counter = Counter()

    @hp.param("tune_cache")
    def f(x=0):
        return x

    with hp.scope(**{"tune_cache.x": 5}):
        assert f() == 5
        with hp.scope(**{"tune_cache.x": suggest_from(counter)}):
            assert [f() for _ in range(5)] == [1, 2, 3, 4, 5]
        assert f() == 5
        assert f.__wrapped__ is not None
    # Plain values are cached again: the wrapper's cache holds the scope, values and the copy
    with hp.scope(**{"tune_cache.x": 9}):
        assert f() == 9
        injector = _injector_of(f)
        assert injector.cache[2] == (9,)
        assert f() == 9


def test_a_value_set_to_a_suggester_meanwhile_is_not_served_from_the_cache():
    counter = Counter()

    @hp.param("tune_set")
    def f(x=0):
        return x

    with hp.scope(**{"tune_set.x": 1}) as ps:
        assert f() == 1
        assert f() == 1
        ps.tune_set.x = suggest_from(counter)
        assert [f(), f()] == [1, 2]
        ps.tune_set.x = 4
        assert [f(), f()] == [4, 4]


def test_nested_functions_each_call_their_own():
    xs, ys = Counter(), Counter()

    @hp.param("tune_inner")
    def inner(y=0):
        return y

    @hp.param("tune_outer")
    def outer(x=0):
        return x * 100 + inner()

    with hp.scope(**{"tune_outer.x": suggest_from(xs), "tune_inner.y": suggest_from(ys)}):
        assert [outer(), outer()] == [101, 202]


def test_a_suggestion_converts_as_a_scope_value_does():
    @hp.param("tune_conv")
    def f(x=0.0, n: Optional[int] = None, flag=False):
        return x, n, flag

    with hp.scope(
        **{
            "tune_conv.x": suggest_from(lambda: 3),
            "tune_conv.n": suggest_from(lambda: "4"),
            "tune_conv.flag": suggest_from(lambda: "yes"),
        }
    ):
        assert f() == (3.0, 4, True)
        assert type(f()[0]) is float


def test_a_suggestion_that_does_not_convert_raises_when_used():
    @hp.param("tune_bad")
    def f(x=0):
        return x

    with hp.scope(**{"tune_bad.x": suggest_from(lambda: "many")}):
        with pytest.raises(hp.ConversionError, match="tune_bad.x"):
            f()
        assert f(x=1) == 1


def test_classes_and_async_functions_too():
    counter = Counter()

    @hp.param("tune_cls")
    class Model:
        def __init__(self, width=8):
            self.width = width

    @hp.param("tune_async")
    async def fetch(retries=1):
        return retries

    with hp.scope(**{"tune_cls.width": suggest_from(counter), "tune_async.retries": suggest_from(counter)}):
        assert [Model().width, Model().width] == [1, 2]
        assert asyncio.run(fetch()) == 3


def test_a_function_called_from_another_thread_of_the_same_scope():
    counter = Counter()
    lock = threading.Lock()

    def locked() -> int:
        with lock:
            return counter()

    @hp.param("tune_threads")
    def f(x=0):
        return x

    with hp.scope(**{"tune_threads.x": suggest_from(locked)}):
        task = hp.scope.bind(f)
        results: list = []
        threads = [threading.Thread(target=lambda: results.append(task())) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == [1, 2, 3, 4]


# --- listings -----------------------------------------------------------------------------------


def test_listings_show_the_suggester_and_never_call_it():
    counter = Counter()

    @hp.param("tune_list")
    def f(x=0, y=1):
        return x

    suggester = suggest_from(counter)
    with hp.scope(**{"tune_list.x": suggester}) as ps:
        assert ps.to_dict() == {"tune_list.x": suggester}
        assert ps.items() == [("tune_list.x", suggester)]
        assert dict(ps) == {"tune_list.x": suggester}
        assert hp.scope.to_dict() == {"tune_list.x": suggester}
        assert ps.values() == [suggester]
        assert "tune_list.x" in ps
        params = hp.effective_params(sources=True)
        assert params["tune_list.x"] == (suggester, "code")
        assert params["tune_list.y"] == (1, "default")
        assert "suggest_from(" in repr(hp.scope.tune_list.x)
        assert "suggest_from(" in repr(ps)
        snapshot = ps.snapshot()
        assert snapshot.to_dict() == {"tune_list.x": suggester}
    assert counter.calls == 0


def test_the_repr_names_the_callback():
    assert repr(suggest_from(counter_function)) == "suggest_from(<function counter_function>)"
    assert repr(suggest_from(print)) == "suggest_from(<function print>)"
    assert repr(suggest_from(Counter())) == "suggest_from(<Counter>)"
    assert repr(suggest_from(int)) == "suggest_from(<class int>)"
    assert repr(suggest_from(Counter().__call__)) == "suggest_from(<method Counter.__call__>)"


def test_list_params_shows_it_and_does_not_call_it(tmp_path):
    program = tmp_path / "program.py"
    program.write_text(
        textwrap.dedent(
            """
            import atexit

            import hyperparameter as hp
            from hyperparameter.tune import suggest_from

            calls = []
            atexit.register(lambda: print("calls:", len(calls)))  # -lps exits before the end

            def counter():
                calls.append(1)
                return len(calls)

            @hp.param("demo")
            def demo(x: int = 0, y: float = 1.0):
                print("x =", x)

            if __name__ == "__main__":
                with hp.scope(**{"demo.x": suggest_from(counter)}):
                    hp.launch(demo)
            """
        ),
        encoding="utf-8",
    )
    listed = subprocess.run(
        [sys.executable, str(program), "-lps"], capture_output=True, text=True, timeout=60, check=True
    )
    row = next(line for line in listed.stdout.splitlines() if line.startswith("demo.x"))
    assert "suggest_from(<function counter>)" in row
    assert "calls: 0" in listed.stdout
    ran = subprocess.run(
        [sys.executable, str(program)], capture_output=True, text=True, timeout=60, check=True
    )
    assert "x = 1" in ran.stdout and "calls: 1" in ran.stdout


def test_a_suggester_of_a_module_function_pickles():
    with hp.scope(x=suggest_from(counter_function)):
        snap = pickle.loads(pickle.dumps(hp.scope.snapshot()))
    assert snap.run(lambda: hp.scope.x | 0) == 7


# --- what native code sees ----------------------------------------------------------------------


@pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine")
def test_native_code_sees_a_host_object_and_a_typed_read_is_a_type_mismatch():
    from hyperparameter._native_ffi import ffi, lib

    from hyperparameter._backends.native import NativeBackend

    counter = Counter()
    suggester = suggest_from(counter)
    with hp.scope(**{"tune.native": suggester}):
        assert NativeBackend.native_get("tune.native") is suggester  # hp_get: HP_KIND_HOST
        for read, out in (
            (lib.hp_get_i64, ffi.new("int64_t *")),
            (lib.hp_get_f64, ffi.new("double *")),
            (lib.hp_get_bool, ffi.new("bool *")),
        ):
            assert read(ffi.NULL, b"tune.native", len(b"tune.native"), out) == lib.HP_TYPE_MISMATCH
    assert counter.calls == 0


CPP_READER = r"""
#include <string>
#include "hyperparameter.hpp"
static std::string seen;
extern "C" const char* read_tuned() {
    try { seen = "value " + std::to_string(GET_PARAM(tune.cpp, 0)); }
    catch (const hp::error& e) { seen = std::string("hp::error: ") + e.what(); }
    return seen.c_str();
}
"""


@pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine")
def test_a_cpp_get_param_of_a_suggester_throws_a_type_mismatch(tmp_path):
    import ctypes

    from native_build import CXX, compile_cpp

    if CXX is None:
        pytest.skip("no C++ compiler on PATH")
    library = ctypes.CDLL(str(compile_cpp(CPP_READER, tmp_path / "libtuned.so", shared=True)))
    library.read_tuned.restype = ctypes.c_char_p
    counter = Counter()
    with hp.scope(**{"tune.cpp": suggest_from(counter)}):
        seen = library.read_tuned().decode()
    assert seen.startswith('hp::error: parameter "tune.cpp": cannot convert <host object')
    assert seen.endswith("to int")
    assert counter.calls == 0
    assert library.read_tuned().decode() == "value 0"


def test_suggest_from_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        suggest_from(3)  # type: ignore[arg-type]


# --- lazy_dispatch ------------------------------------------------------------------------------


class FakeTrial:
    """What an Optuna trial looks like to lazy_dispatch: the same name gives the same value."""

    def __init__(self) -> None:
        self.asked: list = []
        self.params: dict = {}
        self.space = {"opt": {"lr": [0.1, 0.01]}}

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float:
        self.asked.append(name)
        return self.params.setdefault(name, (low + high) / 2)


def test_the_recorded_call_replays_on_every_read():
    trial = FakeTrial()
    lazy = lazy_dispatch(trial)
    suggested = lazy.suggest_float("x", -10, 10)
    assert type(suggested) is Suggester
    assert trial.asked == []  # recorded, not called
    with hp.scope(**{"x": suggested}):
        assert hp.scope.x | 1.0 == 0.0
        assert hp.scope.x() == 0.0
    assert trial.asked == ["x", "x"]


def test_upstreams_optuna_recipe_runs():
    @hp.param
    def objective(x=0.0):
        return (x - 2) ** 2

    def wrapper(trial):
        trial = lazy_dispatch(trial)
        with hp.scope(**{"objective.x": trial.suggest_float("objective.x", -10, 10, log=False)}):
            return objective()

    trial = FakeTrial()
    assert wrapper(trial) == 4.0
    assert trial.params == {"objective.x": 0.0}


def test_attributes_and_items_are_recorded_before_the_call():
    trial = FakeTrial()
    lazy = lazy_dispatch(trial)
    suggested = lazy.space["opt"]["lr"].index(0.01)
    assert repr(suggested) == "lazy_dispatch(<FakeTrial>).space['opt']['lr'].index(0.01)"
    with hp.scope(i=suggested):
        assert hp.scope.i | 0 == 1
    trial.space["opt"]["lr"].insert(0, 1.0)  # replayed on the object as it is at each read
    with hp.scope(i=suggested):
        assert hp.scope.i | 0 == 2


def test_the_repr_of_a_chain_shows_the_call():
    suggested = lazy_dispatch(FakeTrial()).suggest_float("x", -10, 10, log=True)
    assert repr(suggested) == "lazy_dispatch(<FakeTrial>).suggest_float('x', -10, 10, log=True)"
    assert repr(lazy_dispatch(FakeTrial()).a) == "<lazy_dispatch(<FakeTrial>).a>"
    with hp.scope(x=suggested) as ps:
        assert repr(ps.to_dict()["x"]) == repr(suggested)


def test_a_recording_is_not_mistaken_for_a_protocol():
    lazy = lazy_dispatch(FakeTrial())
    assert isinstance(lazy, LazyDispatch)
    with pytest.raises(AttributeError):
        lazy.__deepcopy__  # noqa: B018
    assert repr(copy.copy(lazy.suggest_float)) == "<lazy_dispatch(<FakeTrial>).suggest_float>"
    with pytest.raises(AttributeError, match="records"):
        lazy.name = 1


def test_the_module_docstrings_run():
    from hyperparameter import _suggester

    failed = attempted = 0
    for module in (tune, _suggester):
        result = doctest.testmod(module)
        failed += result.failed
        attempted += result.attempted
    assert attempted > 10
    assert failed == 0


def _injector_of(function):
    """The @hp.param wrapper's injector (held in its closure)."""
    for cell in function.__closure__ or ():
        contents = cell.cell_contents
        if type(contents).__name__ == "_Injector":
            return contents
    raise AssertionError("no injector in the wrapper's closure")

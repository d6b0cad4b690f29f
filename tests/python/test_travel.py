"""Scopes that travel: ``hp.scope.bind``, snapshots as templates, ``hp.scope.init`` as a pool
initializer, and ``@hp.param`` functions from ``__main__`` through cloudpickle.

Process pools use the spawn start method (a fork would carry the scope with no glue at all).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import cloudpickle
import pytest
import travel_work

import hyperparameter as hp

SPAWN = multiprocessing.get_context("spawn")


@pytest.fixture(scope="module")
def spawn_pool():
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=SPAWN) as pool:
        yield pool


# --- bind ------------------------------------------------------------------------------------


def test_bind_runs_in_the_scope_current_at_bind_time_on_another_thread() -> None:
    with hp.scope(**{"train.lr": 0.1}):
        task = hp.scope.bind(travel_work.read_lr)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        assert pool.submit(task).result() == 0.1
    assert task() == 0.1  # here too, outside the scope it was bound in
    assert hp.scope.train.lr | 0.001 == 0.001


def test_bind_passes_arguments_and_results_and_names_the_function() -> None:
    with hp.scope(k=2):
        task = hp.scope.bind(lambda x, y=1: (hp.scope.k | 0) * x + y)
    assert task(3, y=4) == 10
    assert task.__name__ == "<lambda>"
    with pytest.raises(TypeError, match="needs a callable"):
        hp.scope.bind(3)  # type: ignore[arg-type]


def test_bound_module_function_travels_to_a_spawn_pool_with_plain_pickle(spawn_pool) -> None:
    with hp.scope(**{"train.lr": 0.2}):
        task = hp.scope.bind(travel_work.read_lr)
    assert pickle.loads(pickle.dumps(task))() == 0.2
    assert spawn_pool.submit(task).result(timeout=60) == 0.2
    assert spawn_pool.submit(travel_work.read_lr).result(timeout=60) == 0.001  # nothing leaked


def test_bound_lambda_travels_with_cloudpickle() -> None:
    with hp.scope(**{"train.lr": 0.3}):
        task = hp.scope.bind(lambda: hp.scope.train.lr | 0.0)
    blob = cloudpickle.dumps(task)
    child = "import pickle, sys; print(pickle.loads(sys.stdin.buffer.read())())"
    done = subprocess.run([sys.executable, "-c", child], input=blob, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "0.3"


def test_a_value_that_cannot_be_pickled_is_named_and_still_works_in_process() -> None:
    lock = threading.Lock()
    with hp.scope(**{"io.lock": lock, "train.lr": 0.1}):
        task = hp.scope.bind(travel_work.read_lr)
    assert task() == 0.1
    with hp.scope(**{"io.lock": lock}):
        assert hp.scope.bind(lambda: hp.scope["io.lock"]())() is lock
    named = r"parameter 'io\.lock': its value <unlocked _thread\.lock"
    with pytest.raises(pickle.PicklingError, match=named):
        pickle.dumps(task)
    with pytest.raises(pickle.PicklingError, match=r"parameter 'io\.lock'"):
        cloudpickle.dumps(task)


# --- snapshots as templates ------------------------------------------------------------------


def test_many_threads_are_inside_one_snapshot_at_once_each_with_its_own_child() -> None:
    with hp.scope(**{"train.lr": 0.1}):
        snap = hp.scope.snapshot()
    inside = threading.Barrier(4)
    seen = []

    def work(n: int) -> None:
        with snap as ps:
            ps.worker.n = n
            inside.wait(timeout=20)  # all four are inside the snapshot now
            seen.append((hp.scope.train.lr | 0.0, hp.scope.worker.n | -1))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == [(0.1, 0), (0.1, 1), (0.1, 2), (0.1, 3)]
    assert "worker.n" not in snap  # the children's writes never reach the snapshot


def test_entering_a_snapshot_twice_nests_and_exits_in_order() -> None:
    with hp.scope(a=1):
        snap = hp.scope.snapshot()
    with snap as outer:
        outer.a = 2
        with snap as inner:
            assert (hp.scope.a | 0, inner is not outer) == (1, True)
        assert hp.scope.a | 0 == 2
    assert hp.scope.a | 0 == 0


def test_snapshot_run_and_its_source_labels() -> None:
    with hp.scope("train.lr=0.5"):
        snap = hp.scope.snapshot()
    assert snap.run(lambda x: (hp.scope.train.lr | 0.0) + x, 1) == 1.5
    assert snap.run(hp.scope.source, "train.lr") == "key=value"
    assert pickle.loads(pickle.dumps(snap)).source("train.lr") == "key=value"


def test_a_snapshot_carries_the_baseline_it_saw(baseline) -> None:
    with hp.scope(**{"base.v": 7}):
        hp.scope.frozen()
    snap = hp.scope.snapshot()
    with hp.scope.empty():
        hp.scope.frozen()
    assert hp.scope.base.v | 0 == 0
    assert snap.run(lambda: hp.scope.base.v | 0) == 7


def test_exiting_a_snapshot_that_is_not_innermost_is_an_error() -> None:
    snap_a, snap_b = hp.scope.snapshot(), hp.scope.snapshot()
    snap_a.__enter__()
    snap_b.__enter__()
    try:
        with pytest.raises(hp.ScopeOrderError, match="not the innermost snapshot"):
            snap_a.__exit__(None, None, None)
    finally:
        snap_b.__exit__(None, None, None)
        snap_a.__exit__(None, None, None)


# --- pool initializer --------------------------------------------------------------------------


def test_init_with_a_snapshot_is_the_baseline_of_spawn_pool_workers() -> None:
    with hp.scope(**{"train.lr": 0.4}):
        snap = hp.scope.snapshot()
    with concurrent.futures.ProcessPoolExecutor(
        1, mp_context=SPAWN, initializer=hp.scope.init, initargs=(snap,)
    ) as pool:
        assert pool.submit(travel_work.read_lr).result(timeout=60) == 0.4
        assert pool.submit(travel_work.read_lr_in_a_new_thread).result(timeout=60) == 0.4


def test_init_with_a_snapshot_takes_no_other_values() -> None:
    with pytest.raises(TypeError, match="takes no other values"):
        hp.scope.init(hp.scope.snapshot(), extra=1)


# --- @hp.param defined in __main__ -----------------------------------------------------------


def test_param_functions_and_classes_from_main_survive_cloudpickle(tmp_path) -> None:
    script = tmp_path / "main_params.py"
    script.write_text(
        textwrap.dedent(
            """
            import subprocess, sys
            import cloudpickle
            import hyperparameter as hp

            @hp.param("train")
            def train(lr=0.001, steps=10):
                return (lr, steps)

            @hp.param("model")
            class Model:
                def __init__(self, depth=2):
                    self.depth = depth

            train(), Model()  # used here first: the wrappers' caches are full
            child = '''
            import pickle, sys
            import hyperparameter as hp
            train, Model = pickle.loads(sys.stdin.buffer.read())
            print(train())
            with hp.scope(**{"train.lr": 0.5, "model.depth": 7}):
                print(train(), Model().depth, train(steps=3))
            print(sorted(hp.effective_params()) if hasattr(hp, "effective_params") else "")
            '''
            import textwrap
            done = subprocess.run([sys.executable, "-c", textwrap.dedent(child)],
                                  input=cloudpickle.dumps((train, Model)), capture_output=True)
            sys.stdout.write(done.stdout.decode())
            sys.stderr.write(done.stderr.decode())
            sys.exit(done.returncode)
            """
        )
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["(0.001, 10)", "(0.5, 10) 7 (0.5, 3)"]


def test_other_context_variables_still_cannot_be_pickled() -> None:
    import contextvars

    with pytest.raises(TypeError, match="cannot pickle 'ContextVar' object"):
        pickle.dumps(contextvars.ContextVar("elsewhere"))


def test_the_docs_spawn_pool_recipe_runs(tmp_path) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "integrations.md").read_text(encoding="utf-8")
    recipe = page.split("<!-- spawn-pool-recipe -->\n```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "pool_recipe.py"
    script.write_text(recipe, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[0.1, 0.1, 0.1, 0.1]"


def test_bound_lambdas_travel_to_loky_workers() -> None:
    """joblib's loky pools pickle with cloudpickle: a bound lambda carries its scope there."""
    import joblib

    with hp.scope(**{"train.lr": 0.6}):
        task = hp.scope.bind(lambda n: (n, hp.scope.train.lr | 0.0))
    results = joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(task)(n) for n in range(4))
    assert results == [(0, 0.6), (1, 0.6), (2, 0.6), (3, 0.6)]
    plain = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(lambda: hp.scope.train.lr | 0.0)() for _ in range(2)
    )
    assert plain == [0.0, 0.0]  # without bind, a worker sees the defaults

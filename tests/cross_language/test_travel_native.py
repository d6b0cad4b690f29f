"""Scopes that travel, read by C++: a bound function or a snapshot-initialised pool worker
sees the same values from Python and from a C++ kernel on its thread."""

from __future__ import annotations

import concurrent.futures
import functools
import multiprocessing

import pytest
import travel_work
from native_build import CXX

import hyperparameter as hp

pytestmark = [
    pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine"),
    pytest.mark.skipif(CXX is None, reason="no C++ compiler on PATH"),
]

@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> str:
    built = travel_work.build_lr_kernel(tmp_path_factory.mktemp("travel"))
    assert built is not None
    return built


def test_a_bound_function_on_a_pool_thread_is_seen_by_cpp(kernel: str) -> None:
    with hp.scope(**{"train.lr": 0.1}):
        task = hp.scope.bind(functools.partial(travel_work.read_lr_both, kernel))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        assert pool.submit(task).result(timeout=20) == (0.1, 0.1)
        assert pool.submit(travel_work.read_lr_both, kernel).result(timeout=20) == (0.001, 0.001)


def test_a_bound_function_in_a_spawn_worker_is_seen_by_cpp(kernel: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    with hp.scope(**{"train.lr": 0.2}):
        task = hp.scope.bind(functools.partial(travel_work.read_lr_both, kernel))
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        assert pool.submit(task).result(timeout=60) == (0.2, 0.2)


def test_a_snapshot_baseline_in_a_spawn_worker_is_seen_by_cpp(kernel: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    with hp.scope(**{"train.lr": 0.4}):
        snap = hp.scope.snapshot()
    with concurrent.futures.ProcessPoolExecutor(
        1, mp_context=spawn, initializer=hp.scope.init, initargs=(snap,)
    ) as pool:
        assert pool.submit(travel_work.read_lr_both, kernel).result(timeout=60) == (0.4, 0.4)


def test_a_bound_function_in_a_loky_worker_is_seen_by_cpp(kernel: str) -> None:
    import joblib

    with hp.scope(**{"train.lr": 0.3}):
        task = hp.scope.bind(functools.partial(travel_work.read_lr_both, kernel))
    read = joblib.Parallel(n_jobs=2, backend="loky")(joblib.delayed(task)() for _ in range(2))
    assert read == [(0.3, 0.3)] * 2


def test_many_threads_inside_one_snapshot_are_seen_by_cpp(kernel: str) -> None:
    with hp.scope(**{"train.lr": 0.5}):
        snap = hp.scope.snapshot()

    def work(n: int) -> tuple:
        with snap as ps:
            ps.train.lr = n / 10  # each thread's own child
            return travel_work.read_lr_both(kernel)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(work, range(1, 5))) == [(0.1, 0.1), (0.2, 0.2), (0.3, 0.3), (0.4, 0.4)]
    assert snap.run(travel_work.read_lr_both, kernel) == (0.5, 0.5)

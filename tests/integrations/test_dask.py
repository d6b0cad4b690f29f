"""Dask: ``BaselinePlugin`` makes the client's published baseline every worker's, and a bound
function carries its scope into a task, on a real cluster of worker processes, where Python and
a C++ kernel read the same values."""

from __future__ import annotations

import doctest
import functools
import pickle
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

import pytest
import travel_work

import hyperparameter as hp

distributed = pytest.importorskip("distributed")

from hyperparameter.integrations import dask as hp_dask  # noqa: E402
from hyperparameter.integrations.dask import BaselinePlugin  # noqa: E402

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as made:
        yield made


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as made:
        yield made


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Optional[str]:
    return travel_work.build_lr_kernel(tmp_path_factory.mktemp("dask"))


lr_both = travel_work.lr_both


def registered(dask_scheduler) -> list:
    return list(dask_scheduler.worker_plugins)


@pytest.fixture
def plugin_removed(client, baseline):
    """The test may register a plugin: it is removed after, and the client's baseline emptied."""
    yield
    if BaselinePlugin.name in client.run_on_scheduler(registered):
        client.unregister_worker_plugin(BaselinePlugin.name)


def on_each_worker(client, fn, *args) -> list:
    """What ``fn(*args)`` returns as a task (on a worker's task thread) on each worker, in order."""
    workers = sorted(client.scheduler_info()["workers"])
    futures = [client.submit(fn, *args, workers=[w], pure=False) for w in workers]
    return client.gather(futures)


def publish(**values) -> None:
    """Publish exactly ``values`` as the client's baseline."""
    with hp.scope.empty(**values):
        hp.scope.frozen()


def run_docs_section(title: str, **names) -> None:
    """Run the code of the section of docs/integrations.md whose title starts with ``title``."""
    text = DOCS.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    code = "\n".join(re.findall(r"```python\n(.*?)```", text[start : end if end > 0 else None], re.S))
    assert code.strip()
    namespace = {"__name__": "integrations_docs", **names}
    try:
        exec(compile(code, f"{DOCS} ({title})", "exec"), namespace)
    finally:
        namespace.clear()  # its functions go: no @hp.param of the page outlives the test


# --- without the plugin ---------------------------------------------------------------------


def test_without_the_plugin_workers_read_defaults_whatever_the_client_published(client, baseline) -> None:
    publish(**{"train.lr": 0.1})
    assert hp.scope.train.lr | 0.001 == 0.1
    assert on_each_worker(client, travel_work.read_lr) == [0.001, 0.001]


# --- the plugin -----------------------------------------------------------------------------


def test_the_plugin_gives_every_worker_the_published_baseline_python_and_cpp(
    client, kernel, plugin_removed
) -> None:
    read_both = functools.partial(lr_both, kernel)
    assert on_each_worker(client, read_both) == [(0.001, 0.001)] * 2  # task threads exist already
    publish(**{"train.lr": 0.1})
    client.register_plugin(BaselinePlugin())
    assert on_each_worker(client, read_both) == [(0.1, 0.1)] * 2
    assert on_each_worker(client, travel_work.read_lr_in_a_new_thread) == [0.1, 0.1]
    assert set(client.run(travel_work.read_lr).values()) == {0.1}  # the workers' own threads


def test_the_plugin_takes_the_published_baseline_not_the_scope_it_is_made_in(baseline) -> None:
    publish(**{"train.lr": 0.1})
    with hp.scope(**{"train.lr": 0.5, "train.bs": 64}):
        plugin = BaselinePlugin()
    assert plugin.snapshot.to_dict() == {"train.lr": 0.1}
    with hp.scope(**{"train.lr": 0.5}):
        assert BaselinePlugin(hp.scope.current()).snapshot.to_dict() == {"train.lr": 0.5}
    assert plugin.name == "hyperparameter.baseline"


def test_a_worker_started_after_registration_gets_the_baseline(client, cluster, plugin_removed) -> None:
    publish(**{"train.lr": 0.3})
    client.register_plugin(BaselinePlugin())
    before = set(client.scheduler_info()["workers"])
    cluster.scale(3)
    try:
        client.wait_for_workers(3, timeout=60)
        (new,) = set(client.scheduler_info()["workers"]) - before
        assert client.submit(travel_work.read_lr, workers=[new], pure=False).result(timeout=60) == 0.3
        assert on_each_worker(client, travel_work.read_lr) == [0.3, 0.3, 0.3]
    finally:
        cluster.scale(2)
        deadline = time.monotonic() + 60
        while len(client.scheduler_info()["workers"]) > 2 and time.monotonic() < deadline:
            time.sleep(0.05)


def test_registering_again_replaces_it_and_removing_it_restores_the_defaults(
    client, kernel, plugin_removed
) -> None:
    read_both = functools.partial(lr_both, kernel)
    publish(**{"train.lr": 0.1, "train.bs": 64})
    client.register_plugin(BaselinePlugin())
    publish(**{"train.lr": 0.2})
    client.register_plugin(BaselinePlugin())
    assert on_each_worker(client, read_both) == [(0.2, 0.2)] * 2
    assert on_each_worker(client, lambda: hp.scope.train.bs | 32) == [32, 32]  # nothing of the first
    client.unregister_worker_plugin(BaselinePlugin.name)
    assert on_each_worker(client, read_both) == [(0.001, 0.001)] * 2


# --- bound functions ------------------------------------------------------------------------


def test_a_bound_function_carries_its_scope_to_the_task_python_and_cpp(client, kernel) -> None:
    read_both = functools.partial(lr_both, kernel)
    assert client.submit(read_both, pure=False).result(timeout=60) == (0.001, 0.001)
    with hp.scope(**{"train.lr": 0.2}):
        task = hp.scope.bind(read_both)
        unbound = client.submit(read_both, pure=False)
    assert unbound.result(timeout=60) == (0.001, 0.001)  # a scope alone does not travel
    assert client.submit(task, pure=False).result(timeout=60) == (0.2, 0.2)
    assert client.submit(read_both, pure=False).result(timeout=60) == (0.001, 0.001)  # nothing left


def test_a_bound_lambda_runs_over_the_plugin_baseline(client, plugin_removed) -> None:
    publish(**{"train.lr": 0.1, "train.bs": 64})
    client.register_plugin(BaselinePlugin())
    with hp.scope(**{"train.lr": 0.4}):
        task = hp.scope.bind(lambda n: (hp.scope.train.lr | 0.0, hp.scope.train.bs | 0, n))
    futures = client.map(task, range(4), pure=False)
    assert client.gather(futures) == [(0.4, 64, n) for n in range(4)]


def test_a_value_that_cannot_travel_is_named_by_its_key(client, plugin_removed) -> None:
    cannot_travel = r"parameter 'io\.lock': its value <unlocked _thread\.lock"
    with hp.scope(**{"io.lock": threading.Lock(), "train.lr": 0.1}) as here:
        with pytest.raises(pickle.PicklingError, match=cannot_travel):
            client.register_plugin(BaselinePlugin(here))
        task = hp.scope.bind(travel_work.read_lr)
    assert task() == 0.1  # in this process it works
    with pytest.raises(TypeError, match="Could not serialize") as refused:
        client.submit(task, pure=False)
    assert isinstance(refused.value.__cause__, pickle.PicklingError)
    assert re.search(cannot_travel, str(refused.value.__cause__))
    assert BaselinePlugin.name not in client.run_on_scheduler(registered)


def test_the_documented_example_runs(client, baseline) -> None:
    run_docs_section("Dask", client=client)


# --- the module -------------------------------------------------------------------------------


def test_the_docstring_examples_run_on_the_cluster(client, plugin_removed) -> None:
    result = doctest.testmod(hp_dask, extraglobs={"client": client}, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8
    assert result.failed == 0


def test_without_distributed_the_import_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['distributed'] = None\n"
        "try:\n    import hyperparameter.integrations.dask\n"
        "except ImportError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install hyperparameter[dask]" in done.stdout, done.stderr

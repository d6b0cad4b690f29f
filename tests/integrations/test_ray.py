"""Ray: ``remote`` tasks and actors run in their caller's scope, on a real local Ray, where
Python and a C++ kernel read the same values; plain ``ray.remote`` shows what happens without."""

from __future__ import annotations

import asyncio
import doctest
import os
import pickle
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Optional

import pytest
import travel_work

import hyperparameter as hp

ray = pytest.importorskip("ray")

from hyperparameter.integrations import ray as hp_ray  # noqa: E402
from hyperparameter.integrations.ray import ScopedActorClass, remote  # noqa: E402

DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


@pytest.fixture(scope="module", autouse=True)
def ray_session():
    # Workers are processes of their own: they import the tests' helpers through PYTHONPATH.
    here = Path(__file__).resolve().parent
    paths = [str(here.parent / "support"), str(here), os.environ.get("PYTHONPATH", "")]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Optional[str]:
    return travel_work.build_lr_kernel(tmp_path_factory.mktemp("ray"))


lr_both = travel_work.lr_both


@remote
def read(*keys: str) -> list:
    return [hp.scope[key](None) for key in keys]


@remote
def read_both(kernel: Optional[str]) -> tuple:
    return lr_both(kernel)


@ray.remote
def read_both_plain(kernel: Optional[str]) -> tuple:
    return lr_both(kernel)


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


# --- tasks ------------------------------------------------------------------------------------


def test_a_task_runs_in_the_scope_of_its_call_python_and_cpp(kernel) -> None:
    with hp.scope(**{"train.lr": 0.1}):
        plain = read_both_plain.remote(kernel)
        carried = read_both.remote(kernel)
    assert ray.get(plain) == (0.001, 0.001)  # plain ray.remote: the scope stays behind
    assert ray.get(carried) == (0.1, 0.1)
    assert ray.get(read_both.remote(kernel)) == (0.001, 0.001)  # taken at the call, not before


def test_an_hp_param_function_is_injected_from_the_scope_of_the_call() -> None:
    @remote
    @hp.param("train")
    def fit(steps: int, lr: float = 0.001) -> tuple:
        return steps, lr

    with hp.scope(**{"train.lr": "0.1"}):  # converted to the default's type, as anywhere
        ref = fit.remote(3)
    assert ray.get([ref, fit.remote(4), fit.remote(5, lr=0.5)]) == [(3, 0.1), (4, 0.001), (5, 0.5)]


def test_a_task_carries_the_callers_baseline_too(baseline) -> None:
    with hp.scope.empty(**{"train.bs": 64, "train.lr": 0.1}):
        hp.scope.frozen()
    with hp.scope(**{"train.lr": 0.2}):
        ref = read.remote("train.lr", "train.bs")
    assert ray.get(ref) == [0.2, 64]


def test_options_returns_wait_and_object_ref_arguments_are_rays() -> None:
    @remote(num_returns=2)
    def pair(x: int) -> tuple:
        return x, hp.scope.k | 0

    @remote
    def plus_k(x: int) -> int:
        return x + (hp.scope.k | 0)

    with hp.scope(k=5):
        first, second = pair.remote(1)
        by_ref = plus_k.remote(ray.put(10))  # a top-level ref argument arrives as its value
        other = read.options(num_cpus=1, name="read-k").remote("k")
    ready, _ = ray.wait([first, second, by_ref, other], num_returns=4, timeout=60)
    assert len(ready) == 4
    assert ray.get([first, second, by_ref, other]) == [1, 5, 15, [5]]


def test_a_generator_task_streams_inside_its_scope() -> None:
    @remote
    def count(n: int):
        for i in range(n):
            yield (hp.scope.base | 0) + i

    with hp.scope(base=10):
        stream = count.remote(3)
    assert [ray.get(ref) for ref in stream] == [10, 11, 12]


def test_a_task_passes_its_scope_on_to_the_tasks_it_calls() -> None:
    @remote
    def outer() -> list:
        with hp.scope(inner=2):
            return ray.get(read.remote("outer", "inner"))

    with hp.scope(outer=1):
        assert ray.get(outer.remote()) == [1, 2]


def test_a_wrong_call_fails_where_it_is_made(kernel) -> None:
    with pytest.raises(TypeError, match="missing a required argument: 'kernel'"):
        read_both.remote()
    with pytest.raises(TypeError, match="not ray.remote's result"):
        remote(read_both_plain)
    with pytest.raises(TypeError, match="takes a function or a class"):
        remote(3)


def test_a_value_that_cannot_travel_is_named_by_its_key() -> None:
    cannot_travel = r"parameter 'io\.lock': its value <unlocked _thread\.lock"
    with hp.scope(**{"io.lock": threading.Lock()}):
        with pytest.raises(pickle.PicklingError, match=cannot_travel):
            read.remote("x")
    assert ray.get(read.remote("x")) == [None]


# --- actors -----------------------------------------------------------------------------------


class Trainer:
    """An actor class of this module, made remote twice below: with ``remote`` and plainly."""

    def __init__(self, tag: str = "") -> None:
        self.tag = tag
        self.made_with = self.read("train.lr")[0]  # its own methods, called directly

    def read_twice(self, key: str) -> list:
        with hp.scope(**{"run.id": -1}):
            return self.read(key, "run.id") + self.read(key)

    def read(self, *keys: str) -> list:
        return [hp.scope[key](None) for key in keys]

    def kernel(self, kernel: Optional[str]) -> tuple:
        return lr_both(kernel)

    def in_a_new_thread(self, key: str):
        out: list = []
        thread = threading.Thread(target=lambda: out.append(hp.scope[key](None)))
        thread.start()
        thread.join()
        return out[0]

    @ray.method(num_returns=2)
    def pair(self) -> tuple:
        return self.tag, self.made_with


def test_an_actor_reads_its_construction_scope_and_each_call_lays_the_callers_over_it(kernel) -> None:
    with hp.scope(**{"train.lr": 0.2, "train.bs": 64}):
        plain = ray.remote(Trainer).remote()
        actor = remote(Trainer).remote(tag="t")
    try:
        assert ray.get(plain.read.remote("train.lr")) == [None]  # plain: nothing travels
        assert ray.get(plain.kernel.remote(kernel)) == (0.001, 0.001)
        assert ray.get(list(actor.pair.remote())) == ["t", 0.2]  # @ray.method options kept
        assert ray.get(actor.kernel.remote(kernel)) == (0.2, 0.2)
        assert ray.get(actor.in_a_new_thread.remote("train.bs")) == 64  # for the actor's life
        with hp.scope(**{"train.lr": 0.3, "run.id": 7}):
            ref = actor.read.remote("train.lr", "train.bs", "run.id")
            kernel_ref = actor.kernel.remote(kernel)
        assert ray.get(ref) == [0.3, 64, 7]  # the caller wins; the actor's scope beneath
        assert ray.get(kernel_ref) == (0.3, 0.3)
        assert ray.get(actor.read.remote("train.lr", "run.id")) == [0.2, None]  # nothing stays
        with hp.scope(**{"train.lr": 0.4}):
            assert ray.get(actor.read_twice.remote("train.lr")) == [0.4, -1, 0.4]
    finally:
        ray.kill(plain)
        ray.kill(actor)


def test_concurrent_calls_on_a_threaded_actor_are_isolated() -> None:
    @remote(max_concurrency=3)
    class Threaded:
        def __init__(self) -> None:
            self.all_inside = threading.Barrier(3)

        def work(self, n: int) -> tuple:
            with hp.scope(**{"me.n": n}):
                self.all_inside.wait(timeout=30)  # the three calls are inside at once
                return (hp.scope.me.n | -1, hp.scope.train.lr | 0.0, hp.scope.base | 0)

    with hp.scope(base=1):
        actor = Threaded.remote()
    try:
        refs = []
        for n in range(3):
            with hp.scope(**{"train.lr": n / 10}):
                refs.append(actor.work.remote(n))
        assert ray.get(refs, timeout=60) == [(n, n / 10, 1) for n in range(3)]
    finally:
        ray.kill(actor)


def test_concurrent_calls_on_an_async_actor_are_isolated() -> None:
    @remote
    class Async:
        def __init__(self) -> None:
            self.inside = 0

        async def work(self, n: int) -> tuple:
            with hp.scope(**{"me.n": n}):
                self.inside += 1
                while self.inside < 3:  # the three calls are suspended inside at once
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.01 * (3 - n))
                return (hp.scope.me.n | -1, hp.scope.train.lr | 0.0)

    actor = Async.remote()
    try:
        refs = []
        for n in range(3):
            with hp.scope(**{"train.lr": n / 10}):
                refs.append(actor.work.remote(n))
        assert ray.get(refs, timeout=60) == [(n, n / 10) for n in range(3)]
    finally:
        ray.kill(actor)


def test_handles_carry_the_scope_wherever_they_go() -> None:
    @remote
    def through(handle) -> list:
        with hp.scope(**{"run.id": 9}):
            return ray.get(handle.read.remote("run.id", "train.lr"))

    with hp.scope(**{"train.lr": 0.2}):
        actor = remote(Trainer).options(name="hp-named-trainer", num_cpus=0).remote()
    try:
        assert ray.get(through.remote(actor)) == [9, 0.2]  # a handle passed to a task
        named = ray.get_actor("hp-named-trainer")  # a handle Ray makes from the name
        with hp.scope(**{"run.id": 3}):
            assert ray.get(named.read.remote("run.id")) == [3]
    finally:
        ray.kill(actor)  # Ray's own handle
    with pytest.raises(TypeError, match="not called"):
        remote(Trainer)()
    assert isinstance(remote(Trainer), ScopedActorClass)


def test_the_documented_example_runs() -> None:
    run_docs_section("Ray")


# --- the module -------------------------------------------------------------------------------


def test_the_docstring_examples_run_on_ray() -> None:
    result = doctest.testmod(hp_ray, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10
    assert result.failed == 0


def test_without_ray_the_import_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "try:\n    import hyperparameter.integrations.ray\n"
        "except ImportError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install hyperparameter[ray]" in done.stdout, done.stderr

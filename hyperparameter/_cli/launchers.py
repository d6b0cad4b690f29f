"""Where the runs of a sweep go: ``--launcher local`` (the default), ``dask`` or ``ray``.

A launcher is a name, a check that it can run here, and ``executor(jobs)``: a context manager
giving a ``concurrent.futures.Executor``. The sweep submits ``runs.run_one(program, task)`` to it
and waits for the futures; ``run_one`` and its arguments pickle by reference and as text, so any
executor that runs a function in another process will do. To add one, write a class with the
three members of ``Launcher`` and list it in ``LAUNCHERS``.

- ``local``: one run at a time in this process (``--jobs 1``), or ``--jobs N`` worker processes
  of a ``ProcessPoolExecutor`` started with ``spawn`` (the same on every platform: a fresh
  interpreter that imports the program, never a fork of this one with its threads and locks).
- ``dask``: ``--jobs N`` single-threaded worker processes of a ``distributed.LocalCluster``, or
  the cluster at ``DASK_SCHEDULER_ADDRESS`` when it is set.
- ``ray``: ``ray.init()`` (which joins the cluster at ``RAY_ADDRESS`` when it is set), each run
  a task of one CPU.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from concurrent.futures import Executor, Future
from typing import Any, Callable, Iterator, Optional, Protocol


class Launcher(Protocol):
    """Where runs go."""

    #: the name ``--launcher`` takes
    name: str

    def problem(self) -> Optional[str]:
        """Why this launcher cannot run here (its package is not installed), or None."""

    def executor(self, jobs: int) -> contextlib.AbstractContextManager[Executor]:
        """An executor that runs up to ``jobs`` runs at once, closed when the block ends."""


class InlineExecutor(Executor):
    """Runs each submitted call at once, in this process: ``--jobs 1``."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


class Local:
    name = "local"

    def problem(self) -> Optional[str]:
        return None

    @contextlib.contextmanager
    def executor(self, jobs: int) -> Iterator[Executor]:
        if jobs == 1:
            yield InlineExecutor()
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool


def _needs(launcher: str, module: str) -> Optional[str]:
    """None when ``module`` imports (it is imported here: the launcher uses it next), else
    the usage error naming the extra that installs it."""
    try:
        importlib.import_module(module)
    except ImportError:
        extra = f"hyperparameter[{launcher}]"
        return f"launcher {launcher!r} needs {extra}: pip install '{extra}'"
    return None


class Dask:
    name = "dask"

    def problem(self) -> Optional[str]:
        return _needs("dask", "distributed")

    @contextlib.contextmanager
    def executor(self, jobs: int) -> Iterator[Executor]:
        from distributed import Client, LocalCluster

        address = os.environ.get("DASK_SCHEDULER_ADDRESS")
        with contextlib.ExitStack() as stack:
            if address:
                client = stack.enter_context(Client(address))
            else:
                cluster = stack.enter_context(
                    LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
                )
                client = stack.enter_context(Client(cluster))
            yield client.get_executor(pure=False)


class _RayExecutor(Executor):
    def __init__(self, remote: Any) -> None:
        self.remote = remote

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self.remote.remote(fn, *args, **kwargs).future()


def sweep_run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """A run as a Ray task (Ray names the task after this function)."""
    return fn(*args, **kwargs)


class Ray:
    name = "ray"

    def problem(self) -> Optional[str]:
        return _needs("ray", "ray")

    @contextlib.contextmanager
    def executor(self, jobs: int) -> Iterator[Executor]:
        import ray

        started = not ray.is_initialized()
        if started:
            ray.init()
        try:
            yield _RayExecutor(ray.remote(num_cpus=1)(sweep_run))
        finally:
            if started:
                ray.shutdown()


#: Every launcher, by the name ``--launcher`` takes.
LAUNCHERS: dict[str, Launcher] = {launcher.name: launcher for launcher in (Local(), Dask(), Ray())}

"""Dask: the client's parameters in every worker, for Python and native code alike.

Two ways, which combine:

- ``client.register_plugin(BaselinePlugin())`` makes the baseline the client published with
  ``hp.scope.frozen()`` the baseline of every worker process, present and future: what each of
  their threads reads for the keys its own scopes do not set.
- ``client.submit(hp.scope.bind(fn), ...)`` runs one task inside a copy of the scope current
  where it was bound (see ``hp.scope.bind``), over that baseline.

Needs ``distributed``: ``pip install hyperparameter[dask]``.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from .. import Scope, scope

try:
    from distributed import WorkerPlugin
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "hyperparameter.integrations.dask needs Dask's distributed package: pip install hyperparameter[dask]"
    ) from exc

__all__ = ["BaselinePlugin"]


def _published_baseline() -> Scope:
    """A snapshot of the baseline this process has published (``hp.scope.frozen()``), alone:
    what a thread started now reads, without the calling thread's scopes."""
    # A new thread's scopes start empty over the baseline (and reload it if native code
    # published one since), so what it sees is the baseline and nothing else.
    taken: list = []
    reader = threading.Thread(target=lambda: taken.append(scope.snapshot()), name="hp-baseline")
    reader.start()
    reader.join()
    return taken[0]


class BaselinePlugin(WorkerPlugin):
    """A Dask worker plugin that makes the client's published baseline each worker's baseline.

    Constructed, it takes a snapshot of the baseline this process published with
    ``hp.scope.frozen()`` (or of ``values``, a scope or snapshot, when given). Registered with
    ``client.register_plugin(...)``, it is installed in every worker process, those running
    now and those started later, with ``hp.scope.init(snapshot)``: every thread of the worker
    reads it, Python and native code (``GET_PARAM`` in a C++ extension) alike. It has a fixed
    ``name``, so registering another one replaces it; removed, or when its worker closes, it
    puts back the baseline the worker had before.

    A task whose result depends on parameters is not pure in Dask's sense: submit it with
    ``pure=False``, or Dask may hand back a result it holds for the same function and
    arguments, computed under other parameters. (``client`` below is a ``distributed.Client``.)

    >>> import hyperparameter as hp
    >>> from hyperparameter.integrations.dask import BaselinePlugin
    >>> with hp.scope(**{"train.lr": 0.1}):
    ...     hp.scope.frozen()
    >>> client.register_plugin(BaselinePlugin())  # doctest: +ELLIPSIS
    {'tcp://...': {'status': 'OK'}...}
    >>> client.submit(lambda: hp.scope.train.lr | 0.001, pure=False).result()
    0.1
    >>> with hp.scope(**{"train.lr": 0.2}):       # one task in a scope of its own
    ...     task = hp.scope.bind(lambda: hp.scope.train.lr | 0.001)
    >>> client.submit(task, pure=False).result()
    0.2
    >>> client.register_plugin(BaselinePlugin(hp.scope.empty()))   # replaces it  # doctest: +ELLIPSIS
    {'tcp://...': {'status': 'OK'}...}
    >>> client.submit(lambda: hp.scope.train.lr | 0.001, pure=False).result()
    0.001
    >>> with hp.scope.empty():
    ...     hp.scope.frozen()                      # an empty baseline again, in the client
    """

    #: One baseline per worker: registering a plugin under this name replaces the last one.
    name = "hyperparameter.baseline"

    def __init__(self, values: Optional[Scope] = None) -> None:
        #: What workers are given as their baseline: a detached, picklable snapshot.
        self.snapshot: Scope = _published_baseline() if values is None else values.snapshot()
        self._before: Optional[Scope] = None

    def setup(self, worker: Any) -> None:
        """Install the snapshot as this worker process's baseline (run by the worker)."""
        self._before = _published_baseline()
        scope.init(self.snapshot)

    def teardown(self, worker: Any) -> None:
        """Put back the baseline the worker had before ``setup`` (run by the worker)."""
        if self._before is not None:
            scope.init(self._before)
            self._before = None

    def __repr__(self) -> str:
        return f"<BaselinePlugin {self.snapshot.to_dict()!r}>"

"""MLflow: record the parameters a run uses (``hp.effective_params``) in an MLflow run.

MLflow is imported when ``log_params`` is first called (``pip install hyperparameter[mlflow]``
installs it; ``mlflow-skinny`` is enough).
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Optional, Union

from .. import hash_key
from .._effective import effective_params
from .._errors import HyperparameterError
from .._types import as_text

if TYPE_CHECKING:
    from mlflow.entities import Run

#: Where in the run's artifacts the whole values and their sources are written.
ARTIFACT = "hyperparameter/effective_params.json"

# MLflow's limits, when the installed MLflow does not name them (mlflow.utils.validation).
_FALLBACK_KEY_LENGTH = 250
_FALLBACK_VALUE_LENGTH = 500  # MLflow before 2.8; later versions allow 6000
_FALLBACK_PER_BATCH = 100
_FALLBACK_REQUEST_SIZE = 1_000_000

#: What MLflow accepts in a param key (``validate_param_and_metric_name``, also on Windows).
_KEY_CHARS = re.compile(r"[\w.\-]*")
_BAD_KEY_CHAR = re.compile(r"[^\w.\-]")
#: Put between a shortened key and the hash of the whole key (``hp.hash_key``, hex).
KEY_MARK = "..."
#: The artifact as this process last wrote it, for the runs it logged to last (a later call
#: compares with it instead of downloading it again).
_written: OrderedDict[str, dict[str, dict[str, Any]]] = OrderedDict()
_WRITTEN_LIMIT = 32


class ParamChangedError(HyperparameterError, ValueError):
    """A parameter logged to an MLflow run before has another value now.

    MLflow params cannot change once logged: log the new values to a new run. ``changes``
    lists ``(key, logged value, value now)`` for each parameter that changed.

    >>> from hyperparameter.integrations.mlflow import ParamChangedError
    >>> error = ParamChangedError([("train.lr", 0.1, 0.01)], "4f1c")
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    parameters of MLflow run 4f1c cannot change once logged: train.lr was logged as 0.1, is 0.01
    now; log them to a new run (mlflow.start_run())
    """

    def __init__(self, changes: list[tuple[str, Any, Any]], run_id: str) -> None:
        self.changes = changes
        self.run_id = run_id
        listed = "; ".join(f"{key} was logged as {old!r}, is {new!r} now" for key, old, new in changes)
        super().__init__(
            f"parameters of MLflow run {run_id} cannot change once logged: {listed}; "
            "log them to a new run (mlflow.start_run())"
        )


def log_params(run: Union[str, Run, None] = None) -> dict[str, str]:
    """Log the parameters the program uses now (``hp.effective_params()``) to an MLflow run.

    ``run`` is a run, a run id, or None for the active run. Each parameter is logged under its
    key, its value as text (``str(value)``, as ``mlflow.log_param`` writes it), in batches
    within MLflow's limits. A key or a value longer than MLflow allows is shortened with a mark:
    a key to its start, ``...`` and the hash of the whole key (``hp.hash_key``, in hex), so
    that keys stay distinct; a value to its start and ``... (N characters, whole in
    hyperparameter/effective_params.json)``. That artifact holds every whole value and its
    source (``default``, ``-D``, ``file.yaml:train.lr``, ...), with the logged key of each
    parameter whose key was shortened.

    Called again on the same run, it logs only what is new (a parameter first declared or set
    since). A parameter whose value changed is a ``ParamChangedError`` naming key, logged value
    and value now, and nothing is logged: MLflow params cannot change. Returns what this call
    logged, ``{logged key: logged text}``.

    >>> import hyperparameter as hp, mlflow, tempfile
    >>> from hyperparameter.integrations.mlflow import log_params
    >>> folder = tempfile.mkdtemp()
    >>> mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
    >>> experiment = mlflow.create_experiment("doc", artifact_location=f"{folder}/artifacts")
    >>> @hp.param("doc_mlflow")
    ... def train(lr=0.1, steps=100):
    ...     return lr, steps
    >>> with mlflow.start_run(experiment_id=experiment) as run, hp.scope("doc_mlflow.lr=0.01"):
    ...     logged = log_params()
    >>> {k: v for k, v in logged.items() if k.startswith("doc_mlflow.")}
    {'doc_mlflow.lr': '0.01', 'doc_mlflow.steps': '100'}
    >>> mlflow.MlflowClient().get_run(run.info.run_id).data.params["doc_mlflow.lr"]
    '0.01'
    """
    mlflow = _import_mlflow()
    client = mlflow.MlflowClient()
    run_id = _run_id(mlflow, run)
    limits = _Limits()
    logged = client.get_run(run_id).data.params
    recorded = _read_record(client, run_id)
    record = dict(recorded)
    new: dict[str, str] = {}
    changes = []
    for key, (value, source) in effective_params(sources=True).items():
        name, text = limits.key(key), limits.text(value)
        whole = _jsonable(value)
        if key in recorded and _encoded(recorded[key].get("value")) != _encoded(whole):
            changes.append((key, recorded[key].get("value"), value))
        elif key not in recorded and name in logged and logged[name] != text:
            changes.append((key, logged[name], value))
        elif name not in logged:
            new[name] = text
        if key not in recorded:
            record[key] = {"value": whole, "source": source}
            if name != key:
                record[key]["param"] = name
    if changes:
        raise ParamChangedError(changes, run_id)
    _log(mlflow, client, run_id, new, limits)
    if record != recorded:
        _write_record(client, run_id, record)
    return new


def _import_mlflow() -> Any:
    try:
        import mlflow
    except ImportError as exc:
        raise ImportError(
            "hyperparameter.integrations.mlflow needs MLflow: pip install hyperparameter[mlflow] "
            f"(or mlflow-skinny); importing it failed: {exc}"
        ) from exc
    return mlflow


def _run_id(mlflow: Any, run: Union[str, Run, None]) -> str:
    if run is None:
        active = mlflow.active_run()
        if active is None:
            raise RuntimeError(
                "no active MLflow run: call log_params() inside `with mlflow.start_run():`, "
                "or pass the run (log_params(run=...))"
            )
        return active.info.run_id
    if isinstance(run, str):
        return run
    info = getattr(run, "info", None)
    if info is None or not isinstance(getattr(info, "run_id", None), str):
        raise TypeError(f"log_params(run=...) takes an MLflow run or a run id, got {run!r}")
    return info.run_id


class _Limits:
    """MLflow's limits, as the installed MLflow states them, and text shortened to them."""

    def __init__(self) -> None:
        from mlflow.utils import validation

        self.key_length = getattr(validation, "MAX_ENTITY_KEY_LENGTH", _FALLBACK_KEY_LENGTH)
        self.value_length = getattr(validation, "MAX_PARAM_VAL_LENGTH", _FALLBACK_VALUE_LENGTH)
        self.per_batch = getattr(validation, "MAX_PARAMS_TAGS_PER_BATCH", _FALLBACK_PER_BATCH)
        self.request_size = getattr(validation, "MAX_BATCH_LOG_REQUEST_SIZE", _FALLBACK_REQUEST_SIZE)

    def key(self, key: str) -> str:
        """``key`` as MLflow takes it: the key itself, or, when too long or holding a letter
        MLflow refuses, its start (such letters as ``_``), ``...`` and the key's hash in hex."""
        if len(key) <= self.key_length and _KEY_CHARS.fullmatch(key):
            return key
        digest = f"{hash_key(key):016x}"
        start = _BAD_KEY_CHAR.sub("_", key)[: self.key_length - len(KEY_MARK) - len(digest)]
        return start + KEY_MARK + digest

    def text(self, value: Any) -> str:
        """``str(value)``, shortened with a mark when longer than MLflow keeps."""
        try:
            text = str(value)
        except Exception:  # noqa: BLE001 - a value whose str() fails is still logged, by its type
            text = object.__repr__(value)
        if len(text) <= self.value_length:
            return text
        mark = f"... ({len(text)} characters, whole in {ARTIFACT})"
        return text[: max(self.value_length - len(mark), 0)] + mark[: self.value_length]


def _log(mlflow: Any, client: Any, run_id: str, params: dict[str, str], limits: _Limits) -> None:
    """Log ``params`` in batches of at most ``per_batch`` params, each request within size."""
    from mlflow.entities import Param

    batch: list[Any] = []
    size = 0
    budget = limits.request_size // 2  # room for the request's own encoding
    for name, text in params.items():
        cost = len(json.dumps(name)) + len(json.dumps(text)) + 32
        if batch and (len(batch) == limits.per_batch or size + cost > budget):
            client.log_batch(run_id, params=batch)
            batch, size = [], 0
        batch.append(Param(name, text))
        size += cost
    if batch:
        client.log_batch(run_id, params=batch)


def _read_record(client: Any, run_id: str) -> dict[str, dict[str, Any]]:
    """What the artifact of this run holds: as this process last wrote it, else downloaded (a
    run resumed by another process), else ``{}``."""
    kept = _written.get(run_id)
    if kept is not None:
        return kept
    folder = ARTIFACT.rpartition("/")[0]
    if not any(item.path == ARTIFACT for item in client.list_artifacts(run_id, folder)):
        return {}
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as scratch:
        path = client.download_artifacts(run_id, ARTIFACT, scratch)
        return json.loads(Path(path).read_text(encoding="utf-8"))


def _write_record(client: Any, run_id: str, record: dict[str, dict[str, Any]]) -> None:
    client.log_text(run_id, json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False), ARTIFACT)
    _written[run_id] = record
    _written.move_to_end(run_id)
    while len(_written) > _WRITTEN_LIMIT:
        _written.popitem(last=False)


def _jsonable(value: Any) -> Any:
    """``value`` as JSON data: as it is when JSON holds it, else as the text that reads back
    (a path, a date, an enum member's value: what ``--dump-params`` writes), else its repr."""
    try:
        return json.loads(json.dumps(value, default=_fallback))
    except (TypeError, ValueError):  # keys JSON cannot hold, a value that contains itself
        return repr(value)


def _fallback(value: Any) -> Any:
    text = as_text(value)
    if text is not value:
        return text
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return repr(value)


def _encoded(value: Optional[Any]) -> str:
    return json.dumps(value, sort_keys=True)

"""``hp.effective_params``: every parameter a run uses now, with its value and where it came from.

What the run's functions would receive: every parameter declared by a live ``@hp.param``
(its default when nothing sets it) and every key set in the current scope chain and the frozen
baseline. This is the one place that computes it; ``--dump-params``, the MLflow integration and
any other record of a run read it from here.

Nothing is read through ``hp.scope`` accessors, so listing the parameters does not count as
reading them (the command line's "nothing read this -D key" warnings stay true), and no value
is ever called: a callable, such as a tuner's suggester, is listed as it is.
"""

from __future__ import annotations

import gc
import inspect
import warnings
from typing import Any, Optional

from . import _param
from ._errors import ConversionError
from ._param import ParamInfo, registry
from ._state import MISSING, Node, baseline, coerce, current_node
from ._types import annotated_type, convert, converts, evaluated

#: The source of a value that nothing sets: the signature's default.
DEFAULT = "default"
#: The source of a value set in code without a label (``hp.scope(**{...})``, ``ps.x = 1``).
CODE = "code"
#: The source of a value that only the frozen baseline holds (``hp.scope.frozen()``).
BASELINE = "baseline"

_EMPTY = inspect.Parameter.empty


def effective_params(sources: bool = False) -> dict[str, Any]:
    """What ``hp.effective_params`` returns; its docstring describes it.

    >>> import hyperparameter as hp
    >>> from hyperparameter._effective import effective_params
    >>> @hp.param("doc_eff")
    ... def fit(lr=0.1, steps=10):
    ...     return lr, steps
    >>> with hp.scope(**{"doc_eff.steps": "20"}):
    ...     {k: v for k, v in effective_params(sources=True).items() if k.startswith("doc_eff.")}
    {'doc_eff.lr': (0.1, 'default'), 'doc_eff.steps': (20, 'code')}
    """
    node = current_node()
    baseline.refresh()  # native code may have published a newer baseline
    found: dict[str, tuple[Any, str]] = {}
    for key, info in list(registry.items()):
        if info.function is None:  # collected; the registry drops it on its own
            continue
        _warn_of_other_defaults(key, info)
        raw, source = _lookup(node, key)
        if raw is MISSING:
            found[key] = (info.default, DEFAULT)
        else:
            found[key] = (received(info, raw), source)
    for key, (raw, source) in _set_keys(node).items():
        if key not in found:
            found[key] = (raw, source)
    ordered = sorted(found)
    if sources:
        return {key: found[key] for key in ordered}
    return {key: found[key][0] for key in ordered}


def received(info: ParamInfo, raw: Any) -> Any:
    """The value ``info``'s function receives for ``raw``: converted as ``@hp.param`` converts
    (to the default's type; for a ``None`` default, or one of a type that does not convert, to
    the annotation's ``T`` or ``Optional[T]``), or ``raw`` itself when it does not convert or is
    callable (never called here)."""
    if callable(raw):
        return raw
    default = info.default
    kind = None
    if info.annotation is not _EMPTY and (default is None or not converts(type(default))):
        kind = annotated_type(evaluated(info.annotation, info.function))[0]
    try:
        return coerce(info.key, raw, default) if kind is None else convert(info.key, raw, kind)
    except (ConversionError, TypeError):
        return raw


def _lookup(node: Node, key: str) -> tuple[Any, str]:
    """``(value, source)`` of ``key`` as a read from ``node`` finds it; ``MISSING`` if unset."""
    for walk in node.chain():
        value = walk.values.get(key, MISSING)
        if value is not MISSING:
            return value, _source(walk, key)
    return MISSING, DEFAULT


def _set_keys(node: Node) -> dict[str, tuple[Any, str]]:
    """Every key the chain from ``node`` sets, with its value and source (inner scopes win)."""
    seen: dict[str, tuple[Any, str]] = {}
    for walk in node.chain():
        for key, value in list(walk.values.items()):
            if key not in seen:
                seen[key] = (value, _source(walk, key))
    return seen


def _source(node: Node, key: str) -> str:
    if node is baseline:
        return BASELINE
    return (node.sources or {}).get(key) or CODE


# --- two declarations of one key ---------------------------------------------------------------


def _warn_of_other_defaults(key: str, last: ParamInfo) -> None:
    """Warn when another live ``@hp.param`` declares ``key`` with another default: ``last``
    (the latest declaration) is the one that counts.

    The declarations come from ``_param.declarations`` (each key's live declarations, oldest
    first), when the registry keeps them.
    """
    declared = getattr(_param, "declarations", None)
    if not declared:
        return
    others = [
        info
        for info in tuple(declared.get(key, ()))
        if info is not last and info.function is not None and not _same(info.default, last.default)
    ]
    if others:
        gc.collect()  # a function defined again (a notebook cell run twice) may only await collection
    for info in others:
        if info.function is not None:
            warnings.warn(
                f"parameter {key!r} is declared twice with different defaults: {info.default!r} by "
                f"{_name(info.function)} and {last.default!r} by {_name(last.function)}; the last "
                f"declared, {last.default!r}, is used",
                UserWarning,
                stacklevel=4,
            )


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - an array's == has no single truth: not the same
        return False


def _name(function: Optional[Any]) -> str:
    if function is None:
        return "<collected>"
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None) or repr(function)
    return f"{module}.{qualname}" if module else qualname

"""``hp.param``: a function's (or class's) keyword defaults read from the current scope."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional, TypeVar, Union, overload

from . import scope as _scope
from .scope import _MISSING, _current, _thread_root, checked, coerce, versions

F = TypeVar("F", bound=Callable[..., Any])

_INJECTABLE = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


class ParamInfo:
    """One injectable parameter: its key, name and default (what ``-lps`` lists)."""

    __slots__ = ("key", "name", "default", "annotation", "function")

    def __init__(self, key: str, name: str, default: Any, annotation: Any, function: Any) -> None:
        self.key, self.name, self.default = key, name, default
        self.annotation, self.function = annotation, function

    def __repr__(self) -> str:
        return f"ParamInfo({self.key!r}, default={self.default!r})"


#: Every parameter declared with @hp.param in this process, by key.
registry: dict[str, ParamInfo] = {}


class _Injector:
    """Resolves a function's injected keyword values, cached per (scope, write version)."""

    __slots__ = ("params", "cache")

    def __init__(self, params: list[tuple[int, str, str, Any]]) -> None:
        self.params = params  # (position, name, key, default)
        self.cache: tuple = (None, -1, {})

    def values(self) -> dict:
        cur = _current.get()
        if cur is None:
            cur = _thread_root()
        cached_scope, cached_version, cached = self.cache
        if cached_scope is cur and cached_version == versions.value:
            return cached
        version = versions.value
        resolved = {}
        for _, name, key, default in self.params:
            value = _scope.lookup(cur, key)
            resolved[name] = default if value is _MISSING else coerce(key, value, default)
        self.cache = (cur, version, resolved)
        return resolved

    def call_kwargs(self, args: tuple, kwargs: dict) -> dict:
        """Injected values for the parameters the caller did not give."""
        injected = self.values()
        if not args and not kwargs:
            return injected
        given = len(args)
        return {
            **{name: injected[name] for pos, name, _, _ in self.params if pos >= given and name not in kwargs},
            **kwargs,
        }


def _injectable(func: Callable, namespace: str) -> list[tuple[int, str, str, Any]]:
    params = []
    for position, (name, p) in enumerate(inspect.signature(func).parameters.items()):
        if p.kind in _INJECTABLE and p.default is not inspect.Parameter.empty:
            key = checked(f"{namespace}.{name}")
            params.append((position if p.kind is not inspect.Parameter.KEYWORD_ONLY else 1 << 30, name, key, p.default))
            registry[key] = ParamInfo(key, name, p.default, p.annotation, func)
    return params


def _wrap_function(func: F, namespace: str) -> F:
    injector = _Injector(_injectable(func, namespace))

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await func(*args, **injector.call_kwargs(args, kwargs))

        async_wrapper.__hp_namespace__ = namespace  # type: ignore[attr-defined]
        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return func(*args, **injector.call_kwargs(args, kwargs))
        return func(**injector.values())

    wrapper.__hp_namespace__ = namespace  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _wrap_class(cls: type, namespace: str) -> type:
    init = cls.__init__  # type: ignore[misc]
    wrapped = _wrap_function(init, namespace)
    # self is positional 0 and has no default, so it is never injected.
    cls.__init__ = wrapped  # type: ignore[misc]
    cls.__hp_namespace__ = namespace  # type: ignore[attr-defined]
    return cls


def _decorate(target: Any, namespace: Optional[str]) -> Any:
    name = namespace if namespace is not None else target.__name__
    if isinstance(target, type):
        return _wrap_class(target, name)
    if callable(target):
        return _wrap_function(target, name)
    raise TypeError(f"@hp.param decorates functions and classes, not {target!r}")


@overload
def param(target: F) -> F: ...
@overload
def param(target: Optional[str] = None) -> Callable[[F], F]: ...


def param(target: Union[Callable, str, None] = None) -> Any:
    """Read a function's keyword defaults from the current scope, as ``<namespace>.<name>``.

    Resolution order: an explicit argument, then the innermost scope that sets the key, then
    outer scopes and the frozen baseline, then the signature's default. Values are converted
    to the default's type (bool/int/float/str) by the engine's rules.

    >>> import hyperparameter as hp
    >>> @hp.param("train")
    ... def train(lr=1e-3, batch_size=32):
    ...     return lr, batch_size
    >>> train()
    (0.001, 32)
    >>> with hp.scope(**{"train.lr": 5e-4, "train.batch_size": "64"}):
    ...     train()
    (0.0005, 64)
    >>> train(lr=1e-2)
    (0.01, 32)

    Bare ``@hp.param`` uses the function's (or class's) name as the namespace; on a class,
    ``__init__``'s keyword defaults are injected.
    """
    if callable(target):
        return _decorate(target, None)
    if target is not None and not isinstance(target, str):
        raise TypeError(f"@hp.param takes a namespace string, got {target!r}")
    return lambda func: _decorate(func, target)

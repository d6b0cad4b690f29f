"""``hp.scope``: read parameters with defaults, and set them in nested, rolled-back scopes.

Values live in Python scope objects (each holds its own writes and points at its parent), so a
Python read never crosses into native code; every write is mirrored into the engine, where C,
C++ and Rust code running on the same thread read it. The current scope is kept per thread
and per asyncio task in a ``ContextVar``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, Optional

from ._backend import backend
from ._errors import MissingParameterError, ScopeOrderError

_MISSING: Any = object()
_CONVERTIBLE = (bool, int, float, str)
_VALID_KEYS: set = set()


class _Versions:
    """A counter bumped by every write anywhere, so readers may cache per (scope, version)."""

    __slots__ = ("counter", "value")

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.value = 0

    def bump(self) -> None:
        self.value = next(self.counter)


versions = _Versions()


def checked(key: str) -> str:
    """``key`` if it follows the key rules, else InvalidKeyError (valid keys are remembered)."""
    if key not in _VALID_KEYS:
        if not isinstance(key, str):
            raise TypeError(f"parameter keys are str, got {type(key).__name__}: {key!r}")
        backend.check_key(key)
        if len(_VALID_KEYS) > 100_000:
            _VALID_KEYS.clear()
        _VALID_KEYS.add(key)
    return key


def coerce(key: str, value: Any, default: Any) -> Any:
    """The value of a read with ``default``: converted when the default's type asks for it."""
    if value is None or default is None or type(value) is type(default):
        return value
    wanted = type(default)
    if wanted in _CONVERTIBLE:
        return backend.convert(key, value, wanted)
    return value


# --- the scope chain ------------------------------------------------------------------------


class _Baseline:
    """The end of every thread root's chain: the frozen global baseline."""

    __slots__ = ("_own", "_parent", "generation")

    def __init__(self) -> None:
        self._own: dict = {}
        self._parent = None
        self.generation = backend.baseline_generation()

    def refresh(self) -> None:
        """Reload the baseline if native code published a newer one."""
        generation = backend.baseline_generation()
        if generation != self.generation:
            self._own = backend.load_baseline()
            self.generation = generation
            versions.bump()


_baseline = _Baseline()
_current: ContextVar[Optional[scope]] = ContextVar("hyperparameter.scope", default=None)
_threads = threading.local()


def _thread_root() -> scope:
    root = getattr(_threads, "root", None)
    if root is None:
        _baseline.refresh()
        root = scope.__new__(scope)
        root._init_state({}, _baseline, backend.thread_root())
        _threads.root = root
    return root


def current_scope() -> scope:
    """The innermost scope of this thread or asyncio task."""
    cur = _current.get()
    return _thread_root() if cur is None else cur


def lookup(start: Any, key: str) -> Any:
    """The value of ``key`` seen from ``start``, or ``_MISSING``."""
    node = start
    while node is not None:
        value = node._own.get(key, _MISSING)
        if value is not _MISSING:
            return value
        node = node._parent
    return _MISSING


def _flatten(items: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested dicts become dotted keys: {"train": {"lr": 1}} -> ("train.lr", 1)."""
    for key, value in items.items():
        if not isinstance(key, str):
            raise TypeError(
                f"parameter keys are str, got {type(key).__name__} {key!r}"
                + (f" under {prefix[:-1]!r}" if prefix else "")
            )
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield checked(prefix + key), value


def _definition(text: str) -> tuple[str, Any]:
    if not isinstance(text, str):
        raise TypeError(f"positional arguments are 'key=value' strings or dicts, got {text!r}")
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"definition {text!r} has no '=': expected key=value")
    return checked(key.strip()), backend.parse_value(value)


# --- accessors: hp.scope.a.b | default ------------------------------------------------------


class _Accessor:
    """A key path under construction; ``| default``, ``(default)`` or ``()`` reads it."""

    __slots__ = ("_hp_key", "_hp_scope", "__dict__")

    def __init__(self, key: str, bound: Optional[scope]) -> None:
        object.__setattr__(self, "_hp_key", key)
        object.__setattr__(self, "_hp_scope", bound)

    def __getattr__(self, name: str) -> _Accessor:
        if name.startswith("__"):
            raise AttributeError(name)
        child = _Accessor(checked(f"{self._hp_key}.{name}"), self._hp_scope)
        self.__dict__[name] = child
        return child

    def __setattr__(self, name: str, value: Any) -> None:
        _write_target(self._hp_scope)._set(checked(f"{self._hp_key}.{name}"), value)

    def _hp_value(self) -> Any:
        start = self._hp_scope
        if start is None:
            start = _current.get()
            if start is None:
                start = _thread_root()
        return lookup(start, self._hp_key)

    def __or__(self, default: Any) -> Any:
        start = self._hp_scope
        if start is None:
            start = _current.get()
            if start is None:
                start = _thread_root()
        key = self._hp_key
        node = start
        while node is not None:
            value = node._own.get(key, _MISSING)
            if value is not _MISSING:
                if value is None or default is None or type(value) is type(default):
                    return value
                return coerce(key, value, default)
            node = node._parent
        return default

    def __call__(self, *default: Any) -> Any:
        if len(default) > 1:
            raise TypeError(f"{self._hp_key}(default) takes at most one default")
        if default:
            return self | default[0]
        value = self._hp_value()
        if value is _MISSING:
            raise MissingParameterError(
                f"parameter {self._hp_key!r} is not set "
                f"(give a default: hp.scope.{self._hp_key} | value)"
            )
        return value

    def __eq__(self, other: object) -> bool:
        value = self._hp_value()
        return value is not _MISSING and value == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError(
            f"the truth of hp.scope.{self._hp_key} is ambiguous: "
            f"read it with a default (| False) or as required (())"
        )

    def __repr__(self) -> str:
        value = self._hp_value()
        shown = "<missing>" if value is _MISSING else repr(value)
        return f"<hp.scope.{self._hp_key} = {shown}>"


def _write_target(bound: Optional[scope]) -> scope:
    """Writes go to the innermost scope, unless made through a scope that is not active."""
    cur = current_scope()
    if bound is None or bound is cur:
        return cur
    node: Any = cur
    while node is not None:
        if node is bound:
            return cur
        node = node._parent
    return bound


class _hybridmethod:
    """A method that, called on the class ``hp.scope``, acts on the current scope."""

    def __init__(self, func: Any) -> None:
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, instance: Any, owner: Any) -> Any:
        target = current_scope() if instance is None else instance
        return self.func.__get__(target, owner)


class _ScopeMeta(type):
    """Makes the class itself read the current scope: ``hp.scope.a.b | 1``, ``hp.scope["a.b"]``."""

    def __getattr__(cls, name: str) -> _Accessor:
        if name.startswith("_"):
            if name.startswith("__") or name in ("_hp_items",):
                raise AttributeError(name)
        accessor = _Accessor(checked(name), None)
        # Cache it on the metaclass: the next hp.scope.<name> is a plain attribute lookup,
        # and scope instances (which read their own view) do not see it.
        type.__setattr__(_ScopeMeta, name, accessor)
        return accessor

    def __setattr__(cls, name: str, value: Any) -> None:
        current_scope()._set(checked(name), value)

    def __getitem__(cls, key: str) -> _Accessor:
        accessor = cls._hp_items.get(key)
        if accessor is None:
            accessor = _Accessor(checked(key), None)
            if len(cls._hp_items) > 100_000:
                cls._hp_items.clear()
            cls._hp_items[key] = accessor
        return accessor

    def __setitem__(cls, key: str, value: Any) -> None:
        current_scope()._set(checked(key), value)

    def __contains__(cls, key: str) -> bool:
        return key in current_scope()


class scope(metaclass=_ScopeMeta):
    """A scope of parameters, and the reader of the current one.

    Read with a default, a required read, or a dynamic key:

    >>> import hyperparameter as hp
    >>> hp.scope.train.lr | 0.001
    0.001
    >>> with hp.scope(**{"train.lr": 0.01}):
    ...     hp.scope.train.lr | 0.001
    0.01
    >>> hp.scope["train.lr"](0.001)
    0.001

    Scopes take dotted keywords, ``"key=value"`` strings and nested dicts; every change is
    rolled back on exit, and writes go to the innermost scope:

    >>> with hp.scope("train.bs=64", model={"depth": 4}) as ps:
    ...     ps.train.warmup = 500
    ...     sorted(ps.to_dict().items())
    [('model.depth', 4), ('train.bs', 64), ('train.warmup', 500)]
    >>> hp.scope.train.warmup | 0
    0
    """

    __slots__ = ("_own", "_parent", "_node", "_token", "_sources", "_root", "__dict__")
    _hp_items: dict = {}

    def __init__(self, *definitions: Any, **values: Any) -> None:
        own: dict = {}
        for item in definitions:
            if isinstance(item, Mapping):
                own.update(_flatten(item))
            else:
                key, value = _definition(item)
                own[key] = value
        own.update(_flatten(values))
        self._init_state(own, current_scope(), None)

    def _init_state(self, own: dict, parent: Any, node: Any) -> None:
        set_slot = object.__setattr__
        set_slot(self, "_own", own)
        set_slot(self, "_parent", parent)
        set_slot(self, "_node", node)
        set_slot(self, "_token", None)
        set_slot(self, "_sources", None)
        set_slot(self, "_root", False)

    # --- constructors ---------------------------------------------------------------------

    @classmethod
    def empty(cls, *definitions: Any, **values: Any) -> scope:
        """A scope that inherits nothing: no outer scopes, no frozen baseline.

        >>> import hyperparameter as hp
        >>> with hp.scope(a=1), hp.scope.empty(b=2) as ps:
        ...     (ps.a | None, ps.b | None)
        (None, 2)
        """
        made = cls(*definitions, **values)
        object.__setattr__(made, "_parent", None)
        object.__setattr__(made, "_root", True)
        return made

    @staticmethod
    def current() -> scope:
        """The active scope of this thread or asyncio task (its root outside any ``with``).

        >>> import hyperparameter as hp
        >>> with hp.scope(a=1) as ps:
        ...     hp.scope.current() is ps
        True
        """
        return current_scope()

    @staticmethod
    def frozen() -> None:
        """Publish what this thread sees now as the baseline every thread starts from.

        >>> import hyperparameter as hp, threading
        >>> with hp.scope(**{"demo.seed": 7}):
        ...     hp.scope.frozen()
        >>> seen = []
        >>> t = threading.Thread(target=lambda: seen.append(hp.scope.demo.seed | 0))
        >>> t.start(); t.join(); seen
        [7]
        """
        cur = current_scope()
        _baseline._own = dict(cur.items())
        backend.publish_baseline(cur._node)
        _baseline.generation = backend.baseline_generation()
        versions.bump()

    @staticmethod
    def init(values: Optional[Mapping] = None, **more: Any) -> None:
        """Set values in this thread's root scope (for a new thread before its work starts).

        >>> import hyperparameter as hp, threading
        >>> def worker(out):
        ...     hp.scope.init({"worker.id": 3})
        ...     out.append(hp.scope.worker.id | -1)
        >>> out = []; t = threading.Thread(target=worker, args=(out,)); t.start(); t.join(); out
        [3]
        """
        root = _thread_root()
        for key, value in _flatten({**(values or {}), **more}):
            root._set(key, value)

    # --- entering and leaving -------------------------------------------------------------

    def __enter__(self) -> scope:
        if self._token is not None:
            raise ScopeOrderError("this scope is already entered; create a new hp.scope(...)")
        _baseline.refresh()
        parent = None if self._root else current_scope()
        node = backend.empty() if self._root else backend.child(parent._node)
        for key, value in self._own.items():
            backend.set(node, key, value, (self._sources or {}).get(key))
        object.__setattr__(self, "_parent", parent)
        object.__setattr__(self, "_node", node)
        object.__setattr__(self, "_token", _current.set(self))
        backend.activate(node)
        versions.bump()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._token is None:
            raise ScopeOrderError("this scope is not entered (exited twice?)")
        if _current.get() is not self:
            raise ScopeOrderError(
                "scope exited out of order: it is not the innermost scope of this thread or "
                "task (exit inner scopes first; do not exit a scope in another thread or task)"
            )
        _current.reset(self._token)
        node = self._node
        object.__setattr__(self, "_token", None)
        object.__setattr__(self, "_node", None)
        backend.activate(current_scope()._node)
        backend.release(node)
        versions.bump()

    # --- reading and writing --------------------------------------------------------------

    def __getattr__(self, name: str) -> _Accessor:
        if name.startswith("__"):
            raise AttributeError(name)
        accessor = _Accessor(checked(name), self)
        self.__dict__[name] = accessor
        return accessor

    def __setattr__(self, name: str, value: Any) -> None:
        _write_target(self)._set(checked(name), value)

    def __getitem__(self, key: str) -> _Accessor:
        return _Accessor(checked(key), self)

    def __setitem__(self, key: str, value: Any) -> None:
        _write_target(self)._set(checked(key), value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and lookup(self, key) is not _MISSING

    def _set(self, key: str, value: Any, source: Optional[str] = None) -> None:
        if self._node is not None:
            backend.set(self._node, key, value, source)
        self._own[key] = value
        if source is not None:
            if self._sources is None:
                object.__setattr__(self, "_sources", {})
            self._sources[key] = source
        versions.bump()

    def source(self, key: str) -> Optional[str]:
        """Where the value of ``key`` came from (``"file.yaml:train.lr"``, ``"-D"``), if known.

        >>> import hyperparameter as hp
        >>> with hp.scope() as ps:
        ...     ps.set("train.lr", 0.1, source="-D")
        ...     ps.source("train.lr")
        '-D'
        """
        node: Any = self
        while node is not None:
            if key in node._own:
                return (getattr(node, "_sources", None) or {}).get(key)
            node = node._parent
        return None

    def set(self, key: str, value: Any, source: Optional[str] = None) -> None:
        """Set ``key`` in this scope (the innermost one if this scope is active), with an
        optional provenance label.

        >>> import hyperparameter as hp
        >>> with hp.scope() as ps:
        ...     ps.set("model.depth", 4)
        ...     hp.scope.model.depth | 1
        4
        """
        _write_target(self)._set(checked(key), value, source)

    @_hybridmethod
    def keys(self) -> list:
        """Every key this scope sees, sorted.

        >>> import hyperparameter as hp
        >>> with hp.scope(**{"b.x": 1, "a.y": 2}):
        ...     [k for k in hp.scope.keys() if k in ("a.y", "b.x")]
        ['a.y', 'b.x']
        """
        return sorted(self._visible())

    @_hybridmethod
    def items(self) -> list:
        """Every (key, value) this scope sees, sorted by key."""
        visible = self._visible()
        return [(key, visible[key]) for key in sorted(visible)]

    def values(self) -> list:
        """Every value this scope sees, in key order."""
        return [value for _, value in self.items()]

    @_hybridmethod
    def to_dict(self) -> dict:
        """Everything this scope sees as a flat ``{dotted key: value}`` dict.

        >>> import hyperparameter as hp
        >>> with hp.scope.empty(**{"a.b": 1}) as ps:
        ...     ps.to_dict()
        {'a.b': 1}
        """
        return dict(self.items())

    def _visible(self) -> dict:
        chain = []
        node: Any = self
        while node is not None:
            chain.append(node._own)
            node = node._parent
        visible: dict = {}
        for own in reversed(chain):
            visible.update(own)
        return visible

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._visible())

    @_hybridmethod
    def update(self, values: Optional[Mapping] = None, **more: Any) -> None:
        """Set many values at once (nested dicts are flattened).

        >>> import hyperparameter as hp
        >>> with hp.scope() as ps:
        ...     ps.update({"train": {"lr": 0.1}}, seed=1)
        ...     (hp.scope.train.lr | 0.0, hp.scope.seed | 0)
        (0.1, 1)
        """
        target = _write_target(self)
        for key, value in _flatten({**(values or {}), **more}):
            target._set(key, value)

    @_hybridmethod
    def clear(self) -> None:
        """Remove the values this scope itself holds (outer scopes keep theirs).

        >>> import hyperparameter as hp
        >>> with hp.scope(a=1), hp.scope(a=2) as inner:
        ...     inner.clear()
        ...     hp.scope.a | 0
        1
        """
        target = _write_target(self)
        target._own.clear()
        if target._node is not None:
            backend.clear(target._node)
        versions.bump()

    def snapshot(self) -> scope:
        """A detached copy of everything this scope sees; picklable, enter it anywhere.

        >>> import hyperparameter as hp, pickle
        >>> with hp.scope(**{"train.lr": 0.1}):
        ...     snap = hp.scope.current().snapshot()
        >>> with pickle.loads(pickle.dumps(snap)):
        ...     hp.scope.train.lr | 0.0
        0.1
        """
        return _restore(self.items())

    def __reduce__(self) -> tuple:
        return (_restore, (self.items(),))

    def __repr__(self) -> str:
        own = ", ".join(f"{k!r}: {v!r}" for k, v in sorted(self._own.items()))
        state = "entered" if self._token is not None else "not entered"
        if self._parent is _baseline:
            state = "thread root"
        return f"<hp.scope {{{own}}} ({state}, sees {len(self)} keys)>"


def _restore(items: Any) -> scope:
    made = scope()
    made._own.update(items)
    return made

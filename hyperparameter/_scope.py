"""``hp.scope``: read parameters with defaults, and set them in nested, rolled-back scopes.

The public objects: ``hp.scope`` (the ``Reader``: it reads the current scope and makes new
ones), ``Scope`` (a scope, a context manager whose changes roll back on exit) and the
accessors that ``hp.scope.a.b`` returns. Their state — nodes, the baseline, the current node
per thread and task — is in ``_state``; how native code sees it, in ``_mirror``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union, overload

from ._backends import backend
from ._errors import MissingParameterError, ScopeOrderError
from ._mirror import mirror_of  # importing it registers the engine's callbacks
from ._state import (
    CACHE_LIMIT,
    GONE,
    MISSING,
    PLAIN_TYPES,
    VALID_KEYS,
    Node,
    baseline,
    changes,
    coerce,
    current_get,
    current_node,
    current_reset,
    current_set,
    native_looked,
    need_sync,
    retire,
    thread_root,
    valid_key,
)
from ._suggester import Suggester

__all__ = ["Scope", "scope", "current_node", "referenced_keys"]

#: A read's default: ``hp.scope.a | 0.1`` is a float to a type checker (docs/python.md, Types).
_T = TypeVar("_T")


class KeysRead(set):
    """Every key path some code has read through ``hp.scope`` in this process, for the
    "nothing read -D key" warnings. Bounded: past ``LIMIT`` distinct keys it stops recording
    and, so that no warning is ever false, claims every key was read (``full`` says so).
    """

    LIMIT = 50_000
    full = False

    def add(self, key: str) -> None:
        if len(self) < self.LIMIT:
            set.add(self, key)
        else:
            self.full = True

    def __contains__(self, key: object) -> bool:
        return self.full or set.__contains__(self, key)


referenced_keys: KeysRead = KeysRead()


def _flatten(items: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested dicts become dotted keys: {"train": {"lr": 1}} -> ("train.lr", 1).

    Walked with a stack of its own, so a deep value meets the key-length rule (naming the
    key), not the interpreter's recursion limit; a dict that contains itself is refused.
    """
    stack = [(iter(items.items()), prefix, items)]
    open_ids = {id(items)}
    while stack:
        entries, prefix, mapping = stack[-1]
        for key, value in entries:
            if not isinstance(key, str):
                where = f" under {prefix[:-1]!r}" if prefix else ""
                raise TypeError(f"parameter keys are str, got {type(key).__name__} {key!r}{where}")
            if (type(value) is dict or isinstance(value, Mapping)) and value:
                path = valid_key(prefix + key)
                if id(value) in open_ids:
                    raise ValueError(f"the value of {path!r} contains itself: a cyclic dict has no keys")
                open_ids.add(id(value))
                stack.append((iter(value.items()), path + ".", value))
                break
            yield valid_key(prefix + key), value
        else:
            stack.pop()
            open_ids.discard(id(mapping))


def _definition(text: Any) -> tuple[str, Any]:
    if not isinstance(text, str):
        raise TypeError(f"positional arguments are 'key=value' strings or dicts, got {text!r}")
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"definition {text!r} has no '=': expected key=value")
    return valid_key(key.strip()), backend.parse_value(value)


#: The provenance label of a value given as a ``"key=value"`` definition in code (the C API's
#: ``hp_set_parsed`` labels it the same; a command line labels its own ``-D`` values ``-D``).
DEFINITION = "key=value"


def _values_of(definitions: tuple, values: dict) -> tuple[dict, dict]:
    """The flat values of ``hp.scope(*definitions, **values)``, and the provenance labels of
    those given as loaded configuration (``hp.scope(hp.config(path))``) or as ``"key=value"``
    definitions; a later item without labels (a plain dict, a keyword) takes the label of a key
    it sets away."""
    own: dict = {}
    sources: dict = {}
    for item in definitions:
        if isinstance(item, Mapping):
            source_of = getattr(item, "source_of", None)
            for key, value in _flatten(item):
                own[key] = value
                label = source_of(key) if source_of is not None else None
                if label is not None:
                    sources[key] = label
                else:
                    sources.pop(key, None)
        else:
            key, value = _definition(item)
            own[key] = value
            sources[key] = DEFINITION
    for key, value in values.items():
        if type(value) in PLAIN_TYPES:
            own[valid_key(key)] = value
            sources.pop(key, None)
        else:
            for flat_key, flat_value in _flatten({key: value}):
                own[flat_key] = flat_value
                sources.pop(flat_key, None)
    return own, sources


class _Key(str):
    """A key as listed by ``Scope.keys()``: indexing the scope with it gives the value, not
    an accessor, so ``dict(ps)`` holds the values (``ps["a"] | 1`` still reads with a default).
    """

    __slots__ = ()


# --- accessors: hp.scope.a.b | default ------------------------------------------------------


def _accessor_property(name: str) -> property:
    # Methods of the reader's base class (dict) would shadow parameters of that name.
    return property(lambda self: self.__getattr__(name))


class Accessor:
    """A key path of the current scope: ``| default``, ``(default)`` or ``()`` reads it,
    ``.name = value`` writes under it. ``ScopeAccessor`` reads one scope instead.
    """

    # No __slots__: with a plain instance dict, CPython 3.13 specialises reads of cached
    # children even though the class has __getattr__ (a 4-hop read runs about 1.5x faster).
    # ``_hp_path`` is (key, node); node None means the current scope. ``_hp_key`` is the key
    # alone, for the read of the current scope.

    if TYPE_CHECKING:
        _hp_path: tuple[str, Optional[Node]]
        _hp_key: str

    def __init__(self, key: str, node: Optional[Node] = None) -> None:
        referenced_keys.add(key)
        object.__setattr__(self, "_hp_path", (key, node))
        object.__setattr__(self, "_hp_key", key)

    def __getattr__(self, name: str) -> Accessor:
        if name.startswith("__"):
            raise AttributeError(name)
        key, node = self._hp_path
        child = type(self)(valid_key(f"{key}.{name}"), node)
        self.__dict__[name] = child
        return child

    def __setattr__(self, name: str, value: Any) -> None:
        key, node = self._hp_path
        _write_target(node).set(valid_key(f"{key}.{name}"), value)

    # To a type checker a read with a default has the default's type; ``| None`` reads
    # ``Any | None``. The overloads cost nothing per read: only the last definition runs.
    @overload
    def __or__(self, default: None) -> Optional[Any]: ...
    @overload
    def __or__(self, default: _T) -> _T: ...
    def __or__(self, default: Any) -> Any:
        # The hot read path: each attribute of ``self`` costs a full lookup (the class has
        # __getattr__), so it reads one; the node chain is walked inline.
        key = self._hp_key
        node = current_get() or thread_root()
        value = node.values.get(key, MISSING)
        while value is MISSING:
            node = node.parent
            if node is None:
                return default
            value = node.values.get(key, MISSING)
        if type(value) is type(default) or value is None:
            return value
        if default is None and type(value) is not Suggester:
            return value
        return coerce(key, value, default)  # converts, and calls a suggester

    @overload
    def __call__(self) -> Any: ...
    @overload
    def __call__(self, default: None, /) -> Optional[Any]: ...
    @overload
    def __call__(self, default: _T, /) -> _T: ...
    def __call__(self, *default: Any) -> Any:
        if len(default) > 1:
            raise TypeError(f"{self._hp_path[0]}(default) takes at most one default")
        if default:
            return self | default[0]
        value = _lookup(self)
        if value is MISSING:
            key = self._hp_path[0]
            raise MissingParameterError(
                f"parameter {key!r} is not set (give a default: hp.scope.{key} | value)"
            )
        if type(value) is Suggester:
            return value()
        return value

    def __eq__(self, other: object) -> bool:
        value = _lookup(self)
        if type(value) is Suggester:
            value = value()
        return value is not MISSING and value == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        key = self._hp_path[0]
        raise TypeError(
            f"the truth of hp.scope.{key} is ambiguous: read it with a default "
            f"(hp.scope.{key} | False) or as required (hp.scope.{key}())"
        )

    def __repr__(self) -> str:
        value = _lookup(self)
        shown = "<not set>" if value is MISSING else repr(value)
        return f"<hp.scope.{self._hp_path[0]} = {shown}>"

    def __reduce__(self) -> Any:
        raise TypeError(f"hp.scope.{self._hp_path[0]} reads a parameter; pickle the value it reads")


class ScopeAccessor(Accessor):
    """A key path of one scope object (``ps.a.b``): it reads what that scope sees, entered
    or not, and writes as the scope object does. Its own class, so that neither read path
    asks which scope it reads."""

    def __or__(self, default: Any) -> Any:  # type: ignore[override]  # the same overloads
        # Accessor.__or__'s walk from this scope's node instead of the current one: written
        # out as there, since a shared helper would add a call to every read.
        key, node = self._hp_path
        value = node.values.get(key, MISSING)
        while value is MISSING:
            node = node.parent
            if node is None:
                return default
            value = node.values.get(key, MISSING)
        if type(value) is type(default) or value is None:
            return value
        if default is None and type(value) is not Suggester:
            return value
        return coerce(key, value, default)  # converts, and calls a suggester


def _lookup(accessor: Accessor) -> Any:
    key, node = accessor._hp_path
    return (node or current_node()).lookup(key)


def _write_target(bound: Optional[Node]) -> Node:
    """Writes go to the innermost scope, unless made through a scope that is not active."""
    cur = current_node()
    if bound is None or bound is cur:
        return cur
    node: Optional[Node] = cur
    while node is not None:
        if node is bound:
            return cur
        # An entered empty() scope has no parent, but the scopes below it are still active.
        node = node.parent if node.parent is not None else node.hidden
    return bound


# --- scope objects ----------------------------------------------------------------------------


class Scope:
    """A scope of parameters: a context manager whose changes roll back on exit.

    Made by ``hp.scope(...)``; see ``hp.scope`` for every form. Reading through a scope
    object reads what that scope sees; writing through it writes to the innermost scope of
    the current thread or task (or to the scope itself while it is not entered).

    >>> import hyperparameter as hp
    >>> with hp.scope(a=1) as ps:
    ...     with hp.scope(a=2) as ps2:
    ...         (ps2.a | 0, ps.a | 0)
    (2, 1)
    """

    __slots__ = ("_hp_node", "__dict__")
    if TYPE_CHECKING:
        _hp_node: Node

    def __init__(self, *definitions: Any, **values: Any) -> None:
        own, sources = values, None
        if definitions:
            own, sources = _values_of(definitions, values)
        else:
            # Keys checked before, holding plain values, are taken as they are (no copy);
            # anything else is checked and flattened. Iterating the keys, not the items,
            # saves a view and a tuple per ``with``.
            for key in values:
                if key not in VALID_KEYS or type(values[key]) not in PLAIN_TYPES:
                    own = _values_of((), values)[0]
                    break
        # Node(...) written out: a second Python call would cost ~100 ns per ``with``.
        # tests/python/test_scope.py checks that this sets every field Node.__init__ sets.
        node = _new_node(Node)
        node.values = own
        node.parent = current_get() or thread_root()
        node.mirror = node.token = node.scope = node.hidden = node.injectors = None
        node.sources = sources or None
        _set_node(self, node)

    @classmethod
    def _wrap(cls, node: Node) -> Scope:
        if node.scope is None:
            made = cls.__new__(cls)
            _set_node(made, node)
            node.scope = made
        return node.scope

    # --- entering and leaving (kept flat: they run on every ``with``) ---------------------

    def __enter__(self) -> Scope:
        node = self._hp_node
        parent = node.parent
        if node.token is None and node.mirror is None and parent is not None and parent is not baseline:
            # Inherit from the scope current now (it may have been made elsewhere). No reader
            # has this node cached: caches that hold a node are dropped when it exits.
            node.parent = current_get() or thread_root()
        else:
            _enter_unusual(node)
        node.token = current_set(node)
        node.scope = self  # hp.scope.current() is this object; the cycle ends on exit
        if native_looked[0]:
            need_sync()
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        node = current_get()
        if node is None or node.scope is not self or node.token is None:
            if _closing_generator(exc_type, self._hp_node):
                return retire(self._hp_node)
            raise _exit_refused(self._hp_node)
        try:
            current_reset(node.token)
        except ValueError:
            if _closing_generator(exc_type, node):
                return retire(node)
            # Current in a copy of the entering context (a task or thread started inside
            # it), but entered in another context.
            raise ScopeOrderError(
                "scope exited in another thread or task than the one that entered it"
            ) from None
        node.token = node.scope = None
        back = node.parent  # what the reset made current: the scope current at entry
        if back is None or back.values is GONE or node.injectors or node.mirror is not None:
            _exit_unusual(node, back)

    # --- reading and writing --------------------------------------------------------------

    def __getattr__(self, name: str) -> Accessor:
        if name.startswith("__"):
            raise AttributeError(name)
        accessor = ScopeAccessor(valid_key(name), self._hp_node)
        self.__dict__[name] = accessor
        return accessor

    def __setattr__(self, name: str, value: Any) -> None:
        _write_target(self._hp_node).set(valid_key(name), value)

    def __getitem__(self, key: str) -> Accessor:
        # Accessors are cached beside the attribute ones (``ps.a`` and ``ps["a"]`` are the
        # same accessor; a dotted key is never an attribute name), so a repeated read
        # allocates and validates nothing.
        if type(key) is str:
            accessor = self.__dict__.get(key)
            if accessor is not None:
                return accessor
        elif type(key) is _Key:  # from keys(): dict(ps) asks for the value
            value = self._hp_node.lookup(key)
            if value is MISSING:
                raise MissingParameterError(f"parameter {str(key)!r} is not set")
            return value
        accessor = ScopeAccessor(valid_key(key), self._hp_node)
        if not hasattr(Scope, key):  # never shadow a method: ps["keys"] is a parameter
            cache = self.__dict__
            if len(cache) > CACHE_LIMIT:
                cache.clear()
            cache[key] = accessor
        return accessor

    def __setitem__(self, key: str, value: Any) -> None:
        _write_target(self._hp_node).set(valid_key(key), value)

    def __contains__(self, key: object) -> bool:
        # Unlike a Mapping, an invalid key is an error here as everywhere: a typo in a key
        # must not read as "not set".
        return isinstance(key, str) and self._hp_node.lookup(valid_key(key)) is not MISSING

    def set(self, key: str, value: Any, source: Optional[str] = None) -> None:
        """Set ``key``, with an optional provenance label (``"file.yaml:train.lr"``, ``"-D"``).

        >>> import hyperparameter as hp
        >>> with hp.scope() as ps:
        ...     ps.set("train.lr", 0.1, source="-D")
        ...     (hp.scope.train.lr | 0.0, ps.source("train.lr"))
        (0.1, '-D')
        """
        _write_target(self._hp_node).set(valid_key(key), value, source)

    def source(self, key: str) -> Optional[str]:
        """Where the value of ``key`` came from, if it was set with a source label."""
        return self._hp_node.source(valid_key(key))

    def keys(self) -> list:
        """Every key this scope sees, sorted.

        >>> import hyperparameter as hp
        >>> with hp.scope.empty(**{"b.x": 1, "a.y": 2}) as ps:
        ...     ps.keys()
        ['a.y', 'b.x']
        """
        return [_Key(key) for key in sorted(self._hp_node.visible())]

    def items(self) -> list:
        """Every ``(key, value)`` this scope sees, sorted by key."""
        view = self._hp_node.visible()
        return [(key, view[key]) for key in sorted(view)]

    def values(self) -> list:
        """Every value this scope sees, in key order."""
        return [value for _, value in self.items()]

    def to_dict(self) -> dict:
        """Everything this scope sees as a flat ``{dotted key: value}`` dict.

        >>> import hyperparameter as hp
        >>> with hp.scope.empty(**{"a": {"b": 1}}) as ps:
        ...     ps.to_dict()
        {'a.b': 1}
        """
        return dict(self.items())

    def update(self, values: Optional[Mapping] = None, **more: Any) -> None:
        """Set many values at once (nested dicts are flattened).

        >>> import hyperparameter as hp
        >>> with hp.scope() as ps:
        ...     ps.update({"train": {"lr": 0.1}}, seed=1)
        ...     (hp.scope.train.lr | 0.0, hp.scope.seed | 0)
        (0.1, 1)
        """
        target = _write_target(self._hp_node)
        for key, value in _flatten({**(values or {}), **more}):
            target.set(key, value)

    def clear(self) -> None:
        """Remove the values the (innermost) scope itself holds; outer scopes keep theirs.

        >>> import hyperparameter as hp
        >>> with hp.scope(a=1), hp.scope(a=2) as inner:
        ...     inner.clear()
        ...     hp.scope.a | 0
        1
        """
        _write_target(self._hp_node).clear()

    def snapshot(self) -> Snapshot:
        """A detached copy of everything this scope sees (the baseline included): picklable,
        and a template that any number of threads can enter at once (see ``Snapshot``).

        >>> import hyperparameter as hp, pickle
        >>> with hp.scope(**{"train.lr": 0.1}):
        ...     snap = hp.scope.current().snapshot()
        >>> with pickle.loads(pickle.dumps(snap)):
        ...     hp.scope.train.lr | 0.0
        0.1
        """
        return _restore(self.items(), self._sources())

    def __reduce__(self) -> tuple:
        return (_restore, (self.items(), self._sources()))

    def _sources(self) -> dict:
        """The source labels of every key this scope sees that has one."""
        labels = {}
        for key in self._hp_node.visible():
            label = self._hp_node.source(key)
            if label is not None:
                labels[key] = label
        return labels

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._hp_node.visible()))

    def __len__(self) -> int:
        return len(self._hp_node.visible())

    def __repr__(self) -> str:
        node = self._hp_node
        own = ", ".join(f"{k!r}: {v!r}" for k, v in sorted(node.values.items()))
        if node.parent is baseline:
            state = "thread root"
        else:
            state = "entered" if node.token is not None else "not entered"
        return f"<hp.Scope {{{own}}} ({state}; sees {len(self)} keys)>"


# Scope.__setattr__ writes parameters, so its own slot is set through the slot itself.
_set_node = Scope._hp_node.__set__  # type: ignore[attr-defined]
_new_node = object.__new__


def _enter_unusual(node: Node) -> None:
    """Entering a scope that is entered already, a thread root, an ``empty()`` scope, or one
    entered before (its mirror was made for the parent it had then)."""
    if node.token is not None:
        raise ScopeOrderError("this scope is already entered; make a new one with hp.scope(...)")
    if node.parent is baseline:
        raise ScopeOrderError("a thread's root scope cannot be entered")
    if node.mirror is not None:
        backend.release(node.mirror)
        node.mirror = None
    if node.values is GONE:
        node.values = {}
    if node.parent is None:
        node.hidden = current_get() or thread_root()  # an empty() scope hides, not inherits
    else:
        node.parent = current_get() or thread_root()


def _exit_unusual(node: Node, back: Optional[Node]) -> None:
    """The rest of leaving a scope that was an ``empty()`` one, returns to a retired scope,
    is cached by ``@hp.param`` or has a native mirror."""
    if back is None:
        back, node.hidden = node.hidden, None
    if node.injectors:
        node.forget_injectors()
    if back is not None and back.values is GONE:
        current_node()  # the scope below was retired meanwhile: skip it
    # Readers cache per (node, version): the parent they return to has not changed.
    # The engine needs telling only if it had mirrored this scope (then it is pointed at
    # the parent right here); otherwise the flag raised on entry still stands, or it
    # never pointed here. The mirror itself stays while the node lives: a task or thread
    # that entered a scope inside it still builds on it, and writes to it reach both.
    if node.mirror is not None:
        backend.activate(mirror_of(current_node()))


#: Code flags of frames that share their caller's context yet can leave a ``with`` block
#: suspended: generators (a coroutine runs in its task's context).
_SUSPENDABLE = 0x20 | 0x200  # CO_GENERATOR | CO_ASYNC_GENERATOR


def _closing_generator(exc_type: Any, node: Node) -> bool:
    """Whether this out-of-order exit is a generator's ``with`` ending where it was resumed
    (another thread or context) or being closed (collected while other scopes are current).

    Python gives a generator no context of its own, so its scope lives in its caller's; such
    an exit cannot restore what it entered, and must not leave the scope visible either.
    """
    if node.token is None:
        return False
    if exc_type is GeneratorExit:
        return True
    caller = sys._getframe(2)  # _closing_generator <- __exit__ <- the with statement
    return bool(caller.f_code.co_flags & _SUSPENDABLE)


def _exit_refused(node: Node) -> ScopeOrderError:
    if node.token is None:
        return ScopeOrderError("scope exited but it is not entered (exited twice?)")
    return ScopeOrderError(
        "scope exited out of order: it is not the innermost scope of this thread or "
        "task (exit inner scopes first, in the thread or task that entered them)"
    )


def _restore(items: Any, sources: Optional[dict] = None) -> Snapshot:
    """A snapshot holding ``items`` (``(key, value)`` pairs) and their source labels: what a
    snapshot (or a scope) pickles to. Keys are checked, as everywhere: a pickle is input too."""
    made = Snapshot()
    node = made._hp_node
    node.parent = None  # detached: it reads its own values, nothing around it
    for key, value in items:
        node.values[valid_key(key)] = value
    for key, label in (sources or {}).items():
        if key in node.values and isinstance(label, str):
            node.label(key, label)
    return made


def _copy_of(scope: Scope, parent: Optional[Node] = MISSING) -> Scope:
    """A new scope holding what ``scope`` sees and its source labels (keys checked already).
    ``parent``: None for one that inherits nothing; by default it builds on the scope current
    where it is entered."""
    made = Scope()
    node = made._hp_node
    node.values = scope._hp_node.visible()
    node.sources = scope._sources() or None
    if parent is not MISSING:
        node.parent = parent
    return made


#: The snapshots entered in this context, innermost last: ``(snapshot, the child entered)``.
_entered_snapshots: ContextVar[tuple] = ContextVar("hyperparameter.snapshots", default=())


class Snapshot(Scope):
    """A detached copy of what a scope saw, made by ``snapshot()``: a template.

    Every ``with snap`` enters a fresh child scope holding the snapshot's values (and their
    source labels) above the scope current there, so many threads can be inside one snapshot
    at once; ``with snap as ps`` gives that child, and writes go there, never to the snapshot.
    It pickles (with its values; a value that cannot be pickled is named by its key), so it
    carries a scope to another process: ``hp.scope.init(snap)`` makes it a pool worker's
    baseline, ``snap.run(fn, ...)`` and ``hp.scope.bind(fn)`` run code inside it.

    >>> import hyperparameter as hp, threading
    >>> with hp.scope(**{"train.lr": 0.1}):
    ...     snap = hp.scope.snapshot()
    >>> seen = []
    >>> def work():
    ...     with snap as ps:
    ...         ps.train.lr = ps.train.lr | 0.0   # a write stays in this thread's child
    ...         seen.append(hp.scope.train.lr | 0.0)
    >>> threads = [threading.Thread(target=work) for _ in range(3)]
    >>> for t in threads: t.start()
    >>> for t in threads: t.join()
    >>> seen, snap.train.lr | 0.0
    ([0.1, 0.1, 0.1], 0.1)
    """

    __slots__ = ()

    def __enter__(self) -> Scope:  # type: ignore[override]
        child = _copy_of(self)
        child.__enter__()
        _entered_snapshots.set((*_entered_snapshots.get(), (self, child)))
        return child

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        entered = _entered_snapshots.get()
        if not entered or entered[-1][0] is not self:
            raise ScopeOrderError(
                "snapshot exited but it is not the innermost snapshot entered in this thread or task"
            )
        _entered_snapshots.set(entered[:-1])
        entered[-1][1].__exit__(exc_type, exc_value, traceback)

    def run(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """``fn(*args, **kwargs)`` inside a fresh child of this snapshot.

        >>> import hyperparameter as hp
        >>> with hp.scope(seed=3):
        ...     snap = hp.scope.snapshot()
        >>> snap.run(lambda: hp.scope.seed | 0)
        3
        """
        with self:
            return fn(*args, **kwargs)

    def __reduce__(self) -> tuple:
        items = self.items()
        for key, value in items:
            _check_picklable(key, value)
        return (_restore, (items, self._sources()))

    def __repr__(self) -> str:
        own = ", ".join(f"{k!r}: {v!r}" for k, v in sorted(self._hp_node.values.items()))
        return f"<hp.Snapshot {{{own}}}>"


def _check_picklable(key: str, value: Any) -> None:
    """Name the key whose value cannot be pickled (a pickler's own error names none)."""
    if type(value) in PLAIN_TYPES:
        return
    import pickle  # only when pickling: it is not worth its import time to every program

    try:
        pickle.dumps(value)
    except Exception as exc:
        try:  # what cloudpickle can send (a lambda) is fine when it is the one pickling
            import cloudpickle
        except ImportError:
            cloudpickle = None
        if cloudpickle is not None:
            try:
                cloudpickle.dumps(value)
                return
            except Exception:
                pass
        raise pickle.PicklingError(
            f"parameter {key!r}: its value {_short(value)} cannot be pickled ({exc}); a snapshot "
            "sent to another process carries only values that pickle (use it in this process, "
            "or set that parameter in the worker)"
        ) from exc


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Bound:
    """``hp.scope.bind(fn)``: ``fn`` to be run inside a copy of the scope current at bind time,
    on any thread and in any process (for Python and native reads alike).

    It pickles with pickle when ``fn`` does (a module-level function: multiprocessing's spawn)
    and with cloudpickle always (lambdas, closures: loky, Dask, Ray).

    >>> import hyperparameter as hp, concurrent.futures
    >>> def lr():
    ...     return hp.scope.train.lr | 0.001
    >>> with hp.scope(**{"train.lr": 0.1}):
    ...     task = hp.scope.bind(lr)
    >>> with concurrent.futures.ThreadPoolExecutor() as pool:
    ...     pool.submit(task).result()
    0.1
    """

    __slots__ = ("function", "snapshot")

    def __init__(self, function: Callable[..., Any], snapshot: Snapshot) -> None:
        if not callable(function):
            raise TypeError(f"hp.scope.bind needs a callable, not {function!r}")
        self.function = function
        self.snapshot = snapshot

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.snapshot:
            return self.function(*args, **kwargs)

    def __reduce__(self) -> tuple:
        # The snapshot first: a value that cannot travel is named before the function is tried.
        return (_rebind, (self.snapshot, self.function))

    @property
    def __name__(self) -> str:  # task names in Dask and Ray
        return getattr(self.function, "__name__", type(self.function).__name__)

    @property
    def __wrapped__(self) -> Callable[..., Any]:
        return self.function

    def __repr__(self) -> str:
        return f"<hp.scope.bind({self.function!r}) with {len(self.snapshot)} values>"


def _rebind(snapshot: Snapshot, function: Callable[..., Any]) -> Bound:
    return Bound(function, snapshot)


# --- hp.scope: the reader of the current scope, and the maker of new ones --------------------


if TYPE_CHECKING:  # to a checker, ``hp.scope["a.b"]`` is an accessor; at run time a plain dict
    _ReaderBase = dict[str, Accessor]
else:
    _ReaderBase = dict


class Reader(_ReaderBase):
    """``hp.scope``: reads the current scope (``hp.scope.a.b | 1``, ``hp.scope["a.b"] | 1``)
    and makes new scopes (``hp.scope(**values)``).

    It is a dict of cached accessors so that ``hp.scope["a.b"]`` is answered in C.

    >>> import hyperparameter as hp
    >>> hp.scope.train.lr | 0.001
    0.001
    >>> with hp.scope(**{"train.lr": 0.01}):
    ...     (hp.scope.train.lr | 0.001, hp.scope["train.lr"](0.001))
    (0.01, 0.01)
    >>> with hp.scope("train.bs=64", model={"depth": 4}) as ps:
    ...     ps.train.warmup = 500
    ...     sorted(ps.to_dict().items())
    [('model.depth', 4), ('train.bs', 64), ('train.warmup', 500)]
    >>> hp.scope.train.warmup | 0
    0
    """

    if TYPE_CHECKING:  # parameters of these names, as at run time: not dict's methods
        get: Accessor  # type: ignore[assignment]
        pop: Accessor  # type: ignore[assignment]
        popitem: Accessor
        setdefault: Accessor  # type: ignore[assignment]
        fromkeys: Accessor  # type: ignore[assignment]
        copy: Accessor
    else:
        get = _accessor_property("get")
        pop = _accessor_property("pop")
        popitem = _accessor_property("popitem")
        setdefault = _accessor_property("setdefault")
        fromkeys = _accessor_property("fromkeys")
        copy = _accessor_property("copy")

    # Calling the reader makes a Scope: the class itself, so no wrapper call is paid.
    __call__ = Scope  # type: ignore[assignment]

    def __missing__(self, key: str) -> Accessor:
        accessor = Accessor(valid_key(key))
        if dict.__len__(self) > CACHE_LIMIT:
            dict.clear(self)
        dict.__setitem__(self, key, accessor)
        return accessor

    def __getattr__(self, name: str) -> Accessor:
        if name.startswith("__") or name.startswith("_ipython"):
            raise AttributeError(name)
        accessor = Accessor(valid_key(name))
        self.__dict__[name] = accessor
        return accessor

    def __setattr__(self, name: str, value: Any) -> None:
        current_node().set(valid_key(name), value)

    def __setitem__(self, key: str, value: Any) -> None:
        current_node().set(valid_key(key), value)

    def __delitem__(self, key: str) -> None:
        raise TypeError("parameters are removed by leaving their scope, or with hp.scope.clear()")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and current_node().lookup(valid_key(key)) is not MISSING

    def __iter__(self) -> Iterator[str]:
        return iter(self.current().keys())

    def __len__(self) -> int:
        return len(self.current())

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, Scope)

    def __repr__(self) -> str:
        return f"<hp.scope reader; current: {self.current()!r}>"

    def __reduce__(self) -> str:
        return "scope"

    # --- the current scope's methods, and constructors ------------------------------------

    def current(self) -> Scope:
        """The active scope of this thread or asyncio task (its root outside any ``with``).

        >>> import hyperparameter as hp
        >>> with hp.scope(a=1) as ps:
        ...     hp.scope.current() is ps
        True
        """
        return Scope._wrap(current_node())

    def empty(self, *definitions: Any, **values: Any) -> Scope:
        """A scope that inherits nothing: no outer scopes, no frozen baseline.

        >>> import hyperparameter as hp
        >>> with hp.scope(a=1), hp.scope.empty(b=2) as ps:
        ...     (ps.a | None, ps.b | None)
        (None, 2)
        """
        made = Scope(*definitions, **values)
        made._hp_node.parent = None
        return made

    def frozen(self) -> None:
        """Publish what this thread sees now as the baseline for every thread.

        Every thread reads the baseline for the keys its own scopes do not set, and a new
        thread (Python, C++ or Rust) starts from it.

        >>> import hyperparameter as hp, threading
        >>> with hp.scope(**{"demo.seed": 7}):
        ...     hp.scope.frozen()
        >>> seen = []
        >>> t = threading.Thread(target=lambda: seen.append(hp.scope.demo.seed | 0))
        >>> t.start(); t.join(); seen
        [7]
        >>> with hp.scope.empty():
        ...     hp.scope.frozen()      # publish an empty baseline again
        """
        baseline.publish(current_node().visible())
        changes.bump()

    def init(self, values: Union[Mapping, Scope, None] = None, **more: Any) -> None:
        """Set values in this thread's root scope (for a new thread, before its work starts).

        >>> import hyperparameter as hp, threading
        >>> def worker(out):
        ...     hp.scope.init({"worker.id": 3})
        ...     out.append(hp.scope.worker.id | -1)
        >>> out = []; t = threading.Thread(target=worker, args=(out,)); t.start(); t.join(); out
        [3]

        Given a snapshot, it makes the snapshot this process's baseline instead (what every
        thread reads for the keys its own scopes do not set): the pool initializer that
        carries the driver's parameters to every worker of a process pool.

            with hp.scope(**{"train.lr": 0.1}):
                snap = hp.scope.snapshot()
            with ProcessPoolExecutor(initializer=hp.scope.init, initargs=(snap,)) as pool:
                pool.submit(train)   # train() reads train.lr = 0.1, in every worker
        """
        if isinstance(values, Scope):
            if more:
                raise TypeError("hp.scope.init(snapshot) takes no other values")
            self._publish(values)
            return
        root = thread_root()
        for key, value in _flatten({**(values or {}), **more}):
            root.set(key, value)  # tells the engine, as every write does

    def _publish(self, snapshot: Scope) -> None:
        """Make exactly what ``snapshot`` sees the baseline of every thread and language."""
        with _copy_of(snapshot, parent=None):
            self.frozen()

    def bind(self, fn: Callable[..., _T]) -> Callable[..., _T]:
        """``fn``, to be run inside a copy of the scope current now (see ``Bound``).

        >>> import hyperparameter as hp, threading
        >>> with hp.scope(seed=5):
        ...     task = hp.scope.bind(lambda: hp.scope.seed | 0)
        >>> out = []
        >>> t = threading.Thread(target=lambda: out.append(task())); t.start(); t.join(); out
        [5]
        """
        return Bound(fn, self.snapshot())  # type: ignore[return-value]

    def keys(self) -> list:
        """Every key the current scope sees, sorted."""
        return self.current().keys()

    def items(self) -> list:
        """Every ``(key, value)`` the current scope sees, sorted by key."""
        return self.current().items()

    def values(self) -> list:
        """Every value the current scope sees, in key order."""
        return self.current().values()

    def to_dict(self) -> dict:
        """Everything the current scope sees, as a flat dict."""
        return self.current().to_dict()

    def update(self, values: Optional[Mapping] = None, **more: Any) -> None:
        """Set many values in the current scope."""
        self.current().update(values, **more)

    def clear(self) -> None:
        """Remove the values the current scope itself holds."""
        self.current().clear()

    def set(self, key: str, value: Any, source: Optional[str] = None) -> None:
        """Set ``key`` in the current scope, with an optional provenance label."""
        self.current().set(key, value, source)

    def source(self, key: str) -> Optional[str]:
        """Where the current value of ``key`` came from, if labelled."""
        return current_node().source(valid_key(key))

    def snapshot(self) -> Snapshot:
        """A picklable copy of everything the current scope sees (see ``Snapshot``)."""
        return self.current().snapshot()


scope = Reader()

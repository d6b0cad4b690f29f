"""``hp.scope``: read parameters with defaults, and set them in nested, rolled-back scopes.

Values live in Python: each scope is a node holding its own writes and a pointer to its
parent, so a Python read never calls into native code. The current node is kept per thread
and per asyncio task in a ``ContextVar``. The native engine learns of changes lazily: entering
or leaving a scope only raises the thread's stale flag, and the engine calls back
(``_sync_native``) to mirror the current scope chain the first time C, C++ or Rust code on
that thread looks at it. Once a node is mirrored, writes to it go through at once.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, Optional

from ._backend import backend
from ._errors import MissingParameterError, ScopeOrderError

_MISSING: Any = object()
#: The ``own`` of a retired scope: one left by a generator on another thread or after other
#: scopes (see ``_retire``). It holds nothing and takes nothing; reads pass through it.
_GONE: Any = MappingProxyType({})
_CONVERTIBLE = (bool, int, float, str)
_SCALARS = frozenset({bool, int, float, str, type(None)})
_NATIVE = backend.name == "native"
_VALID_KEYS: set = set()
_CACHE_LIMIT = 100_000


class _KeysRead(set):
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


referenced_keys: _KeysRead = _KeysRead()


class _Versions:
    """A counter bumped by every change anywhere, so readers may cache per (scope, version)."""

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
        if len(_VALID_KEYS) > _CACHE_LIMIT:
            _VALID_KEYS.clear()
        _VALID_KEYS.add(key)
    return key


def coerce(key: str, value: Any, default: Any) -> Any:
    """The value of a read with ``default``: converted when the default's type asks for it."""
    if value is None or default is None or type(value) is type(default):
        return value
    if type(default) in _CONVERTIBLE:
        return backend.convert(key, value, type(default))
    return value


# --- nodes: the state -------------------------------------------------------------------------


class _Node:
    """One scope's state: its own writes, its parent, and its native mirror (if made).

    A node without a parent is an ``empty()`` scope: no outer scopes, no baseline.
    """

    __slots__ = (
        "own",  # the values this scope sets itself
        "parent",  # the scope it inherits from (None: an empty() scope)
        "sources",  # provenance labels of some of ``own``'s keys, or None
        "native",  # the engine's handle, once native code has looked at this scope
        "token",  # the ContextVar token while entered
        "owner",  # the Scope object, while entered or asked for
        "below",  # while an empty() scope is entered: the scope it hides
        "injectors",  # hp.param injectors whose cache holds this node
        "__weakref__",
    )

    def __init__(self, own: dict, parent: Optional[_Node]) -> None:
        self.own = own
        self.parent = parent
        self.sources = self.native = self.token = self.owner = self.below = self.injectors = None

    def label(self, key: str, source: Optional[str]) -> None:
        """Record where the value of ``key`` came from (None: forget it)."""
        if source is not None:
            if self.sources is None:
                self.sources = {}
            self.sources[key] = source
        elif self.sources:
            self.sources.pop(key, None)

    def set(self, key: str, value: Any, source: Optional[str] = None) -> None:
        if self.own is _GONE:
            return _live(self).set(key, value, source)
        self.own[key] = value
        self.label(key, source)
        if self.native is not None:
            self.mirror(backend.set, key, value, source)
        elif _NATIVE:
            _mark_stale()
        versions.bump()

    def clear(self) -> None:
        if self.own is _GONE:
            return _live(self).clear()
        self.own.clear()
        self.sources = None
        if self.native is not None:
            self.mirror(backend.clear)
        versions.bump()

    def mirror(self, change: Any, *args: Any) -> None:
        """Make the same change to the native mirror. The engine reports it back to
        ``_native_wrote``, which leaves it alone: Python made it."""
        _threads.echo = self
        try:
            change(self.native, *args)
        finally:
            _threads.echo = None

    def chain(self) -> Iterator[_Node]:
        node: Optional[_Node] = self
        while node is not None:
            yield node
            node = node.parent

    def visible(self) -> dict:
        """Everything this node sees, inner values winning."""
        view: dict = {}
        for node in reversed(list(self.chain())):
            view.update(node.own)
        return view

    def lookup(self, key: str) -> Any:
        node: Optional[_Node] = self
        while node is not None:
            value = node.own.get(key, _MISSING)
            if value is not _MISSING:
                return value
            node = node.parent
        return _MISSING

    def source(self, key: str) -> Optional[str]:
        for node in self.chain():
            if key in node.own:
                return (node.sources or {}).get(key)
        return None


class _Baseline(_Node):
    """The end of every thread root's chain: the frozen global baseline."""

    __slots__ = ("generation", "lock")

    def __init__(self) -> None:
        super().__init__({}, None)
        self.generation = backend.baseline_generation()
        # Serialises reloads and publications, so a slow reload never installs an older
        # baseline over a newer one. Reentrant: publishing syncs this thread, which refreshes.
        self.lock = threading.RLock()

    def refresh(self) -> None:
        """Reload the baseline if native code published a newer one."""
        if backend.baseline_generation() != self.generation:
            with self.lock:
                generation, values = backend.load_baseline()
                if generation > self.generation:
                    self.own = values
                    self.generation = generation
                    versions.bump()

    def publish(self, values: dict) -> None:
        """Make ``values`` the baseline of every thread and every language, atomically."""
        with self.lock:
            if not _NATIVE:
                self.own = values
                return
            _mark_stale()
            before = backend.baseline_generation()
            backend.publish_baseline()  # the engine publishes this thread's view: ``values``
            after = backend.baseline_generation()
            if after == before + 1:
                self.own, self.generation = values, after
            else:  # native code on another thread published too, in between: take the latest
                self.generation, self.own = backend.load_baseline()

    def _before_fork(self) -> None:
        self.lock.acquire()  # no publication or reload is half done when the process forks

    def _after_fork_in_child(self) -> None:
        self.lock = threading.RLock()  # the child's only thread: nobody else can hold it


_baseline = _Baseline()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_baseline._before_fork,
        after_in_parent=lambda: _baseline.lock.release(),
        after_in_child=_baseline._after_fork_in_child,
    )
_current: ContextVar[Optional[_Node]] = ContextVar("hyperparameter.scope", default=None)
_current_get = _current.get
_threads = threading.local()


def _thread_root() -> _Node:
    """This thread's root node (made on first use), made current in this context."""
    root = getattr(_threads, "root", None)
    if root is None:
        _baseline.refresh()
        root = _Node({}, _baseline)
        _threads.root = root
        if _NATIVE:
            _threads.stale = backend.stale_flag()
            _threads.stale[0] = True
    if _current_get() is None:
        _current.set(root)
    return root


def current_node() -> _Node:
    """The innermost scope node of this thread or asyncio task."""
    node = _current_get() or _thread_root()
    if node.own is _GONE:
        node = _live(node)
        _current.set(node)  # this context forgets the retired scope for good
    return node


def _live(node: _Node) -> _Node:
    """The nearest scope at or above ``node`` that is not retired."""
    while node.own is _GONE:
        node = node.parent if node.parent is not None else (node.below or _thread_root())
    return node


#: Set once native code has first looked at a Python scope. Until then nothing needs marking:
#: each thread's flag is raised when its root is made, and stays raised until a sync.
_observed = False


def _mark_stale() -> None:
    """Tell the engine this thread's scopes changed; it syncs when native code next looks."""
    if not _observed:
        return
    flag = getattr(_threads, "stale", None)
    if flag is None:
        _thread_root()
        flag = _threads.stale
    flag[0] = True


def _materialize(node: _Node) -> Any:
    """Mirror ``node`` and every unmirrored ancestor into the engine; its native handle."""
    pending = []
    walk: Optional[_Node] = node
    while walk is not None and walk is not _baseline and walk.native is None:
        pending.append(walk)
        walk = walk.parent
    for item in reversed(pending):
        if item.parent is _baseline:
            native = backend.new_root()
        elif item.parent is None:
            native = backend.empty()
        else:
            native = backend.child(item.parent.native)
        sources = item.sources or {}
        for key, value in item.own.items():
            backend.set(native, key, value, sources.get(key))
        item.native = native
        tag = next(_tags)
        _mirrored[tag] = item
        backend.watch(native, tag)  # native writes into it come back through _native_wrote
    return node.native


#: Python scopes mirrored into the engine, by the tag the engine reports their writes under.
_mirrored: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_tags = itertools.count(1)


def _native_wrote(tag: int, key: Optional[str]) -> None:
    """Called by the engine after native code wrote ``key`` (None: cleared everything) into a
    mirrored scope, on the writing thread: Python takes the change over."""
    node = _mirrored.get(tag)
    if node is None or node.native is None or getattr(_threads, "echo", None) is node:
        return  # gone, exited, or Python's own write
    if key is None:
        node.own.clear()
        node.sources = None
    else:
        try:
            value, source = backend.read(node.native, key)
        except KeyError:  # cleared again meanwhile
            node.own.pop(key, None)
            source = None
        else:
            node.own[key] = value
        node.label(key, source)
    versions.bump()


def _sync_native() -> None:
    """Called by the engine on this thread, in its current context, before native code reads
    a scope Python changed, or after the thread switched contexts (``Context.run``, an asyncio
    task step, ``asyncio.to_thread``): the engine follows the context's current scope."""
    global _observed
    _observed = True
    _baseline.refresh()
    backend.activate(_materialize(current_node()))


def _native_stack(entered: Any, exited_tag: int) -> None:
    """Called by the engine after native code entered (``entered``, a handle) or exited a
    scope on this Python thread: one stack per thread, whichever language entered the scope.

    An entered native scope becomes this context's innermost node, mirrored by that handle, so
    Python reads see its values (native writes into it come back through ``_native_wrote``)
    and a Python scope entered inside builds on it. Its exit makes the node's parent current
    again; the engine refuses the exit while a Python scope entered inside is still open.
    """
    if entered is None:
        node = _current_get()
        if node is not None and node.token is not None and _mirrored.get(exited_tag) is node:
            _current.reset(node.token)
            node.token = node.native = None
            node.own = _GONE  # it is gone for every context that may still hold it
            if node.injectors:
                _forget_injectors(node)
            versions.bump()
        return
    node = _Node(dict(backend.own_items(entered)), current_node())
    node.native = entered
    tag = next(_tags)
    _mirrored[tag] = node
    backend.watch(entered, tag)
    node.token = _current.set(node)
    versions.bump()


if _NATIVE:
    backend.register_sync(_sync_native)
    backend.register_write(_native_wrote)
    backend.register_stack(_native_stack)


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
                path = checked(prefix + key)
                if id(value) in open_ids:
                    raise ValueError(f"the value of {path!r} contains itself: a cyclic dict has no keys")
                open_ids.add(id(value))
                stack.append((iter(value.items()), path + ".", value))
                break
            yield checked(prefix + key), value
        else:
            stack.pop()
            open_ids.discard(id(mapping))


def _definition(text: Any) -> tuple[str, Any]:
    if not isinstance(text, str):
        raise TypeError(f"positional arguments are 'key=value' strings or dicts, got {text!r}")
    key, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"definition {text!r} has no '=': expected key=value")
    return checked(key.strip()), backend.parse_value(value)


def _sources_of(definitions: tuple, own: dict) -> dict:
    """Provenance of values given as loaded configuration (``hp.scope(hp.config(path))``)."""
    sources = {}
    for item in definitions:
        source_of = getattr(item, "source_of", None)
        if source_of is not None:
            for key in own:
                label = source_of(key)
                if label is not None:
                    sources[key] = label
    return sources


def _values_of(definitions: tuple, values: dict) -> dict:
    own: dict = {}
    for item in definitions:
        if isinstance(item, Mapping):
            own.update(_flatten(item))
        else:
            key, value = _definition(item)
            own[key] = value
    for key, value in values.items():
        if type(value) in _SCALARS:
            own[checked(key)] = value
        else:
            own.update(_flatten({key: value}))
    return own


class _Key(str):
    """A key as listed by ``Scope.keys()``: indexing the scope with it gives the value, not
    an accessor, so ``dict(ps)`` holds the values (``ps["a"] | 1`` still reads with a default).
    """

    __slots__ = ()


# --- accessors: hp.scope.a.b | default ------------------------------------------------------


def _accessor_property(name: str) -> property:
    # Methods of the reader's base class (dict) would shadow parameters of that name.
    return property(lambda self: self.__getattr__(name))


class _Accessor:
    """A key path of the current scope: ``| default``, ``(default)`` or ``()`` reads it,
    ``.name = value`` writes under it.
    """

    # No __slots__: with a plain instance dict, CPython 3.13 specialises reads of cached
    # children even though the class has __getattr__ (a 4-hop read runs about 1.5x faster).
    # ``_hp`` is (key, node); node None means the current scope.

    def __init__(self, key: str, node: Optional[_Node] = None) -> None:
        referenced_keys.add(key)
        object.__setattr__(self, "_hp", (key, node))

    def __getattr__(self, name: str) -> _Accessor:
        if name.startswith("__"):
            raise AttributeError(name)
        key, node = self._hp
        child = type(self)(checked(f"{key}.{name}"), node)
        self.__dict__[name] = child
        return child

    def __setattr__(self, name: str, value: Any) -> None:
        key, node = self._hp
        _write_target(node).set(checked(f"{key}.{name}"), value)

    def __or__(self, default: Any) -> Any:
        # The hot read path: each attribute of ``self`` costs a full lookup (the class has
        # __getattr__), so it reads one; the node chain is walked inline.
        key, node = self._hp
        if node is None:
            node = _current_get() or _thread_root()
        value = node.own.get(key, _MISSING)
        while value is _MISSING:
            node = node.parent
            if node is None:
                return default
            value = node.own.get(key, _MISSING)
        if type(value) is type(default) or value is None or default is None:
            return value
        return coerce(key, value, default)

    def __call__(self, *default: Any) -> Any:
        if len(default) > 1:
            raise TypeError(f"{self._hp[0]}(default) takes at most one default")
        if default:
            return self | default[0]
        value = _lookup(self)
        if value is _MISSING:
            key = self._hp[0]
            raise MissingParameterError(
                f"parameter {key!r} is not set (give a default: hp.scope.{key} | value)"
            )
        return value

    def __eq__(self, other: object) -> bool:
        value = _lookup(self)
        return value is not _MISSING and value == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        key = self._hp[0]
        raise TypeError(
            f"the truth of hp.scope.{key} is ambiguous: read it with a default "
            f"(hp.scope.{key} | False) or as required (hp.scope.{key}())"
        )

    def __repr__(self) -> str:
        value = _lookup(self)
        shown = "<not set>" if value is _MISSING else repr(value)
        return f"<hp.scope.{self._hp[0]} = {shown}>"

    def __reduce__(self) -> Any:
        raise TypeError(f"hp.scope.{self._hp[0]} reads a parameter; pickle the value it reads")


def _lookup(accessor: _Accessor) -> Any:
    key, node = accessor._hp
    return (node or current_node()).lookup(key)


def _write_target(bound: Optional[_Node]) -> _Node:
    """Writes go to the innermost scope, unless made through a scope that is not active."""
    cur = current_node()
    if bound is None or bound is cur:
        return cur
    node: Optional[_Node] = cur
    while node is not None:
        if node is bound:
            return cur
        # An entered empty() scope has no parent, but the scopes below it are still active.
        node = node.parent if node.parent is not None else node.below
    return bound


def _forget_injectors(node: _Node) -> None:
    """Drop hp.param caches that hold an exited node (and so its values)."""
    for injector in node.injectors or ():
        if injector.cache[0] is node:
            injector.cache = injector.EMPTY
    node.injectors = None


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

    __slots__ = ("_n", "__dict__")

    def __init__(self, *definitions: Any, **values: Any) -> None:
        own = values
        if definitions:
            own = _values_of(definitions, values)
        else:
            for key, value in values.items():
                if key not in _VALID_KEYS or type(value) not in _SCALARS:
                    own = _values_of((), values)  # validates keys, flattens nested dicts
                    break
        # Made field by field: calling _Node() would cost a second Python call per ``with``.
        node = _new_node(_Node)
        node.own = own
        node.parent = _current_get() or _thread_root()
        node.sources = node.native = node.token = node.owner = node.below = node.injectors = None
        if definitions:
            node.sources = _sources_of(definitions, own) or None
        _set_node(self, node)

    @classmethod
    def _wrap(cls, node: _Node) -> Scope:
        if node.owner is None:
            made = cls.__new__(cls)
            _set_node(made, node)
            node.owner = made
        return node.owner

    # --- entering and leaving (kept flat: they run on every ``with``) ---------------------

    def __enter__(self) -> Scope:
        node = self._n
        if (
            node.token is not None
            or node.parent is None
            or node.parent is _baseline
            or node.native is not None
        ):
            _enter_unusual(node)
        else:
            # Inherit from the scope current now (it may have been made elsewhere). No reader
            # has this node cached: caches that hold a node are dropped when it exits.
            node.parent = _current_get() or _thread_root()
        node.token = _current.set(node)
        node.owner = self  # hp.scope.current() is this object; the cycle ends on exit
        if _observed:
            _mark_stale()
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        node = _current_get()
        if node is None or node.owner is not self or node.token is None:
            if _closing_generator(exc_type, self._n):
                return _retire(self._n)
            raise _exit_refused(self._n)
        try:
            _current.reset(node.token)
        except ValueError:
            if _closing_generator(exc_type, node):
                return _retire(node)
            # Current in a copy of the entering context (a task or thread started inside
            # it), but entered in another context.
            raise ScopeOrderError(
                "scope exited in another thread or task than the one that entered it"
            ) from None
        node.token = node.owner = None
        if node.parent is None:
            node.below = None
        if node.injectors:
            _forget_injectors(node)
        back = _current_get()
        if back is not None and back.own is _GONE:
            current_node()  # the scope below was retired meanwhile: skip it
        # Readers cache per (node, version): the parent they return to has not changed.
        # The engine needs telling only if it had mirrored this scope (then it is pointed at
        # the parent right here); otherwise the flag raised on entry still stands, or it
        # never pointed here. The mirror itself stays while the node lives: a task or thread
        # that entered a scope inside it still builds on it, and writes to it reach both.
        if node.native is not None:
            backend.activate(_materialize(current_node()))

    # --- reading and writing --------------------------------------------------------------

    def __getattr__(self, name: str) -> _Accessor:
        if name.startswith("__"):
            raise AttributeError(name)
        accessor = _Accessor(checked(name), self._n)
        self.__dict__[name] = accessor
        return accessor

    def __setattr__(self, name: str, value: Any) -> None:
        _write_target(self._n).set(checked(name), value)

    def __getitem__(self, key: str) -> _Accessor:
        if type(key) is _Key:  # from keys(): dict(ps) asks for the value
            value = self._n.lookup(key)
            if value is _MISSING:
                raise MissingParameterError(f"parameter {str(key)!r} is not set")
            return value
        return _Accessor(checked(key), self._n)

    def __setitem__(self, key: str, value: Any) -> None:
        _write_target(self._n).set(checked(key), value)

    def __contains__(self, key: object) -> bool:
        # Unlike a Mapping, an invalid key is an error here as everywhere: a typo in a key
        # must not read as "not set".
        return isinstance(key, str) and self._n.lookup(checked(key)) is not _MISSING

    def set(self, key: str, value: Any, source: Optional[str] = None) -> None:
        """Set ``key``, with an optional provenance label (``"file.yaml:train.lr"``, ``"-D"``).

        >>> import hyperparameter as hp
        >>> with hp.scope() as ps:
        ...     ps.set("train.lr", 0.1, source="-D")
        ...     (hp.scope.train.lr | 0.0, ps.source("train.lr"))
        (0.1, '-D')
        """
        _write_target(self._n).set(checked(key), value, source)

    def source(self, key: str) -> Optional[str]:
        """Where the value of ``key`` came from, if it was set with a source label."""
        return self._n.source(checked(key))

    def keys(self) -> list:
        """Every key this scope sees, sorted.

        >>> import hyperparameter as hp
        >>> with hp.scope.empty(**{"b.x": 1, "a.y": 2}) as ps:
        ...     ps.keys()
        ['a.y', 'b.x']
        """
        return [_Key(key) for key in sorted(self._n.visible())]

    def items(self) -> list:
        """Every ``(key, value)`` this scope sees, sorted by key."""
        view = self._n.visible()
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
        target = _write_target(self._n)
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
        _write_target(self._n).clear()

    def snapshot(self) -> Scope:
        """A detached copy of everything this scope sees: picklable, enter it anywhere.

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
        for key in self._n.visible():
            label = self._n.source(key)
            if label is not None:
                labels[key] = label
        return labels

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._n.visible()))

    def __len__(self) -> int:
        return len(self._n.visible())

    def __repr__(self) -> str:
        node = self._n
        own = ", ".join(f"{k!r}: {v!r}" for k, v in sorted(node.own.items()))
        if node.parent is _baseline:
            state = "thread root"
        else:
            state = "entered" if node.token is not None else "not entered"
        return f"<hp.Scope {{{own}}} ({state}; sees {len(self)} keys)>"


# Scope.__setattr__ writes parameters, so its own slot is set through the slot itself.
_set_node = Scope._n.__set__  # type: ignore[attr-defined]
_new_node = object.__new__


def _enter_unusual(node: _Node) -> None:
    """Entering a scope that is entered already, a thread root, an ``empty()`` scope, or one
    entered before (its mirror was made for the parent it had then)."""
    if node.token is not None:
        raise ScopeOrderError("this scope is already entered; make a new one with hp.scope(...)")
    if node.parent is _baseline:
        raise ScopeOrderError("a thread's root scope cannot be entered")
    if node.native is not None:
        backend.release(node.native)
        node.native = None
    if node.own is _GONE:
        node.own = {}
    if node.parent is None:
        node.below = _current_get() or _thread_root()  # an empty() scope hides, not inherits
    else:
        node.parent = _current_get() or _thread_root()


#: Code flags of frames that share their caller's context yet can leave a ``with`` block
#: suspended: generators (a coroutine runs in its task's context).
_SUSPENDABLE = 0x20 | 0x200  # CO_GENERATOR | CO_ASYNC_GENERATOR


def _closing_generator(exc_type: Any, node: _Node) -> bool:
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


def _retire(node: _Node) -> None:
    """End a scope that cannot be unwound in order: its values are gone at once, for every
    thread and context that may still hold it (Python reads pass through it, native ones too:
    its mirror is emptied), and a context that finds it current moves to its parent."""
    node.own = _GONE
    node.sources = None
    node.token = node.owner = None
    if node.injectors:
        _forget_injectors(node)
    if node.native is not None:
        node.mirror(backend.clear)
        backend.release(node.native)
        node.native = None
    versions.bump()
    _mark_stale()


def _exit_refused(node: _Node) -> ScopeOrderError:
    if node.token is None:
        return ScopeOrderError("scope exited but it is not entered (exited twice?)")
    return ScopeOrderError(
        "scope exited out of order: it is not the innermost scope of this thread or "
        "task (exit inner scopes first, in the thread or task that entered them)"
    )


def _restore(items: Any, sources: Optional[dict] = None) -> Scope:
    """A detached scope holding ``items`` (``(key, value)`` pairs) and their source labels:
    what a snapshot pickles to. Keys are checked, as everywhere: a pickle is input too."""
    made = Scope()
    node = made._n
    for key, value in items:
        node.own[checked(key)] = value
    for key, label in (sources or {}).items():
        if key in node.own and isinstance(label, str):
            node.label(key, label)
    return made


# --- hp.scope: the reader of the current scope, and the maker of new ones --------------------


class _Reader(dict):
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

    get = _accessor_property("get")
    pop = _accessor_property("pop")
    popitem = _accessor_property("popitem")
    setdefault = _accessor_property("setdefault")
    fromkeys = _accessor_property("fromkeys")
    copy = _accessor_property("copy")

    # Calling the reader makes a Scope: the class itself, so no wrapper call is paid.
    __call__ = Scope  # type: ignore[assignment]

    def __missing__(self, key: str) -> _Accessor:
        accessor = _Accessor(checked(key))
        if dict.__len__(self) > _CACHE_LIMIT:
            dict.clear(self)
        dict.__setitem__(self, key, accessor)
        return accessor

    def __getattr__(self, name: str) -> _Accessor:
        if name.startswith("__") or name.startswith("_ipython"):
            raise AttributeError(name)
        accessor = _Accessor(checked(name))
        self.__dict__[name] = accessor
        return accessor

    def __setattr__(self, name: str, value: Any) -> None:
        current_node().set(checked(name), value)

    def __setitem__(self, key: str, value: Any) -> None:
        current_node().set(checked(key), value)

    def __delitem__(self, key: str) -> None:
        raise TypeError("parameters are removed by leaving their scope, or with hp.scope.clear()")

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and current_node().lookup(checked(key)) is not _MISSING

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
        made._n.parent = None
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
        _baseline.publish(current_node().visible())
        versions.bump()

    def init(self, values: Optional[Mapping] = None, **more: Any) -> None:
        """Set values in this thread's root scope (for a new thread, before its work starts).

        >>> import hyperparameter as hp, threading
        >>> def worker(out):
        ...     hp.scope.init({"worker.id": 3})
        ...     out.append(hp.scope.worker.id | -1)
        >>> out = []; t = threading.Thread(target=worker, args=(out,)); t.start(); t.join(); out
        [3]
        """
        root = _thread_root()
        for key, value in _flatten({**(values or {}), **more}):
            root.set(key, value)  # tells the engine, as every write does

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
        return current_node().source(checked(key))

    def snapshot(self) -> Scope:
        """A picklable copy of everything the current scope sees."""
        return self.current().snapshot()


scope = _Reader()

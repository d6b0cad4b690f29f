"""The state behind ``hp.scope``: scope nodes, the frozen baseline, and the current node.

Values live in Python: each scope is a node holding its own values and a pointer to its
parent, so a Python read never calls into native code. The current node is kept per thread
and per asyncio task in a ``ContextVar``; every thread's chain ends in its root node, whose
parent is the baseline.

The native engine keeps a *mirror* of the nodes native code has looked at (see ``_mirror``).
This module keeps the two in step where a node changes: a change to a mirrored node is made to
its mirror too, and a change the mirror does not have yet marks the thread as needing a *sync*.
"""

from __future__ import annotations

import copyreg
import itertools
import os
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, Optional

from ._backends import backend
from ._suggester import Suggester
from ._types import convert_other

#: A value that is not there (``None`` is a value).
MISSING: Any = object()
#: The ``values`` of a retired scope: one left by a generator on another thread or after
#: other scopes (see ``retire``). It holds nothing and takes nothing; reads pass through it.
GONE: Any = MappingProxyType({})
#: The types a read with a default converts to by the engine's rules (the others: ``_types``).
CONVERTIBLE = (bool, int, float, str)
#: Values stored as they are: a dict value of any other type is flattened into keys.
PLAIN_TYPES = frozenset({bool, int, float, str, type(None)})
NATIVE = backend.name == "native"
#: Keys already checked, so a hot ``with`` does not check them again.
VALID_KEYS: set = set()
#: How many keys or accessors a cache keeps before it starts again.
CACHE_LIMIT = 100_000


class Changes:
    """A counter bumped by every change to any scope, so readers may cache per (node, count)
    (``@hp.param`` does)."""

    __slots__ = ("counter", "value")

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.value = 0

    def bump(self) -> None:
        self.value = next(self.counter)

    def __reduce__(self) -> str:
        return "changes"  # the process's own counter, wherever it is unpickled


changes = Changes()


def valid_key(key: str) -> str:
    """``key`` if it follows the key rules, else InvalidKeyError (valid keys are remembered)."""
    if type(key) is not str or key not in VALID_KEYS:
        if not isinstance(key, str):
            raise TypeError(f"parameter keys are str, got {type(key).__name__}: {key!r}")
        backend.check_key(key)
        if len(VALID_KEYS) > CACHE_LIMIT:
            VALID_KEYS.clear()
        VALID_KEYS.add(key)
    return key


def coerce(key: str, value: Any, default: Any) -> Any:
    """The value of a read with ``default``: converted when the default's type asks for it
    (the four scalars by the engine's rules, other types by ``_types``). A suggester is
    called, and what it suggests is converted."""
    if type(value) is Suggester:
        value = value()
    if value is None or default is None or type(value) is type(default):
        return value
    if type(default) in CONVERTIBLE:
        return backend.convert(key, value, type(default))
    return convert_other(key, value, type(default))


# --- nodes ------------------------------------------------------------------------------------


class Node:
    """One scope's state: its own values, its parent, and its native mirror (if made).

    A node without a parent is an ``empty()`` scope: no outer scopes, no baseline.
    """

    __slots__ = (
        "values",  # the values this scope sets itself (GONE once retired)
        "parent",  # the scope it inherits from (None: an empty() scope)
        "sources",  # provenance labels of some of ``values``' keys, or None
        "mirror",  # the engine's handle of its mirror, once native code has looked at it
        "token",  # the ContextVar token while entered
        "scope",  # the Scope object, while entered or asked for
        "hidden",  # while an empty() scope is entered: the scope it hides
        "injectors",  # weak references to hp.param injectors whose cache holds this node
        "__weakref__",
    )

    def __init__(self, values: dict, parent: Optional[Node]) -> None:
        self.values = values
        self.parent = parent
        self.sources = self.mirror = self.token = self.scope = self.hidden = self.injectors = None

    def label(self, key: str, source: Optional[str]) -> None:
        """Record where the value of ``key`` came from (None: forget it)."""
        if source is not None:
            if self.sources is None:
                self.sources = {}
            self.sources[key] = source
        elif self.sources:
            self.sources.pop(key, None)

    def set(self, key: str, value: Any, source: Optional[str] = None) -> None:
        if self.values is GONE:
            return live(self).set(key, value, source)
        self.values[key] = value
        self.label(key, source)
        if self.mirror is not None:
            self.write_through(backend.set, key, value, source)
        elif NATIVE:
            need_sync()
        changes.bump()

    def clear(self) -> None:
        if self.values is GONE:
            return live(self).clear()
        self.values.clear()
        self.sources = None
        if self.mirror is not None:
            self.write_through(backend.clear)
        changes.bump()

    def write_through(self, change: Any, *args: Any) -> None:
        """Make the same change to the mirror. The engine reports native writes into a mirror
        back to Python (``_mirror.take_native_write``), which leaves this one alone: Python
        made it."""
        threads.writing = self
        try:
            change(self.mirror, *args)
        finally:
            threads.writing = None

    def chain(self) -> Iterator[Node]:
        node: Optional[Node] = self
        while node is not None:
            yield node
            node = node.parent

    def visible(self) -> dict:
        """Everything this node sees, inner values winning."""
        view: dict = {}
        for node in reversed(list(self.chain())):
            view.update(node.values)
        return view

    def lookup(self, key: str) -> Any:
        node: Optional[Node] = self
        while node is not None:
            value = node.values.get(key, MISSING)
            if value is not MISSING:
                return value
            node = node.parent
        return MISSING

    def source(self, key: str) -> Optional[str]:
        for node in self.chain():
            if key in node.values:
                return (node.sources or {}).get(key)
        return None

    def forget_injectors(self) -> None:
        """Drop the ``@hp.param`` caches that hold this node (and so its values)."""
        # Weak references (_param._forget_on_exit); a tuple, as another thread sharing this
        # node may note one meanwhile.
        for noted in tuple(self.injectors or ()):
            injector = noted()
            if injector is not None:
                injector.forget(self)
        self.injectors = None


class Baseline(Node):
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
                    self.values = values
                    self.generation = generation
                    changes.bump()

    def publish(self, values: dict) -> None:
        """Make ``values`` the baseline of every thread and every language, atomically.

        A publication installs a new dict, never changes the one installed: a reader that took
        it sees one whole publication.
        """
        with self.lock:
            if not NATIVE:
                self.values = values
                return
            need_sync()
            before = backend.baseline_generation()
            backend.publish_baseline()  # the engine publishes this thread's view: ``values``
            after = backend.baseline_generation()
            if after == before + 1:
                self.values, self.generation = values, after
            else:  # native code on another thread published too, in between: take the latest
                self.generation, self.values = backend.load_baseline()

    def before_fork(self) -> None:
        self.lock.acquire()  # no publication or reload is half done when the process forks

    def after_fork_in_parent(self) -> None:
        self.lock.release()

    def after_fork_in_child(self) -> None:
        self.lock = threading.RLock()  # the child's only thread: nobody else can hold it


baseline = Baseline()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=baseline.before_fork,
        after_in_parent=baseline.after_fork_in_parent,
        after_in_child=baseline.after_fork_in_child,
    )

# --- the current node -------------------------------------------------------------------------

current_var: ContextVar[Optional[Node]] = ContextVar("hyperparameter.scope", default=None)


def _reduce_context_var(var: ContextVar) -> Any:
    """Pickle this module's context variable as a reference to the receiving process's own.

    An ``@hp.param`` function defined in ``__main__`` or a notebook is pickled by value by
    cloudpickle (Dask, Ray, loky), closure and all, and its wrapper reads ``current_var``.
    Any other context variable still cannot be pickled, as before.
    """
    if var is current_var:
        return (shared, ("current_var",))
    raise TypeError(f"cannot pickle {type(var).__name__!r} object")


def shared(name: str) -> Any:
    """One of this module's process-wide objects, by name (what pickles refer to)."""
    return globals()[name]


copyreg.pickle(ContextVar, _reduce_context_var)
# Bound once: a module that imports ``current_var`` and calls ``current_var.set(...)`` pays for
# a bound method on every call (CPython compiles a call on an imported name without the
# method-call shortcut), so hot paths import these instead.
current_get = current_var.get
current_set = current_var.set
current_reset = current_var.reset
#: Per thread: ``root`` (its root node), ``unsynced`` (the engine's flag for this thread),
#: ``writing`` (the node whose mirror Python is writing).
threads = threading.local()


def thread_root() -> Node:
    """This thread's root node (made on first use), made current in this context."""
    root = getattr(threads, "root", None)
    if root is None:
        baseline.refresh()
        root = Node({}, baseline)
        threads.root = root
        if NATIVE:
            threads.unsynced = backend.stale_flag()
            threads.unsynced[0] = True
    if current_get() is None:
        current_var.set(root)
    return root


def current_node() -> Node:
    """The innermost scope node of this thread or asyncio task."""
    node = current_get() or thread_root()
    if node.values is GONE:
        node = live(node)
        current_var.set(node)  # this context forgets the retired scope for good
    return node


def live(node: Node) -> Node:
    """The nearest scope at or above ``node`` that is not retired."""
    while node.values is GONE:
        node = node.parent if node.parent is not None else (node.hidden or thread_root())
    return node


# --- keeping the engine in step ---------------------------------------------------------------

#: ``[True]`` once native code has first looked at a Python scope. Until then no change needs
#: telling: each thread's flag is raised when its root is made, and stays raised until a sync.
#: (A list, so modules that test it on hot paths share it without a module attribute lookup.)
native_looked = [False]


def need_sync() -> None:
    """Tell the engine this thread's scopes changed; it syncs when native code next looks."""
    if not native_looked[0]:
        return
    flag = getattr(threads, "unsynced", None)
    if flag is None:
        thread_root()
        flag = threads.unsynced
    flag[0] = True


def retire(node: Node) -> None:
    """End a scope that cannot be unwound in order: its values are gone at once, for every
    thread and context that may still hold it (Python reads pass through it, native ones too:
    its mirror is emptied), and a context that finds it current moves to its parent."""
    node.values = GONE
    node.sources = None
    node.token = node.scope = None
    if node.injectors:
        node.forget_injectors()
    if node.mirror is not None:
        node.write_through(backend.clear)
        backend.release(node.mirror)
        node.mirror = None
    changes.bump()
    need_sync()

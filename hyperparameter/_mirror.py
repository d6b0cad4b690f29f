"""The native mirror: how C, C++ and Rust code on a thread sees the scopes Python holds.

Two words carry the whole protocol:

- a **mirror** is the engine's copy of a Python node (a native scope with the same values and
  sources, child of its parent's mirror), made the first time native code looks at that node;
  from then on every change to the node is made to its mirror too (``Node.write_through``), and
  native writes into the mirror come back to the node (``take_native_write``);
- a **sync** is the engine asking Python, on the thread where native code is about to read,
  for that thread's current scope (``sync``): the engine calls it when Python marked the thread
  as changed (``_state.need_sync``) or when the thread switched contexts, and it mirrors the
  current node and makes that mirror the thread's current native scope.

Native scopes entered on a Python thread (a C++ ``WITH_PARAMS`` guard) become Python nodes in
turn (``follow_native_stack``): one stack per thread, whichever language entered the scope.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any, Optional

from ._backends import backend
from ._state import (
    GONE,
    NATIVE,
    Node,
    baseline,
    changes,
    current_get,
    current_node,
    current_reset,
    current_set,
    native_looked,
    threads,
)

#: Python nodes that have a mirror, by the id the engine reports writes into the mirror under.
mirrored: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_mirror_ids = itertools.count(1)


def mirror_of(node: Node) -> Any:
    """The engine's handle of ``node``'s mirror, made now (with those of its ancestors that
    have none yet) if native code never looked at it."""
    pending = []
    walk: Optional[Node] = node
    while walk is not None and walk is not baseline and walk.mirror is None:
        pending.append(walk)
        walk = walk.parent
    for item in reversed(pending):
        if item.parent is baseline:
            handle = backend.new_root()
        elif item.parent is None:
            handle = backend.empty()
        else:
            handle = backend.child(item.parent.mirror)
        sources = item.sources or {}
        for key, value in item.values.items():
            backend.set(handle, key, value, sources.get(key))
        adopt(item, handle)
    return node.mirror


def adopt(node: Node, handle: Any) -> None:
    """Make ``handle`` the mirror of ``node``; native writes into it come back to the node."""
    node.mirror = handle
    mirror_id = next(_mirror_ids)
    mirrored[mirror_id] = node
    backend.watch(handle, mirror_id)


def take_native_write(mirror_id: int, key: Optional[str]) -> None:
    """Called by the engine after native code wrote ``key`` (None: cleared everything) into a
    mirror, on the writing thread: the node takes the change over."""
    node = mirrored.get(mirror_id)
    if node is None or node.mirror is None or getattr(threads, "writing", None) is node:
        return  # gone, exited, or Python's own write
    if key is None:
        node.values.clear()
        node.sources = None
    else:
        try:
            value, source = backend.read(node.mirror, key)
        except KeyError:  # cleared again meanwhile
            node.values.pop(key, None)
            source = None
        else:
            node.values[key] = value
        node.label(key, source)
    changes.bump()


def sync() -> None:
    """Called by the engine on this thread, in its current context, before native code reads
    a scope Python changed, or after the thread switched contexts (``Context.run``, an asyncio
    task step, ``asyncio.to_thread``): the engine follows the context's current scope."""
    native_looked[0] = True
    baseline.refresh()
    backend.activate(mirror_of(current_node()))


def follow_native_stack(entered: Any, exited_id: int) -> None:
    """Called by the engine after native code entered (``entered``, a handle) or exited a
    scope on this Python thread: one stack per thread, whichever language entered the scope.

    An entered native scope becomes this context's innermost node, mirrored by that native
    scope itself, so Python reads see its values (native writes into it come back through
    ``take_native_write``) and a Python scope entered inside builds on it. Its exit makes the
    node's parent current again; the engine refuses the exit while a Python scope entered
    inside is still open.
    """
    if entered is None:
        node = current_get()
        if node is not None and node.token is not None and mirrored.get(exited_id) is node:
            current_reset(node.token)
            node.token = node.mirror = None
            node.values = GONE  # it is gone for every context that may still hold it
            if node.injectors:
                node.forget_injectors()
            changes.bump()
        return
    node = Node(dict(backend.own_items(entered)), current_node())
    adopt(node, entered)
    node.token = current_set(node)
    changes.bump()


if NATIVE:
    backend.register_sync(sync)
    backend.register_write(take_native_write)
    backend.register_stack(follow_native_stack)

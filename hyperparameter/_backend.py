"""The backend interface, and the choice between the native engine and pure Python.

A backend supplies the engine's rules (key check, hash, conversion, definition parsing) and
mirrors the Python scopes into native state so that C, C++ and Rust code on the same thread
read the same values. The pure-Python backend has the same rules and no native state.

Chosen once, at import: the native engine unless ``HYPERPARAMETER_BACKEND=python``, or unless
it cannot be loaded (then one warning, and pure Python).
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Optional, Protocol

from . import _rules


class Backend(Protocol):
    name: str

    def check_key(self, key: str) -> None: ...
    def hash_key(self, key: str) -> int: ...
    def convert(self, key: str, value: Any, wanted: type) -> Any: ...
    def parse_value(self, text: str) -> Any: ...

    # Native mirror: a node is an opaque handle (None in pure Python).
    def new_root(self) -> Any: ...
    def child(self, parent: Any) -> Any: ...
    def empty(self) -> Any: ...
    def set(self, node: Any, key: str, value: Any, source: Optional[str]) -> None: ...
    def clear(self, node: Any) -> None: ...
    def release(self, node: Any) -> None: ...
    def activate(self, node: Any) -> None: ...
    def publish_baseline(self) -> None: ...
    def baseline_generation(self) -> int: ...
    def load_baseline(self) -> tuple: ...  # (generation, values) of one publication
    def stale_flag(self) -> Any: ...
    def register_sync(self, callback: Callable[[], None]) -> None: ...
    # Native writes into mirrored nodes: the hook gets (tag, key or None for a clear).
    def watch(self, node: Any, tag: int) -> None: ...
    def register_write(self, callback: Callable[[int, Optional[str]], None]) -> None: ...
    def read(self, node: Any, key: str) -> tuple: ...  # (value, source)
    def register_stack(self, callback: Callable[[Any, int], None]) -> None: ...
    def own_items(self, node: Any) -> list: ...  # [(key, value)] the node itself holds


class PureBackend:
    """The engine's rules in Python, without native state."""

    name = "python"
    check_key = staticmethod(_rules.check_key)
    hash_key = staticmethod(_rules.hash_key)
    convert = staticmethod(_rules.convert)
    parse_value = staticmethod(_rules.parse_value)

    def new_root(self) -> None:
        return None

    def child(self, parent: Any) -> None:
        return None

    def empty(self) -> None:
        return None

    def set(self, node: Any, key: str, value: Any, source: Optional[str]) -> None:
        pass

    def clear(self, node: Any) -> None:
        pass

    def release(self, node: Any) -> None:
        pass

    def activate(self, node: Any) -> None:
        pass

    def publish_baseline(self) -> None:
        pass

    def baseline_generation(self) -> int:
        return 0

    def load_baseline(self) -> tuple:
        return 0, {}

    def stale_flag(self) -> None:
        return None

    def register_sync(self, callback: Callable[[], None]) -> None:
        pass

    def watch(self, node: Any, tag: int) -> None:
        pass

    def register_write(self, callback: Callable[[int, Optional[str]], None]) -> None:
        pass

    def read(self, node: Any, key: str) -> tuple:
        raise KeyError(key)  # no native state: nothing is ever written natively


def _select() -> Backend:
    wanted = os.environ.get("HYPERPARAMETER_BACKEND", "").strip().lower()
    if wanted in ("python", "pure"):
        return PureBackend()
    if wanted not in ("", "native", "rust"):
        raise ImportError(f"HYPERPARAMETER_BACKEND={wanted!r}: expected 'native' or 'python'")
    try:
        from ._native import NativeBackend

        return NativeBackend()
    except (ImportError, OSError) as exc:
        if wanted:
            raise
        warnings.warn(
            f"hyperparameter: native engine unavailable ({exc}); using the pure-Python backend",
            RuntimeWarning,
            stacklevel=3,
        )
        return PureBackend()


backend: Backend = _select()

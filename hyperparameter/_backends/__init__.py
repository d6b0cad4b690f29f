"""The backends: the seam between the Python front end and the engine.

A backend supplies the engine's rules (key check, hash, conversion, definition parsing) and
mirrors the Python scopes into native state, so that C, C++ and Rust code on the same thread
read the same values. Two implement the ``Backend`` protocol below:

- ``native.py``: the engine itself, through cffi (the only module that touches it);
- ``pure.py``: the same rules written in Python, without native state, for when the engine
  cannot load.

``wording.py`` holds the words of their errors, ``values.py`` what a Python object stands for,
and ``keychars.py`` which characters a key may hold; both backends use all three.

``backend`` is chosen once, at import: the native engine unless ``HYPERPARAMETER_BACKEND=python``,
or unless it cannot be loaded (then one warning, and pure Python; no warning when the package
was built without the engine on purpose, with ``HYPERPARAMETER_BACKEND=python`` at build
time). The rest of the package imports only that: ``from ._backends import backend``.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Optional, Protocol

from .pure import PureBackend


class Backend(Protocol):
    """What the front end asks of a backend.

    A *node* is a native scope: an opaque handle, freed when it is collected or released (in
    pure Python every node is None and the native calls do nothing). The front end checks
    keys (``check_key``) before it hands them to the node calls.
    """

    #: ``"native"`` or ``"python"``.
    name: str

    def abi_version(self) -> Optional[int]:
        """The C ABI version of the loaded engine (``HP_ABI_VERSION``), or None for the
        pure-Python backend, which has no engine."""
        ...

    # --- the rules ----------------------------------------------------------------------------

    def check_key(self, key: str) -> None:
        """Return None if ``key`` follows the key rules (rust/src/key.rs); otherwise raise
        ``InvalidKeyError`` saying why, with the key quoted (cut short if very long)."""

    def hash_key(self, key: str) -> int:
        """Return XXH64 of the key's UTF-8 bytes with seed 42, as every language hashes keys.
        The key is not checked. Text that is not UTF-8 (lone surrogates) has no hash: the
        native backend raises ``InvalidKeyError``, the pure one ``UnicodeEncodeError``."""

    def convert(self, key: str, value: Any, wanted: type) -> Any:
        """Return ``value`` converted to ``wanted`` (bool, int, float or str) by the one
        conversion rule set (rust/src/convert.rs), as an object of exactly that type. A
        subclass or number-like converts as the plain value it stands for (``values.plain``).
        Raise ``ConversionError`` naming ``key``, the value and ``wanted`` when the rules do
        not allow it (nothing is truncated or guessed)."""

    def parse_value(self, text: str) -> Any:
        """Return the value the text of a ``key=value`` definition stands for: an int, a
        float, True/False, None (``null``/``none``), or else ``text`` itself. Never raises
        for a str."""

    # --- native state: nodes ------------------------------------------------------------------

    def new_root(self) -> Any:
        """Return a new node without parent that reads through to the frozen baseline."""

    def child(self, parent: Any) -> Any:
        """Return a new, empty node that sees everything ``parent`` sees."""

    def empty(self) -> Any:
        """Return a new node without parent that does not read the baseline."""

    def set(self, node: Any, key: str, value: Any, source: Optional[str]) -> None:
        """Write ``key`` = ``value`` into ``node`` alone, labelled with ``source`` if given.
        Native readers see a bool, int (within i64), float or str as that value, a subclass
        or number-like as its plain value, and anything else as an opaque host object, which
        the engine keeps alive until the entry is overwritten or cleared or the node freed.
        Raise ``InvalidKeyError`` (a key or source that is not UTF-8, or a key the engine
        refuses) or ``HyperparameterError`` (a key with the hash of another key already in
        the node: the value is not written)."""

    def clear(self, node: Any) -> None:
        """Remove every entry ``node`` itself holds."""

    def release(self, node: Any) -> None:
        """Free ``node`` now, without waiting for collection; it is not used again."""

    def read(self, node: Any, key: str) -> tuple:
        """Return ``(value, source)`` of ``key`` as ``node`` sees it (``source`` None when
        unlabelled). Raise ``KeyError`` when it is not set (always, in pure Python)."""

    def own_items(self, node: Any) -> list:
        """Return ``[(key, value)]`` of the entries ``node`` itself holds, not its parents'."""

    # --- native state: the thread and the baseline --------------------------------------------

    def activate(self, node: Any) -> None:
        """Make ``node`` the calling thread's current scope for native code, beneath the
        scopes native code entered and without their last-in-first-out rule (so interleaved
        asyncio tasks may switch in any order); None makes it the thread's root again."""

    def publish_baseline(self) -> None:
        """Publish what the calling thread's native current scope sees as the frozen baseline,
        in one step, for every thread; the baseline generation moves on."""

    def baseline_generation(self) -> int:
        """Return the count of baseline publications so far, from any language (one memory
        read, cheap enough to check on every read). Always 0 in pure Python."""

    def load_baseline(self) -> tuple:
        """Return ``(generation, values)`` of one published baseline, never a mix of two."""

    def stale_flag(self) -> Any:
        """Return the calling thread's stale flag (a cffi ``bool *``, to be used on that thread
        only; None in pure Python). Storing True in it asks the engine to call the sync
        callback before native code next reads the thread's current scope: raising it is no
        call into the library."""

    # --- native state: callbacks (one each; registering again replaces it) ---------------------

    def register_sync(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` on a thread whose stale flag is raised, before native code
        there reads its current scope; it is to ``activate`` the thread's current node. An
        exception in it fails that native read (``HP_HOST_ERROR`` with the reason)."""

    def watch(self, node: Any, tag: int) -> None:
        """Report native writes into ``node`` made on the calling thread to the write callback,
        with ``tag``."""

    def register_write(self, callback: Callable[[int, Optional[str]], None]) -> None:
        """Call ``callback(tag, key)`` after native code on a Python thread wrote ``key`` into
        a watched node (``key`` None: it cleared the node)."""

    def register_stack(self, callback: Callable[[Any, int], None]) -> None:
        """Call ``callback(node, exited_tag)`` after native code on a Python thread entered a
        scope (``node``: a handle to it, the thread's current scope now) or exited one
        (``node`` None; ``exited_tag``: the tag the exited scope is watched under, 0 if
        none)."""


def _select() -> Backend:
    wanted = os.environ.get("HYPERPARAMETER_BACKEND", "").strip().lower()
    if wanted in ("python", "pure"):
        return PureBackend()
    if wanted not in ("", "native", "rust"):
        raise ImportError(f"HYPERPARAMETER_BACKEND={wanted!r}: expected 'native' or 'python'")
    try:
        from .native import NativeBackend

        return NativeBackend()
    except (ImportError, OSError) as exc:
        from .._build_info import built_without_engine  # only on this rare path

        if built_without_engine():
            if wanted:
                raise ImportError(
                    f"HYPERPARAMETER_BACKEND={wanted!r}, but this hyperparameter was built without "
                    "the native engine (HYPERPARAMETER_BACKEND=python at build time); reinstall it "
                    "with the Rust toolchain present"
                ) from exc
            return PureBackend()  # chosen at build time: nothing to warn about
        if wanted:
            raise
        warnings.warn(unavailable_message(exc), RuntimeWarning, stacklevel=3)
        return PureBackend()


def unavailable_message(exc: BaseException) -> str:
    """Why the native engine did not load, and what to do about it."""
    from pathlib import Path  # only on this rare path: importing the package stays lean

    package = Path(__file__).resolve().parents[1]
    checkout = package.parent
    if (checkout / "Cargo.toml").is_file() and (checkout / "build_ffi.py").is_file():
        todo = (
            f"This is the source tree in {checkout}: run `python -m pip install -e "
            f"{_shell_path(checkout)}` to build the engine in place and install what it needs."
        )
    else:
        todo = "Reinstall it: `python -m pip install --force-reinstall --no-cache-dir hyperparameter`."
    return (
        f"hyperparameter: native engine unavailable ({exc}); using the pure-Python backend, so C, "
        f"C++ and Rust code will not see Python's scopes. {todo} To choose the pure-Python "
        "backend on purpose (and silence this), set HYPERPARAMETER_BACKEND=python."
    )


def _shell_path(path: Any) -> str:
    import shlex

    return "." if path == type(path).cwd().resolve() else shlex.quote(str(path))


backend: Backend = _select()

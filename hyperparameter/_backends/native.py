"""The native backend: the only module that touches cffi and ``libhyperparameter``.

The engine's rules (key check, hash, conversion, definition parsing) are the engine's own
calls, and every Python scope native code looks at is mirrored into engine nodes. Errors are
worded as the pure backend words them (``wording.py``), so both backends say the same.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any, Optional

from .._errors import ConversionError, HyperparameterError, InvalidKeyError, ScopeOrderError
from .._native_ffi import ffi, lib
from .keychars import is_key_char

# Fallbacks, the only use of the pure backend here: values the engine does not store. An int
# beyond i64 and text with lone surrogates (undecodable bytes from os.fsdecode) are values all
# the same; the pure backend's rules, which are the engine's, convert and parse them.
from .pure import convert as fallback_convert
from .pure import parse_value as fallback_parse_value
from .values import I64_MAX, I64_MIN, plain
from .wording import invalid_key, key_bad_char, mismatch_error

ABI_VERSION = 3
if lib.hp_abi_version() != ABI_VERSION:
    raise ImportError(
        f"libhyperparameter ABI version {lib.hp_abi_version()} does not match this package "
        f"({ABI_VERSION}); reinstall hyperparameter"
    )
if lib.hp_engine_check() != lib.HP_OK:
    # Not an ImportError: falling back to pure Python would leave two states, silently.
    raise RuntimeError(ffi.string(lib.hp_last_error()).decode("utf-8", "replace"))

_ERRORS = {
    lib.HP_INVALID_KEY: InvalidKeyError,
    lib.HP_INVALID_UTF8: InvalidKeyError,
    lib.HP_TYPE_MISMATCH: ConversionError,
    lib.HP_NOT_FOUND: KeyError,
    lib.HP_SCOPE_ORDER: ScopeOrderError,
}
_KINDS = {bool: lib.HP_KIND_BOOL, int: lib.HP_KIND_INT, float: lib.HP_KIND_FLOAT, str: lib.HP_KIND_STR}

# Python objects the engine holds, by handle address; the engine's release callback drops them.
host_objects: dict[int, Any] = {}


@ffi.def_extern()
def _hp_release_host(pointer: Any) -> None:
    host_objects.pop(int(ffi.cast("uintptr_t", pointer)), None)


_sync_callback: list = []
_threads = threading.local()


class _ForgetContext:
    """Kept per thread while the engine follows the thread's context counter; when Python
    clears the thread's state (the thread ends), the engine stops reading that memory."""

    __slots__ = ()

    def __del__(self) -> None:
        lib.hp_host_context_watch(ffi.NULL)


@ffi.def_extern()
def _hp_sync_host() -> int:
    try:
        if getattr(_threads, "forget", None) is None:
            _threads.forget = _ForgetContext()
        for callback in _sync_callback:
            callback()
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the native reader
        reason = f"Python could not sync this thread's scopes for a native read: {type(exc).__name__}: {exc}"
        raw = reason.encode("utf-8", "replace")
        lib.hp_host_sync_fail(raw, len(raw))
        return lib.HP_HOST_ERROR
    return lib.HP_OK


_write_callback: list = []


@ffi.def_extern()
def _hp_host_write(tag: int, key: Any, key_len: int) -> None:
    text = None if key == ffi.NULL else ffi.unpack(key, key_len).decode("utf-8")
    for callback in _write_callback:
        callback(int(tag), text)


_stack_callback: list = []


@ffi.def_extern()
def _hp_host_stack(entered: bool, exited_tag: int) -> None:
    handle = ffi.gc(lib.hp_scope_current(), lib.hp_scope_free) if entered else None
    for callback in _stack_callback:
        callback(handle, int(exited_tag))


def _shutdown() -> None:
    # At interpreter exit native code must no longer call into Python, nor read the context
    # counters of Python threads (their memory is freed during shutdown).
    lib.hp_host_sync_register(ffi.NULL)
    lib.hp_host_write_register(ffi.NULL)
    lib.hp_host_stack_register(ffi.NULL)
    lib.hp_disable_host_release()


atexit.register(_shutdown)


_RELEASE = ffi.addressof(lib, "hp_py_release")


def last_error() -> str:
    """The message of the calling thread's last failed engine call."""
    return ffi.string(lib.hp_last_error()).decode("utf-8", "replace")


def _raise(status: int) -> None:
    raise _ERRORS.get(status, HyperparameterError)(last_error())


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidKeyError(f"{what} {text!r} is not valid UTF-8: {exc.reason}") from None


def _refusal_reason(key: str) -> str:
    """Why the engine refused ``key``: the reason that ends its message (rust/src/key.rs
    ``KeyError``, in the words of wording.py), with a refused character quoted as Python
    quotes it."""
    message = last_error()
    start = message.rfind(": key ")
    reason = message[start + 2 :] if start >= 0 else message
    if reason.startswith("key contains "):
        refused = next((char for char in key if char != "." and not is_key_char(char)), None)
        if refused is not None:
            return key_bad_char(refused)
    return reason


def _from_value(value: Any) -> Any:
    """A Python object from a filled ``hp_value``; frees its string."""
    kind = value.kind
    if kind == lib.HP_KIND_BOOL:
        return bool(value.boolean)
    if kind == lib.HP_KIND_INT:
        return int(value.integer)
    if kind == lib.HP_KIND_FLOAT:
        return float(value.number)
    if kind == lib.HP_KIND_STR:
        text = ffi.unpack(value.string.ptr, value.string.len).decode("utf-8") if value.string.len else ""
        lib.hp_value_clear(value)
        return text
    if kind == lib.HP_KIND_HOST:
        address = int(ffi.cast("uintptr_t", value.host))
        return ffi.from_handle(value.host) if address in host_objects else NativeObject(address)
    return None


class NativeObject:
    """A value native code stored as an opaque pointer: Python can hold it, not look inside."""

    __slots__ = ("address",)

    def __init__(self, address: int) -> None:
        self.address = address

    def __eq__(self, other: object) -> bool:
        return type(other) is NativeObject and other.address == self.address

    def __hash__(self) -> int:
        return hash(self.address)

    def __repr__(self) -> str:
        return f"<native object at {self.address:#x}>"


class NativeBackend:
    """Rules from the engine, and every Python scope mirrored into it."""

    name = "native"

    def __init__(self) -> None:
        self._baseline_generation = lib.hp_baseline_generation()

    @staticmethod
    def abi_version() -> Optional[int]:
        return int(lib.hp_abi_version())

    # --- rules --------------------------------------------------------------------------

    def check_key(self, key: str) -> None:
        raw = _utf8(key, "key")
        if lib.hp_key_check(raw, len(raw)):
            raise invalid_key(key, _refusal_reason(key))

    def hash_key(self, key: str) -> int:
        raw = _utf8(key, "key")
        out = ffi.new("uint64_t *")
        lib.hp_hash(raw, len(raw), out)
        return int(out[0])

    def convert(self, key: str, value: Any, wanted: type) -> Any:
        source = ffi.new("hp_value *")
        kind = type(value)
        if value is None:
            source.kind = lib.HP_KIND_NULL
        elif kind is bool:
            source.kind, source.boolean = lib.HP_KIND_BOOL, value
        elif kind is int and I64_MIN <= value <= I64_MAX:
            source.kind, source.integer = lib.HP_KIND_INT, value
        elif kind is float:
            source.kind, source.number = lib.HP_KIND_FLOAT, value
        elif kind is str:
            try:
                raw = value.encode("utf-8")
            except UnicodeEncodeError:
                return fallback_convert(key, value, wanted)  # lone surrogates
            keep = ffi.from_buffer(raw)
            source.kind, source.string.ptr, source.string.len = (
                lib.HP_KIND_STR,
                ffi.cast("char *", keep),
                len(raw),
            )
        else:
            base = plain(value)
            if base is not value:  # a subclass or number-like converts as its plain value
                return self.convert(key, base, wanted)
            if kind is int:
                return fallback_convert(key, value, wanted)  # beyond i64
            raise mismatch_error(key, value, wanted)  # an object stands for no value
        out = ffi.new("hp_value *")
        if lib.hp_convert(source, _KINDS[wanted], out):
            raise mismatch_error(key, value, wanted)
        return _from_value(out)

    def parse_value(self, text: str) -> Any:
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:
            return fallback_parse_value(text)  # lone surrogates
        out = ffi.new("hp_value *")
        status = lib.hp_parse_value(raw, len(raw), out)
        if status:
            _raise(status)
        return _from_value(out)

    # --- the mirror ---------------------------------------------------------------------

    def new_root(self) -> Any:
        return ffi.gc(lib.hp_scope_new_root(), lib.hp_scope_free)

    def child(self, parent: Any) -> Any:
        return ffi.gc(lib.hp_scope_new(parent), lib.hp_scope_free)

    def empty(self) -> Any:
        return ffi.gc(lib.hp_scope_new_empty(), lib.hp_scope_free)

    def set(self, node: Any, key: str, value: Any, source: Optional[str]) -> None:
        raw = _utf8(key, "key")
        kind = type(value)
        if value is None:
            status = lib.hp_set_null(node, raw, len(raw))
        elif kind is bool:
            status = lib.hp_set_bool(node, raw, len(raw), value)
        elif kind is int and I64_MIN <= value <= I64_MAX:
            status = lib.hp_set_i64(node, raw, len(raw), value)
        elif kind is float:
            status = lib.hp_set_f64(node, raw, len(raw), value)
        elif kind is str and value.isascii():
            text = value.encode("ascii")
            status = lib.hp_set_str(node, raw, len(raw), text, len(text))
        else:
            status = self._set_other(node, raw, value)
        if status:
            _raise(status)
        if source is not None:
            label = _utf8(source, "source")
            status = lib.hp_set_source(node, raw, len(raw), label, len(label))
            if status:
                _raise(status)

    @staticmethod
    def _set_other(node: Any, raw_key: bytes, value: Any) -> int:
        # Native readers see the plain value a subclass or number-like stands for (an IntEnum
        # its int, numpy.float64 its float); Python keeps the object itself in its own scopes.
        base = plain(value)
        kind = type(base)
        if kind is bool:
            return lib.hp_set_bool(node, raw_key, len(raw_key), base)
        if kind is int and I64_MIN <= base <= I64_MAX:
            return lib.hp_set_i64(node, raw_key, len(raw_key), base)
        if kind is float:
            return lib.hp_set_f64(node, raw_key, len(raw_key), base)
        if kind is str:
            try:
                text = base.encode("utf-8")
                return lib.hp_set_str(node, raw_key, len(raw_key), text, len(text))
            except UnicodeEncodeError:
                pass  # lone surrogates: keep the str as a host object
        handle = ffi.new_handle(value)
        address = int(ffi.cast("uintptr_t", handle))
        host_objects[address] = handle
        status = lib.hp_set_host(node, raw_key, len(raw_key), handle, _RELEASE)
        if status:
            host_objects.pop(address, None)
        return status

    def clear(self, node: Any) -> None:
        lib.hp_scope_clear(node)

    def release(self, node: Any) -> None:
        ffi.release(node)

    def activate(self, node: Any) -> None:
        lib.hp_scope_activate(ffi.NULL if node is None else node)

    def publish_baseline(self) -> None:
        lib.hp_frozen()

    def baseline_generation(self) -> int:
        return self._baseline_generation[0]

    def stale_flag(self) -> Any:
        return lib.hp_host_stale_flag()

    def register_sync(self, callback: Any) -> None:
        _sync_callback[:] = [callback]
        lib.hp_host_sync_register(ffi.addressof(lib, "hp_py_sync"))

    def register_stack(self, callback: Any) -> None:
        """``callback(handle, exited_tag)`` after native code entered (a handle) or exited
        (None and the exited scope's watch tag) a scope on a Python thread."""
        _stack_callback[:] = [callback]
        lib.hp_host_stack_register(ffi.addressof(lib, "hp_py_stack"))

    def watch(self, node: Any, tag: int) -> None:
        lib.hp_scope_watch(node, tag)

    def register_write(self, callback: Any) -> None:
        _write_callback[:] = [callback]
        lib.hp_host_write_register(ffi.addressof(lib, "hp_py_write"))

    @staticmethod
    def own_items(node: Any) -> list:
        """``(key, value)`` of the entries ``node`` itself holds."""
        return _entries(node, lib.hp_keys_own)

    @staticmethod
    def read(node: Any, key: str) -> tuple:
        """``(value, source)`` of ``key`` as ``node`` sees it; KeyError if it is not set."""
        raw = _utf8(key, "key")
        out = ffi.new("hp_value *")
        status = lib.hp_get(node, raw, len(raw), out)
        if status:
            _raise(status)
        value = _from_value(out)
        label = ffi.new("hp_string *")
        if lib.hp_get_source(node, raw, len(raw), label) != lib.HP_OK:
            return value, None
        source = ffi.unpack(label.ptr, label.len).decode("utf-8") if label.len else None
        lib.hp_string_free(label[0])
        return value, source

    def load_baseline(self) -> tuple:
        """``(generation, values)`` of one published baseline, never a mix of two.

        The listing and each value are read in separate calls; if a publication happened
        meanwhile (the counter moved), some may come from the newer one: read again.
        """
        root = ffi.gc(lib.hp_scope_new_root(), lib.hp_scope_free)
        while True:
            generation = self._baseline_generation[0]
            values = dict(_entries(root))
            if self._baseline_generation[0] == generation:
                return generation, values

    # --- diagnostics --------------------------------------------------------------------

    @staticmethod
    def live_host_objects() -> int:
        return int(lib.hp_live_host_objects())

    @staticmethod
    def native_get(key: str) -> Any:
        """Read ``key`` from the thread's native current scope, as C code would see it."""
        raw = _utf8(key, "key")
        out = ffi.new("hp_value *")
        status = lib.hp_get(ffi.NULL, raw, len(raw), out)
        if status:
            _raise(status)
        return _from_value(out)


def _entries(node: Any, listing_of: Any = lib.hp_keys) -> list:
    listing = ffi.new("hp_string *")
    status = listing_of(node, listing)
    if status:
        _raise(status)
    text = ffi.unpack(listing.ptr, listing.len).decode("utf-8") if listing.len else ""
    lib.hp_string_free(listing[0])
    pairs = []
    for key in filter(None, text.split("\n")):
        raw = key.encode("utf-8")
        out = ffi.new("hp_value *")
        if lib.hp_get(node, raw, len(raw), out) == lib.HP_OK:
            pairs.append((key, _from_value(out)))
    return pairs

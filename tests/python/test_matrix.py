"""The bad-input matrix (docs/errors.md), Python API rows (PY-xx) not already covered elsewhere.

Each test runs inside a scope holding a sentinel and checks it afterwards (``sentinel``
fixture): no row may crash, hang or corrupt later reads. Runs on both backends; the rows that
reach the engine's C ABI directly are native only.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import sys
import time

import pytest

import hyperparameter as hp
from hyperparameter import ConversionError, InvalidKeyError, MissingParameterError, ScopeOrderError

NATIVE = hp.backend_name() == "native"
native_only = pytest.mark.skipif(not NATIVE, reason="needs the native engine")

if NATIVE:
    from hyperparameter._backends.native import NativeBackend, ffi, lib

    native_get = NativeBackend.native_get
    live_host_objects = NativeBackend.live_host_objects


def native_i64(key: str) -> tuple[int, int | None]:
    """What C code gets from ``hp_get_i64`` on this thread: (status, value or None)."""
    raw = key.encode("utf-8")
    out = ffi.new("int64_t *")
    status = lib.hp_get_i64(ffi.NULL, raw, len(raw), out)
    return status, (int(out[0]) if status == lib.HP_OK else None)


def last_error() -> str:
    return ffi.string(lib.hp_last_error()).decode("utf-8", "replace")


@pytest.fixture
def sentinel():
    """A scope holding matrix.sentinel = 7, entered for the test and checked after it."""
    with hp.scope(**{"matrix.sentinel": 7, "matrix.text": "kept"}) as ps:
        yield ps
        assert hp.scope.current() is ps, "the row left a scope entered"
        assert hp.scope.matrix.sentinel() == 7
        assert (hp.scope.matrix.text | "") == "kept"
        if NATIVE:
            assert native_get("matrix.sentinel") == 7
            assert native_i64("matrix.sentinel") == (lib.HP_OK, 7)


# --- PY-01: None where a key or a scope argument is expected ----------------------------------


def test_py01_none_as_a_key_or_argument_is_a_type_error(sentinel):
    for attempt in (
        lambda: hp.scope[None] | 1,
        lambda: hp.scope(None),
        lambda: hp.scope({None: 1}),
        lambda: hp.scope.current().set(None, 1),
        lambda: sentinel.update({None: 1}),
    ):
        with pytest.raises(TypeError, match="None"):
            attempt()
    with pytest.raises(TypeError, match="namespace"):
        hp.param(42)  # hp.param(None) is hp.param(): the function's name is the namespace
    # None as a value is a value (it hides outer values), never "missing".
    with hp.scope(**{"matrix.sentinel": None}):
        assert (hp.scope.matrix.sentinel | 5) is None
        if NATIVE:
            assert native_get("matrix.sentinel") is None
            assert native_i64("matrix.sentinel")[0] == lib.HP_TYPE_MISMATCH


# --- PY-02: text that is not valid UTF-8 (lone surrogates, bytes) -------------------------------


def test_py02_lone_surrogates_and_bytes(sentinel):
    undecodable = os.fsdecode(b"\xff")  # '\udcff', what a bad byte in argv or a file name gives
    # As a key: refused on every path, on both backends.
    for attempt in (
        lambda: hp.scope[undecodable] | 1,
        lambda: hp.scope(**{undecodable: 1}),
        lambda: hp.scope(f"{undecodable}=1"),
        lambda: sentinel.set(f"a.{undecodable}", 1),
    ):
        with pytest.raises(InvalidKeyError, match="dcff"):
            attempt()
    # Bytes are not keys.
    with pytest.raises(TypeError, match="bytes"):
        hp.scope[b"matrix.sentinel"] | 1
    # As a value: kept as it is, by identity, and seen by native code as a Python object.
    with hp.scope(**{"py02.v": undecodable}, **{"py02.w": "ok"}):
        assert hp.scope.py02.v() == undecodable
        assert (hp.scope.py02.v | "") == undecodable
        with pytest.raises(ConversionError, match=r"cannot convert '\\udcff' to int"):
            hp.scope.py02.v | 0
        if NATIVE:
            assert native_get("py02.v") == undecodable
            assert native_get("py02.w") == "ok"
    # In a key=value definition it is text (a number, bool or null never has one).
    with hp.scope(f"py02.d={undecodable}"):
        assert hp.scope.py02.d() == undecodable


# --- PY-04: a 1 MB key -------------------------------------------------------------------------


def test_py04_megabyte_key_is_refused_with_a_short_message(sentinel):
    key = "k" * (1 << 20)
    for attempt in (
        lambda: hp.scope[key] | 1,
        lambda: hp.scope(**{key: 1}),
        lambda: hp.scope(f"{key}=1"),
        lambda: sentinel.set(key, 1),
        lambda: getattr(hp.scope.a, key),
    ):
        with pytest.raises(InvalidKeyError) as info:
            attempt()
        message = str(info.value)
        assert "bytes long, the limit is 1024" in message and "10485" in message
        assert len(message) < 200, message[:300]
    with hp.scope(**{"py04.value": key}):  # a 1 MB value is fine
        assert len(hp.scope.py04.value()) == 1 << 20
        if NATIVE:
            assert native_get("py04.value") == key


# --- PY-06: NaN and infinities -------------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_py06_nan_and_infinities(sentinel, value):
    text = {True: "nan"}.get(math.isnan(value), "inf" if value > 0 else "-inf")
    same = math.isnan if math.isnan(value) else (lambda got: got == value)
    with hp.scope(**{"py06.v": value}):
        assert same(hp.scope.py06.v())
        assert same(hp.scope.py06.v | 0.0)
        assert (hp.scope.py06.v | "") == text
        with pytest.raises(ConversionError, match=rf"parameter 'py06.v': cannot convert {text} to int"):
            hp.scope.py06.v | 0
        with pytest.raises(ConversionError, match="to bool"):
            hp.scope.py06.v | False

        @hp.param("py06")
        def read(v=1.5):
            return v

        assert same(read())
        if NATIVE:
            assert same(native_get("py06.v"))
            assert native_i64("py06.v")[0] == lib.HP_TYPE_MISMATCH
    # As a definition: the word is text, as a float it converts.
    with hp.scope(f"py06.d={text}"):
        assert hp.scope.py06.d() == text
        assert same(hp.scope.py06.d | 0.0)


# --- PY-07: integers beyond the engine's int64 ----------------------------------------------


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**100], ids=["2**63", "-2**63-1", "2**100"])
def test_py07_integers_beyond_int64(sentinel, value):
    with hp.scope(**{"py07.v": value, "py07.max": 2**63 - 1}):
        assert hp.scope.py07.v() is value  # kept whole, by identity
        assert (hp.scope.py07.v | 0) == value  # no conversion: the default is an int too
        assert (hp.scope.py07.v | 0.0) == float(value)
        assert (hp.scope.py07.v | "") == str(value)
        with pytest.raises(ConversionError, match=f"cannot convert {value} to bool"):
            hp.scope.py07.v | False
        if NATIVE:
            # Native code sees a Python object it cannot read as a number.
            assert native_get("py07.v") == value
            status, _ = native_i64("py07.v")
            assert status == lib.HP_TYPE_MISMATCH and "<host object" in last_error()
            assert native_i64("py07.max") == (lib.HP_OK, 2**63 - 1)
    # As text: beyond int64 in a definition is the nearest float; as an int read it is refused.
    with hp.scope("py07.d=99999999999999999999", **{"py07.t": "-9223372036854775809"}):
        assert hp.scope.py07.d() == 1e20
        with pytest.raises(ConversionError, match="cannot convert '-9223372036854775809' to int"):
            hp.scope.py07.t | 0


# --- PY-14: a scope used after it ended ------------------------------------------------------


def test_py14_scope_used_after_it_ended(sentinel):
    with hp.scope(**{"py14.x": 1}) as ended:
        accessor = hp.scope.py14.x  # an accessor of the current scope, kept past the block
        bound = ended.py14.x  # an accessor bound to this scope
    assert hp.scope.current() is sentinel
    assert (accessor | 0) == 0  # reads whatever scope is current when it is read
    assert (bound | 0) == 1  # reads the scope it is bound to, which keeps its values
    assert ended.to_dict()["py14.x"] == 1
    ended.py14.y = 2  # writes to the scope itself while it is not entered ...
    assert (hp.scope.py14.y | 0) == 0  # ... never to the current one
    with pytest.raises(ScopeOrderError, match="not entered"):
        ended.__exit__(None, None, None)
    with ended:  # it can be entered again, with what it holds
        assert hp.scope.py14.x() == 1 and hp.scope.py14.y() == 2
        if NATIVE:
            assert native_get("py14.y") == 2
    assert (hp.scope.py14.y | 0) == 0
    if NATIVE:
        with pytest.raises(KeyError):
            native_get("py14.y")


# --- PY-15: 100,000 nested scopes ------------------------------------------------------------


def test_py15_hundred_thousand_nested_scopes(sentinel):
    depth = 100_000
    with contextlib.ExitStack() as stack:
        for i in range(depth):
            stack.enter_context(hp.scope(**({"py15.level": i} if i % 1000 == 0 else {})))
        assert hp.scope.py15.level() == 99_000
        assert hp.scope.matrix.sentinel() == 7  # read through 100,000 parents
        assert (hp.scope.py15.missing | "d") == "d"
        if NATIVE:
            assert native_get("py15.level") == 99_000  # mirrors all of them into the engine
            assert native_i64("matrix.sentinel") == (lib.HP_OK, 7)
        outermost = stack._exit_callbacks[0]  # noqa: SLF001 - the first scope entered
        del outermost
    assert (hp.scope.py15.level | -1) == -1
    gc.collect()  # a 100,000-long parent chain is freed without recursion errors


# --- PY-16: 1,000,000 keys in one scope ----------------------------------------------------


def test_py16_a_million_keys_in_one_scope(sentinel):
    count = 1_000_000
    values = {f"py16.k{i}": i for i in range(count)}
    started = time.perf_counter()
    with hp.scope(**values) as ps:
        # Read through the scope as a whole: a million accessor reads would also fill
        # hp's record of referenced keys, which the command line's typo hints search.
        seen = ps.to_dict()
        assert len(seen) == count + 2  # and the sentinel's two
        assert all(seen[key] == value for key, value in values.items())
        assert hp.scope.py16.k999999() == 999_999 and (ps["py16.k0"] | -1) == 0
        if NATIVE:
            assert native_get("py16.k999999") == 999_999  # all mirrored for native code
    assert (hp.scope["py16.k0"] | -1) == -1
    if NATIVE:
        with pytest.raises(KeyError):
            native_get("py16.k0")
    assert time.perf_counter() - started < 120


# --- PY-10: a Python object read through the C ABI --------------------------------------------


@native_only
def test_py10_python_objects_read_from_c(sentinel):
    model = [64, 64]
    live = live_host_objects()
    with hp.scope(**{"py10.model": model}):
        out = ffi.new("hp_value *")
        raw = b"py10.model"
        assert lib.hp_get(ffi.NULL, raw, len(raw), out) == lib.HP_OK
        assert out.kind == lib.HP_KIND_HOST and ffi.from_handle(out.host) is model
        assert native_i64("py10.model")[0] == lib.HP_TYPE_MISMATCH
        assert last_error().startswith('parameter "py10.model": cannot convert <host object')
        text = ffi.new("hp_string *")
        assert lib.hp_get_str(ffi.NULL, raw, len(raw), text) == lib.HP_TYPE_MISMATCH
        assert text.ptr == ffi.NULL  # the out-parameter is untouched
        assert live_host_objects() == live + 1
    gc.collect()
    assert live_host_objects() == live
    assert sys.getrefcount(model) == 2  # the test's own reference and getrefcount's argument


# --- the pure-Python backend gives the same outcomes -----------------------------------------


def test_py_rows_agree_on_the_pure_backend_rules():
    """The rules behind PY-02/06/07 are shared: the pure backend converts alike."""
    from hyperparameter._backends import pure as pure_rules

    assert pure_rules.parse_value(os.fsdecode(b"\xff")) == "\udcff"
    with pytest.raises(ConversionError):
        pure_rules.convert("k", "-9223372036854775809", int)
    assert pure_rules.convert("k", 2**100, float) == float(2**100)
    with pytest.raises(MissingParameterError):
        hp.scope.py.never.set()

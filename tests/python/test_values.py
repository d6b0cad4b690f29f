"""Values beyond the five plain types, long texts and float spelling, on either backend.

- Subclasses and number-likes (numpy scalars, IntEnum, StrEnum, a float subclass): Python
  reads keep the object; a read with a default of another type converts the plain value it
  stands for, by the engine's rules, on both backends alike.
- Integer texts of any length convert exactly (Python's int() refuses texts of over 4300
  digits; the rules never hand it one), and Python ints beyond that limit never give a
  traceback.
- A float converts to the text ``repr`` gives, on both backends.
- A very long value is cut short in conversion messages.
"""

from __future__ import annotations

import math
import struct
import threading

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from value_kinds import Flags, Level, Mixed, Mode, Ratio

import hyperparameter as hp
from hyperparameter import ConversionError
from hyperparameter._backends import backend
from hyperparameter._backends import pure as pure_rules

NATIVE = hp.backend_name() == "native"
native_only = pytest.mark.skipif(not NATIVE, reason="needs the native engine")


SUBCLASSES = [
    np.float64(0.25),
    np.int64(7),
    np.int32(-3),
    np.bool_(True),
    Level.LOW,
    Flags.A | Flags.B,
    Mode.FAST,
    Mixed.SLOW,
    Ratio(0.5),
]
ids = [type(v).__name__ for v in SUBCLASSES]


def short_id(value) -> str:
    """A test id: the start of the value's repr (an int past 4300 digits has none)."""
    return repr(value)[:24] if not (type(value) is int and value.bit_length() > 14000) else "huge-int"


# --- Python reads keep the object ---------------------------------------------------------------


@pytest.mark.parametrize("value", SUBCLASSES, ids=ids)
def test_python_reads_keep_the_object(value):
    with hp.scope(**{"v.x": value}) as ps:
        assert hp.scope.v.x() is value
        assert hp.scope["v.x"](None) is value
        assert (hp.scope.v.x | value) is value  # a default of the same type: no conversion
        assert ps.to_dict()["v.x"] is value

        @hp.param("v")
        def use(x=None):
            return x

        assert use() is value


@pytest.mark.parametrize("value", SUBCLASSES, ids=ids)
def test_a_new_thread_reads_the_frozen_object(value, baseline):
    with hp.scope(**{"v.x": value}):
        hp.scope.frozen()
    seen = []
    thread = threading.Thread(target=lambda: seen.append(hp.scope.v.x()))
    thread.start()
    thread.join()
    assert seen[0] is value


# --- conversions use the plain value --------------------------------------------------------------


@pytest.mark.parametrize(
    "value, default, expected",
    [
        (np.int64(7), 0, 7),
        (np.int64(7), 0.0, 7.0),
        (np.int64(7), "", "7"),
        (np.int32(-3), 0.0, -3.0),
        (np.uint8(1), False, True),
        (np.bool_(True), 0, 1),
        (np.bool_(False), "", "false"),
        (np.bool_(True), 0.0, 1.0),
        (np.float64(2.0), 0, 2),
        (np.float64(0.1), "", "0.1"),
        (np.float64(1e16), "", "1e+16"),
        (np.float32(0.5), "", "0.5"),
        (Level.LOW, "", "3"),
        (Level.LOW, 0.0, 3.0),
        (Flags.A | Flags.B, 0.0, 5.0),
        (Mode.FAST, "", "fast"),
        (Mixed.SLOW, "", "slow"),
        (Ratio(1e-05), "", "1e-05"),
        ("0" * 5000 + "42", 0, 42),  # integer texts of any length convert exactly
        ("-" + "0" * 5000 + "42", 0, -42),
        ("0" * 5000 + "42", 0.0, 42.0),
        ("5e" + "0" * 5000 + "2", 0, 500),
        ("1" + "0" * 5000 + "e-5000", 0, 1),
        ("9" * 5000, 0.0, math.inf),
    ],
    ids=short_id,
)
def test_a_read_converts_the_plain_value(value, default, expected):
    with hp.scope(**{"v.x": value}):
        got = hp.scope.v.x | default
    assert (type(got), got) == (type(expected), expected)


@pytest.mark.parametrize(
    "value, default, message",
    [
        (np.int64(7), False, "parameter 'v.x': cannot convert 7 to bool"),
        (Mode.FAST, 0, "parameter 'v.x': cannot convert 'fast' to int"),
        (Mixed.SLOW, 0.0, "parameter 'v.x': cannot convert 'slow' to float"),
        (np.float64(0.5), 0, "parameter 'v.x': cannot convert 0.5 to int"),
        ("9" * 5000, 0, f"parameter 'v.x': cannot convert {'9' * 200!r}... (5000 characters) to int"),
    ],
    ids=short_id,
)
def test_a_read_that_cannot_convert_names_the_plain_value(value, default, message):
    with hp.scope(**{"v.x": value}):
        with pytest.raises(ConversionError) as info:
            hp.scope.v.x | default  # noqa: B018 - the read is the test
    assert str(info.value) == message


def test_definitions_of_any_length_parse_exactly():
    assert backend.parse_value("0" * 5000 + "42") == 42
    assert backend.parse_value("-" + "0" * 5000) == 0
    assert backend.parse_value("9" * 5000) == math.inf
    with hp.scope("v.x=" + "0" * 5000 + "64"):
        assert hp.scope.v.x() == 64


def test_python_ints_beyond_the_text_limit_never_give_a_traceback():
    huge = 10**5000
    with hp.scope(**{"v.x": huge}):
        assert hp.scope.v.x | 0 == huge
        with pytest.raises(ConversionError, match=r"cannot convert <int of 16610 bits> to str \(over 4300"):
            hp.scope.v.x | ""  # noqa: B018
        with pytest.raises(ConversionError, match="cannot convert <int of 16610 bits> to float"):
            hp.scope.v.x | 0.0  # noqa: B018
        with pytest.raises(ConversionError, match="cannot convert <int of 16610 bits> to bool"):
            hp.scope.v.x | False  # noqa: B018
    with hp.scope(**{"v.x": 10**400}):  # beyond the float range: an error, not infinity
        with pytest.raises(ConversionError, match=r"cannot convert 1000.*\.\.\. \(401 characters\) to float"):
            hp.scope.v.x | 0.0  # noqa: B018


@hp.param("vl")
def _command(epochs: int = 3, lr: float = 0.1):
    return epochs, lr


def test_command_line_takes_integer_texts_of_any_length(capsys):
    padded = "0" * 5000 + "5"
    assert hp.launch(_command, argv=["-D", f"vl.epochs={padded}"], prog="vl") == (5, 0.1)
    assert hp.launch(_command, argv=["--epochs", padded], prog="vl") == (5, 0.1)
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        hp.launch(_command, argv=["-D", "vl.epochs=" + "9" * 5000], prog="vl")
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "is not a valid int" in err


@native_only
@pytest.mark.parametrize(
    "value",
    [
        *SUBCLASSES,
        np.uint64(2**64 - 1),
        np.float32(0.1),
        np.int8(-1),
        "0" * 5000 + "7",
        "-0" + "0" * 4999,
        "3e" + "0" * 4400 + "1",
        "0." + "0" * 5000 + "1e5001",
        "9" * 4400,
        10**5000,
    ],
    ids=short_id,
)
@pytest.mark.parametrize("wanted", [bool, int, float, str])
def test_backends_agree(value, wanted):
    from hyperparameter._backends.native import NativeBackend

    def outcome(func):
        try:
            got = func("k.v", value, wanted)
            return "ok", type(got), got
        except ConversionError as exc:
            return "error", str(exc)

    assert outcome(NativeBackend().convert) == outcome(pure_rules.convert)


@native_only
@pytest.mark.parametrize("text", ["0" * 5000 + "7", "-" + "0" * 5000, "9" * 5000, "1e" + "0" * 5000 + "2"])
def test_backends_agree_on_definitions(text):
    from hyperparameter._backends.native import NativeBackend

    native, pure = NativeBackend().parse_value(text), pure_rules.parse_value(text)
    assert (type(native), native) == (type(pure), pure)


# --- float to text: repr, on both backends ----------------------------------------------------------


def _from_bits(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


any_double = st.integers(min_value=0, max_value=2**64 - 1).map(_from_bits)
# Doubles with few fraction bits: where two shortest spellings tie and repr takes the even one.
ties = st.builds(lambda m, k: m / 2**k, st.integers(min_value=2**40, max_value=2**56), st.integers(1, 12))
subnormals = st.integers(min_value=1, max_value=2**52).map(lambda m: m * 5e-324)


@settings(max_examples=3000, deadline=None, database=None)
@given(x=st.one_of(st.floats(), any_double, ties, subnormals))
@example(x=1113178120592002.25)
@example(x=233891771783429.625)
@example(x=2.98023223876953125e-08)
@example(x=0.00143527984619140625)
@example(x=1e16)
@example(x=1e-05)
@example(x=0.0001)
@example(x=-0.0)
@example(x=math.inf)
@example(x=math.nan)
def test_float_to_text_is_repr(x):
    assert backend.convert("k.v", x, str) == repr(x)  # the engine's format_float when native
    assert pure_rules.convert("k.v", x, str) == repr(x)


@pytest.mark.parametrize(
    "x, text",
    [
        (1e16, "1e+16"),
        (1e-05, "1e-05"),
        (0.0001, "0.0001"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (math.nan, "nan"),
        (-0.0, "-0.0"),
        (1e22, "1e+22"),
        (5e-324, "5e-324"),
        (1113178120592002.25, "1113178120592002.2"),
    ],
)
def test_float_read_as_text(x, text):
    with hp.scope(**{"v.x": x}):
        assert hp.scope.v.x | "" == text


# --- long values in messages ----------------------------------------------------------------------


def test_a_huge_value_is_cut_short_in_the_message():
    huge = "x" * 10_000_000
    with hp.scope(**{"v.x": huge}):
        with pytest.raises(ConversionError) as info:
            hp.scope.v.x | 0  # noqa: B018
    assert str(info.value) == f"parameter 'v.x': cannot convert {'x' * 200!r}... (10000000 characters) to int"


@pytest.mark.parametrize("length, cut", [(256, False), (257, True)])
def test_values_up_to_256_characters_are_quoted_whole(length, cut):
    text = "é" * length  # counted in characters, as the engine counts them
    with hp.scope(**{"v.x": text}):
        with pytest.raises(ConversionError) as info:
            hp.scope.v.x | 0  # noqa: B018
    shown = f"{text[:200]!r}... ({length} characters)" if cut else repr(text)
    assert str(info.value) == f"parameter 'v.x': cannot convert {shown} to int"

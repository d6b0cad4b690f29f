"""Values Python sets, as a C++ reader sees them: subclasses and number-likes (numpy scalars,
enums) arrive as their plain value, floats are spelled as Python's repr spells them, and a huge
value is cut short in the engine's error message."""

from __future__ import annotations

import ctypes
import math
import re
from pathlib import Path

import numpy as np
import pytest
from native_build import CXX, compile_cpp
from value_kinds import Flags, Level, Mixed, Mode, Ratio

import hyperparameter as hp

pytestmark = [
    pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine"),
    pytest.mark.skipif(CXX is None, reason="no C++ compiler on PATH"),
]

# Each reader returns 0 and fills *out, or returns the status of the hp::error it caught (an
# uncaught one would end the process), with the error's message in `kernel_message`.
KERNEL = r"""
#include <cstring>
#include <string>
#include "hyperparameter.hpp"

static std::string last_message;
static int caught(const hp::error& e) {
    last_message = e.what();
    return e.status();
}

extern "C" int read_f64(double* out) {
    try { *out = GET_PARAM(v.x, -1.0); return 0; } catch (const hp::error& e) { return caught(e); }
}
extern "C" int read_i64(long long* out) {
    try { *out = GET_PARAM(v.x, std::int64_t{-1}); return 0; }
    catch (const hp::error& e) { return caught(e); }
}
extern "C" int read_bool(int* out) {
    try { *out = GET_PARAM(v.x, false) ? 1 : 0; return 0; } catch (const hp::error& e) { return caught(e); }
}
extern "C" int read_str(char* out, std::size_t size) {
    try {
        const std::string text = GET_PARAM(v.x, "none");
        if (text.size() + 1 > size) return -1;
        std::memcpy(out, text.c_str(), text.size() + 1);
        return 0;
    } catch (const hp::error& e) { return caught(e); }
}
extern "C" std::size_t kernel_message(char* out, std::size_t size) {
    if (out != nullptr && last_message.size() + 1 <= size)
        std::memcpy(out, last_message.c_str(), last_message.size() + 1);
    return last_message.size();
}
"""


class Reader:
    """The C++ kernel, read as Python values: ("ok", value) or ("error", status)."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib

    def _call(self, func, out) -> tuple:
        status = func(ctypes.byref(out))
        return ("ok", out.value) if status == 0 else ("error", status)

    def f64(self) -> tuple:
        return self._call(self.lib.read_f64, ctypes.c_double())

    def i64(self) -> tuple:
        return self._call(self.lib.read_i64, ctypes.c_longlong())

    def bool(self) -> tuple:
        got = self._call(self.lib.read_bool, ctypes.c_int())
        return ("ok", bool(got[1])) if got[0] == "ok" else got

    def str(self) -> tuple:
        buffer = ctypes.create_string_buffer(256)
        status = self.lib.read_str(buffer, len(buffer))
        return ("ok", buffer.value.decode("utf-8")) if status == 0 else ("error", status)

    def message(self) -> str:
        size = self.lib.kernel_message(None, 0)
        buffer = ctypes.create_string_buffer(size + 1)
        self.lib.kernel_message(buffer, len(buffer))
        return buffer.value.decode("utf-8")


@pytest.fixture(scope="module")
def cpp(tmp_path_factory: pytest.TempPathFactory) -> Reader:
    path = compile_cpp(KERNEL, tmp_path_factory.mktemp("values") / "libvalues.so", shared=True)
    lib = ctypes.CDLL(str(path))
    lib.read_str.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.kernel_message.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.kernel_message.restype = ctypes.c_size_t
    return Reader(lib)


HEADER = (Path(hp.get_include()) / "hyperparameter.h").read_text(encoding="utf-8")
HP_TYPE_MISMATCH = int(re.search(r"#define HP_TYPE_MISMATCH (\d+)", HEADER).group(1))


class Count(int):
    def __int__(self) -> int:  # the stored value counts, not what a subclass claims
        return -1


MISMATCH = ("error", HP_TYPE_MISMATCH)

# value, and what C++ reads with a double, int64, bool and string default
CASES = [
    (np.float64(0.25), ("ok", 0.25), MISMATCH, MISMATCH, ("ok", "0.25")),
    (np.float64(3.0), ("ok", 3.0), ("ok", 3), MISMATCH, ("ok", "3.0")),
    (np.int64(-7), ("ok", -7.0), ("ok", -7), MISMATCH, ("ok", "-7")),
    (np.int64(2**62), ("ok", 2.0**62), ("ok", 2**62), MISMATCH, ("ok", str(2**62))),
    (np.int32(64), ("ok", 64.0), ("ok", 64), MISMATCH, ("ok", "64")),
    (np.uint8(1), ("ok", 1.0), ("ok", 1), ("ok", True), ("ok", "1")),
    (np.bool_(True), ("ok", 1.0), ("ok", 1), ("ok", True), ("ok", "true")),
    (np.bool_(False), ("ok", 0.0), ("ok", 0), ("ok", False), ("ok", "false")),
    (np.float32(0.5), ("ok", 0.5), MISMATCH, MISMATCH, ("ok", "0.5")),
    (Level.LOW, ("ok", 3.0), ("ok", 3), MISMATCH, ("ok", "3")),
    (Flags.A | Flags.B, ("ok", 5.0), ("ok", 5), MISMATCH, ("ok", "5")),
    (Mode.FAST, MISMATCH, MISMATCH, MISMATCH, ("ok", "fast")),
    (Mixed.SLOW, MISMATCH, MISMATCH, MISMATCH, ("ok", "slow")),
    (Ratio(1e16), ("ok", 1e16), ("ok", 10**16), MISMATCH, ("ok", "1e+16")),
    (Count(12), ("ok", 12.0), ("ok", 12), MISMATCH, ("ok", "12")),
]


@pytest.mark.parametrize("value, as_f64, as_i64, as_bool, as_str", CASES, ids=lambda v: repr(v)[:30])
def test_cpp_reads_the_plain_value_of_subclasses_and_number_likes(
    cpp: Reader, value, as_f64, as_i64, as_bool, as_str
) -> None:
    with hp.scope(**{"v.x": value}):
        assert (cpp.f64(), cpp.i64(), cpp.bool(), cpp.str()) == (as_f64, as_i64, as_bool, as_str)
        # Python keeps the object itself, and reads with a default of another type convert
        # by the same rules as C++.
        assert hp.scope.v.x() is value
        for default, seen in ((-1.0, as_f64), (-1, as_i64), (False, as_bool), ("none", as_str)):
            want = seen[1] if seen[0] == "ok" else hp.ConversionError
            if want is hp.ConversionError:
                with pytest.raises(hp.ConversionError):
                    hp.scope.v.x | default  # noqa: B018 - the read is the test
            else:
                got = hp.scope.v.x | default
                assert (type(got), got) == (type(want), want)


def test_cpp_reads_a_subclass_written_inside_the_scope(cpp: Reader) -> None:
    with hp.scope() as ps:
        ps.v.x = np.int64(96)
        assert cpp.i64() == ("ok", 96)
        ps.v.x = Level.LOW
        assert cpp.i64() == ("ok", 3)
    assert cpp.i64() == ("ok", -1)


def test_values_beyond_the_engine_stay_python_objects(cpp: Reader) -> None:
    # An int beyond i64 (numpy's uint64 max) and a long double with more precision than a
    # double are not squeezed into the engine: C++ gets a type error, never a wrong number.
    for value in (np.uint64(2**64 - 1), 2**64, np.longdouble(1) / np.longdouble(3)):
        if type(value) is np.longdouble and float(value) == value:
            continue  # a platform whose long double is a double
        with hp.scope(**{"v.x": value}):
            assert cpp.i64() == MISMATCH
            assert cpp.f64() == MISMATCH
            assert "cannot convert <host object" in cpp.message()
            assert hp.scope.v.x() is value


@pytest.mark.parametrize(
    "x",
    [
        0.1,
        1.0,
        -0.0,
        0.0001,
        1e-05,
        1e16,
        1e22,
        1.5e300,
        5e-324,
        2.0**-1074 * 3,
        9999999999999998.0,
        123456789012345680.0,
        # Exact ties between two shortest spellings: repr takes the even digit.
        1113178120592002.25,
        233891771783429.625,
        2.98023223876953125e-08,
        0.00143527984619140625,
        math.inf,
        -math.inf,
    ],
)
def test_cpp_string_read_of_a_float_is_its_repr(cpp: Reader, x: float) -> None:
    with hp.scope(**{"v.x": x}):
        assert cpp.str() == ("ok", repr(x))


def test_cpp_string_read_of_nan(cpp: Reader) -> None:
    with hp.scope(**{"v.x": math.nan}):
        assert cpp.str() == ("ok", "nan")


def test_engine_message_cuts_a_huge_value_short(cpp: Reader) -> None:
    huge = "z" * 10_000_000
    with hp.scope(**{"v.x": huge}):
        assert cpp.i64() == MISMATCH
        message = cpp.message()
    assert message == f'parameter "v.x": cannot convert "{"z" * 200}"... (10000000 characters) to int'
    # A short value is quoted whole, as before.
    with hp.scope(**{"v.x": "z" * 256}):
        assert cpp.i64() == MISMATCH
        assert cpp.message() == f'parameter "v.x": cannot convert "{"z" * 256}" to int'

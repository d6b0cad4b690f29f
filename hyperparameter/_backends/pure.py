"""The pure-Python backend: the engine's rules written again in Python, and no native state.

Used when the native engine cannot load (or ``HYPERPARAMETER_BACKEND=python``). The engine is
the reference: each function below is named after its twin in rust/src/key.rs, hash.rs and
convert.rs and stands in the same order, so the two can be read side by side. The shared hash
vectors and the property tests that run both backends on the same inputs keep them equal.
What is Python's own (which object stands for which value) is in ``values.py``; the words of
the errors, shared with the native backend, are in ``wording.py``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable, Optional

from .keychars import is_key_char
from .values import I64_MAX, I64_MIN, int_text, plain
from .wording import KEY_EMPTY, KEY_EMPTY_SEGMENT, invalid_key, key_bad_char, key_too_long, mismatch_error

# --- rust/src/key.rs --------------------------------------------------------------------------
# (``KeyError``'s words are in wording.py; ``is_key_char`` is in keychars.py, which the native
# backend reads too.)

#: The longest key accepted, in UTF-8 bytes.
MAX_KEY_LEN = 1024


def validate_key(key: str) -> str | None:
    """Why ``key`` breaks the key rules (a ``KeyError`` text of wording.py), or None when it
    follows them."""
    if not key:
        return KEY_EMPTY
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_LEN:
        return key_too_long(size, MAX_KEY_LEN)
    for segment in key.split("."):
        if not segment:
            return KEY_EMPTY_SEGMENT
        for char in segment:
            if not is_key_char(char):
                return key_bad_char(char)
    return None


# --- rust/src/hash.rs -------------------------------------------------------------------------

#: The one seed used for every key hash.
SEED = 42


def hash_key(key: str) -> int:
    """XXH64 of the key's UTF-8 bytes with the library's seed."""
    return hash_bytes(key.encode("utf-8"))


def hash_bytes(data: bytes) -> int:
    """XXH64 of raw bytes with the library's seed."""
    return xxh64(data, SEED)


# XXH64 itself (the engine takes it from the xxhash-rust crate).

_P1, _P2, _P3, _P4, _P5 = (
    0x9E3779B185EBCA87,
    0xC2B2AE3D27D4EB4F,
    0x165667B19E3779F9,
    0x85EBCA77C2B2AE63,
    0x27D4EB2F165667C5,
)
_MASK = 0xFFFFFFFFFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK


def _round(acc: int, lane: int) -> int:
    acc = (acc + lane * _P2) & _MASK
    return (_rotl(acc, 31) * _P1) & _MASK


def _merge(acc: int, val: int) -> int:
    acc ^= _round(0, val)
    return (acc * _P1 + _P4) & _MASK


def xxh64(data: bytes, seed: int) -> int:
    """XXH64 of ``data`` with ``seed``."""
    n = len(data)
    i = 0
    if n >= 32:
        v = [
            (seed + _P1 + _P2) & _MASK,
            (seed + _P2) & _MASK,
            seed,
            (seed - _P1) & _MASK,
        ]
        while i + 32 <= n:
            for j in range(4):
                v[j] = _round(v[j], int.from_bytes(data[i + 8 * j : i + 8 * j + 8], "little"))
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _MASK
        for lane in v:
            h = _merge(h, lane)
    else:
        h = (seed + _P5) & _MASK
    h = (h + n) & _MASK
    while i + 8 <= n:
        h ^= _round(0, int.from_bytes(data[i : i + 8], "little"))
        h = (_rotl(h, 27) * _P1 + _P4) & _MASK
        i += 8
    if i + 4 <= n:
        h ^= (int.from_bytes(data[i : i + 4], "little") * _P1) & _MASK
        h = (_rotl(h, 23) * _P2 + _P3) & _MASK
        i += 4
    while i < n:
        h ^= (data[i] * _P5) & _MASK
        h = (_rotl(h, 11) * _P1) & _MASK
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _MASK
    h ^= h >> 29
    h = (h * _P3) & _MASK
    h ^= h >> 32
    return h


# --- rust/src/convert.rs ----------------------------------------------------------------------
# Each ``to_*`` takes a plain value (``values.plain``) and returns None where the engine's
# returns an error.

#: Rust's ``str::trim`` strips Unicode White_Space; Python's ``str.strip()`` also strips a few
#: separators that are not White_Space, so the set is named explicitly.
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: The grammars of Rust's ``str::parse::<i64>`` and ``str::parse::<f64>``.
_INT = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)
_FLOAT = re.compile(
    r"[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)\Z",
    re.ASCII | re.IGNORECASE,
)
_DIGIT = re.compile("[0-9]")


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return parse_bool(value)
    return None


def to_i64(value: Any) -> int | None:
    if isinstance(value, (bool, int)):
        return int(value)
    if isinstance(value, float):
        return float_to_i64(value)
    if isinstance(value, str):
        return parse_i64(value)
    return None


def to_f64(value: Any) -> float | None:
    if isinstance(value, (bool, int, float)):
        try:
            return float(value)
        except OverflowError:  # an int beyond the float range: never silently infinity
            return None
    if isinstance(value, str):
        return _str_parse_f64(value.strip(_WHITE_SPACE))
    return None


def to_str(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int_text(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    return None


_TRUE = frozenset({"true", "yes", "on", "1", "t", "y"})
_FALSE = frozenset({"false", "no", "off", "0", "f", "n"})


def parse_bool(text: str) -> bool | None:
    """Parse a boolean word: ``true/yes/on/1/t/y`` and ``false/no/off/0/f/n``, in any case."""
    word = text.strip(_WHITE_SPACE).lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def parse_i64(text: str) -> int | None:
    text = text.strip(_WHITE_SPACE)
    value = _str_parse_i64(text)
    if value is not None:
        return value
    # A decimal integer that did not parse is out of range: reading it as a float would round
    # it ("-9223372036854775809" to -2^63), a silently wrong number.
    if _INT.match(text):
        return None
    return exact_integer(text)


def exact_integer(text: str) -> int | None:
    """The integer a number text (``"1e3"``, ``"3.0"``, ``"-2.50e1"``) denotes exactly, or None
    for a fraction or a value out of range. Worked out on the decimal digits: going through a
    float would round ``"1e-400"`` to 0 and ``"9007199254740993.0"`` to 9007199254740992."""
    # The float grammar decides what is a number: [+-] digits [. digits] [e [+-] digits].
    if not _FLOAT.match(text) or not math.isfinite(float(text)):
        return None
    mantissa, _, exponent = text.lstrip("+-").lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    significant = (whole + fraction).lstrip("0")
    if not significant:
        return 0
    kept = significant.rstrip("0")
    magnitude = exponent.lstrip("+-").lstrip("0")  # int() only sees the significant digits
    exp = int(magnitude or "0") if len(magnitude) < 19 else 10**18
    exp = -exp if exponent.startswith("-") else exp
    shift = exp - len(fraction) + len(significant) - len(kept)
    if shift < 0 or len(kept) + shift > 19:
        return None
    value = int(kept) * 10**shift * (-1 if text.startswith("-") else 1)
    return value if I64_MIN <= value <= I64_MAX else None


def float_to_i64(x: float) -> int | None:
    if math.isfinite(x) and x == int(x) and -(2.0**63) <= x < 2.0**63:
        return int(x)
    return None


def format_float(x: float) -> str:
    """A float as ``repr`` spells it (``0.1``, ``1e+16``, ``1e-05``, ``inf``, ``nan``): the
    rule of every language's float-to-text conversion. (The engine works the digits out with
    ``decimal_digits``; Python's repr is that rule.)"""
    return float.__repr__(x)


def parse_value(text: str) -> Any:
    """Parse the text of a ``key=value`` definition into the most specific value: int, then
    float, then ``true``/``false`` (exactly, any case), then ``null``/``none``, else the text."""
    trimmed = text.strip(_WHITE_SPACE)
    value = _str_parse_i64(trimmed)
    if value is not None:
        return value
    if _FLOAT.match(trimmed) and looks_numeric(trimmed):
        return float(trimmed)
    lowered = trimmed.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    return text


def looks_numeric(text: str) -> bool:
    """Words like "inf" and "nan" parse as floats but are kept as text in definitions unless
    they contain a digit (``1e999``), so a parameter named "nan" stays a string."""
    return _DIGIT.search(text) is not None


# Rust's standard parsing, which the engine's rules build on.


def _str_parse_i64(text: str) -> int | None:
    """Rust's ``text.parse::<i64>()``: a decimal integer in the i64 range, else None. Only the
    significant digits (at most 19) reach int(), which refuses texts of over 4300 digits: a
    text of any length converts exactly, as in the engine ("000…0042" is 42)."""
    if not _INT.match(text):
        return None
    significant = text.lstrip("+-").lstrip("0")
    if len(significant) > 19:
        return None
    value = int(significant or "0") * (-1 if text.startswith("-") else 1)
    return value if I64_MIN <= value <= I64_MAX else None


def _str_parse_f64(text: str) -> float | None:
    """Rust's ``text.parse::<f64>()``: the float a number text denotes, else None."""
    return float(text) if _FLOAT.match(text) else None


# --- the backend ------------------------------------------------------------------------------

_CONVERTERS: dict[type, Callable[[Any], Any]] = {bool: to_bool, int: to_i64, float: to_f64, str: to_str}


def check_key(key: str) -> None:
    """None if ``key`` follows the key rules, else InvalidKeyError saying why."""
    problem = validate_key(key)
    if problem is not None:
        raise invalid_key(key, problem)


def convert(key: str, value: Any, wanted: type) -> Any:
    """Convert ``value`` to ``wanted`` (bool, int, float or str) by the engine's rule set.

    A subclass or number-like converts as the plain value it stands for (``values.plain``),
    and the result is always of the exact type ``wanted``.
    """
    value = plain(value)
    result = _CONVERTERS[wanted](value)
    if result is None:
        raise mismatch_error(key, value, wanted)
    return result


class PureBackend:
    """The engine's rules in Python, without native state: every node is None, nothing is
    mirrored, and the baseline is never published natively (its generation stays 0)."""

    name = "python"
    check_key = staticmethod(check_key)

    @staticmethod
    def abi_version() -> None:
        return None  # no native engine, no C ABI

    hash_key = staticmethod(hash_key)
    convert = staticmethod(convert)
    parse_value = staticmethod(parse_value)

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

    def register_stack(self, callback: Callable[[Any, int], None]) -> None:
        pass

    def own_items(self, node: Any) -> list:
        return []

"""The engine's rules, written again in Python for the pure-Python backend.

The engine (rust/src/key.rs, hash.rs, convert.rs) is the reference; the shared hash vectors
and the property tests that run both backends side by side keep this copy honest.
"""

from __future__ import annotations

import math
import operator
import re
import sys
from typing import Any

from ._errors import ConversionError, InvalidKeyError
from ._unicode import is_alphanumeric

MAX_KEY_LEN = 1024
SEED = 42
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
_INT = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)
_FLOAT = re.compile(
    r"[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)\Z",
    re.ASCII | re.IGNORECASE,
)
_TRUE = frozenset({"true", "yes", "on", "1", "t", "y"})
_FALSE = frozenset({"false", "no", "off", "0", "f", "n"})
# Rust's str::trim strips Unicode White_Space; Python's str.strip() also strips a few
# separators that are not White_Space, so name the set explicitly.
_WHITE_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def key_problem(key: str) -> str | None:
    """Why ``key`` is invalid, or None when it is valid."""
    if not key:
        return "key is empty"
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_LEN:
        return f"key is {size} bytes long, the limit is {MAX_KEY_LEN}"
    for segment in key.split("."):
        if not segment:
            return "key has an empty segment"
        for char in segment:
            if not (is_alphanumeric(char) or char in "_-"):
                return (
                    f"key contains {char!r}; allowed are letters, digits, '_' and '-' "
                    "in segments joined by '.'"
                )
    return None


def shown_key(key: str) -> str:
    """A key quoted for a message; a very long one is cut short."""
    if len(key) > 80:
        return f"{key[:60]!r}... ({len(key.encode('utf-8', 'surrogatepass'))} bytes)"
    return repr(key)


def check_key(key: str) -> None:
    problem = key_problem(key)
    if problem is not None:
        raise InvalidKeyError(f"invalid key {shown_key(key)}: {problem}")


# --- XXH64 ------------------------------------------------------------------------------------

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


def xxh64(data: bytes, seed: int = SEED) -> int:
    """XXH64 of ``data`` (the engine uses seed 42)."""
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


def hash_key(key: str) -> int:
    return xxh64(key.encode("utf-8"))


# --- conversion -------------------------------------------------------------------------------


#: A text value longer than this many characters is cut short in messages (a 10 MB value is
#: not quoted whole); the engine's messages cut at the same place (rust/src/error.rs).
SHOWN_LIMIT = 256
#: How many characters of a long value a message keeps.
SHOWN_KEEP = 200


def plain(value: Any) -> Any:
    """The plain None, bool, int, float or str that ``value`` stands for in every language,
    or ``value`` itself when it stands for none of them.

    A subclass stands for its base value (``IntEnum``/``IntFlag`` members their int, a
    ``StrEnum`` member its text, ``numpy.float64`` its float), a number with ``__index__``
    (numpy integers) for that int, ``numpy.bool_`` for a bool, and another numpy float
    (``float32``) for its float when that is exact. Native readers see this value; Python
    keeps the object itself.
    """
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    # The base type's own method reads the stored value, whatever the subclass overrides.
    if isinstance(value, int):  # bool cannot be subclassed, so never a bool here
        return int.__index__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    numpy = sys.modules.get("numpy")  # a numpy value means numpy is imported already
    if numpy is not None and isinstance(value, numpy.generic):
        if isinstance(value, numpy.bool_):
            return bool(value)
        if isinstance(value, numpy.floating):
            number = float(value)
            return number if number == value or math.isnan(number) else value  # longdouble
    if hasattr(kind, "__index__"):
        try:
            return int.__index__(operator.index(value))
        except Exception:  # noqa: BLE001 - not an integer after all (a float array, say): kept as it is
            return value
    return value


_PLAIN_TYPES = frozenset({type(None), bool, int, float, str})


def _int_text(value: int) -> str | None:
    """Decimal digits of an int, or None beyond Python's limit on int-to-text conversion."""
    try:
        return str(value)
    except ValueError:
        return None


def _cut(text: str, quote: bool) -> str:
    """``text`` for a message, quoted if asked; one of over ``SHOWN_LIMIT`` characters keeps
    its first ``SHOWN_KEEP`` and says how long it was."""
    if len(text) <= SHOWN_LIMIT:
        return repr(text) if quote else text
    kept = text[:SHOWN_KEEP]
    return f"{kept!r}... ({len(text)} characters)" if quote else f"{kept}... ({len(text)} characters)"


def _show(value: Any) -> str:
    """Render a value the way the engine's messages do."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _engine_spelling(value)
    if isinstance(value, int):
        text = _int_text(value)
        return f"<int of {value.bit_length()} bits>" if text is None else _cut(text, quote=False)
    if isinstance(value, str):
        return _cut(value, quote=True)
    return f"<{type(value).__name__} object>"


def _engine_spelling(x: float) -> str:
    """A float as the engine's messages spell it (``1e16``, ``1e-5``, ``nan``)."""
    if math.isnan(x):
        return "nan"
    text = format_float(x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def mismatch(key: str, value: Any, wanted: type, why: str = "") -> ConversionError:
    return ConversionError(f"parameter {key!r}: cannot convert {_show(value)} to {wanted.__name__}{why}")


def format_float(x: float) -> str:
    """A float as ``repr`` spells it (``0.1``, ``1e+16``, ``1e-05``, ``inf``, ``nan``): the
    rule of every language's float-to-text conversion (the engine's ``format_float``)."""
    return float.__repr__(x)


def _float_to_int(x: float) -> int | None:
    if math.isfinite(x) and x == int(x) and -(2.0**63) <= x < 2.0**63:
        return int(x)
    return None


def _decimal_int(text: str) -> int | None:
    """An integer text (``_INT``) in the i64 range, else None. Only the significant digits
    (at most 19) reach int(), which refuses texts of over 4300 digits: a text of any length
    converts exactly, as in the engine ("000…0042" is 42)."""
    significant = text.lstrip("+-").lstrip("0")
    if len(significant) > 19:
        return None
    value = int(significant or "0") * (-1 if text.startswith("-") else 1)
    return value if _I64_MIN <= value <= _I64_MAX else None


def _parse_int(text: str) -> int | None:
    text = text.strip(_WHITE_SPACE)
    if _INT.match(text):
        return _decimal_int(text)
    if _FLOAT.match(text) and math.isfinite(float(text)):
        return _exact_int(text)
    return None


def _exact_int(text: str) -> int | None:
    """The integer a finite number text denotes exactly, as the engine's ``exact_integer``:
    worked out on the digits, since through a float "1e-400" would become 0."""
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
    return value if _I64_MIN <= value <= _I64_MAX else None


def _parse_float(text: str) -> float | None:
    text = text.strip(_WHITE_SPACE)
    return float(text) if _FLOAT.match(text) else None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip(_WHITE_SPACE).lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def _to_int(value: Any) -> int | None:
    if isinstance(value, (bool, int)):
        return int(value)
    if isinstance(value, float):
        return _float_to_int(value)
    if isinstance(value, str):
        return _parse_int(value)
    return None


def _to_float(value: Any) -> float | None:
    if isinstance(value, (bool, int, float)):
        try:
            return float(value)
        except OverflowError:  # an int beyond the float range: never silently infinity
            return None
    if isinstance(value, str):
        return _parse_float(value)
    return None


def _to_str(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _int_text(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    return None


_CONVERTERS = {bool: _to_bool, int: _to_int, float: _to_float, str: _to_str}


def convert(key: str, value: Any, wanted: type) -> Any:
    """Convert ``value`` to ``wanted`` (bool, int, float or str) by the engine's rule set.

    A subclass or number-like converts as the plain value it stands for (``plain``), and the
    result is always of the exact type ``wanted``.
    """
    value = plain(value)
    result = _CONVERTERS[wanted](value)
    if result is None:
        why = ""
        if wanted is str and type(value) is int:
            why = f" (over {sys.get_int_max_str_digits()} digits, Python's limit for int to str)"
        raise mismatch(key, value, wanted, why)
    return result


def parse_value(text: str) -> Any:
    """Parse the value text of a ``key=value`` definition: int, float, bool, None, else str."""
    trimmed = text.strip(_WHITE_SPACE)
    if _INT.match(trimmed):
        value = _decimal_int(trimmed)
        if value is not None:
            return value
    if _FLOAT.match(trimmed) and any(c.isdigit() for c in trimmed):
        return float(trimmed)
    lowered = trimmed.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    return text

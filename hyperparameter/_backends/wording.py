"""The words of the backends' errors, in one place, so that both backends say the same.

The engine's own wording is the reference: ``KeyError``'s words in rust/src/key.rs, and
``Error``'s ``Display`` and ``shown_value`` in rust/src/error.rs. Python quotes keys and text
as Python does (``'a b'``, not ``"a b"``), in messages from either backend.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from .._errors import ConversionError, InvalidKeyError
from .values import int_text

# --- keys -------------------------------------------------------------------------------------

#: Why a key was refused: rust/src/key.rs ``KeyError``, one text per variant.
KEY_EMPTY = "key is empty"
KEY_EMPTY_SEGMENT = "key has an empty segment"


def key_too_long(size: int, limit: int) -> str:
    return f"key is {size} bytes long, the limit is {limit}"


def key_bad_char(char: str) -> str:
    return f"key contains {char!r}; allowed are letters, digits, '_' and '-' in segments joined by '.'"


def shown_key(key: str) -> str:
    """A key quoted for a message; a very long one is cut short."""
    if len(key) > 80:
        return f"{key[:60]!r}... ({len(key.encode('utf-8', 'surrogatepass'))} bytes)"
    return repr(key)


def invalid_key(key: str, reason: str) -> InvalidKeyError:
    """The error for a key that breaks the key rules; ``reason`` is one of the texts above."""
    return InvalidKeyError(f"invalid key {shown_key(key)}: {reason}")


# --- values -----------------------------------------------------------------------------------

#: A text value longer than this many characters is cut short in messages (a 10 MB value is
#: not quoted whole); the engine's messages cut at the same place (rust/src/error.rs).
SHOWN_LIMIT = 256
#: How many characters of a long value a message keeps.
SHOWN_KEEP = 200


def shown_value(value: Any) -> str:
    """A value rendered the way the engine's messages render it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_spelling(value)
    if isinstance(value, int):
        text = int_text(value)
        return f"<int of {value.bit_length()} bits>" if text is None else _cut(text, quote=False)
    if isinstance(value, str):
        return _cut(value, quote=True)
    return f"<{type(value).__name__} object>"


def _cut(text: str, quote: bool) -> str:
    """``text`` for a message, quoted if asked; one of over ``SHOWN_LIMIT`` characters keeps
    its first ``SHOWN_KEEP`` and says how long it was."""
    if len(text) <= SHOWN_LIMIT:
        return repr(text) if quote else text
    kept = text[:SHOWN_KEEP]
    return f"{kept!r}... ({len(text)} characters)" if quote else f"{kept}... ({len(text)} characters)"


def _float_spelling(x: float) -> str:
    """A float as the engine's messages spell it (``1e16``, ``1e-5``, ``nan``): ``repr``
    (the engine's ``format_float``) with the exponent written without padding."""
    if math.isnan(x):
        return "nan"
    text = float.__repr__(x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def mismatch_error(key: str, value: Any, wanted: type) -> ConversionError:
    """The error for ``value`` (a plain value, see ``values.plain``) that does not convert to
    ``wanted``; an int too long for Python's int-to-text limit says so."""
    why = ""
    if wanted is str and type(value) is int:
        why = f" (over {sys.get_int_max_str_digits()} digits, Python's limit for int to str)"
    shown = shown_value(value)
    return ConversionError(f"parameter {key!r}: cannot convert {shown} to {wanted.__name__}{why}")

"""Python values as the engine sees them, for both backends.

The engine stores null, bool, i64, f64 and UTF-8 text (rust/src/value.rs); anything else is a
host object it holds without looking inside. ``plain`` says which of those a Python object
stands for; both backends convert and store by it, so they agree on every object.
"""

from __future__ import annotations

import math
import operator
import sys
from typing import Any

#: The range of the engine's integers (i64); an int outside it is not stored as a number.
I64_MIN, I64_MAX = -(2**63), 2**63 - 1

_PLAIN_TYPES = frozenset({type(None), bool, int, float, str})


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


def int_text(value: int) -> str | None:
    """Decimal digits of an int, or None beyond Python's limit on int-to-text conversion."""
    try:
        return str(value)
    except ValueError:
        return None

"""Python values that stand for a plain value: what native code must read as that value."""

from __future__ import annotations

import enum
import sys


class Level(enum.IntEnum):
    LOW = 3


class Flags(enum.IntFlag):
    A = 1
    B = 4


if sys.version_info >= (3, 11):
    Mode = enum.StrEnum("Mode", {"FAST": "fast"})
else:

    class Mode(str, enum.Enum):
        FAST = "fast"


class Mixed(str, enum.Enum):
    """A str mixin enum, whose str() is "Mixed.SLOW": the text it holds is still "slow"."""

    SLOW = "slow"


class Ratio(float):
    def __repr__(self) -> str:
        return f"Ratio({float(self)!r})"

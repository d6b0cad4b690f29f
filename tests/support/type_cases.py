"""The types beyond the four scalars, one case each, shared by the tests of every path that
converts them (reads, ``@hp.param``, options, ``-D``, ``--config``, schemas)."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

ID = "12345678-1234-5678-1234-567812345678"


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 3


class Case(NamedTuple):
    name: str  # the test id, and a key segment
    kind: type  # the annotation
    default: Any  # a default of that type
    text: str  # good text
    value: Any  # what it converts to
    bad: str  # text that does not convert
    reason: str  # part of the error message for ``bad`` ("" when there is none)


CASES = [
    Case("path", Path, Path("data"), "/data/x y", Path("/data/x y"), "", "an empty path"),
    Case("purepath", PurePosixPath, PurePosixPath("."), "a/b", PurePosixPath("a/b"), "", "an empty path"),
    Case("decimal", decimal.Decimal, decimal.Decimal("1.5"), "0.10", decimal.Decimal("0.10"), "1,5", ""),
    Case("uuid", uuid.UUID, uuid.UUID(int=0), ID, uuid.UUID(ID), "1234", ""),
    Case(
        "datetime",
        datetime.datetime,
        datetime.datetime(2000, 1, 1),
        "2024-01-05T10:30:00",
        datetime.datetime(2024, 1, 5, 10, 30),
        "2024-01-05",
        "a date without a time",
    ),
    Case("date", datetime.date, datetime.date(1, 1, 1), "2024-01-05", datetime.date(2024, 1, 5), "5/1/2", ""),
    Case("time", datetime.time, datetime.time(0), "10:30", datetime.time(10, 30), "25:00", ""),
    Case(
        "timedelta",
        datetime.timedelta,
        datetime.timedelta(0),
        "1.5",
        datetime.timedelta(seconds=1.5),
        "1:30:00",
        "a duration is a number of seconds",
    ),
    Case("enum", Color, Color.RED, "blue", Color.BLUE, "green", "one of RED, BLUE, by value or name"),
    Case("intenum", Level, Level.LOW, "3", Level.HIGH, "2", "one of LOW, HIGH, by value or name"),
]
IDS = [case.name for case in CASES]


def label(kind: type) -> str:
    """The type's name in messages: the platform's own path classes are named Path and PurePath."""
    return {Path: "Path", PurePosixPath: "PurePath"}.get(kind, kind.__name__)

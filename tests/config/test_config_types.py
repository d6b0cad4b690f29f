"""Schemas with types beyond the four scalars: ``hp.config(path, schema=...)`` converts
``Path``, ``Decimal``, ``UUID``, dates and times, ``timedelta``, enums and user types by the
rules reads use, and reports a bad value with its file, key, value and type."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from config_files import error_of, write
from type_cases import CASES, ID, IDS, Case, Color, Level, label

import hyperparameter as hp


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def schema_of(case: Case) -> type:
    """A dataclass with ``x: T`` (required), ``y: Optional[T] = None`` and ``z: List[T]``."""
    return dataclasses.make_dataclass(
        "Typed",
        [
            ("x", case.kind),
            ("y", Optional[case.kind], dataclasses.field(default=None)),
            ("z", List[case.kind], dataclasses.field(default_factory=list)),
        ],
    )


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_schema_fields_convert(case: Case, fmt: str) -> None:
    if fmt == "toml":
        text = f"x = {json.dumps(case.text)}\ny = {json.dumps(case.text)}\nz = [{json.dumps(case.text)}]\n"
    else:
        text = json.dumps({"x": case.text, "y": case.text, "z": [case.text]})
    write(f"typed.{fmt}", text)
    made = hp.config(f"typed.{fmt}", schema=schema_of(case))
    assert (made.x, made.y, made.z) == (case.value, case.value, [case.value])
    assert type(made.x) is type(case.value)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_schema_none_where_allowed_and_defaults(case: Case) -> None:
    write("typed.json", json.dumps({"x": case.text, "y": None}))
    made = hp.config("typed.json", schema=schema_of(case))
    assert (made.x, made.y, made.z) == (case.value, None, [])
    write("none.json", json.dumps({"x": None}))
    assert error_of("none.json", schema=schema_of(case)).startswith("none.json: x: expected ")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_schema_bad_values_name_file_key_value_and_type(case: Case) -> None:
    write("bad.yaml", json.dumps({"x": case.bad, "y": [case.text], "z": [case.text, case.bad]}))
    message = error_of("bad.yaml", schema=schema_of(case))
    name = label(case.kind)
    lines = message.splitlines()
    assert lines[0] == "3 problems:"
    if case.kind in (Color, Level):  # enums are worded as before: their members
        names = ", ".join(m.name for m in case.kind)
        assert lines[1] == f"  - bad.yaml: x: expected one of {name} ({names}), got {case.bad!r}"
        assert lines[2] == f"  - bad.yaml: y: expected one of {name} ({names}), got [{case.text!r}]"
        assert lines[3] == f"  - bad.yaml: z.1: expected one of {name} ({names}), got {case.bad!r}"
    else:
        reason = f" ({case.reason}" if case.reason else ""
        assert lines[1].startswith(f"  - bad.yaml: x: expected {name}, got {case.bad!r}{reason}")
        assert lines[2] == f"  - bad.yaml: y: expected {name}, got list [{case.text!r}]"
        assert lines[3].startswith(f"  - bad.yaml: z.1: expected {name}, got {case.bad!r}{reason}")


@dataclasses.dataclass
class When:
    day: datetime.date
    moment: datetime.datetime
    at: datetime.time
    wait: datetime.timedelta
    price: decimal.Decimal
    folder: Path


@dataclasses.dataclass
class Store:
    root: Path
    ids: Dict[str, uuid.UUID] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class App:
    store: Store
    color: Color = Color.RED


def test_schema_from_yaml_and_toml_objects() -> None:
    """YAML and TOML read dates (and numbers) themselves: they convert like text does."""

    write(
        "when.toml",
        "day = 2024-01-05\nmoment = 2024-01-05T10:30:00\nat = 10:30:00\nwait = 1.5\nprice = 0.1\n",
    )
    with open("when.toml", "a") as f:
        f.write("folder = 'out'\n")
    made = hp.config("when.toml", schema=When)
    assert made == When(
        datetime.date(2024, 1, 5),
        datetime.datetime(2024, 1, 5, 10, 30),
        datetime.time(10, 30),
        datetime.timedelta(seconds=1.5),
        decimal.Decimal("0.1"),
        Path("out"),
    )
    write(
        "swapped.yaml",
        "day: 2024-01-05T10:30:00\nmoment: 2024-01-05\nat: '10:30'\nwait: 1\nprice: 1\nfolder: .\n",
    )
    assert error_of("swapped.yaml", schema=When) == (
        "2 problems:\n"
        "  - swapped.yaml: day: expected date, got datetime.datetime(2024, 1, 5, 10, 30) "
        "(it has a time of day)\n"
        "  - swapped.yaml: moment: expected datetime, got datetime.date(2024, 1, 5) "
        "(a date without a time: write '2024-01-05T00:00' for midnight)"
    )


def test_schema_nested_and_in_mappings() -> None:
    write("app.yaml", f"store:\n  root: /srv\n  ids: {{main: {ID}}}\ncolor: blue\n")
    assert hp.config("app.yaml", schema=App) == App(Store(Path("/srv"), {"main": uuid.UUID(ID)}), Color.BLUE)


class Size:
    def __init__(self, nbytes: int) -> None:
        self.nbytes = nbytes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Size) and other.nbytes == self.nbytes


class Ratio:
    """Read from text by ``from_string``; a dataclass-like section too (it has type hints)."""

    a: int = 1
    b: int = 1

    @classmethod
    def from_string(cls, text: str) -> Ratio:
        made = cls()
        made.a, made.b = (int(part) for part in text.split(":"))
        return made

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ratio) and (other.a, other.b) == (self.a, self.b)


hp.register_type(Size, lambda text: Size(int(text.rstrip("K")) * 1024))


@dataclasses.dataclass
class Cache:
    size: Size
    ratio: Ratio
    other: Optional[Ratio] = None


def test_schema_user_types() -> None:
    write("cache.yaml", "size: 64K\nratio: '3:4'\nother: {a: 16, b: 9}\n")
    made = hp.config("cache.yaml", schema=Cache)
    assert (made.size, made.ratio) == (Size(65536), Ratio.from_string("3:4"))
    assert made.other == Ratio.from_string("16:9")  # a section is read field by field
    write("cache_bad.yaml", "size: lots\nratio: '3/4'\n")
    assert error_of("cache_bad.yaml", schema=Cache) == (
        "2 problems:\n"
        "  - cache_bad.yaml: size: expected Size, got 'lots' (ValueError: invalid literal for int() with "
        "base 10: 'lots')\n"
        "  - cache_bad.yaml: ratio: expected Ratio, got '3/4' (ValueError: invalid literal for int() with "
        "base 10: '3/4')"
    )


def test_config_without_schema_keeps_text_and_reads_convert() -> None:
    write("run.yaml", "io:\n  data: /data\n  price: '0.10'\n")
    with hp.scope(hp.config("run.yaml")):
        assert hp.scope.io.data | Path(".") == Path("/data")
        assert hp.scope.io.price | decimal.Decimal(0) == decimal.Decimal("0.10")
        assert hp.scope.io.data() == "/data"

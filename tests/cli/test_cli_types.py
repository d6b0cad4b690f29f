"""The command line with types beyond the four scalars: ``--option``, ``-D``, ``--config`` and
positionals check ``Path``, ``Decimal``, ``UUID``, dates and times, ``timedelta``, enums and
user types by the rules reads use, keep the text in the scope, and report a bad value as a
usage error naming option, value and type. Run in-process, on either backend."""

from __future__ import annotations

import datetime
import decimal
import json
from pathlib import Path
from typing import Any, Callable, Optional
from uuid import UUID

import pytest
from type_cases import CASES, ID, IDS, Case, Color, label

import hyperparameter as hp


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def make(case: Case) -> Callable:
    """An ``@hp.param("ct")`` function with ``x`` defaulting to a value of the case's type and
    ``y`` annotated ``Optional[type]`` defaulting to None; it returns both, and what the scope
    holds for them."""

    def ct(x=case.default, y=None):
        return x, y, hp.scope.ct.x | None, hp.scope.ct.y | None

    ct.__annotations__ = {"y": Optional[case.kind]}
    return hp.param("ct")(ct)


def usage_error(capsys: pytest.CaptureFixture, func: Callable, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as info:
        hp.launch(func, argv=argv)
    assert info.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_options_check_the_value_and_the_scope_keeps_the_text(case: Case) -> None:
    x, y, held_x, held_y = hp.launch(make(case), argv=["--x", case.text, "--y", case.text])
    assert (x, y) == (case.value, case.value)
    assert type(x) is type(case.value) and type(y) is type(case.value)
    assert (held_x, held_y) == (case.text, case.text)  # native code sees the text too


@pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine")
def test_native_code_sees_the_text_the_function_a_path() -> None:
    from hyperparameter._backends.native import NativeBackend

    @hp.param("nat")
    def nat(data=Path("data"), when: Optional[datetime.date] = None):
        return data, when, NativeBackend.native_get("nat.data"), NativeBackend.native_get("nat.when")

    got = hp.launch(nat, argv=["--data", "/x", "-D", "nat.when=2024-01-05"])
    assert got == (Path("/x"), datetime.date(2024, 1, 5), "/x", "2024-01-05")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_definitions_check_the_value_and_keep_the_text(case: Case) -> None:
    x, y, held_x, held_y = hp.launch(make(case), argv=["-D", f"ct.x={case.text}", f"ct.y={case.text}"])
    assert (x, y, held_x, held_y) == (case.value, case.value, case.text, case.text)
    assert hp.launch(make(case), argv=[])[:2] == (case.default, None)
    assert hp.launch(make(case), argv=["--y", "none"])[1] is None


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_config_files_check_the_value(case: Case, fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"run.{fmt}"
    if fmt == "toml":
        path.write_text(f"[ct]\nx = {json.dumps(case.text)}\ny = {json.dumps(case.text)}\n")
    else:
        path.write_text(json.dumps({"ct": {"x": case.text, "y": case.text}}))  # JSON is YAML too
    x, y, held_x, _ = hp.launch(make(case), argv=["--config", str(path)])
    assert (x, y, held_x) == (case.value, case.value, case.text)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_bad_value_is_a_usage_error_naming_where_value_and_type(
    case: Case, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    name = label(case.kind)
    err = usage_error(capsys, make(case), ["--x", case.bad])
    assert f"error: argument --x: {case.bad!r} is not a valid {name}" in err
    assert case.reason in err
    err = usage_error(capsys, make(case), ["--y", case.bad])
    assert f"error: argument --y: {case.bad!r} is not a valid {name}" in err
    err = usage_error(capsys, make(case), ["-D", f"ct.x={case.bad}"])
    assert f"error: argument -D/--define: ct.x={case.bad!r} is not a valid {name}" in err
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"ct": {"y": case.bad}}))
    err = usage_error(capsys, make(case), ["--config", str(path)])
    assert f"error: argument --config: {path}:ct.y: {case.bad!r} is not a valid {name}" in err


def test_values_from_files_that_are_not_text() -> None:
    """YAML and TOML read dates and numbers as such: they convert as reads convert them."""

    @hp.param("nt")
    def nt(
        day=datetime.date(2000, 1, 1),
        wait=datetime.timedelta(0),
        price=decimal.Decimal(0),
        data=Path("."),
        when=datetime.datetime(2000, 1, 1),
    ):
        return day, wait, price, data, when

    Path("nt.toml").write_text("[nt]\nday = 2024-01-05\nwait = 90\nprice = 0.1\ndata = 7\n")
    assert hp.launch(nt, argv=["--config", "nt.toml"])[:4] == (
        datetime.date(2024, 1, 5),
        datetime.timedelta(seconds=90),
        decimal.Decimal("0.1"),
        Path("7"),
    )
    Path("nt.yaml").write_text("nt:\n  when: 2024-01-05\n")
    with pytest.raises(SystemExit):
        hp.launch(nt, argv=["--config", "nt.yaml"])  # a date alone is not a datetime


def test_positionals_are_converted_whole() -> None:
    @hp.param("pos")
    def pos(src: Path, when: Optional[datetime.date], color: Color, *rest: decimal.Decimal):
        return src, when, color, rest

    assert hp.launch(pos, argv=["in.csv", "2024-01-05", "BLUE", "0.1", "2"]) == (
        Path("in.csv"),
        datetime.date(2024, 1, 5),
        Color.BLUE,
        (decimal.Decimal("0.1"), decimal.Decimal(2)),
    )
    assert hp.launch(pos, argv=["in.csv", "none", "red"])[1:] == (None, Color.RED, ())


def test_positional_errors(capsys: pytest.CaptureFixture) -> None:
    @hp.param("pos2")
    def pos2(when: datetime.datetime):
        return when

    err = usage_error(capsys, pos2, ["2024-01-05"])
    assert (
        "argument when: '2024-01-05' is not a valid datetime "
        "(a date without a time: write '2024-01-05T00:00' for midnight)"
    ) in err


def test_help_and_listing_name_the_types(capsys: pytest.CaptureFixture) -> None:
    @hp.param("lst")
    def lst(data=Path("data"), out: Optional[Path] = None, price=decimal.Decimal("1.5"), color=Color.RED):
        return data

    with pytest.raises(SystemExit):
        hp.launch(lst, argv=["--help"])
    out = capsys.readouterr().out
    for metavar in ("--data PATH", "--out PATH", "--price DECIMAL", "--color COLOR"):
        assert metavar in out
    with pytest.raises(SystemExit):
        hp.launch(lst, argv=["-lps", "-D", "lst.data=/x"])
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["lst.data"][1:] == ["Path", repr(Path("data")), "'/x'", "-D"]
    assert [rows[key][1] for key in ("lst.out", "lst.price", "lst.color")] == ["Path", "Decimal", "Color"]


# --- user types -----------------------------------------------------------------------------------------


class Size:
    def __init__(self, nbytes: int) -> None:
        self.nbytes = nbytes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Size) and other.nbytes == self.nbytes


class Ratio:
    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, b

    @classmethod
    def from_string(cls, text: str) -> Ratio:
        a, b = text.split(":")
        return cls(int(a), int(b))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ratio) and (other.a, other.b) == (self.a, self.b)


hp.register_type(Size, lambda text: Size(int(text.rstrip("K")) * 1024))
NO_SIZE, EVEN = Size(0), Ratio(1, 1)


def test_user_types_on_the_command_line(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    @hp.param("user")
    def user(size=NO_SIZE, ratio=EVEN, limit: Optional[Size] = None):
        return size, ratio, limit

    assert hp.launch(user, argv=["--size", "4K", "-D", "user.ratio=3:4", "--limit", "2"]) == (
        Size(4096),
        Ratio(3, 4),
        Size(2048),
    )
    (tmp_path / "u.yaml").write_text("user:\n  size: 8\n  ratio: '16:9'\n")  # a number as its text
    assert hp.launch(user, argv=["--config", "u.yaml"])[:2] == (Size(8192), Ratio(16, 9))
    err = usage_error(capsys, user, ["--size", "big"])
    assert "argument --size: 'big' is not a valid Size (ValueError: invalid literal for int()" in err
    err = usage_error(capsys, user, ["-D", "user.ratio=3/4"])
    assert "argument -D/--define: user.ratio='3/4' is not a valid Ratio" in err


# --- writing what a run used ------------------------------------------------------------------------------


D: dict[str, Any] = {case.name: case.default for case in CASES}


@hp.param("dmp")
def dmp(
    path=D["path"],
    purepath=D["purepath"],
    decimal=D["decimal"],
    uuid=D["uuid"],
    datetime=D["datetime"],
    date=D["date"],
    time=D["time"],
    timedelta=D["timedelta"],
    enum=D["enum"],
    intenum=D["intenum"],
):
    return path, purepath, decimal, uuid, datetime, date, time, timedelta, enum, intenum


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
def test_dump_params_writes_text_that_reads_back(fmt: str) -> None:
    """Defaults of these types are written as text (a path, ISO 8601, seconds, an enum's value)."""
    first = hp.launch(
        dmp, argv=["-D", f"dmp.uuid={ID}", "--timedelta", "0.5", "--dump-params", f"used.{fmt}"]
    )
    assert first[3] == UUID(ID) and first[7] == datetime.timedelta(seconds=0.5)
    assert hp.launch(dmp, argv=["--config", f"used.{fmt}"]) == first
    assert hp.launch(dmp, argv=[]) == tuple(D.values())

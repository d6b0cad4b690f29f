"""Types beyond the four scalars: reads with a default and ``@hp.param`` convert ``Path``,
``Decimal``, ``UUID``, dates and times, ``timedelta``, enums and user types (``register_type``,
``from_string``) by one set of rules (``hyperparameter._types``); the scope keeps the text."""

from __future__ import annotations

import datetime
import decimal
import doctest
import os
import subprocess
import sys
import uuid
from pathlib import Path, PurePath, PurePosixPath
from typing import Optional, Union

import pytest
from type_cases import CASES, ID, IDS, Case, Color, Level, label

import hyperparameter as hp
from hyperparameter import _types

NATIVE = hp.backend_name() == "native"
native_only = pytest.mark.skipif(not NATIVE, reason="needs the native engine")


def message(case: Case, key: str) -> str:
    return f"parameter {key!r}: cannot convert {case.bad!r} to {label(case.kind)}"


# --- reads with a default ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_read_with_a_default_converts_the_text(case: Case) -> None:
    with hp.scope(**{f"t.{case.name}": case.text}):
        got = hp.scope[f"t.{case.name}"] | case.default
        assert got == case.value and type(got) is type(case.value)
        assert hp.scope[f"t.{case.name}"](case.default) == case.value
        assert getattr(hp.scope.t, case.name) | case.default == case.value
        # the scope keeps what was set: only reads convert
        assert hp.scope[f"t.{case.name}"]() == case.text


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_missing_key_gives_the_default_and_a_value_of_the_type_is_kept(case: Case) -> None:
    assert hp.scope[f"t.{case.name}"] | case.default is case.default
    with hp.scope(**{f"t.{case.name}": case.value}):
        assert hp.scope[f"t.{case.name}"] | case.default is case.value


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_bad_value_is_a_conversion_error_naming_key_value_and_type(case: Case) -> None:
    key = f"t.{case.name}"
    with hp.scope(**{key: case.bad}):
        with pytest.raises(hp.ConversionError) as info:
            hp.scope[key] | case.default
    assert str(info.value).startswith(message(case, key))
    assert case.reason in str(info.value)
    assert isinstance(info.value, ValueError)


def test_messages_word_the_reason() -> None:
    cases = {
        (Path("."), ""): (
            "parameter 'k': cannot convert '' to Path (an empty path; write '.' for the current folder)"
        ),
        (datetime.datetime(2000, 1, 1), "2024-01-05"): (
            "parameter 'k': cannot convert '2024-01-05' to datetime "
            "(a date without a time: write '2024-01-05T00:00' for midnight)"
        ),
        (datetime.timedelta(0), "1:30"): (
            "parameter 'k': cannot convert '1:30' to timedelta "
            "(a duration is a number of seconds, such as 90 or 0.25)"
        ),
        (decimal.Decimal(0), "abc"): "parameter 'k': cannot convert 'abc' to Decimal",
        (uuid.UUID(int=0), True): "parameter 'k': cannot convert true to UUID",
    }
    for (default, value), expected in cases.items():
        with hp.scope(k=value):
            with pytest.raises(hp.ConversionError) as info:
                hp.scope.k | default
        assert str(info.value) == expected


def test_paths_keep_the_defaults_exact_type_and_take_path_likes() -> None:
    class Mine(type(Path())):  # a subclass of the platform's Path
        pass

    with hp.scope(p="a/b", q=PurePosixPath("c")):
        assert type(hp.scope.p | Mine(".")) is Mine
        assert type(hp.scope.p | PurePath(".")) is type(PurePath("."))
        assert hp.scope.q | Path(".") == Path("c")
    with hp.scope(p=7):  # a number from a file is its text
        assert hp.scope.p | Path(".") == Path("7")
    with hp.scope(p=False):
        with pytest.raises(hp.ConversionError, match="cannot convert false to Path"):
            hp.scope.p | Path(".")


def test_decimal_is_exact_and_a_float_goes_through_its_repr() -> None:
    values = {"a": "0.1", "b": 0.1, "c": 10**30, "d": " 2.50 ", "e": 1e16, "f": "1_000"}
    with hp.scope(**values):
        got = [hp.scope[k] | decimal.Decimal(0) for k in values]
    assert got == [
        decimal.Decimal("0.1"),
        decimal.Decimal("0.1"),  # not 0.1000000000000000055511151231257827...
        decimal.Decimal(10**30),
        decimal.Decimal("2.50"),
        decimal.Decimal("1E+16"),
        decimal.Decimal(1000),
    ]
    with hp.scope(a=True):
        with pytest.raises(hp.ConversionError, match="cannot convert true to Decimal"):
            hp.scope.a | decimal.Decimal(0)


def test_uuid_forms() -> None:
    for text in (ID, ID.upper(), "{" + ID + "}", "urn:uuid:" + ID, " " + ID.replace("-", "") + "\n"):
        with hp.scope(u=text):
            assert hp.scope.u | uuid.UUID(int=0) == uuid.UUID(ID)
    with hp.scope(u=12345678):
        with pytest.raises(hp.ConversionError, match="cannot convert 12345678 to UUID"):
            hp.scope.u | uuid.UUID(int=0)


def test_dates_and_times_read_iso_8601_and_never_guess() -> None:
    dt0, d0, t0 = datetime.datetime(2000, 1, 1), datetime.date(2000, 1, 1), datetime.time(0)
    aware = datetime.datetime(2024, 1, 5, 10, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    with hp.scope(a="2024-01-05T10:30:00+02:00", b="2024-01-05 10:30", c="10:30:15.5"):
        assert hp.scope.a | dt0 == aware
        assert hp.scope.b | dt0 == datetime.datetime(2024, 1, 5, 10, 30)
        assert hp.scope.c | t0 == datetime.time(10, 30, 15, 500000)
    # objects from YAML or TOML files: a date is not a datetime, a datetime not a date
    with hp.scope(day=datetime.date(2024, 1, 5), moment=datetime.datetime(2024, 1, 5, 10)):
        with pytest.raises(hp.ConversionError, match=r"to datetime \(a date without a time"):
            hp.scope.day | dt0
        with pytest.raises(hp.ConversionError, match=r"to date \(it has a time of day\)"):
            hp.scope.moment | d0
        assert hp.scope.moment | dt0 == datetime.datetime(2024, 1, 5, 10)
    with hp.scope(day="2024-01-05T10:30"):
        with pytest.raises(hp.ConversionError, match="cannot convert '2024-01-05T10:30' to date"):
            hp.scope.day | d0


def test_timedelta_is_a_number_of_seconds() -> None:
    zero = datetime.timedelta(0)
    values = {"a": "90", "b": " 1.5 ", "c": "-2", "d": "1e3", "e": 30, "f": 0.25, "g": "0.000001"}
    with hp.scope(**values):
        got = [hp.scope[k] | zero for k in values]
    assert got == [
        datetime.timedelta(seconds=90),
        datetime.timedelta(seconds=1.5),
        datetime.timedelta(seconds=-2),
        datetime.timedelta(seconds=1000),
        datetime.timedelta(seconds=30),
        datetime.timedelta(milliseconds=250),
        datetime.timedelta(microseconds=1),
    ]
    for bad in ("PT1H", "01:30:00", "nan", "inf", True, "", "1e400", 10**20):
        with hp.scope(a=bad):
            with pytest.raises(hp.ConversionError, match="to timedelta"):
                hp.scope.a | zero


def test_enums_by_value_or_name() -> None:
    with hp.scope(a="blue", b="BLUE", c=3, d="3", e="HIGH", f=" 3 "):
        assert (hp.scope.a | Color.RED, hp.scope.b | Color.RED) == (Color.BLUE, Color.BLUE)
        assert [hp.scope[k] | Level.LOW for k in "cdef"] == [Level.HIGH] * 4
    with hp.scope(a="Blue"):
        with pytest.raises(hp.ConversionError, match=r"'Blue' to Color \(one of RED, BLUE, by value or name"):
            hp.scope.a | Color.RED


def test_a_stored_object_of_another_type_is_refused_not_passed_through() -> None:
    with hp.scope(a=[1, 2]):
        with pytest.raises(hp.ConversionError, match=r"cannot convert \[1, 2\] to Path"):
            hp.scope.a | Path(".")


def test_defaults_of_types_that_do_not_convert_return_the_value_as_before() -> None:
    with hp.scope(a="x", b=(1, 2)):
        assert hp.scope.a | [] == "x"
        assert hp.scope.b | [] == (1, 2)
        assert hp.scope.a | object == "x"


# --- @hp.param --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_param_converts_by_the_defaults_type(case: Case) -> None:
    @hp.param("typed")
    def f(x=case.default):
        return x

    assert f() is case.default
    with hp.scope(**{"typed.x": case.text}):
        assert f() == case.value and type(f()) is type(case.value)
        assert f(x="given") == "given"  # an explicit argument is not converted
    with hp.scope(**{"typed.x": case.bad}):
        with pytest.raises(hp.ConversionError) as info:
            f()
        assert str(info.value).startswith(message(case, "typed.x"))
        assert f(x=case.value) == case.value  # a failed value only fails the call that uses it


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_param_converts_by_the_annotation_when_the_default_is_none(case: Case) -> None:
    def f(x=None, y=None, z=None):
        return x, y, z

    # (this module's annotations are text, which names only what the module defines)
    f.__annotations__ = {"x": case.kind, "y": Optional[case.kind], "z": Union[case.kind, None]}
    f = hp.param("ann")(f)
    assert f() == (None, None, None)
    with hp.scope(**{"ann.x": case.text, "ann.y": case.text, "ann.z": None}):
        assert f() == (case.value, case.value, None)
    with hp.scope(**{"ann.y": case.bad}):
        with pytest.raises(hp.ConversionError) as info:
            f()
        assert str(info.value).startswith(message(case, "ann.y"))


def test_param_string_annotations_are_evaluated_where_the_function_is(tmp_path: Path) -> None:
    source = (
        "from __future__ import annotations\n"
        "import datetime\n"
        "from pathlib import Path\n"
        "from typing import Optional\n"
        "import hyperparameter as hp\n"
        "@hp.param('strann')\n"
        "def f(out: Optional[Path] = None, when: datetime.date | None = None, n: Optional[int] = None,\n"
        "      later: Later = None):\n"
        "    return out, when, n, later\n"
        "class Later:\n"
        "    @classmethod\n"
        "    def from_string(cls, text):\n"
        "        made = cls(); made.text = text; return made\n"
    )
    namespace: dict = {"__name__": "strann_module"}
    exec(compile(source, str(tmp_path / "strann.py"), "exec"), namespace)  # noqa: S102
    f = namespace["f"]
    with hp.scope(**{"strann.out": "/o", "strann.when": "2024-01-05", "strann.n": "7", "strann.later": "l"}):
        out, when, n, later = f()
    assert (out, when, n, later.text) == (Path("/o"), datetime.date(2024, 1, 5), 7, "l")


def test_param_the_defaults_type_wins_over_the_annotation() -> None:
    @hp.param("win")
    def f(x: Path = "data", y: Optional[Path] = Path(".")):  # type: ignore[assignment]
        return x, y

    with hp.scope(**{"win.x": "/x", "win.y": "/y"}):
        assert f() == ("/x", Path("/y"))


def test_param_annotations_that_do_not_convert_leave_the_value() -> None:
    @hp.param("plainann")
    def f(x: list = None, y: Union[int, str, None] = None):  # type: ignore[assignment]
        return x, y

    with hp.scope(**{"plainann.x": "a", "plainann.y": "3"}):
        assert f() == ("a", "3")


def test_param_on_a_class() -> None:
    @hp.param("Job")
    class Job:
        def __init__(self, root: Path = Path("."), wait: Optional[datetime.timedelta] = None) -> None:
            self.root, self.wait = root, wait

    with hp.scope(**{"Job.root": "/srv", "Job.wait": 2}):
        job = Job()
    assert (job.root, job.wait) == (Path("/srv"), datetime.timedelta(seconds=2))


# --- user types ---------------------------------------------------------------------------------------


class Size:
    """A byte count written as 64K, 2M, 1G."""

    UNITS = {"K": 2**10, "M": 2**20, "G": 2**30}

    def __init__(self, nbytes: int) -> None:
        self.nbytes = nbytes

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Size) and other.nbytes == self.nbytes

    def __repr__(self) -> str:
        return f"Size({self.nbytes})"


def parse_size(text: str) -> Size:
    if text[-1:].upper() in Size.UNITS:
        return Size(int(text[:-1]) * Size.UNITS[text[-1].upper()])
    return Size(int(text))


class Ratio:
    """A user type read by its own ``from_string`` classmethod: ``3:4``."""

    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, b

    @classmethod
    def from_string(cls, text: str) -> Ratio:
        a, b = text.split(":")
        return cls(int(a), int(b))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ratio) and (other.a, other.b) == (self.a, self.b)


hp.register_type(Size, parse_size)
NO_SIZE = Size(0)


def test_a_registered_type_converts_on_reads_and_in_param() -> None:
    @hp.param("cache")
    def f(size=NO_SIZE, limit: Optional[Size] = None):
        return size, limit

    with hp.scope(**{"cache.size": "64K", "cache.limit": 1024}):  # a number is given as its text
        assert f() == (Size(65536), Size(1024))
        assert hp.scope.cache.size | Size(0) == Size(65536)
        assert hp.scope.cache.size() == "64K"
    with hp.scope(**{"cache.size": "64Q"}):
        with pytest.raises(hp.ConversionError) as info:
            hp.scope.cache.size | Size(0)
    assert str(info.value) == (
        "parameter 'cache.size': cannot convert '64Q' to Size "
        "(ValueError: invalid literal for int() with base 10: '64Q')"
    )
    with hp.scope(**{"cache.size": [1]}):
        with pytest.raises(hp.ConversionError, match=r"cannot convert \[1\] to Size$"):
            hp.scope.cache.size | Size(0)


def test_a_from_string_type_needs_no_registration() -> None:
    with hp.scope(r="3:4"):
        assert hp.scope.r | Ratio(1, 1) == Ratio(3, 4)
    with hp.scope(r="3/4"):
        with pytest.raises(hp.ConversionError, match=r"'r': cannot convert '3/4' to Ratio \(ValueError"):
            hp.scope.r | Ratio(1, 1)


def test_registered_comes_before_from_string_and_before_the_built_in_rules() -> None:
    class Both:
        def __init__(self, how: str) -> None:
            self.how = how

        @classmethod
        def from_string(cls, text: str) -> Both:
            return cls("from_string")

    class Moment(datetime.datetime):
        pass

    with hp.scope(a="x", b="2024-01-05T00:00"):
        assert (hp.scope.a | Both("")).how == "from_string"
        assert type(hp.scope.b | Moment(2000, 1, 1)) is Moment
        hp.register_type(Both, lambda text: Both("registered"))
        hp.register_type(Moment, lambda text: "registered")
        assert (hp.scope.a | Both("")).how == "registered"
        assert hp.scope.b | Moment(2000, 1, 1) == "registered"


def test_register_type_refuses_the_engines_types_and_non_types() -> None:
    with pytest.raises(ValueError, match="int converts by the engine's rules"):
        hp.register_type(int, int)
    with pytest.raises(TypeError, match="kind must be a class"):
        hp.register_type("Size", parse_size)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="parse must be callable"):
        hp.register_type(Size, None)  # type: ignore[arg-type]
    assert "register_type" in hp.__all__


def test_param_sees_a_type_registered_after_its_first_call() -> None:
    class Late:
        def __init__(self, text: str) -> None:
            self.text = text

    def f(x=None):
        return x

    f.__annotations__ = {"x": Optional[Late]}
    f = hp.param("late")(f)

    with hp.scope(**{"late.x": "t"}):
        assert f() == "t"  # no conversion known yet
        hp.register_type(Late, Late)
        assert f().text == "t"


def test_register_type_docstring_runs() -> None:
    result = doctest.testmod(_types, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0


# --- native code sees the text ------------------------------------------------------------------------


@native_only
def test_native_code_sees_the_text_python_reads_convert() -> None:
    from hyperparameter._backends.native import NativeBackend

    with hp.scope(**{"io.data": "/x", "io.price": "0.10"}):
        assert hp.scope.io.data | Path(".") == Path("/x")
        assert hp.scope.io.price | decimal.Decimal(0) == decimal.Decimal("0.10")
        assert NativeBackend.native_get("io.data") == "/x"
        assert NativeBackend.native_get("io.price") == "0.10"


# --- cost ---------------------------------------------------------------------------------------------


def test_importing_the_package_imports_no_datetime_decimal_or_uuid() -> None:
    code = "import sys, hyperparameter; print(sorted({'datetime', 'decimal', 'uuid'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_converters_are_found_once_per_type() -> None:
    with hp.scope(a="1"):
        hp.scope.a | decimal.Decimal(0)
        assert _types.found[decimal.Decimal] is not None
        assert _types.converter(Level) is _types.converter(Color)
    assert _types.converts(Path) and _types.converts(int) and not _types.converts(list)

"""The bad-input matrix (docs/errors.md): rows of the config loader (CFG-xx) and of the command
line built by ``hp.launch`` (CLI-xx) that tests/config/test_config.py does not already cover.

Every test runs inside a scope holding a sentinel and checks it afterwards: no row may crash,
hang or corrupt later reads. The command line runs in-process (``hp.launch(argv=...)``): a
usage error is ``SystemExit(2)`` with the message on stderr, as from a shell.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import hyperparameter as hp
from hyperparameter import ConfigError, InvalidKeyError

ROOT = Path(__file__).resolve().parents[1]
NATIVE = hp.backend_name() == "native"


@pytest.fixture
def sentinel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run in an empty folder, inside a scope holding matrix.sentinel = 7; check it after."""
    monkeypatch.chdir(tmp_path)
    with hp.scope(**{"matrix.sentinel": 7}) as ps:
        yield ps
        assert hp.scope.current() is ps, "the row left a scope entered"
        assert hp.scope.matrix.sentinel() == 7
        if NATIVE:
            from hyperparameter._backends.native import NativeBackend

            assert NativeBackend.native_get("matrix.sentinel") == 7
    assert "thread root" in repr(hp.scope.current())


def write(name: str, text: str) -> str:
    Path(name).write_text(text, encoding="utf-8")
    return name


def config_error(*args, **kwargs) -> str:
    with pytest.raises(ConfigError) as info:
        hp.config(*args, **kwargs)
    return str(info.value)


# --- the config loader -------------------------------------------------------------------------


def test_cfg01_null_keys_values_and_arguments(sentinel):
    write("nullkey.yaml", "~: 1\n")
    assert config_error("nullkey.yaml") == "nullkey.yaml: key None is not a string but NoneType"
    write("nullvalue.yaml", "a: ~\nb: null\n")
    cfg = hp.config("nullvalue.yaml")
    assert cfg == {"a": None, "b": None}
    with hp.scope(cfg):  # a null value is a value, not "missing"
        assert (hp.scope.a | 5) is None
    expected = r"^hp.config\(\) takes a file path, a mapping, or a list of them, got None$"
    with pytest.raises(hp.ConfigError, match=expected):
        hp.config(None)


@pytest.mark.parametrize(
    "key, reason",
    [
        ("a b", "key contains ' '"),
        ("a=b", "key contains '='"),
        ("x" * (1 << 20), "key is 1048576 bytes long, the limit is 1024"),  # CFG-04
        ("a..b", "key has an empty segment"),  # CFG-05
    ],
    ids=["CFG-03-space", "CFG-03-equals", "CFG-04-1MB", "CFG-05-empty-segment"],
)
def test_cfg03_04_05_keys_that_break_the_key_rules(sentinel, key, reason):
    """The loader reads any string key; the key rules apply where the values become parameters."""
    write("keys.json", json.dumps({"ok": 1, key: 1}))
    cfg = hp.config("keys.json")
    with pytest.raises(InvalidKeyError) as info:
        hp.scope(cfg)
    assert reason in str(info.value) and len(str(info.value)) < 300


def test_cfg05_an_empty_key_inside_a_section(sentinel):
    write("section.json", json.dumps({"train": {"": 1}}))
    with pytest.raises(InvalidKeyError, match="invalid key 'train.': key has an empty segment"):
        hp.scope(hp.config("section.json"))


@dataclass
class Floats:
    a: float = 0.0
    b: float = 0.0
    c: float = 0.0


@dataclass
class Ints:
    a: int = 0
    b: int = 0
    c: int = 0


@pytest.mark.parametrize(
    "name, text",
    [
        ("nan.json", '{"a": NaN, "b": Infinity, "c": -Infinity}'),
        ("nan.yaml", "a: .nan\nb: .inf\nc: -.inf\n"),
        ("nan.toml", "a = nan\nb = inf\nc = -inf\n"),
    ],
)
def test_cfg06_nan_and_infinities_load_as_floats(sentinel, name, text):
    write(name, text)
    cfg = hp.config(name)
    assert math.isnan(cfg["a"]) and cfg["b"] == math.inf and cfg["c"] == -math.inf
    typed = hp.config(name, schema=Floats)
    assert math.isnan(typed.a) and typed.c == -math.inf
    assert config_error(name, schema=Ints) == "\n".join(
        [
            "3 problems:",
            f"  - {name}: a: expected int, got nan",
            f"  - {name}: b: expected int, got inf",
            f"  - {name}: c: expected int, got -inf",
        ]
    )
    with hp.scope(cfg):
        assert math.isnan(hp.scope.a | 0.0)
        with pytest.raises(hp.ConversionError, match="cannot convert inf to int"):
            hp.scope.b | 0


@pytest.mark.parametrize(
    "name, text",
    [
        ("big.json", '{"a": 99999999999999999999}'),
        ("big.yaml", "a: 99999999999999999999\n"),
        ("big.toml", "a = 99999999999999999999\n"),
    ],
)
def test_cfg07_integers_beyond_int64_stay_python_ints(sentinel, name, text):
    write(name, text)
    assert hp.config(name) == {"a": 99999999999999999999}
    assert hp.config(name, schema=Ints).a == 99999999999999999999  # no range in a schema's int
    with hp.scope(hp.config(name)):
        assert hp.scope.a() == 99999999999999999999
        assert (hp.scope.a | 0.0) == 1e20
        if NATIVE:  # native code cannot read it as a number (see PY-07)
            from hyperparameter._backends.native import ffi, lib

            out = ffi.new("int64_t *")
            assert lib.hp_get_i64(ffi.NULL, b"a", 1, out) == lib.HP_TYPE_MISMATCH


def test_cfg16_a_million_keys_hit_the_value_limit(sentinel):
    # The limit counts every value and every mapping: a million keys in one file is over it.
    Path("million.json").write_text(json.dumps({f"k{i}": i for i in range(1_000_000)}))
    started = time.perf_counter()
    assert config_error("million.json") == (
        "million.json: more than 1,000,000 values and sections"
    )
    assert time.perf_counter() - started < 60
    # Well under it, a large file loads and enters as a scope.
    Path("large.json").write_text(json.dumps({"big": {f"k{i}": i for i in range(100_000)}}))
    with hp.scope(hp.config("large.json")):
        assert hp.scope.big.k99999() == 99_999


# --- the command line (hp.launch) --------------------------------------------------------------


@hp.param("mx")
def command(lr: float = 0.1, epochs: int = 3, name: str = "x"):
    """A command for the matrix rows.

    Args:
        lr: learning rate
        epochs: passes
        name: a label
    """
    return lr, epochs, name, hp.scope.extra | None


def run(*argv: str):
    return hp.launch(command, argv=list(argv), prog="mx")


def usage_error(capsys: pytest.CaptureFixture, *argv: str) -> str:
    """Run the command line expecting a usage error; its message (the line after usage)."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        run(*argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_cli01_empty_definitions(sentinel, capsys):
    assert usage_error(capsys, "-D", "") == "mx: error: argument -D/--define: '' is not KEY=VALUE"
    assert usage_error(capsys, "-D", "=1") == (
        "mx: error: argument -D/--define: invalid key '': key is empty"
    )
    assert "unknown configuration format" in usage_error(capsys, "--config", "")


def test_cli02_undecodable_bytes_in_argv(sentinel, capsys):
    bad = os.fsdecode(b"\xff")  # how Python hands over argv bytes that are not UTF-8
    message = usage_error(capsys, "-D", f"{bad}=1")
    assert message.startswith("mx: error: argument -D/--define: ") and "dcff" in message
    # As a value it is text, kept as it is (native and pure backends alike).
    assert run("-D", f"extra={bad}") == (0.1, 3, "x", bad)
    assert run("--name", bad)[2] == bad


@pytest.mark.parametrize(
    "definition, reason",
    [
        ("a b=1", "key contains ' '"),  # CLI-03
        ("k" * (1 << 20) + "=1", "key is 1048576 bytes long, the limit is 1024"),  # CLI-04
        ("a..b=1", "key has an empty segment"),  # CLI-05
    ],
    ids=["CLI-03", "CLI-04", "CLI-05"],
)
def test_cli03_04_05_bad_keys_in_definitions(sentinel, capsys, definition, reason):
    message = usage_error(capsys, "-D", definition)
    assert message.startswith("mx: error: argument -D/--define: invalid key ")
    assert reason in message and len(message) < 300


def test_cli06_nan_and_infinities(sentinel, capsys):
    lr, *_ = run("--lr", "nan")
    assert math.isnan(lr)
    assert run("--lr=-inf")[0] == -math.inf  # "-inf" alone would look like an option to argparse
    assert run("-D", "mx.lr=inf")[0] == math.inf
    assert usage_error(capsys, "--epochs", "nan") == "mx: error: argument --epochs: 'nan' is not a valid int"
    assert usage_error(capsys, "-D", "mx.epochs=inf") == (
        "mx: error: argument -D/--define: mx.epochs='inf' is not a valid int"
    )


def test_cli07_integers_beyond_int64(sentinel, capsys):
    assert usage_error(capsys, "--epochs", "99999999999999999999") == (
        "mx: error: argument --epochs: '99999999999999999999' is not a valid int"
    )
    assert usage_error(capsys, "--epochs", "-9223372036854775809").endswith("is not a valid int")
    assert run("-D", "extra=99999999999999999999")[3] == 1e20  # undeclared: the nearest float


def test_cli08_non_string_keys_in_a_config_file(sentinel, capsys):
    write("int.yaml", "1: a\n")
    assert usage_error(capsys, "--config", "int.yaml") == (
        "mx: error: argument --config: int.yaml: key 1 is not a string but int"
    )


def test_cli09_values_that_do_not_convert(sentinel, capsys):
    assert usage_error(capsys, "--epochs", "abc") == "mx: error: argument --epochs: 'abc' is not a valid int"
    assert usage_error(capsys, "-D", "mx.epochs=3.5") == (
        "mx: error: argument -D/--define: mx.epochs='3.5' is not a valid int"
    )


def test_cli03_bad_keys_in_a_config_file_are_usage_errors(sentinel, capsys):
    write("bad.yaml", "x: {'a b': 1}\n")
    message = usage_error(capsys, "--config", "bad.yaml")
    assert message.startswith("mx: error: argument --config: ") and "a b" in message


def test_cli14_the_run_scope_ends_with_the_run(sentinel):
    assert run("-D", "extra=5")[3] == 5
    assert (hp.scope.extra | None) is None  # gone after the run

    @hp.param("boom")
    def boom(x: int = 1):
        assert hp.scope.boom.x() == 2
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        hp.launch(boom, argv=["--x", "2"])
    assert (hp.scope.boom.x | None) is None  # a command that raised still left its scope


def test_cli15_deeply_nested_config_file(sentinel, capsys):
    Path("deep.json").write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert usage_error(capsys, "--config", "deep.json") == (
        "mx: error: argument --config: deep.json: nested deeper than 100 levels"
    )


def test_cli16_many_definitions_arrive(sentinel, capsys):
    count = 3_000
    definitions = [f"many.k{i}={i}" for i in range(count)]

    @hp.param("many")
    def many(n: int = 0):
        return [hp.scope[f"many.k{i}"] | -1 for i in range(count)]

    assert hp.launch(many, argv=["-D", *definitions]) == list(range(count))
    capsys.readouterr()


def test_cli16_definitions_scale_linearly(sentinel, capsys):
    wanted = {"count": 0}

    @hp.param("scale")
    def scale(n: int = 0):
        # Every key is read, so none is "unknown": no warning or hint costs enter the timing.
        return sum(hp.scope[f"scale.k{i}"] | 0 for i in range(wanted["count"]))

    def seconds(count: int) -> float:
        wanted["count"] = count
        argv = ["-D", *(f"scale.k{i}={i}" for i in range(count))]
        started = time.perf_counter()
        assert hp.launch(scale, argv=argv) == count * (count - 1) // 2
        capsys.readouterr()
        return time.perf_counter() - started

    seconds(200)  # warm up
    small = min(seconds(1_500) for _ in range(3))  # the least disturbed of three
    large = seconds(6_000)
    # 4x the definitions: linear time is ~4x, quadratic ~16x.
    assert large < 8 * small, f"4x the definitions took {large / small:.0f}x the time"


# --- SECURITY.md's promises that tests/config/test_config.py does not already show ----------


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/name:os.system\n",
        "x: !!python/object/new:os.system [touch owned]\n",
        "x: !!python/object/apply:subprocess.call [[touch, owned]]\n",
        "x: \"${__import__('os').system('touch owned')}\"\n",
    ],
)
def test_sec01_config_files_never_construct_objects_or_run_code(sentinel, text):
    write("evil.yaml", text)
    message = config_error("evil.yaml")
    assert "could not determine a constructor" in message or "is not set" in message, message
    assert not Path("owned").exists()


def test_sec02_environment_only_where_written_as_env(sentinel, monkeypatch):
    monkeypatch.setenv("HP_SEC_SECRET", "s3cret")
    write(
        "env.yaml",
        "\n".join(
            [
                "a: $HP_SEC_SECRET",
                "b: '%HP_SEC_SECRET%'",
                "c: $${env:HP_SEC_SECRET}",  # escaped: the text itself
                "'${env:HP_SEC_SECRET}': key",  # keys are never interpolated
                "e: ~/x",
                "f: ${env:HP_SEC_SECRET}",  # the one place it is read
            ]
        )
        + "\n",
    )
    assert hp.config("env.yaml") == {
        "a": "$HP_SEC_SECRET",
        "b": "%HP_SEC_SECRET%",
        "c": "${env:HP_SEC_SECRET}",
        "${env:HP_SEC_SECRET}": "key",
        "e": "~/x",
        "f": "s3cret",
    }
    # ${NAME} is a reference to another key, never the environment.
    write("ref.yaml", "d: ${HP_SEC_SECRET}\n")
    assert config_error("ref.yaml") == (
        "ref.yaml: d: reference ${HP_SEC_SECRET} is not set (d -> HP_SEC_SECRET)"
    )
    # Definitions from the command line or code are never interpolated at all.
    assert run("-D", "extra=${env:HP_SEC_SECRET}")[3] == "${env:HP_SEC_SECRET}"
    with hp.scope("k=${env:HP_SEC_SECRET}"):
        assert hp.scope.k() == "${env:HP_SEC_SECRET}"


def test_sec03_the_release_build_unwinds_so_the_boundary_can_catch_panics():
    """rust/src/ffi/boundary.rs catches panics with catch_unwind; with panic = "abort" it could not."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    assert cargo["profile"]["release"]["panic"] == "unwind"


# --- docs/errors.md stays true to the tests ------------------------------------------------


def test_every_row_of_docs_errors_md_names_tests_that_exist():
    """Each row of the matrix names its tests; each named file and test must exist, and each id
    of the overview must have its row (an n/a row names no test and says why)."""
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    sources = [
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("tests/native/*.c*"),
        *ROOT.glob("tests/stress/*"),
        *ROOT.glob("rust/tests/*.rs"),
        *ROOT.glob("rust/src/**/*.rs"),
    ]
    corpus = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sources if p.is_file())
    names = {p.name for p in sources}
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"[A-Z]+-\d\d(…\d\d)?", cells[0]):
            rows[cells[0]] = cells
    overview = set(re.findall(r"\| ([A-Z]+-\d\d) ", text.split("## C ABI")[0]))
    ranges = [k for k in rows if "…" in k]  # CFG-11…14: one row for several ids
    missing_rows = [i for i in overview if i not in rows and not any(k.startswith(i[:-2]) for k in ranges)]
    assert not missing_rows, f"ids in the overview without a row: {sorted(missing_rows)}"
    problems = []
    tested = 0
    for row_id, (_, _, outcome, tests) in rows.items():
        if tests == "—":
            assert outcome.startswith("n/a"), f"{row_id} names no test but is not n/a"
            continue
        tested += 1
        for token in re.findall(r"`([^`]+)`", tests):
            for part in re.split(r",\s*|::|\s+", token):
                name = re.sub(r"\[.*", "", part).strip()
                if not name or name in ("(strict", "xfail)", "compile_fail", "doctest", "of"):
                    continue
                if re.search(r"\.(c|cpp|rs|py)$", name):
                    if name not in names:
                        problems.append(f"{row_id}: no file {name}")
                elif re.fullmatch(r"\w+", name) and name not in corpus:
                    problems.append(f"{row_id}: no test {name}")
    assert problems == []
    assert tested == 113

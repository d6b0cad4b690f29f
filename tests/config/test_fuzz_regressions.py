"""Inputs the fuzzers found or were seeded with, replayed on every test run.

- ``fuzz/regressions/config_loader/`` and ``fuzz/corpus/config_loader/``: inputs of the
  config-loader target (``fuzz/python/config_loader.py``), each run through the target's own
  ``check``: ``hp.config`` must return or raise ``hp.ConfigError``, and quickly.
- One readable test per config-loader finding, so a failure says what broke.
- The string-to-int rule found by the Rust ``value_conversion`` target, on both backends (the
  Rust inputs themselves are replayed by ``rust/tests/fuzz_regressions.rs``).
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

import hyperparameter as hp
from hyperparameter._backends import pure as pure_rules

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "fuzz"


def _load_target():
    spec = importlib.util.spec_from_file_location("config_loader_fuzz", FUZZ / "python" / "config_loader.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TARGET = _load_target()
KEPT = sorted(
    p for kind in ("regressions", "corpus") for p in (FUZZ / kind / "config_loader").glob("*") if p.is_file()
)


@pytest.mark.parametrize("path", KEPT, ids=[f"{p.parent.parent.name}/{p.name}" for p in KEPT])
def test_kept_config_input(path: Path) -> None:
    started = time.monotonic()
    TARGET.check(path.read_bytes())
    assert time.monotonic() - started < 30, "a kept input took over 30 s"


def test_inputs_were_kept() -> None:
    assert len(KEPT) >= 10


# --- the config-loader findings, one by one -------------------------------------------------


def _load(tmp_path: Path, name: str, text: str, **kwargs):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return hp.config(path, **kwargs)


def _refused(tmp_path: Path, name: str, text: str, expected: str) -> None:
    started = time.monotonic()
    with pytest.raises(hp.ConfigError) as caught:
        _load(tmp_path, name, text)
    assert expected in str(caught.value)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("date.yaml", "a: 2001-13-45\n"),  # ValueError: month must be in 1..12
        ("offset.yaml", "a: 2001-12-14t21:59:43.10+99:99\n"),
        ("big.json", '{"a": ' + "1" * 5000 + "}"),  # int() refuses more than 4300 digits
        ("big.toml", "a = " + "1" * 5000 + "\n"),
        ("big.yaml", "a: " + "1" * 5000 + "\n"),
    ],
)
def test_values_a_parser_cannot_build(tmp_path: Path, name: str, text: str) -> None:
    _refused(tmp_path, name, text, "invalid value")


@pytest.mark.parametrize(
    "text",
    [
        "a: 0x" + "f" * 5000 + "\n",  # YAML builds hex ints of any size ...
        "a: 1" + ":59" * 2500 + "\n",  # ... and sexagesimal ones, which str() then refuses
        "? 0x" + "f" * 5000 + "\n: 1\n",
    ],
)
def test_integers_too_large_to_print(tmp_path: Path, text: str) -> None:
    _refused(tmp_path, "huge.yaml", text, "bits")


def test_reference_chain_deeper_than_the_recursion_limit(tmp_path: Path) -> None:
    data = {f"k{i}": f"${{k{i + 1}}}" for i in range(2000)}
    data["k2000"] = 1
    _refused(tmp_path, "chain.json", json.dumps(data), "references nested too deeply")
    # A short chain still resolves.
    short = {"a": "${b}", "b": "${c}", "c": 7}
    assert _load(tmp_path, "short.json", json.dumps(short))["a"] == 7


def test_reference_bomb(tmp_path: Path) -> None:
    """Each section refers to the previous one twice: 2^40 values once expanded."""
    data: dict = {"r0": {"x": 1}}
    for i in range(1, 40):
        data[f"r{i}"] = {"p": f"${{r{i - 1}}}", "q": f"${{r{i - 1}}}"}
    _refused(tmp_path, "bomb.json", json.dumps(data), "more than 1,000,000 values")


def test_references_nesting_past_the_depth_limit(tmp_path: Path) -> None:
    data: dict = {f"d{i}": {"n": f"${{d{i + 1}}}"} for i in range(120)}
    data["d120"] = 0
    _refused(tmp_path, "deep.json", json.dumps(data), f"nested deeper than {hp._config.MAX_DEPTH} levels")


@pytest.mark.parametrize("index", ["²", "١", "0" * 5000])
def test_list_index_that_int_refuses(tmp_path: Path, index: str) -> None:
    text = json.dumps({"l": [1, 2], "r": "${l." + index + "}"})
    _refused(tmp_path, "index.json", text, "is not set")


def test_list_index_still_works(tmp_path: Path) -> None:
    config = _load(tmp_path, "index.json", json.dumps({"l": [1, 2], "r": "${l.1}", "s": "${l.01}"}))
    assert (config["r"], config["s"]) == (2, 2)


def test_file_name_too_long(tmp_path: Path) -> None:
    _refused(tmp_path, "base.json", json.dumps({"defaults": ["x" * 300 + ".json"]}), "cannot read")
    with pytest.raises(hp.ConfigError, match="cannot read"):
        hp.config(tmp_path / ("y" * 300 + ".json"))


# --- value_conversion finding: exact integers from text, on both backends -----------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e-400", None),  # was 0: rounded through a float
        ("0.99999999999999999999", None),  # was 1
        ("9007199254740993.0", 9007199254740993),  # was 9007199254740992
        ("9223372036854775807.0", 2**63 - 1),  # was refused (rounded up to 2^63)
        ("9223372036854775808.0", None),
        ("-9.223372036854775808e18", -(2**63)),
        ("12300e-2", 123),
        ("-2.50e1", -25),
        ("0e-99999999999999999999", 0),
        ("1e99999999999999999999", None),
        ("1" * 5000, None),  # int() would refuse the text in the pure backend
        ("-0000000000000000000000001", -1),
        ("3.5", None),
        ("1e3", 1000),
    ],
)
def test_int_from_text_is_exact_on_both_backends(text: str, expected) -> None:
    assert pure_rules.parse_i64(text) == expected
    from hyperparameter._backends import backend

    if expected is None:
        with pytest.raises(hp.ConversionError):
            backend.convert("k", text, int)
    else:
        assert backend.convert("k", text, int) == expected

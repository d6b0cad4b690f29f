"""``hp.config(mapping)``: a mapping is checked and loaded exactly as a file's contents.

Same steps (string keys, ``defaults:`` bases, deep merge with later sources winning, ``${...}``
references, schemas), same errors with ``<mapping>`` where a file's name would be, and the
source ``<mapping>:key`` for each value, kept by a scope. The ports of hyperparameter 0.6's
tests of dict configs are in test_upstream_config.py.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import math
import os
import pickle
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from config_files import error_of, write

import hyperparameter as hp
from hyperparameter import _config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in an empty folder: relative ``defaults:`` of a mapping are found there."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def as_file(data: Any, name: str = "same.yaml") -> str:
    """``data`` written as a YAML file (which can hold non-string keys, unlike JSON); its name."""
    Path(name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return name


def mapping_error(data: Any, **kwargs: Any) -> str:
    """The error of ``data`` as a mapping, checking it is the error of ``data`` as a file."""
    message = error_of(data, **kwargs)
    assert message == error_of(as_file(data), **kwargs).replace("same.yaml", "<mapping>")
    return message


# --- a mapping is a file's contents --------------------------------------------------------------

CONTENTS = [
    {"model": {"name": "resnet", "layers": [64, 128], "dropout": 0.1}, "train": {"lr": 0.001, "tag": None}},
    {"a": {"b": {"c": {"d": 1}}}, "empty": {}, "list": [{"x": 1}, [2, 3]]},
    {"flag": True, "n": -3, "big": 2**63, "text": "ünïcode", "nan_is_a_value": 0.5},
    {},
]


@pytest.mark.parametrize("data", CONTENTS)
def test_a_mapping_loads_as_the_same_contents_in_a_file_do(data: dict) -> None:
    from_mapping, from_file = hp.config(data), hp.config(as_file(data))
    assert from_mapping == from_file == data
    assert isinstance(from_mapping, hp.Config)
    assert [(k, v) for k, v, _ in from_mapping.flat()] == [(k, v) for k, v, _ in from_file.flat()]
    assert [s for _, _, s in from_mapping.flat()] == [
        s.replace("same.yaml", "<mapping>") for _, _, s in from_file.flat()
    ]


def test_every_value_of_a_mapping_has_the_source_mapping_key() -> None:
    cfg = hp.config({"train": {"lr": 0.1, "layers": [1, 2], "opt": {}}, "seed": 0})
    assert list(cfg.flat()) == [
        ("train.lr", 0.1, "<mapping>:train.lr"),
        ("train.layers", [1, 2], "<mapping>:train.layers"),
        ("train.opt", {}, "<mapping>:train.opt"),
        ("seed", 0, "<mapping>:seed"),
    ]
    assert cfg["train"].source_of("lr") == "<mapping>:train.lr"
    assert cfg.source_of("train.missing") is None


def test_a_scope_keeps_the_sources_of_a_mapping() -> None:
    cfg = hp.config({"train": {"lr": 0.1, "steps": 3}})

    @hp.param("train")
    def fit(lr: float = 1.0, steps: int = 1) -> tuple:
        return lr, steps

    with hp.scope(cfg) as ps:
        assert (ps.train.lr | 0.0, ps.source("train.lr")) == (0.1, "<mapping>:train.lr")
        assert hp.scope.source("train.steps") == "<mapping>:train.steps"
        assert fit() == (0.1, 3)
        with hp.scope(**{"train.lr": 0.5}) as inner:
            assert inner.train.lr | 0.0 == 0.5
            assert inner.source("train.steps") == "<mapping>:train.steps"
    assert fit() == (1.0, 1)


def test_a_scope_in_a_fresh_process_on_each_backend_keeps_the_sources_of_a_mapping() -> None:
    script = (
        "import hyperparameter as hp\n"
        "cfg = hp.config(['base.yaml', {'train': {'lr': 0.2, 'name': 'run-${train.epochs}'}}])\n"
        "with hp.scope(cfg) as ps:\n"
        "    for key in ('train.lr', 'train.epochs', 'train.name'):\n"
        "        print(hp.backend_name(), key, ps[key] | None, ps.source(key))\n"
    )
    write("base.yaml", "train: {lr: 0.1, epochs: 5}\n")
    for backend in ("native", "python"):
        env = {**os.environ, "HYPERPARAMETER_BACKEND": backend}
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [
            f"{backend} train.lr 0.2 <mapping>:train.lr",
            f"{backend} train.epochs 5 base.yaml:train.epochs",
            f"{backend} train.name run-5 <mapping>:train.name",
        ]


def test_the_mapping_given_is_not_changed() -> None:
    write("base.yaml", "train: {epochs: 3}\n")
    inner = {"lr": 0.1, "steps": (1, 2)}
    data = {"defaults": ["base.yaml"], "train": inner, "ref": "${train.lr}"}
    before = repr(data)
    cfg = hp.config(data)
    assert cfg == {"train": {"epochs": 3, "lr": 0.1, "steps": [1, 2]}, "ref": 0.1}
    assert repr(data) == before
    cfg["train"]["lr"] = 9
    assert inner["lr"] == 0.1


def test_any_mapping_type_and_tuples_load_as_dicts_and_lists() -> None:
    data = collections.OrderedDict(a=types.MappingProxyType({"b": (1, (2, 3))}), c=collections.Counter(x=2))
    cfg = hp.config(data)
    assert cfg == {"a": {"b": [1, [2, 3]]}, "c": {"x": 2}}
    assert type(cfg["a"]) is hp.Config and type(cfg["a"]["b"]) is list and type(cfg["a"]["b"][1]) is list
    assert hp.config({"ref": "${a.b.1.0}", "a": {"b": (1, (2, 3))}})["ref"] == 2  # list indexes work


def test_a_loaded_config_loads_again_as_a_mapping() -> None:
    write("run.yaml", "train: {lr: 0.1}\n")
    cfg = hp.config(hp.config("run.yaml"))
    assert cfg == {"train": {"lr": 0.1}}
    assert cfg.source_of("train.lr") == "<mapping>:train.lr"


def test_a_config_from_a_mapping_survives_pickling_with_its_sources() -> None:
    cfg = pickle.loads(pickle.dumps(hp.config({"train": {"lr": 0.1}})))
    assert cfg == {"train": {"lr": 0.1}} and cfg.source_of("train.lr") == "<mapping>:train.lr"


# --- sources in a list: later wins ---------------------------------------------------------------


def test_a_mapping_in_the_list_of_sources_later_wins() -> None:
    write("base.yaml", "train:\n  lr: 0.01\n  epochs: 10\nmodel: {name: resnet}\n")
    write("override.toml", "[train]\nepochs = 20\n")
    cfg = hp.config(["base.yaml", {"train": {"lr": 0.1}}, "override.toml"])
    assert cfg == {"train": {"lr": 0.1, "epochs": 20}, "model": {"name": "resnet"}}
    assert [s for _, _, s in cfg.flat()] == [
        "<mapping>:train.lr",
        "override.toml:train.epochs",
        "base.yaml:model.name",
    ]
    cfg = hp.config([{"train": {"lr": 0.1, "epochs": 1}}, "base.yaml"])
    assert cfg["train"] == {"lr": 0.01, "epochs": 10}
    assert cfg.source_of("train.lr") == "base.yaml:train.lr"
    cfg = hp.config(({"a": 1, "b": {"c": 1}}, {"b": {"d": 2}}, {"a": 3}))
    assert cfg == {"a": 3, "b": {"c": 1, "d": 2}}
    assert [s for _, _, s in cfg.flat()] == ["<mapping>:a", "<mapping>:b.c", "<mapping>:b.d"]


def test_a_value_in_a_mapping_replaces_a_section_and_the_other_way_round() -> None:
    write("base.yaml", "opt: {name: adam, lr: 0.1}\nlayers: 3\n")
    cfg = hp.config(["base.yaml", {"opt": "sgd", "layers": {"n": 3}}])
    assert cfg == {"opt": "sgd", "layers": {"n": 3}}
    assert [s for _, _, s in cfg.flat()] == ["<mapping>:opt", "<mapping>:layers.n"]


# --- bases: defaults: --------------------------------------------------------------------------


def test_relative_defaults_of_a_mapping_are_found_from_the_working_folder(tmp_path: Path) -> None:
    write("configs/base.yaml", "defaults: [optim/adam.yaml]\ntrain: {epochs: 5}\n")
    write("configs/optim/adam.yaml", "optim: {name: adam}\ntrain: {lr: 0.001}\n")
    cfg = hp.config({"defaults": ["configs/base.yaml"], "train": {"epochs": 7}})
    assert cfg == {"optim": {"name": "adam"}, "train": {"lr": 0.001, "epochs": 7}}
    assert [s for _, _, s in cfg.flat()] == [
        "configs/optim/adam.yaml:optim.name",  # a base's bases are found from the base's folder
        "configs/optim/adam.yaml:train.lr",
        "<mapping>:train.epochs",
    ]
    assert hp.config({"defaults": "configs/optim/adam.yaml"})["optim"] == {"name": "adam"}
    absolute = tmp_path / "configs" / "optim" / "adam.yaml"
    assert hp.config({"defaults": [str(absolute)]})["optim"] == {"name": "adam"}
    os.chdir(tmp_path / "configs")  # the same mapping, from another folder
    assert hp.config({"defaults": ["optim/adam.yaml"]})["optim"] == {"name": "adam"}
    message = error_of({"defaults": ["configs/base.yaml"]})
    assert message == (
        f"<mapping>: base file 'configs/base.yaml' not found (looked for "
        f"{tmp_path / 'configs' / 'configs' / 'base.yaml'})"
    )


def test_bad_defaults_in_a_mapping_are_the_errors_of_a_file() -> None:
    for bad in (3, [1], {"a": "b"}):
        assert mapping_error({"defaults": bad}) == (
            "<mapping>: 'defaults' must name base files: a path or a list of paths"
        )


def test_a_base_named_by_a_mapping_is_checked_as_any_file() -> None:
    write("loop/a.yaml", "defaults: [b.yaml]\n")
    write("loop/b.yaml", "defaults: [a.yaml]\n")
    assert (
        error_of({"defaults": ["loop/a.yaml"]}) == "include cycle: loop/a.yaml -> loop/b.yaml -> loop/a.yaml"
    )
    write("bad.yaml", "a: [1\n")
    assert error_of({"defaults": ["bad.yaml"]}).startswith("bad.yaml, line 2, column 1: invalid YAML: ")


# --- references ------------------------------------------------------------------------------


def test_references_in_a_mapping_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_ROOT", "/mnt")
    monkeypatch.delenv("CACHE", raising=False)
    cfg = hp.config(
        {
            "data": {"root": "${env:DATA_ROOT}", "train": "${data.root}/train", "count": 8},
            "shards": "${data.count}",
            "first": "${layers.0}",
            "layers": [64, "${data.count}"],
            "cache": "${env:CACHE,/tmp}/c",
            "literal": "$${not.a.reference}",
            "section": "${data}",
        }
    )
    assert cfg["data"] == {"root": "/mnt", "train": "/mnt/train", "count": 8}
    assert (cfg["shards"], cfg["first"], cfg["layers"]) == (8, 64, [64, 8])
    assert (cfg["cache"], cfg["literal"]) == ("/tmp/c", "${not.a.reference}")
    assert cfg["section"] == cfg["data"]


def test_references_see_every_source_of_the_list() -> None:
    write("base.yaml", "root: /data\ntrain: {lr: 0.1}\n")
    cfg = hp.config(["base.yaml", {"dir": "${root}/runs", "root": "/scratch"}, {"lr": "${train.lr}"}])
    assert (cfg["dir"], cfg["lr"]) == ("/scratch/runs", 0.1)
    assert hp.config([{"a": "${b}"}, {"b": 2}])["a"] == 2


def test_reference_errors_in_a_mapping_are_the_errors_of_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    assert mapping_error({"a": "${b}", "b": "${c.d}", "c": {}}) == (
        "<mapping>: b: reference ${c.d} is not set (a -> b -> c.d)"
    )
    assert mapping_error({"a": "${b}", "b": "x-${c}", "c": "${a}"}) == (
        "<mapping>: reference cycle: a -> b -> c -> a"
    )
    assert mapping_error({"x": "${env:NOT_SET_ANYWHERE}"}) == (
        "<mapping>: x: environment variable NOT_SET_ANYWHERE is not set (${env:NOT_SET_ANYWHERE})"
    )
    assert mapping_error({"x": "${}"}) == "<mapping>: x: empty reference ${}"


def test_a_reference_bomb_in_a_mapping_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "MAX_TEXT", 10_000)
    data = {"a0": "x" * 10, **{f"a{n}": "".join([f"${{a{n - 1}}}"] * 10) for n in range(1, 6)}}
    assert mapping_error(data) == (
        "<mapping>: a3: references build more than 10,000 characters of text in all (a reference bomb?)"
    )


# --- schemas ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Server:
    host: str
    port: int = 80


@dataclasses.dataclass
class App:
    server: Server
    debug: bool = False
    workers: Optional[int] = None
    tags: typing.List[str] = dataclasses.field(default_factory=list)


def test_a_schema_checks_and_converts_a_mapping() -> None:
    app = hp.config(
        {"server": {"host": "h", "port": "8080"}, "debug": "yes", "workers": "${server.port}"}, App
    )
    assert app == App(Server("h", 8080), debug=True, workers=8080)
    write("base.yaml", "server: {host: base, port: 1}\ntags: [a]\n")
    app = hp.config(["base.yaml", {"server": {"port": "2"}}], schema=App)
    assert app == App(Server("base", 2), tags=["a"])


def test_schema_errors_of_a_mapping_are_the_errors_of_a_file() -> None:
    message = mapping_error(
        {"server": {"prot": 1, "port": "many"}, "debug": "maybe", "tags": "x", "extra": 1}, schema=App
    )
    assert message.splitlines() == [
        "6 problems:",
        "  - <mapping>: extra: unknown key for App",
        "  - <mapping>: server.prot: unknown key for Server; did you mean port?",
        "  - <mapping>: server.host: required str is missing",
        "  - <mapping>: server.port: expected int, got 'many'",
        "  - <mapping>: debug: expected bool, got 'maybe'",
        "  - <mapping>: tags: expected a list, got str 'x'",
    ]
    assert mapping_error({}, schema=App) == "server: required Server is missing"


def test_a_schema_names_the_source_each_bad_value_came_from() -> None:
    write("base.yaml", "server: {host: h, port: bad}\n")
    message = error_of(["base.yaml", {"debug": "maybe"}], schema=App)
    assert message.splitlines()[1:] == [
        "  - base.yaml: server.port: expected int, got 'bad'",
        "  - <mapping>: debug: expected bool, got 'maybe'",
    ]


# --- bad input: keys, values, shapes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({1: 2}, "<mapping>: key 1 is not a string but int"),
        ({"train": {2.5: 1}}, "<mapping>: key train.2.5 is not a string but float"),
    ],
)
def test_keys_that_are_not_strings_are_errors_naming_the_path(data: dict, message: str) -> None:
    assert mapping_error(data) == message


def test_keys_of_sections_inside_lists_must_be_strings_too() -> None:
    # stricter than a file, whose lists are values that are not looked into for keys
    assert error_of({"a": [{"x": {None: 1}}]}) == "<mapping>: key a.0.x.None is not a string but NoneType"
    assert error_of({"a": {("t", 1): 1}}) == "<mapping>: key a.('t', 1) is not a string but tuple"


def test_a_boolean_key_of_a_mapping_has_no_yaml_hint() -> None:
    assert error_of({"a": {True: 1}}) == "<mapping>: key a.True is not a string but bool"


class Opaque:
    def __repr__(self) -> str:
        return "Opaque()"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Opaque(), "Opaque Opaque()"),
        ({1, 2}, "set {1, 2}"),
        (b"raw", "bytes b'raw'"),
        (1j, "complex 1j"),
        (print, "builtin_function_or_method <built-in function print>"),
        (Path("x.txt"), f"{type(Path('x.txt')).__name__} {Path('x.txt')!r}"),
        (object, "type <class 'object'>"),
        (range(3), "range range(0, 3)"),
    ],
)
def test_values_that_are_not_json_like_data_are_errors_naming_the_key(value: Any, shown: str) -> None:
    for data, key in (
        ({"train": {"opt": value}}, "train.opt"),
        ({"layers": [1, {"act": value}]}, "layers.1.act"),
        ({"top": value}, "top"),
    ):
        assert error_of(data) == (
            f"<mapping>: {key}: {shown} is not configuration data (a file holds strings, numbers, "
            "booleans, None, dates, lists and mappings)"
        )


def test_a_long_value_is_named_short() -> None:
    message = error_of({"x": {"big": Opaque(), "y": 1}, "z": [Opaque()] * 3, "w": bytes(1000)})
    assert message.startswith("<mapping>: x.big: Opaque Opaque() is not configuration data")
    message = error_of({"w": bytes(1000)})
    assert (
        message.startswith("<mapping>: w: bytes b'\\x00\\x00") and "... is not configuration data" in message
    )
    assert len(message) < 200


def test_what_json_toml_and_yaml_files_hold_is_accepted() -> None:
    when = datetime.datetime(2024, 5, 1, 12, 30)
    data = {
        "s": "x",
        "i": 1,
        "f": 1.5,
        "inf": math.inf,
        "b": False,
        "n": None,
        "date": when.date(),
        "datetime": when,
        "time": when.time(),
        "nested": [[[]]],
    }
    cfg = hp.config(data)
    assert cfg == data
    assert math.isnan(hp.config({"nan": math.nan})["nan"])


def test_a_mapping_that_contains_itself_is_refused() -> None:
    loop: dict = {"a": {}}
    loop["a"]["b"] = loop
    assert error_of(loop) == (
        "<mapping>: a.b: refers back to a section that contains it (a cycle is not data)"
    )
    items: list = [1]
    items.append(items)
    assert error_of({"x": items}) == (
        "<mapping>: x.1: refers back to a section that contains it (a cycle is not data)"
    )
    shared = {"v": 1}  # the same section twice is not a cycle
    assert hp.config({"a": shared, "b": [shared, shared]}) == {"a": {"v": 1}, "b": [{"v": 1}, {"v": 1}]}


def test_the_limits_of_a_file_bound_a_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    deep: dict = {}
    node = deep
    for _ in range(_config.MAX_DEPTH + 5):
        node["a"] = {}
        node = node["a"]
    assert error_of(deep) == "<mapping>: nested deeper than 100 levels"
    monkeypatch.setattr(_config, "MAX_VALUES", 50)
    assert error_of({"a": list(range(60))}) == "<mapping>: more than 50 values and sections"
    shared = list(range(10))
    assert error_of({f"k{i}": shared for i in range(6)}) == "<mapping>: more than 50 values and sections"
    monkeypatch.setattr(_config, "MAX_VALUES", 1_000_000)
    assert error_of({"n": 10**5000}) == "<mapping>: n: an integer of more than 14000 bits (unprintable)"


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        (None, "hp.config() takes a file path, a mapping, or a list of them, got None"),
        (42, "hp.config() takes a file path, a mapping, or a list of them, got 42"),
        ({"a", "b"}, "hp.config() takes a file path, a mapping, or a list of them, got {'a', 'b'}"),
        ([], "hp.config() needs at least one file or mapping"),
        (["a.yaml", 3], "hp.config(): item 2 of the list is int 3, not a file path or a mapping"),
        ([{"a": 1}, None], "hp.config(): item 2 of the list is NoneType None, not a file path or a mapping"),
    ],
)
def test_sources_that_are_neither_paths_nor_mappings(sources: Any, message: str) -> None:
    if isinstance(sources, set):
        message = message.replace("{'a', 'b'}", repr(sources))
    assert error_of(sources) == message


def test_a_missing_file_among_mappings_is_named() -> None:
    assert error_of([{"a": 1}, "nowhere.yaml", {"b": 2}]) == "nowhere.yaml: no such file"

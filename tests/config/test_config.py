"""``hp.config``: formats, merging, bases, references, schemas, provenance, safety, the CLI."""

from __future__ import annotations

import dataclasses
import doctest
import enum
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Literal, Optional, Tuple, Union

import pytest
import yaml
from config_files import error_of, write

import hyperparameter as hp

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in an empty folder, so sources read as the relative names written."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


LOADERS = ["libyaml", "pure-python"]


def use_loader(loader: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if loader == "libyaml":
        if not getattr(yaml, "__with_libyaml__", False):
            pytest.skip("PyYAML was built without libyaml")
    elif loader == "pure-python":
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)


@pytest.fixture(params=LOADERS)
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a YAML test with libyaml's CSafeLoader and with PyYAML's pure SafeLoader."""
    use_loader(request.param, monkeypatch)
    return request.param


def per_loader(cases: list[tuple]) -> list[tuple]:
    """Cases whose first item names a file: YAML ones once per YAML loader, others once."""
    return [(*case, loader) for case in cases for loader in (LOADERS if case[0].endswith(".yaml") else ["-"])]


# --- formats -----------------------------------------------------------------------------------

EXPECTED = {
    "model": {"name": "resnet", "layers": [64, 128], "dropout": 0.1, "pretrained": True},
    "train": {"lr": 0.001, "epochs": 10, "tag": None},
}
FORMATS = {
    "json": json.dumps(EXPECTED),
    "toml": """\
        [model]
        name = "resnet"
        layers = [64, 128]
        dropout = 0.1
        pretrained = true

        [train]
        lr = 0.001
        epochs = 10
        """,
    "yaml": """\
        model:
          name: resnet
          layers: [64, 128]
          dropout: 0.1
          pretrained: true
        train:
          lr: 0.001
          epochs: 10
          tag: null
        """,
}
FORMATS["yml"] = FORMATS["yaml"]


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_each_format_loads_as_a_nested_dict_with_native_types(ext: str) -> None:
    cfg = hp.config(write(f"train.{ext}", FORMATS[ext]))
    expected = json.loads(json.dumps(EXPECTED))
    if ext == "toml":  # TOML has no null
        del expected["train"]["tag"]
    assert cfg == expected
    assert isinstance(cfg, dict) and isinstance(cfg["model"], dict)
    assert type(cfg["train"]["epochs"]) is int and type(cfg["model"]["pretrained"]) is bool


def test_format_comes_from_the_extension_whatever_its_case() -> None:
    write("upper.YAML", "a: 1\n")
    write("looks_like_yaml.json", '{"a": 2}')
    assert hp.config("upper.YAML") == {"a": 1}
    assert hp.config("looks_like_yaml.json") == {"a": 2}


def test_unknown_extension_is_a_clear_error() -> None:
    write("train.ini", "[a]\nb=1\n")
    assert error_of("train.ini") == (
        "train.ini: unknown configuration format '.ini' (use .json, .toml, .yaml, .yml)"
    )
    write("noext", "a: 1\n")
    assert "noext: unknown configuration format ''" in error_of("noext")


def test_accepts_path_objects_and_sequences_of_them() -> None:
    write("a.yaml", "x: 1\n")
    write("b.json", '{"y": 2}')
    assert hp.config(Path("a.yaml")) == {"x": 1}
    assert hp.config((Path("a.yaml"), "b.json")) == {"x": 1, "y": 2}


def test_missing_file_and_no_file_are_errors() -> None:
    assert error_of("nowhere.yaml") == "nowhere.yaml: no such file"
    assert error_of([]) == "hp.config() needs at least one file or mapping"


def test_empty_yaml_file_is_an_empty_configuration() -> None:
    assert hp.config(write("empty.yaml", "")) == {}
    assert hp.config(write("comments.yaml", "# nothing yet\n")) == {}


def test_top_level_must_be_a_mapping() -> None:
    write("list.yaml", "- 1\n- 2\n")
    write("scalar.json", "3")
    assert error_of("list.yaml") == "list.yaml: the top level must be a mapping of keys, not list"
    assert error_of("scalar.json") == "scalar.json: the top level must be a mapping of keys, not int"


def test_keys_must_be_strings_with_a_hint_for_yaml_booleans() -> None:
    write("intkey.yaml", "model:\n  1: a\n")
    assert error_of("intkey.yaml") == "intkey.yaml: key model.1 is not a string but int"
    write("on.yaml", "on: push\n")
    assert error_of("on.yaml") == (
        "on.yaml: key True is not a string but bool (YAML reads unquoted yes/no/on/off as booleans: quote it)"
    )


def test_utf8_byte_order_mark_is_accepted() -> None:
    Path("bom.json").write_bytes(b'\xef\xbb\xbf{"a": 1}')
    Path("bom.yaml").write_bytes(b"\xef\xbb\xbfa: 2\n")
    Path("bom.toml").write_bytes(b"\xef\xbb\xbfa = 3\n")
    assert [hp.config(f"bom.{ext}") for ext in ("json", "yaml", "toml")] == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_yaml_is_loaded_safely_only(yaml_loader: str) -> None:
    marker = Path("owned")
    write("unsafe.yaml", f'x: !!python/object/apply:os.system ["touch {marker}"]\n')
    message = error_of("unsafe.yaml")
    assert message.startswith("unsafe.yaml, line 1, column 4: invalid YAML: ")
    assert "could not determine a constructor for the tag" in message
    assert "python/object/apply:os.system" in message
    assert not marker.exists()


def test_yaml_features_a_config_uses(yaml_loader: str) -> None:
    write(
        "anchors.yaml",
        """\
        base: &base {lr: 0.1, bs: 32}
        small:
          <<: *base
          bs: 8
        text: |
          two
          lines
        """,
    )
    cfg = hp.config("anchors.yaml")
    assert cfg["small"] == {"lr": 0.1, "bs": 8}
    assert cfg["text"] == "two\nlines\n"


# --- several files -----------------------------------------------------------------------------


def test_later_files_win_and_sections_merge_deeply() -> None:
    write(
        "base.yaml",
        """\
        model: {name: resnet, depth: 50, layers: [1, 2, 3], head: {dim: 128, act: relu}}
        train: {lr: 0.1, epochs: 90}
        """,
    )
    write(
        "small.toml",
        """\
        [model]
        depth = 18
        layers = [9]
        [model.head]
        dim = 64
        """,
    )
    write("fast.json", json.dumps({"train": {"epochs": 1}, "model": {"depth": 10}}))
    cfg = hp.config(["base.yaml", "small.toml", "fast.json"])
    assert cfg == {
        "model": {"name": "resnet", "depth": 10, "layers": [9], "head": {"dim": 64, "act": "relu"}},
        "train": {"lr": 0.1, "epochs": 1},
    }
    # The order is the caller's: reversed, the base wins.
    assert hp.config(["fast.json", "small.toml", "base.yaml"])["model"]["depth"] == 50


def test_a_value_can_replace_a_section_and_a_section_a_value() -> None:
    write("nested.yaml", "opt: {name: adam, lr: 0.1}\nsched: cosine\n")
    write("flat.yaml", "opt: sgd\nsched: {name: step, every: 10}\n")
    assert hp.config(["nested.yaml", "flat.yaml"]) == {"opt": "sgd", "sched": {"name": "step", "every": 10}}
    assert hp.config(["flat.yaml", "nested.yaml"]) == {"opt": {"name": "adam", "lr": 0.1}, "sched": "cosine"}


def test_merging_leaves_the_files_own_values_untouched() -> None:
    write("a.yaml", "s: {x: 1}\n")
    write("b.yaml", "s: {y: 2}\n")
    first = hp.config(["a.yaml", "b.yaml"])
    first["s"]["x"] = 100
    assert hp.config(["a.yaml", "b.yaml"]) == {"s": {"x": 1, "y": 2}}


# --- bases -------------------------------------------------------------------------------------


def test_bases_load_first_relative_to_the_file_that_names_them() -> None:
    write("common/model.yaml", "model: {name: resnet, depth: 50}\ntrain: {lr: 0.1}\n")
    write("configs/optim/adam.toml", '[optim]\nname = "adam"\n[train]\nlr = 0.01\n')
    write(
        "configs/exp.yaml",
        """\
        defaults: [../common/model.yaml, optim/adam.toml]
        model: {depth: 18}
        """,
    )
    cfg = hp.config("configs/exp.yaml")
    assert cfg == {
        "model": {"name": "resnet", "depth": 18},
        "train": {"lr": 0.01},  # the later base wins over the earlier one
        "optim": {"name": "adam"},
    }
    assert "defaults" not in cfg


def test_a_file_wins_over_its_bases_and_bases_can_have_bases() -> None:
    write("a/root.json", json.dumps({"x": "root", "y": "root", "z": "root"}))
    write("a/b/mid.yaml", "defaults: ../root.json\ny: mid\nz: mid\n")  # one path as a string
    write("top.toml", 'defaults = ["a/b/mid.yaml"]\nz = "top"\n')
    assert hp.config("top.toml") == {"x": "root", "y": "mid", "z": "top"}


def test_a_base_shared_by_two_others_is_not_a_cycle() -> None:
    write("shared.yaml", "s: 1\n")
    write("left.yaml", "defaults: [shared.yaml]\nl: 1\n")
    write("right.yaml", "defaults: [shared.yaml]\nr: 1\n")
    write("top.yaml", "defaults: [left.yaml, right.yaml]\n")
    assert hp.config("top.yaml") == {"s": 1, "l": 1, "r": 1}


def test_include_cycles_are_reported_with_the_chain() -> None:
    write("loop/a.yaml", "defaults: [b.yaml]\n")
    write("loop/b.yaml", "defaults: [sub/c.yaml]\n")
    write("loop/sub/c.yaml", "defaults: [../a.yaml]\n")
    assert error_of("loop/a.yaml") == (
        "include cycle: loop/a.yaml -> loop/b.yaml -> loop/sub/c.yaml -> loop/sub/../a.yaml"
    )
    write("self.yaml", "defaults: self.yaml\n")
    assert error_of("self.yaml") == "include cycle: self.yaml -> self.yaml"


def test_bad_bases_are_errors() -> None:
    write("missing.yaml", "defaults: [nope.yaml]\n")
    assert error_of("missing.yaml") == (
        "missing.yaml: base file 'nope.yaml' not found (looked for nope.yaml)"
    )
    write("sub/missing.yaml", "defaults: [nope.yaml]\n")
    assert "(looked for sub/nope.yaml)" in error_of("sub/missing.yaml")
    write("wrong.yaml", "defaults: {model: resnet}\n")
    assert error_of("wrong.yaml") == (
        "wrong.yaml: 'defaults' must name base files: a path or a list of paths"
    )
    write("broken_base.yaml", "defaults: [bad.json]\n")
    write("bad.json", "{")
    assert error_of("broken_base.yaml").startswith("bad.json, line 1, column 2: invalid JSON")


# --- references ------------------------------------------------------------------------------


def test_a_whole_value_reference_keeps_the_type() -> None:
    write(
        "types.yaml",
        """\
        src: {i: 8, f: 0.5, b: false, n: null, l: [1, 2], d: {k: v}, s: text}
        i: ${src.i}
        f: ${src.f}
        b: ${src.b}
        n: ${src.n}
        l: ${src.l}
        d: ${src.d}
        s: ${ src.s }
        """,
    )
    cfg = hp.config("types.yaml")
    assert {k: cfg[k] for k in "ifbnlds"} == {
        "i": 8,
        "f": 0.5,
        "b": False,
        "n": None,
        "l": [1, 2],
        "d": {"k": "v"},
        "s": "text",
    }
    assert type(cfg["i"]) is int and type(cfg["b"]) is bool


def test_references_inside_longer_strings_spell_values_as_python_reprs_them() -> None:
    write(
        "text.yaml",
        """\
        v: {i: 8, f: 0.5, big: 1.0e+16, b: true, n: null, s: x}
        all: "${v.i}/${v.f}/${v.big}/${v.b}/${v.n}/${v.s}"
        padded: " ${v.i}"
        """,
    )
    cfg = hp.config("text.yaml")
    assert cfg["all"] == "8/0.5/1e+16/true/null/x"
    assert cfg["padded"] == " 8"


def test_reference_chains_list_items_and_references_in_lists() -> None:
    write(
        "chain.toml",
        """\
        root = "/data"
        train = "${root}/train"
        cache = "${train}/cache"
        layers = [64, 128]
        first = "${layers.1}"
        dirs = ["${root}", "${cache}"]
        [nested]
        items = [{path = "${cache}/a"}]
        """,
    )
    cfg = hp.config("chain.toml")
    assert cfg["cache"] == "/data/train/cache"
    assert cfg["first"] == 128
    assert cfg["dirs"] == ["/data", "/data/train/cache"]
    assert cfg["nested"]["items"] == [{"path": "/data/train/cache/a"}]


def test_references_see_the_merged_values() -> None:
    write("base.yaml", "data: {root: /data, train: '${data.root}/train'}\n")
    write("local.json", json.dumps({"data": {"root": "/home/me/data"}}))
    assert hp.config(["base.yaml", "local.json"])["data"]["train"] == "/home/me/data/train"


def test_environment_references(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HP_TEST_ROOT", "/mnt")
    monkeypatch.delenv("HP_TEST_UNSET", raising=False)
    write(
        "env.yaml",
        """\
        root: ${env:HP_TEST_ROOT}
        inside: ${env:HP_TEST_ROOT}/data
        fallback: ${env:HP_TEST_UNSET,/tmp/cache}
        set_wins: ${env:HP_TEST_ROOT,/unused}
        empty_default: "[${env:HP_TEST_UNSET,}]"
        comma_default: ${env:HP_TEST_UNSET, a,b }
        """,
    )
    assert hp.config("env.yaml") == {
        "root": "/mnt",
        "inside": "/mnt/data",
        "fallback": "/tmp/cache",
        "set_wins": "/mnt",
        "empty_default": "[]",
        "comma_default": "a,b",
    }
    write("missing_env.yaml", "a: {path: '${env:HP_TEST_UNSET}/x'}\n")
    assert error_of("missing_env.yaml") == (
        "missing_env.yaml: a.path: environment variable HP_TEST_UNSET is not set (${env:HP_TEST_UNSET})"
    )


def test_double_dollar_escapes_a_literal_reference() -> None:
    write(
        "escape.yaml",
        """\
        x: 1
        literal: $${x}
        mixed: "$${x} is ${x}"
        copy: ${literal}
        """,
    )
    assert hp.config("escape.yaml") == {"x": 1, "literal": "${x}", "mixed": "${x} is 1", "copy": "${x}"}


def test_a_missing_reference_shows_the_chain() -> None:
    write("missing.yaml", "a: ${b}\nb: x-${c.d}\nc: {}\n")
    assert error_of("missing.yaml") == ("missing.yaml: b: reference ${c.d} is not set (a -> b -> c.d)")
    write("index.yaml", "l: [1]\nv: ${l.3}\n")
    assert error_of("index.yaml") == "index.yaml: v: reference ${l.3} is not set (v -> l.3)"
    write("empty_ref.yaml", "a: ${}\n")
    assert error_of("empty_ref.yaml") == "empty_ref.yaml: a: empty reference ${}"


def test_a_reference_cycle_shows_the_chain() -> None:
    write("cycle.yaml", "a: ${b}\nb: pre-${c}\nc: ${a}\n")
    assert error_of("cycle.yaml") == "cycle.yaml: reference cycle: a -> b -> c -> a"
    write("self.yaml", "s: {me: '${s.me}'}\n")
    assert error_of("self.yaml") == "self.yaml: reference cycle: s.me -> s.me"
    write("via_section.yaml", "a: ${b}\nb: {c: '${a}'}\n")
    assert error_of("via_section.yaml") == "via_section.yaml: reference cycle: a -> b.c -> a"


def test_reference_errors_name_the_file_the_value_came_from() -> None:
    write("base.yaml", "a: ${missing}\n")
    write("over.yaml", "b: 1\n")
    assert error_of(["base.yaml", "over.yaml"]) == (
        "base.yaml: a: reference ${missing} is not set (a -> missing)"
    )


# --- schemas ---------------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass
class Database:
    host: str
    port: int = 5432


@dataclasses.dataclass
class Layer:
    size: int
    act: str = "relu"


@dataclasses.dataclass
class Scalars:
    i: int
    f: float
    b: bool
    s: str


@dataclasses.dataclass
class Everything:
    db: Database
    layers: List[Layer]
    opt: Optional[int] = None
    maybe_db: Optional[Database] = None
    ints: List[int] = dataclasses.field(default_factory=list)
    limits: Dict[str, float] = dataclasses.field(default_factory=dict)
    mode: Literal["train", "eval"] = "train"
    level_lit: Literal[1, 2] = 1
    color: Color = Color.RED
    level: Level = Level.LOW
    pair: Tuple[int, str] = (0, "")
    many: Tuple[int, ...] = ()
    either: Union[int, str] = 0
    anything: Any = None


def test_schema_scalars_convert_by_the_engines_rules() -> None:
    write("s.yaml", "i: '8080'\nf: '1e-3'\nb: 'yes'\ns: 42\n")
    assert hp.config("s.yaml", schema=Scalars) == Scalars(i=8080, f=0.001, b=True, s="42")
    write("s2.yaml", "i: 7\nf: 3\nb: 'off'\ns: true\n")
    got = hp.config("s2.yaml", schema=Scalars)
    assert got == Scalars(i=7, f=3.0, b=False, s="true") and type(got.f) is float
    write("s3.json", json.dumps({"i": "0", "f": 1.5, "b": "1", "s": ""}))
    assert hp.config("s3.json", schema=Scalars) == Scalars(i=0, f=1.5, b=True, s="")


def test_schema_values_that_do_not_convert_are_errors_not_guesses() -> None:
    write("bad.yaml", "i: 3.5\nf: abc\nb: maybe\ns: [1]\n")
    assert error_of("bad.yaml", schema=Scalars) == "\n".join(
        [
            "4 problems:",
            "  - bad.yaml: i: expected int, got 3.5",
            "  - bad.yaml: f: expected float, got 'abc'",
            "  - bad.yaml: b: expected bool, got 'maybe'",
            "  - bad.yaml: s: expected str, got list [1]",
        ]
    )


def test_schema_with_every_supported_type() -> None:
    write(
        "all.yaml",
        """\
        db: {host: localhost, port: "6543"}
        layers: [{size: "64"}, {size: 128, act: gelu}]
        opt: "5"
        maybe_db: {host: replica}
        ints: ["1", 2]
        limits: {cpu: "1.5", mem: 2}
        mode: eval
        level_lit: "2"
        color: blue
        level: HIGH
        pair: ["3", 4]
        many: [1, "2", 3]
        either: hello
        anything: {free: [form]}
        """,
    )
    got = hp.config("all.yaml", schema=Everything)
    assert got == Everything(
        db=Database("localhost", 6543),
        layers=[Layer(64), Layer(128, "gelu")],
        opt=5,
        maybe_db=Database("replica"),
        ints=[1, 2],
        limits={"cpu": 1.5, "mem": 2.0},
        mode="eval",
        level_lit=2,
        color=Color.BLUE,
        level=Level.HIGH,
        pair=(3, "4"),
        many=(1, 2, 3),
        either="hello",
        anything={"free": ["form"]},
    )


def test_schema_made_outside_any_module() -> None:
    # A class from exec'd code (a notebook cell runner, a doctest) names a module that is not
    # in sys.modules; its type hints still resolve.
    source = (
        "from dataclasses import dataclass\n"
        "from typing import List\n"
        "class Limits:\n"
        "    workers: int = 1\n"
        "@dataclass\n"
        "class Job:\n"
        "    steps: int\n"
        "    tags: List[str]\n"
        "    limits: Limits\n"
    )
    namespace = {"__name__": "made_by_exec"}
    exec(compile(source, "<cell>", "exec", dont_inherit=True), namespace)  # noqa: S102
    write("job.yaml", "steps: '8'\ntags: [a]\nlimits: {workers: '2'}\n")
    job = hp.config("job.yaml", schema=namespace["Job"])
    assert (job.steps, job.tags, job.limits.workers) == (8, ["a"], 2)


def test_schema_defaults_fill_missing_fields_and_optional_takes_null() -> None:
    write("min.yaml", "db: {host: h}\nlayers: []\nopt: null\nmaybe_db: null\neither: '12'\n")
    got = hp.config("min.yaml", schema=Everything)
    assert got == Everything(db=Database("h", 5432), layers=[], either=12)


def test_schema_errors_are_all_reported_with_key_path_and_file() -> None:
    write(
        "base.yaml",
        """\
        db: {port: "fifty"}
        layers: [{size: 1}, {size: big, width: 3}]
        ints: [1, x]
        """,
    )
    write(
        "over.yaml",
        """\
        mode: test
        color: green
        level: 3
        pair: [1]
        opt: [1]
        limits: {cpu: fast}
        colour: red
        """,
    )
    assert error_of(["base.yaml", "over.yaml"], schema=Everything) == "\n".join(
        [
            "12 problems:",
            "  - over.yaml: colour: unknown key for Everything; did you mean color?",
            "  - base.yaml: db.host: required str is missing",
            "  - base.yaml: db.port: expected int, got 'fifty'",
            "  - base.yaml: layers.1.width: unknown key for Layer",
            "  - base.yaml: layers.1.size: expected int, got 'big'",
            "  - over.yaml: opt: expected int, got list [1]",
            "  - base.yaml: ints.1: expected int, got 'x'",
            "  - over.yaml: limits.cpu: expected float, got 'fast'",
            "  - over.yaml: mode: expected one of 'train', 'eval', got 'test'",
            "  - over.yaml: color: expected one of Color (RED, BLUE), got 'green'",
            "  - over.yaml: level: expected one of Level (LOW, HIGH), got 3",
            "  - over.yaml: pair: expected 2 items (Tuple[int, str]), got 1",
        ]
    )


def test_schema_missing_required_keys_and_wrong_shapes() -> None:
    write("a.yaml", "layers: {size: 1}\n")
    write("b.yaml", "db: postgres\n")
    assert error_of(["a.yaml", "b.yaml"], schema=Everything) == "\n".join(
        [
            "2 problems:",
            "  - b.yaml: db: expected a section (Database), got str 'postgres'",
            "  - a.yaml: layers: expected a list, got dict {'size': 1}",
        ]
    )
    write("c.yaml", "opt: 1\n")
    assert error_of("c.yaml", schema=Everything) == "\n".join(
        [
            "2 problems:",
            "  - c.yaml: db: required Database is missing",
            "  - c.yaml: layers: required List[Layer] is missing",
        ]
    )


class PlainServer:
    host: str
    port: int = 80


class PlainApp:
    server: PlainServer
    workers: Optional[int] = None
    _private: int = 0


def test_schema_from_a_plain_class_with_type_hints() -> None:
    write("plain.toml", '[server]\nhost = "0.0.0.0"\nport = "8080"\n')
    app = hp.config("plain.toml", schema=PlainApp)
    assert isinstance(app, PlainApp) and isinstance(app.server, PlainServer)
    assert (app.server.host, app.server.port, app.workers) == ("0.0.0.0", 8080, None)
    write("plain_bad.toml", "_private = 1\n[server]\nport = 1\n")
    assert error_of("plain_bad.toml", schema=PlainApp) == "\n".join(
        [
            "2 problems:",
            "  - plain_bad.toml: _private: unknown key for PlainApp",
            "  - plain_bad.toml: server.host: required str is missing",
        ]
    )


@dataclasses.dataclass
class WithComputed:
    n: int
    doubled: int = dataclasses.field(init=False, default=0)

    def __post_init__(self) -> None:
        self.doubled = 2 * self.n


def test_schema_fields_the_class_computes_are_not_configurable() -> None:
    write("ok.yaml", "n: '4'\n")
    assert hp.config("ok.yaml", schema=WithComputed).doubled == 8
    write("bad.yaml", "n: 4\ndoubled: 1\n")
    assert error_of("bad.yaml", schema=WithComputed) == ("bad.yaml: doubled: unknown key for WithComputed")


def test_schema_checks_values_after_references_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HP_TEST_PORT", "9090")
    write("ref.yaml", "host: ${env:HP_TEST_HOST,db.local}\nport: ${env:HP_TEST_PORT}\n")
    assert hp.config("ref.yaml", schema=Database) == Database("db.local", 9090)


def test_schema_must_be_a_class_with_fields() -> None:
    write("a.yaml", "a: 1\n")
    for bad in (int, dict, Scalars(1, 1.0, True, "")):
        with pytest.raises(TypeError, match="schema must be a dataclass or a class with type hints"):
            hp.config("a.yaml", schema=bad)


# --- scopes and provenance -------------------------------------------------------------------


def test_a_config_enters_as_a_scope_keeping_lists() -> None:
    write("run.yaml", "model: {layers: [64, 32], name: mlp}\ntrain: {lr: 0.01}\n")
    cfg = hp.config("run.yaml")

    @hp.param("train")
    def fit(lr=0.1, epochs=3):
        return lr, epochs

    with hp.scope(**cfg):
        assert hp.scope.model.layers | [] == [64, 32]
        assert hp.scope["model.name"] | "" == "mlp"
        assert fit() == (0.01, 3)
    assert hp.scope.model.layers | None is None


def test_sources_follow_bases_and_merges() -> None:
    write("configs/base.yaml", "train: {lr: 0.1, epochs: 90}\nmodel: {name: resnet, depth: 50}\n")
    write("configs/exp.toml", 'defaults = "base.yaml"\n[train]\nepochs = 5\n')
    write("local.json", json.dumps({"train": {"lr": 0.05}, "model": "vit"}))
    cfg = hp.config(["configs/exp.toml", "local.json"])
    assert cfg.source_of("train.lr") == "local.json:train.lr"
    assert cfg.source_of("train.epochs") == "configs/exp.toml:train.epochs"
    assert cfg.source_of("model") == "local.json:model"
    # model.name was replaced with the section: it no longer has a source.
    assert cfg.source_of("model.name") is None
    assert cfg.source_of("nowhere") is None
    assert list(cfg.flat()) == [
        ("train.lr", 0.05, "local.json:train.lr"),
        ("train.epochs", 5, "configs/exp.toml:train.epochs"),
        ("model", "vit", "local.json:model"),
    ]
    # Bases are named as reached from the including file.
    base_only = hp.config("configs/exp.toml")
    assert base_only.source_of("model.depth") == "configs/base.yaml:model.depth"


def test_a_config_given_to_a_scope_keeps_its_sources() -> None:
    write("base.yaml", "train: {lr: 0.1, layers: [1, 2]}\n")
    write("over.yaml", "train: {lr: 0.01}\n")
    cfg = hp.config(["base.yaml", "over.yaml"])
    with hp.scope(cfg) as ps:
        assert ps.train.lr | 0.0 == 0.01
        assert ps.source("train.lr") == "over.yaml:train.lr"
        assert ps.source("train.layers") == "base.yaml:train.layers"
        assert ps["train.layers"] | [] == [1, 2]


def test_a_section_knows_the_sources_of_its_values() -> None:
    write("base.yaml", "model: {name: resnet, head: {width: 8}}\n")
    write("over.toml", "[model.head]\nwidth = 16\n")
    cfg = hp.config(["base.yaml", "over.toml"])
    model = cfg["model"]
    assert model.source_of("name") == "base.yaml:model.name"
    assert model.source_of("head.width") == cfg["model"]["head"].source_of("width")
    assert model["head"].source_of("width") == "over.toml:model.head.width"
    assert model.source_of("model.name") is None  # keys are relative to the section
    assert list(model.flat()) == [
        ("name", "resnet", "base.yaml:model.name"),
        ("head.width", 16, "over.toml:model.head.width"),
    ]
    with hp.scope(model) as ps:
        assert ps.head.width | 0 == 16
        assert ps.source("head.width") == "over.toml:model.head.width"


def test_a_config_survives_pickling_with_its_sources() -> None:
    import pickle

    write("p.yaml", "a: {b: 1}\n")
    again = pickle.loads(pickle.dumps(hp.config("p.yaml")))
    assert again == {"a": {"b": 1}} and again.source_of("a.b") == "p.yaml:a.b"


# --- safety ----------------------------------------------------------------------------------

LAUGHS = (
    "\n".join(
        ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        + [f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi")]
    )
    + "\n"
)


def test_a_yaml_alias_bomb_is_refused(yaml_loader: str) -> None:
    write("laughs.yaml", LAUGHS)  # 9**9 = 387 million strings through shared aliases
    assert error_of("laughs.yaml") == (
        "laughs.yaml: more than 1,000,000 values and sections once its aliases are expanded (an alias bomb?)"
    )


def test_aliases_just_under_the_value_limit_are_fine(yaml_loader: str) -> None:
    write("wide.yaml", "\n".join(LAUGHS.splitlines()[:5]) + "\n")  # 9**5 = 59,049 strings
    assert len(hp.config("wide.yaml")["e"]) == 9


@pytest.mark.parametrize(
    "name, text, loader",
    per_loader(
        [
            # libyaml composes by C recursion: this one would crash the process if not refused first
            ("flow.yaml", "a: " + "[" * 100_000 + "]" * 100_000 + "\n"),
            ("implicit.yaml", "a: " + "[x: " * 20_000 + "1" + "]" * 20_000 + "\n"),
            ("block.yaml", "".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v: 1\n"),
            ("deep.json", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"),
            ("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000 + "\n"),
            ("tables.toml", "[" + ".".join(f"t{i}" for i in range(150)) + "]\nv = 1\n"),
        ]
    ),
)
def test_absurd_nesting_is_refused(
    name: str, text: str, loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_loader(loader, monkeypatch)
    write(name, text)
    assert error_of(name) == f"{name}: nested deeper than 100 levels"


def test_nesting_through_aliases_counts_every_level(yaml_loader: str) -> None:
    # Each line nests 60 levels, but each reuses the previous one: 20 x 60 levels in all.
    lines = [f"x0: &x0 {'{a: ' * 60}1{'}' * 60}"]
    lines += [f"x{i}: &x{i} {'{a: ' * 60}*x{i - 1}{'}' * 60}" for i in range(1, 20)]
    write("chained.yaml", "\n".join(lines) + "\n")
    assert error_of("chained.yaml") == "chained.yaml: nested deeper than 100 levels"


@pytest.mark.parametrize("name, loader", per_loader([("x.yaml",), ("x.json",)]))
def test_the_depth_limit_is_the_same_everywhere(
    name: str, loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_loader(loader, monkeypatch)
    ext = name.rpartition(".")[2]
    # the top-level mapping is level 0; 100 nested lists below it are allowed, 101 are not
    write(f"ok.{ext}", '{"a": ' + "[" * 100 + "]" * 100 + "}")
    write(f"over.{ext}", '{"a": ' + "[" * 101 + "]" * 101 + "}")
    node, levels = hp.config(f"ok.{ext}")["a"], 1
    while node:
        (node,) = node
        levels += 1
    assert levels == 100
    assert error_of(f"over.{ext}") == f"over.{ext}: nested deeper than 100 levels"


@pytest.mark.parametrize("ext", ["yaml", "json", "toml"])
def test_text_that_is_not_utf8_is_refused_with_its_position(ext: str) -> None:
    Path(f"latin1.{ext}").write_bytes(b"# ok\nname = 'caf\xe9'\n")
    assert error_of(f"latin1.{ext}") == f"latin1.{ext}, line 2, column 12: not UTF-8 text (byte 0xe9)"


def test_invalid_yaml_names_file_line_and_column(yaml_loader: str) -> None:
    write("bad.yaml", "model:\n  layers: [64, 128\ntrain: {}\n")
    message = error_of("bad.yaml")
    assert message.startswith("bad.yaml, line 3, column 6: invalid YAML: ")
    assert "expected ',' or ']'" in message
    write("tab.yaml", "a:\n\tb: 1\n")
    assert error_of("tab.yaml").startswith("tab.yaml, line 2, column 1: invalid YAML: ")
    write("two.yaml", "a: 1\n---\nb: 2\n")
    assert error_of("two.yaml").startswith("two.yaml, line 2, column 1: invalid YAML: ")


def test_invalid_json_and_toml_name_file_line_and_column() -> None:
    write("bad.json", '{"train": {"lr": }}')
    assert error_of("bad.json") == "bad.json, line 1, column 18: invalid JSON: Expecting value"
    write("comma.json", '{"train": {"lr": 0.01,}}')  # the reason's words vary by Python version
    assert re.fullmatch(r"comma\.json, line 1, column 2\d: invalid JSON: \w.+", error_of("comma.json"))
    write("bad.toml", "[train]\nlr = 0.01\nepochs =\n")
    assert error_of("bad.toml") == "bad.toml, line 3, column 9: invalid TOML: Invalid value"
    write("dup.toml", "a = 1\na = 2\n")
    assert error_of("dup.toml").startswith("dup.toml, line 2, column 6: invalid TOML: ")


def test_an_unreadable_file_is_an_error() -> None:
    Path("folder.yaml").mkdir()
    # the system's reason follows ("Is a directory" on Linux)
    assert re.fullmatch(r"folder\.yaml: cannot read: \w.+", error_of("folder.yaml"))


def test_config_error_is_a_value_error_listing_its_problems() -> None:
    write("bad.yaml", "i: x\nf: y\nb: true\ns: s\n")
    with pytest.raises(ValueError) as info:
        hp.config("bad.yaml", schema=Scalars)
    assert isinstance(info.value, hp.HyperparameterError)
    assert info.value.problems == [
        "bad.yaml: i: expected int, got 'x'",
        "bad.yaml: f: expected float, got 'y'",
    ]


# --- the command line ------------------------------------------------------------------------

THREE_LAYERS = """\
import hyperparameter as hp


@hp.param("main")
def main(a=0, b=1, name="none", layers=(1,)):
    print(a, b, name, list(layers))


if __name__ == "__main__":
    hp.launch(main)
"""


def run_script(script: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=60, env=env
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_three_layers_from_the_command_line_with_a_yaml_file(tmp_path: Path) -> None:
    """inline defaults < config file < -D (and options), as the seeds' example has it."""
    script = tmp_path / "three_layers.py"
    script.write_text(THREE_LAYERS)
    write(
        "x.yaml",
        """\
        main:
          a: 10
          b: "20"          # converts to the default's type
          name: run-${main.a}
          layers: [4, 8]
        """,
    )
    write("y.toml", "[main]\na = 11\n")

    def out(*args: str) -> str:
        return run_script(script, *args).stdout.strip()

    assert out() == "0 1 none [1]"
    assert out("--config", "x.yaml") == "10 20 run-10 [4, 8]"
    assert out("--config", "x.yaml", "-D", "main.b=30") == "10 30 run-10 [4, 8]"
    assert out("--config", "x.yaml", "-D", "main.b=30", "--a", "5") == "5 30 run-10 [4, 8]"
    # several --config files: the later wins, and references see the merged values
    assert out("--config", "x.yaml", "--config", "y.toml") == "11 20 run-11 [4, 8]"
    assert out("-C", "x.yaml", "y.toml") == "11 20 run-11 [4, 8]"  # several after one -C
    assert out("-C", "y.toml", "x.yaml") == "10 20 run-10 [4, 8]"
    listing = out("--config", "x.yaml", "-D", "main.b=30", "--list-params")
    assert re.search(r"^main\.a\s+int\s+0\s+10\s+x\.yaml:main\.a$", listing, re.M), listing
    assert re.search(r"^main\.b\s+int\s+1\s+30\s+-D$", listing, re.M), listing
    listing = out("-C", "x.yaml", "y.toml", "--list-params")
    assert re.search(r"^main\.a\s+int\s+0\s+11\s+y\.toml:main\.a$", listing, re.M), listing
    assert re.search(r"^main\.b\s+int\s+1\s+20\s+x\.yaml:main\.b$", listing, re.M), listing


def test_a_bad_config_file_stops_the_command_line_with_its_message(tmp_path: Path) -> None:
    script = tmp_path / "three_layers.py"
    script.write_text(THREE_LAYERS)
    write("bad.yaml", "main: {a: [1\n")
    result = run_script(script, "--config", "bad.yaml", check=False)
    assert result.returncode == 2
    assert "error: argument --config: bad.yaml, line 2, column 1: invalid YAML: " in result.stderr
    write("wrong.yaml", "main: {a: many}\n")
    result = run_script(script, "--config", "wrong.yaml", check=False)
    assert result.returncode == 2
    assert "error: argument --config: wrong.yaml:main.a: 'many' is not a valid int" in result.stderr


# --- documentation ---------------------------------------------------------------------------

DOC = ROOT / "docs" / "config.md"


def test_every_example_in_the_config_guide_runs(tmp_path: Path, yaml_loader: str) -> None:
    """docs/config.md: write each titled file block, then run the >>> examples as doctests."""
    text = DOC.read_text(encoding="utf-8")
    files = re.findall(r'^```\w+ title="([^"]+)"\n(.*?)^```', text, re.S | re.M)
    assert len(files) > 20
    for name, body in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    saved = dict(os.environ)
    try:
        result = doctest.testfile(
            str(DOC),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            globs={"__name__": "config_md"},
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert result.attempted > 40
    assert result.failed == 0

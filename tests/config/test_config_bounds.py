"""``hp.config`` on hostile files: the cost of one call is bounded, and every refusal names the
file and key. Reference bombs (text and copies), ``defaults:`` fan-out, keys given twice, and
symlink loops; also through ``--config`` on the command line."""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from config_files import error_of, write

import hyperparameter as hp
from hyperparameter import _config


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in an empty folder, so errors name the relative paths written."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a YAML test with libyaml's CSafeLoader and with PyYAML's pure SafeLoader."""
    if request.param == "libyaml":
        if not getattr(yaml, "__with_libyaml__", False):
            pytest.skip("PyYAML was built without libyaml")
    else:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    return request.param


def symlink(target: str, name: str) -> None:
    try:
        os.symlink(target, name)
    except (OSError, NotImplementedError) as exc:  # Windows without the privilege
        pytest.skip(f"cannot make symbolic links here: {exc}")


# --- ${...} text: MAX_TEXT ------------------------------------------------------------------


def text_bomb(levels: int) -> str:
    """Each line ten references to the one before: line n asks for 10**(n+1) characters."""
    lines = ['a0: "xxxxxxxxxx"']
    lines += [f'a{n}: "' + f"${{a{n - 1}}}" * 10 + '"' for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [10, 11])
def test_a_text_reference_bomb_is_refused_before_its_text_is_built(levels: int, yaml_loader: str) -> None:
    write("bomb.yaml", text_bomb(levels))  # under 700 bytes; 10 levels ask for 1 GB, 11 for 10 GB
    assert len(Path("bomb.yaml").read_bytes()) < 700
    tracemalloc.start()
    started = time.monotonic()
    try:
        message = error_of("bomb.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # a7 would be 100,000,000 characters: refused before it is joined, with 11 million built
    assert message == (
        "bomb.yaml: a7: references build more than 67,108,864 characters of text in all (a reference bomb?)"
    )
    assert time.monotonic() - started < 10
    assert peak < 100 * 2**20


def test_text_under_the_limit_resolves_and_the_limit_is_adjustable(monkeypatch: pytest.MonkeyPatch) -> None:
    write("bomb.yaml", text_bomb(5))
    assert hp.config("bomb.yaml")["a4"] == "x" * 100_000
    monkeypatch.setattr(_config, "MAX_TEXT", 10_000)
    assert error_of("bomb.yaml") == (
        "bomb.yaml: a3: references build more than 10,000 characters of text in all (a reference bomb?)"
    )
    # The limit is for all the text of one call: two values under it alone, over it together.
    write("two.json", json.dumps({"s": "y" * 4000, "p": "<${s}>", "q": "[${s}]", "r": "(${s})"}))
    assert error_of("two.json") == (
        "two.json: r: references build more than 10,000 characters of text in all (a reference bomb?)"
    )
    monkeypatch.setattr(_config, "MAX_TEXT", 20_000)
    assert hp.config("two.json")["r"] == "(" + "y" * 4000 + ")"


def test_a_section_spelled_inside_text_is_measured_before_it_is_built() -> None:
    # Each section names the one before twice: r39 is 2**39 values, shared, once expanded.
    data: dict = {"r0": {"x": 1}}
    for n in range(1, 40):
        data[f"r{n}"] = {"p": f"${{r{n - 1}}}", "q": f"${{r{n - 1}}}"}
    data["label"] = {"text": "all of it: ${r39}"}
    write("sections.json", json.dumps(data))
    started = time.monotonic()
    assert error_of("sections.json") == (
        "sections.json: label.text: references build more than 67,108,864 characters of text in all"
        " (a reference bomb?)"
    )
    assert time.monotonic() - started < 5
    # A small section inside text is spelled as before.
    write("small.yaml", "opt: {lr: 0.1, betas: [0.9, 0.99]}\nlabel: 'opt=${opt}'\n")
    assert hp.config("small.yaml")["label"] == "opt={'lr': 0.1, 'betas': [0.9, 0.99]}"


def test_references_copying_a_section_over_and_over_are_refused_naming_the_key() -> None:
    # 3,000 references to a 3,000-value section: 9 million values to copy.
    write("copies.json", json.dumps({"big": {f"k{i}": i for i in range(3000)}, "refs": ["${big}"] * 3000}))
    started = time.monotonic()
    assert error_of("copies.json") == (
        "copies.json: refs.333: references copy more than 1,000,000 values and sections in all"
        " (a reference bomb?)"
    )
    assert time.monotonic() - started < 5
    # Within the limit, each reference still gets a copy of its own.
    write("few.json", json.dumps({"big": {"a": [1]}, "refs": ["${big}", "${big}"]}))
    cfg = hp.config("few.json")
    cfg["refs"][0]["a"].append(2)
    assert cfg["refs"][1] == {"a": [1]} and cfg["big"] == {"a": [1]}


# --- defaults: fan-out: MAX_MERGES, MAX_MERGED_VALUES --------------------------------------


def fan_out(files: int, times: int) -> None:
    """f0.yaml names f1.yaml ``times`` times, f1 names f2 ..., each with a key of its own."""
    for n in range(files):
        bases = f"defaults: [{', '.join([f'f{n + 1}.yaml'] * times)}]\n" if n + 1 < files else ""
        write(f"f{n}.yaml", f"{bases}k{n}: {n}\nlast: f{n}\n")


def test_defaults_fan_out_is_refused_quickly() -> None:
    fan_out(8, 10)  # 8 small files, each naming the next ten times: 11,111,111 merges
    started = time.monotonic()
    assert error_of("f0.yaml") == (
        "f7.yaml: more than 1,000 files merged, counting a base each time it is named"
        " (bases that name their bases many times over?)"
    )
    assert time.monotonic() - started < 5


def test_fan_out_under_the_limit_loads_and_the_limit_is_adjustable(monkeypatch: pytest.MonkeyPatch) -> None:
    fan_out(3, 10)  # 1 + 10 + 100 files merged
    cfg = hp.config("f0.yaml")
    assert cfg == {"k2": 2, "last": "f0", "k1": 1, "k0": 0}
    assert cfg.source_of("k2") == "f2.yaml:k2" and cfg.source_of("last") == "f0.yaml:last"
    monkeypatch.setattr(_config, "MAX_MERGES", 100)
    assert error_of("f0.yaml").startswith("f1.yaml: more than 100 files merged")  # the 10th f1.yaml
    monkeypatch.setattr(_config, "MAX_MERGES", 111)
    assert hp.config("f0.yaml") == cfg


def test_a_base_named_many_times_is_read_once_and_merged_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    write("a.yaml", "x: from-a\nonly_a: 1\nsection: {a: 1, both: a}\n")
    write("b.yaml", "x: from-b\nsection: {b: 1, both: b}\n")
    write("mid.yaml", "defaults: [a.yaml]\nmid: 1\n")
    write("top.yaml", "defaults: [a.yaml, b.yaml, mid.yaml, ./a.yaml, b.yaml]\n")
    reads: list[str] = []
    real_read = _config._read

    def counting_read(path: Path) -> dict:
        reads.append(path.name)
        return real_read(path)

    monkeypatch.setattr(_config, "_read", counting_read)
    cfg = hp.config(["top.yaml", "a.yaml"])
    assert sorted(reads) == ["a.yaml", "b.yaml", "mid.yaml", "top.yaml"]
    # Which value wins is as if each file were read where it is named; merging b.yaml over
    # a.yaml's section did not change it for the next place that names a.yaml.
    assert cfg == {"x": "from-a", "only_a": 1, "section": {"a": 1, "both": "a", "b": 1}, "mid": 1}
    assert cfg.source_of("section.both") == "a.yaml:section.both"
    assert cfg.source_of("section.b") == "b.yaml:section.b"
    cfg = hp.config("top.yaml")
    assert cfg["x"] == "from-b" and cfg.source_of("x") == "b.yaml:x"
    assert cfg["section"] == {"a": 1, "both": "b", "b": 1}
    # Nor does it change what the next call reads.
    assert hp.config("a.yaml") == {"x": "from-a", "only_a": 1, "section": {"a": 1, "both": "a"}}


def test_merging_a_large_base_over_and_over_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    write("big.json", json.dumps({"s": {f"k{i}": i for i in range(2000)}}))
    write("many.json", json.dumps({"defaults": ["big.json"] * 200}))  # 400,000 values merged
    assert len(hp.config("many.json")["s"]) == 2000
    monkeypatch.setattr(_config, "MAX_MERGED_VALUES", 100_000)
    assert error_of("many.json") == (
        "big.json: more than 100,000 values merged, counting the values of a base each time it is"
        " merged (bases that name their bases many times over?)"
    )


# --- keys given twice ------------------------------------------------------------------------


def test_a_yaml_key_given_twice_is_an_error_naming_key_line_and_file(yaml_loader: str) -> None:
    write("top.yaml", "lr: 0.1\nepochs: 3\nlr: 0.2\n")
    assert error_of("top.yaml") == "top.yaml, line 3, column 1: duplicate key lr (first on line 1)"
    write(
        "nested.yaml",
        """\
        train:
          optim: {name: adam, lr: 0.1}
          stages:
            - {steps: 10}
            - steps: 20
              warmup: 1
              "steps": 30
        """,
    )
    assert error_of("nested.yaml") == (
        "nested.yaml, line 7, column 7: duplicate key train.stages.1.steps (first on line 5)"
    )
    write("inline.yaml", "train: {lr: 1, lr: 2}\n")
    assert error_of("inline.yaml") == (
        "inline.yaml, line 1, column 16: duplicate key train.lr (first on line 1)"
    )


def test_yaml_merge_keys_are_not_duplicates(yaml_loader: str) -> None:
    write(
        "merge.yaml",
        """\
        base: &base {lr: 0.1, bs: 32, act: relu}
        wide: &wide {width: 4, depth: 2}
        small:
          <<: *base
          bs: 8
        both:
          <<: [*wide, *base]
          act: gelu
        inline:
          <<: {lr: 1}
          lr: 2
        """,
    )
    cfg = hp.config("merge.yaml")
    assert cfg["small"] == {"lr": 0.1, "bs": 8, "act": "relu"}
    # (No key in two merged mappings: which one wins differs between PyYAML 6.0.3 and 6.0.4.)
    assert cfg["both"] == {"width": 4, "depth": 2, "lr": 0.1, "bs": 32, "act": "gelu"}
    assert cfg["inline"] == {"lr": 2}
    # A key given twice inside the mapping a merge brings in is still one given twice.
    write("in_anchor.yaml", "base: &base {lr: 0.1, lr: 0.2}\nsmall: {<<: *base}\n")
    assert error_of("in_anchor.yaml") == (
        "in_anchor.yaml, line 1, column 23: duplicate key base.lr (first on line 1)"
    )
    write("in_merge.yaml", "small: {<<: {lr: 1, lr: 2}, bs: 1}\n")
    assert error_of("in_merge.yaml") == (
        "in_merge.yaml, line 1, column 21: duplicate key small.lr (first on line 1)"
    )


def test_a_json_key_given_twice_is_an_error_naming_key_line_and_file() -> None:
    write("top.json", '{"lr": 0.1,\n "epochs": 3,\n "lr": 0.2}')
    assert error_of("top.json") == "top.json, line 3, column 2: duplicate key lr (first on line 1)"
    write(
        "nested.json",
        json.dumps({"train": {"stages": [{"steps": 1}, {"a": {}}]}}).replace(
            '{"a": {}}', '{"a": {}, "steps": 2, "\\u0073teps": 3}'
        ),
    )
    assert error_of("nested.json") == (
        "nested.json, line 1, column 59: duplicate key train.stages.1.steps (first on line 1)"
    )
    # The same key in different sections is no duplicate.
    write("fine.json", json.dumps({"a": {"x": 1}, "b": {"x": 2}, "x": [{"x": 3}, {"x": 4}]}))
    assert hp.config("fine.json")["x"] == [{"x": 3}, {"x": 4}]


def test_a_toml_key_given_twice_is_refused_as_before() -> None:
    write("key.toml", "a = 1\nb = 2\na = 3\n")
    assert (
        error_of("key.toml") == "key.toml, line 3, column 6: invalid TOML: Cannot overwrite a value (key a)"
    )
    write("table.toml", "[t]\nx = 1\n[t]\ny = 2\n")
    assert error_of("table.toml") == "table.toml, line 3, column 3: invalid TOML: Cannot declare ('t',) twice"


# --- symlink loops ---------------------------------------------------------------------------


def test_a_symlink_loop_is_reported_as_one_not_as_a_missing_file() -> None:
    symlink("loop_b.yaml", "loop_a.yaml")
    symlink("loop_a.yaml", "loop_b.yaml")
    assert error_of("loop_a.yaml") == "loop_a.yaml: a symlink loop (too many levels of symbolic links)"
    write("main.yaml", "defaults: [loop_a.yaml]\nx: 1\n")
    assert error_of("main.yaml") == (
        "main.yaml: base file 'loop_a.yaml' is a symlink loop"
        " (too many levels of symbolic links at loop_a.yaml)"
    )
    symlink("folder", "folder")  # a folder on the way
    assert (
        error_of("folder/run.yaml") == "folder/run.yaml: a symlink loop (too many levels of symbolic links)"
    )
    # A missing file is still a missing file.
    assert error_of("nowhere.yaml") == "nowhere.yaml: no such file"


# --- the command line ------------------------------------------------------------------------


@hp.param("bounds")
def bounded_main(lr: float = 0.1) -> float:
    return lr


CLI_CASES = {
    "text-bomb": (lambda: write("bomb.yaml", text_bomb(10)), "bomb.yaml", "bomb.yaml: a7: references build"),
    "fan-out": (lambda: fan_out(8, 10), "f0.yaml", "f7.yaml: more than 1,000 files merged"),
    "yaml-duplicate": (
        lambda: write("dup.yaml", "bounds: {lr: 1}\nbounds: {lr: 2}\n"),
        "dup.yaml",
        "dup.yaml, line 2, column 1: duplicate key bounds (first on line 1)",
    ),
    "json-duplicate": (
        lambda: write("dup.json", '{"bounds": {"lr": 1, "lr": 2}}'),
        "dup.json",
        "dup.json, line 1, column 22: duplicate key bounds.lr (first on line 1)",
    ),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_hostile_config_files_are_usage_errors_on_the_command_line(
    case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    make, name, message = CLI_CASES[case]
    make()
    with pytest.raises(SystemExit) as exited:
        hp.launch(bounded_main, argv=["--config", name])
    assert exited.value.code == 2
    assert f"error: argument --config: {message}" in capsys.readouterr().err


def test_a_symlink_loop_is_a_usage_error_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    symlink("loop.yaml", "loop.yaml")
    with pytest.raises(SystemExit) as exited:
        hp.launch(bounded_main, argv=["--config", "loop.yaml"])
    assert exited.value.code == 2
    assert "error: argument --config: loop.yaml: a symlink loop" in capsys.readouterr().err

"""The examples of the quick-start guide and the earlier READMEs run and print what they say."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDES = ROOT / "tests" / "guides"


def run(script: str, *args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(GUIDES / script), *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_quick_start_examples() -> None:
    lines = run("quick_start.py")
    assert lines[0] == "0.001 32 True"
    assert lines[1].startswith("KeyError:") and "model.required_key" in lines[1]
    assert lines[2:5] == ["0.1", "0.3", "0.1"]
    assert lines[5:8] == [
        "lr=0.001, batch_size=32, epochs=10",
        "lr=0.0005, batch_size=64, epochs=10",
        "lr=0.01, batch_size=32, epochs=10",
    ]
    assert lines[8:12] == [
        "ModelA: dropout=0.3, hidden=128",
        "ModelB: dropout=0.2, hidden=256",
        "ModelA: dropout=0.1, hidden=128",
        "ModelB: dropout=0.15, hidden=512",
    ]
    assert lines[12:14] == ["cls: lr=0.001, weight_decay=0.01", "seg: lr=0.0005, weight_decay=0.001"]
    assert lines[14] == "[(0, True, 'minmax'), (1, True, 'minmax'), (2, True, 'minmax')]"
    assert lines[15] == "(True, 0.6, 5)"  # the fifth wait reaches patience 5


def test_newest_readme_examples() -> None:
    assert run("readme_latest.py") == [
        "x=1, y=a",
        "x=2, y=a",
        "default value",
        # the write through the outer `ps` goes to the innermost scope...
        "1 2",
        # ...and vanishes with it
        "1 0",
        "foo.x=2",
        # a new thread starts from the baseline, not the parent's live scope
        "foo.x=1",
    ]


def test_three_layer_configuration(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"main": {"a": 10, "b": 20}}))
    assert run("three_layers.py") == ["0 1"]
    assert run("three_layers.py", "--config", str(config)) == ["10 20"]
    assert run("three_layers.py", "--config", str(config), "-D", "main.b=30") == ["10 30"]


def test_oldest_readme_nested_scope_doctest() -> None:
    example = """
>>> from hyperparameter import param_scope
>>> with param_scope(a=1) as ps:
...     with param_scope(a=2) as ps2:
...         ps2.a == 2 # True, a=2 for inner scope
...     ps.a == 1      # True, a=1 for outer scope
True
True
"""
    test = doctest.DocTestParser().get_doctest(example, {}, "readme", "readme", 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0

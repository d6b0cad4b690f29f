"""The README's examples run as written (its Rust example runs as a cargo doctest)."""

from __future__ import annotations

import doctest
import re
import subprocess
from pathlib import Path

import pytest
from native_build import CXX, compile_cpp

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_python_examples_run_as_shown() -> None:
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 5
    assert result.failed == 0


@pytest.mark.skipif(CXX is None, reason="no C++ compiler on PATH")
def test_cpp_example_compiles_and_runs(tmp_path: Path) -> None:
    (source,) = blocks("cpp")
    program = compile_cpp(source, tmp_path / "readme_example")
    assert subprocess.run([str(program)]).returncode == 0


def test_readme_shows_both_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "python -m hyperparameter.examples.quickstart" in text
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = "python -m pip install -e '.[test]' && python -m pytest"
    assert test_command in text and test_command in ci

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


def test_first_command_in_a_fresh_clone_runs_the_demo_on_the_native_engine(tmp_path: Path) -> None:
    """The README's first command, as a newcomer runs it: a fresh copy of the repository, a
    fresh venv, run from the clone's root — and Python started anywhere uses the engine."""
    import os
    import shutil
    import sys

    (first,) = [b for b in blocks("bash") if "examples.quickstart" in b]
    command = first.strip()
    assert command.startswith("python -m pip install -e . && ")
    clone = tmp_path / "clone"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "HYPERPARAMETER_BACKEND", "CARGO_TARGET_DIR")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    demo = subprocess.run(
        command, shell=True, cwd=clone, env=env, capture_output=True, text=True, timeout=1500
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Hello, World!" in demo.stdout
    assert "RuntimeWarning" not in demo.stderr, demo.stderr[-3000:]  # the fallback's warning
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = 'import hyperparameter as hp; print(hp.backend_name(), hp.__file__)'
    for cwd in (clone, elsewhere):
        ran = subprocess.run(["python", "-c", probe], cwd=cwd, env=env, capture_output=True, text=True)
        assert ran.returncode == 0 and "RuntimeWarning" not in ran.stderr, ran.stderr
        backend, where = ran.stdout.split()
        assert backend == "native"
        assert Path(where).resolve().is_relative_to(clone.resolve())  # this clone, no other copy

"""Short runs of the concurrent stress programs in tests/stress/ (a few seconds each).

The long runs are the same programs with bigger counts (docs/errors.md, "Stress"):

    tests/stress/run.sh 20000000 200000     # C++: ops per thread; Python: ops per thread
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRESS = ROOT / "tests" / "stress"
INCLUDE = ROOT / "include"
LIB_DIR = ROOT / "target" / "release"


@pytest.fixture(scope="module")
def cpp_stress(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cargo = shutil.which("cargo")
    compiler = shutil.which("g++") or shutil.which("clang++")
    if cargo is None or compiler is None:
        pytest.skip("the C++ stress run needs cargo and a C++ compiler")
    built = subprocess.run(
        [cargo, "build", "--release"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert built.returncode == 0, built.stderr[-4000:]
    program = tmp_path_factory.mktemp("stress") / "stress"
    cmd = [
        compiler,
        "-std=c++17",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pthread",
        f"-I{INCLUDE}",
        str(STRESS / "stress.cpp"),
        "-o",
        str(program),
        f"-L{LIB_DIR}",
        "-lhyperparameter",
        f"-Wl,-rpath,{LIB_DIR}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return program


def ops_done(output: str, pattern: str) -> int:
    found = re.search(pattern, output)
    assert found, output
    return int(found.group(1).replace(",", ""))


def test_cpp_threads_against_per_thread_models(cpp_stress: Path) -> None:
    """8 std::threads x 1,000,000 random enter/set/get/exit, with the baseline republished."""
    result = subprocess.run([str(cpp_stress), "1000000", "8"], capture_output=True, text=True, timeout=300)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "stress: 0 checks failed" in result.stdout, report
    assert ops_done(result.stdout, r"= (\d+) ops in") == 8_000_000
    assert ops_done(result.stdout, r"baseline publications (\d+)") > 0, report
    assert ops_done(result.stdout, r"baseline reads (\d+)") > 100_000, report
    print(result.stdout)


@pytest.mark.parametrize("backend", ["native", "python"])
def test_python_threads_and_tasks_against_their_models(backend: str) -> None:
    """8 threads x 5,000 operations, then 1,000 asyncio tasks x 40, with the baseline republished."""
    env = {**os.environ, "HYPERPARAMETER_BACKEND": backend}
    cmd = [
        sys.executable,
        str(STRESS / "stress.py"),
        "--ops",
        "5000",
        "--task-ops",
        "40",
        "--threads",
        "8",
        "--tasks",
        "1000",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert f"({backend} backend)" in result.stdout, report
    assert "stress.py: 0 checks failed" in result.stdout, report
    assert ops_done(result.stdout, r": ([\d,]+) ops in") >= 8 * 5_000 + 1_000 * 40
    assert ops_done(result.stdout, r"enters ([\d,]+)") > 1_000, report
    if backend == "native":
        assert ops_done(result.stdout, r"native reads ([\d,]+)") > 100, report
    print(result.stdout)


def test_the_stress_programs_catch_a_wrong_read(cpp_stress: Path, tmp_path: Path) -> None:
    """The Python program's checks can fail: with a model that forgets some writes, they do."""
    source = (STRESS / "stress.py").read_text(encoding="utf-8")
    broken = source.replace(
        "            self.frames[-1][key] = value\n",
        "            if self.serial % 50:\n                self.frames[-1][key] = value\n",
    )
    assert broken != source
    (tmp_path / "stress.py").write_text(broken, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(tmp_path / "stress.py"), "--ops", "3000", "--task-ops", "20"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"stress.py: [1-9]\d* checks failed", result.stdout), result.stdout

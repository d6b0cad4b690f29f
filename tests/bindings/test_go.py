"""The Go binding in bindings/go: `go vet`, gofmt and `go test`, linked through pkg-config.

The Go package finds the engine with `#cgo pkg-config: hyperparameter`; PKG_CONFIG_PATH points
at the .pc file the Python package ships (`python -m hyperparameter --pkgconfigdir`), whose
rpath lets the test binary load the same libhyperparameter the Python tests use.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import hyperparameter as hp

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "bindings" / "go"
GO = shutil.which("go")

pytestmark = [
    pytest.mark.skipif(GO is None, reason="go is not on PATH (the Go toolchain is needed)"),
    pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine"),
]


@pytest.fixture(scope="module")
def go_env() -> dict[str, str]:
    found = subprocess.run(
        [sys.executable, "-m", "hyperparameter", "--pkgconfigdir"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.returncode == 0, f"python -m hyperparameter --pkgconfigdir failed:\n{found.stderr}"
    pkgconfig = found.stdout.strip()
    assert (Path(pkgconfig) / "hyperparameter.pc").is_file(), f"no hyperparameter.pc in {pkgconfig}"
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = os.pathsep.join(p for p in (pkgconfig, env.get("PKG_CONFIG_PATH")) if p)
    env["CGO_ENABLED"] = "1"
    return env


def run_go(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    assert GO is not None
    return subprocess.run(
        [GO, *args],
        cwd=MODULE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def check(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (
        f"`{' '.join(result.args)}` failed with status {result.returncode}:\n{result.stdout}"
    )


def test_go_vet(go_env: dict[str, str]) -> None:
    check(run_go(go_env, "vet", "./..."))


def test_gofmt_is_clean(go_env: dict[str, str]) -> None:
    goroot = run_go(go_env, "env", "GOROOT")
    check(goroot)
    gofmt = Path(goroot.stdout.strip()) / "bin" / "gofmt"
    result = subprocess.run([str(gofmt), "-l", "."], cwd=MODULE, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", f"files gofmt would change:\n{result.stdout}"


def test_go_test(go_env: dict[str, str]) -> None:
    result = run_go(go_env, "test", "-count=1", "-v", "./...")
    check(result)
    # Guard against a run that silently tested nothing or skipped what it could not do.
    assert "--- SKIP" not in result.stdout, result.stdout
    passed = re.findall(r"^--- PASS: (\w+)", result.stdout, flags=re.MULTILINE)
    for name in ("TestHashMatchesSharedVectors", "TestGoroutinesSeeOnlyTheirOwnWith", "Example"):
        assert name in passed, f"{name} did not pass:\n{result.stdout}"
    assert len(passed) >= 30, result.stdout

"""The Node.js binding (bindings/node): its own suite, run with ``npm test`` against the engine
library of this Python package.

The Node process loads that library file itself (through koffi), never through Python, so the
backend Python runs on here does not change what is tested: the pure-Python run tests the same
file. ``npm ci`` runs only when node_modules is missing or differs from package-lock.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import hyperparameter as hp

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bindings" / "node"
LOCK = PACKAGE / "package-lock.json"
NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None, reason="node and npm must be on PATH to test the Node binding"
)

# The summary lines of node's test runner: "# pass 12" (TAP) or "ℹ pass 12" (spec reporter).
SUMMARY = re.compile(r"^(?:#|ℹ) (tests|pass|fail|cancelled|skipped|todo) (\d+)$", re.MULTILINE)


def _node_modules_stale() -> bool:
    """Whether node_modules lacks, or has another version of, a package the lock file pins.

    npm keeps what it installed in node_modules/.package-lock.json; optional packages of other
    platforms (koffi's prebuilt binaries) are absent there by design."""
    installed = PACKAGE / "node_modules" / ".package-lock.json"
    if not installed.is_file():
        return True
    wanted = json.loads(LOCK.read_text(encoding="utf-8"))["packages"]
    have = json.loads(installed.read_text(encoding="utf-8"))["packages"]
    for name, entry in wanted.items():
        if not name:
            continue
        got = have.get(name)
        if got is None:
            if entry.get("optional"):
                continue
            return True
        if (got.get("version"), got.get("integrity")) != (entry.get("version"), entry.get("integrity")):
            return True
    return any(name not in wanted for name in have)


def _npm(*args: str, env: dict | None = None, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([NPM, *args], cwd=PACKAGE, env=env, capture_output=True, text=True, timeout=timeout)


def _tail(result: subprocess.CompletedProcess, lines: int = 60) -> str:
    return "\n".join((result.stdout + result.stderr).splitlines()[-lines:])


@pytest.fixture(scope="module")
def node_modules() -> None:
    if _node_modules_stale():
        result = _npm("ci", "--no-audit", "--no-fund", timeout=600)
        assert result.returncode == 0, f"npm ci failed in {PACKAGE}:\n{_tail(result)}"
        assert not _node_modules_stale(), "npm ci left node_modules different from package-lock.json"


def test_npm_test_passes_against_the_packages_library(node_modules: None) -> None:
    library = Path(hp.get_library())
    assert library.is_file(), f"{library} is missing: build the engine with `python -m pip install -e .`"
    env = {**os.environ, "HYPERPARAMETER_LIBRARY": str(library), "NO_COLOR": "1"}
    result = _npm("test", env=env, timeout=300)
    assert result.returncode == 0, f"npm test failed:\n{_tail(result)}"
    counts = {name: int(value) for name, value in SUMMARY.findall(result.stdout)}
    assert counts.get("tests", 0) >= 40, f"too few Node tests ran:\n{_tail(result)}"
    assert counts["pass"] == counts["tests"], _tail(result)
    assert counts["fail"] == counts["cancelled"] == counts["skipped"] == counts["todo"] == 0, _tail(result)

"""The Rust side of the suite: `cargo test` for the engine crate, and clippy with warnings as errors.

The engine's own tests (scopes, threads, hash vectors, header freshness, `with_params!`, the
examples) live in `rust/`; this module runs them from the project's one test command, `pytest`
at the repository root, and shows cargo's output when they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CARGO = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")

pytestmark = pytest.mark.skipif(
    not Path(CARGO).exists(), reason="cargo is not installed (the Rust toolchain is needed)"
)


def run_cargo(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.setdefault("CARGO_TERM_COLOR", "never")
    return subprocess.run(
        [CARGO, *args],
        cwd=ROOT,
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


def test_cargo_test_workspace() -> None:
    result = run_cargo("test", "--workspace")
    check(result)
    # Guard against a run that silently tested nothing.
    assert "test result: ok." in result.stdout, result.stdout


def clippy_available() -> bool:
    probe = run_cargo("clippy", "--version", timeout=120)
    return probe.returncode == 0


def test_cargo_clippy_is_clean() -> None:
    if not clippy_available():
        pytest.skip("clippy is not installed (`rustup component add clippy`)")
    check(run_cargo("clippy", "--workspace", "--all-targets", "--", "-D", "warnings"))

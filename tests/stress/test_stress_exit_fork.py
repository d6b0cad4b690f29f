"""Short runs of tests/stress/daemon_exit.py and tests/stress/fork_publish.py.

A process must exit cleanly while daemon threads are inside the library, and a child forked
while another thread publishes the baseline must work (not hang). The long runs are the same
programs with their default counts:

    python tests/stress/daemon_exit.py 200
    python tests/stress/fork_publish.py 100
    python tests/stress/fork_publish.py 100 --via multiprocessing
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from native_build import CXX

import hyperparameter as hp

ROOT = Path(__file__).resolve().parents[2]
STRESS = ROOT / "tests" / "stress"
BACKENDS = ["native", "python"] if hp.backend_name() == "native" else ["python"]


def run_script(name: str, args: list[str], backend: str, timeout: float) -> str:
    """Run a stress script on ``backend`` with this process's hyperparameter package; its
    output (the test fails if the script itself does not finish within ``timeout``)."""
    package_parent = str(Path(hp.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    env = {
        **os.environ,
        "HYPERPARAMETER_BACKEND": backend,
        "PYTHONPATH": package_parent + (os.pathsep + path if path else ""),
    }
    try:
        result = subprocess.run(
            [sys.executable, str(STRESS / name), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{name} {' '.join(args)} did not finish within {timeout} s: {exc.stdout!r}")
    report = result.stdout + result.stderr
    assert f"({backend} backend" in result.stdout, report
    assert result.returncode == 0, report
    return report


@pytest.mark.parametrize("backend", BACKENDS)
def test_exit_with_daemon_threads_inside_scopes_is_clean(backend: str) -> None:
    """20 interpreters per variant exit while two daemon threads loop in hp.scope: all exit 0."""
    report = run_script("daemon_exit.py", ["20", "--jobs", "2", "--timeout", "30"], backend, timeout=240)
    variants = ["python"]
    if backend == "native" and CXX is not None:
        variants.append("native")
    for variant in variants:
        assert re.search(rf"{variant}: runs 20, aborts 0, hangs 0, other failures 0\b", report), report
    assert "daemon_exit.py: ok" in report, report


@pytest.mark.parametrize("via, forks", [("fork", 20), ("multiprocessing", 10)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_children_forked_while_another_thread_publishes_work(backend: str, via: str, forks: int) -> None:
    """Children forked mid-publication read, publish and enter scopes (Python and C++ alike)."""
    args = [str(forks), "--via", via, "--timeout", "5"]
    report = run_script("fork_publish.py", args, backend, timeout=120)
    clean = rf"runs {forks}, hangs 0, mismatches 0, other failures 0; publications [1-9]"
    assert re.search(clean, report), report
    if backend == "native" and CXX is not None:
        assert "Python and C++ reads" in report, report
    assert "fork_publish.py: ok" in report, report

"""Session checks and fixtures shared by every test module.

Helper modules shared by several folders (native_build, fresh_thread, baseline_reset) are in
tests/support/, on the import path through pyproject.toml's ``[tool.pytest.ini_options]
pythonpath``.
"""

from __future__ import annotations

import os

import pytest
from baseline_reset import reset_baseline

import hyperparameter as hp


def pytest_sessionstart(session: pytest.Session) -> None:
    # The main run must exercise the native engine: a silent fallback to pure Python would
    # make every native test pass vacuously.
    if os.environ.get("HYPERPARAMETER_BACKEND", "").lower() in ("python", "pure"):
        return
    if hp.backend_name() != "native":
        raise pytest.UsageError(
            "the native engine did not load; build it with `python -m pip install -e .` "
            "(or set HYPERPARAMETER_BACKEND=python to test the pure-Python backend)"
        )


@pytest.fixture
def baseline():
    """For tests that call frozen(): an empty baseline is published again after the test."""
    yield
    reset_baseline()

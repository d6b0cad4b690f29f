"""Session checks shared by every test module."""

from __future__ import annotations

import os

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    # The main run must exercise the native engine: a silent fallback to pure Python would
    # make every native test pass vacuously.
    if os.environ.get("HYPERPARAMETER_BACKEND", "").lower() in ("python", "pure"):
        return
    import hyperparameter as hp

    if hp.backend_name() != "native":
        raise pytest.UsageError(
            "the native engine did not load; build it with `python -m pip install -e .` "
            "(or set HYPERPARAMETER_BACKEND=python to test the pure-Python backend)"
        )

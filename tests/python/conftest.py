"""Shared fixtures of the Python suite: every test starts and ends at a clean thread root."""

from __future__ import annotations

import pytest

import hyperparameter as hp


def reset_baseline() -> None:
    """Publish an empty baseline (what a fresh process starts from)."""
    with hp.scope.empty():
        hp.scope.frozen()


@pytest.fixture(autouse=True)
def clean_state():
    """No test may leave a scope entered, values in the thread root, or a frozen baseline."""
    root = hp.scope.current()
    assert "thread root" in repr(root), f"a scope is entered before the test: {root!r}"
    assert root.to_dict() == {}, f"state left over before the test: {root.to_dict()}"
    yield
    left = hp.scope.current()
    leftover = root.to_dict()
    # Restore before failing, so one broken test does not break the next ones.
    root.clear()
    reset_baseline()
    assert left is root, f"a scope was left entered: {left!r}"
    assert leftover == {}, f"the test left values in the thread root or baseline: {leftover}"


@pytest.fixture
def baseline():
    """For tests that call frozen(): the baseline is reset after the test."""
    yield
    reset_baseline()

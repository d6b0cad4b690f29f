"""Fixtures of the Python suite: every test starts and ends at a clean thread root, and the
engine gives back every Python object it took. Fixtures every folder shares (baseline) are in
tests/conftest.py."""

from __future__ import annotations

import gc

import pytest
from baseline_reset import reset_baseline

import hyperparameter as hp


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


class _CountingRegistry(dict):
    """The native backend's registry of Python objects held by the engine, counting what goes
    in and out. The engine's release callback pops an object's entry; a second release of one
    object would pop an entry that is no longer there, and is recorded."""

    def __init__(self, initial: dict) -> None:
        super().__init__(initial)
        self.stored = 0
        self.removed = 0
        self.unknown: list = []

    def __setitem__(self, key, value) -> None:
        self.stored += 1
        super().__setitem__(key, value)

    def pop(self, key, *default):
        if key in self:
            self.removed += 1
        else:
            self.unknown.append(key)
        return super().pop(key, *default)


@pytest.fixture(scope="session", autouse=True)
def host_objects_released_exactly_once():
    """Session-end check: every Python object the engine took was given back exactly once.

    After the last test (this fixture ends with the session, so later test modules count too)
    the engine's count of live host objects is back where it started, the registry that keeps
    them alive for the engine is empty, and no object was released twice.
    """
    if hp.backend_name() != "native":
        yield
        return
    from hyperparameter._backends import native

    registry = _CountingRegistry(native.host_objects)
    native.host_objects = registry
    start = native.NativeBackend.live_host_objects()
    yield
    gc.collect()
    # This thread may still cache a baseline published before the last reset (the engine
    # frees an old baseline when each thread next reads one): read through the baseline once.
    with pytest.raises(KeyError):
        native.NativeBackend.native_get("conftest.no.such.key")
    live = native.NativeBackend.live_host_objects()
    native.host_objects = dict(registry)
    assert registry.unknown == [], f"objects released twice (or never stored): {registry.unknown}"
    assert live == start, f"the engine still holds {live - start} Python objects after the suite"
    assert len(registry) == 0, f"{len(registry)} Python objects were never released by the engine"
    assert registry.stored == registry.removed

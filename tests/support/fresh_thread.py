"""Run a test body in a thread of its own: a fresh context and a fresh native thread state.

Tests that can leave a scope current when they fail run this way, with a timeout, so a failure
(or a hang) never leaks into the next test.
"""

from __future__ import annotations

import threading


def in_fresh_thread(func, *args, timeout: float = 20.0):
    """``func(*args)`` in a new thread; its result, or its exception re-raised. A call that
    does not return within ``timeout`` fails the test."""
    box: dict = {}

    def target() -> None:
        try:
            box["result"] = func(*args)
        except BaseException as exc:  # noqa: B036 - re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"{func.__name__} did not return within {timeout} s (hung)"
    if "error" in box:
        raise box["error"]
    return box["result"]

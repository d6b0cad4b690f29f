"""Publish an empty baseline again: what a fresh process starts from."""

from __future__ import annotations

import hyperparameter as hp


def reset_baseline() -> None:
    """Publish an empty baseline (what a fresh process starts from)."""
    with hp.scope.empty():
        hp.scope.frozen()

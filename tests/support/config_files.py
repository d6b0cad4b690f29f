"""Writing config files in a test's folder, and the error a load of them gives."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import hyperparameter as hp


def write(name: str, text: str) -> str:
    """Write ``text`` (dedented) to ``name`` under the working folder; its name."""
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return name


def error_of(*args: Any, **kwargs: Any) -> str:
    """The message of the ConfigError that ``hp.config(*args, **kwargs)`` raises."""
    with pytest.raises(hp.ConfigError) as info:
        hp.config(*args, **kwargs)
    return str(info.value)

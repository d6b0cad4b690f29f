"""Every example in the Python documentation runs as written."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.mark.parametrize("page", ["python.md", "migration.md"])
def test_page_examples_run(page: str) -> None:
    result = doctest.testfile(
        str(DOCS / page), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 10
    assert result.failed == 0


def test_package_docstrings_run() -> None:
    import hyperparameter
    from hyperparameter import _build_info, _config, _config_types, _errors, _param, _scope

    failed = attempted = 0
    for module in (hyperparameter, _scope, _param, _config, _config_types, _errors, _build_info):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        failed += result.failed
        attempted += result.attempted
    assert attempted > 20
    assert failed == 0

"""Every example of docs/integrations.md runs as written, in a fresh process: the page lists every
parameter a program declares, and a test process declares many more."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PAGE = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def test_the_pages_examples_run(tmp_path):
    command = [sys.executable, "-m", "doctest", "-o", "ELLIPSIS", "-o", "NORMALIZE_WHITESPACE", str(PAGE)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert PAGE.read_text(encoding="utf-8").count(">>> ") > 10

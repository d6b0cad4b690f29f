"""Types for checkers: ``mypy --strict`` passes a correct program that uses the package, and
reports the wrong ones (a read typed as its default's type, ``hp.config(path, schema=...)``
typed as the schema, ``@hp.param`` functions and classes keeping their signatures).

The examples are in typing_examples/, with their expectations inline: ``# R:`` what mypy
reveals for a line, ``# E:`` an error mypy must report on that line. mypy runs from the
repository root against the package source there (``mypy_path``, first in mypy's search
order), with the package's own modules checked silently as an installed package's are, once
for the correct program and once for all the wrong ones; the second run reuses the first's
cache (in the test's temp folder).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="the typing checks need mypy (the test and dev extras pin it)")

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = Path(__file__).resolve().parent / "typing_examples"
#: ``file:line: severity: message``, as mypy prints without --pretty.
REPORT = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): (?P<severity>error|note): (?P<message>.*)$")


@pytest.fixture(scope="module")
def mypy_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mypy")
    config = folder / "mypy.ini"
    config.write_text(
        "[mypy]\n"
        "strict = True\n"
        f"mypy_path = {REPO}\n"
        f"cache_dir = {folder / 'cache'}\n"
        # The package is checked silently, as mypy checks a package in site-packages: what a
        # user's program sees is its types, not its own lint.
        "[mypy-hyperparameter.*]\n"
        "follow_imports = silent\n"
    )
    return config


def run_mypy(config: Path, example: str) -> tuple[int, list[tuple[int, str, str]], str]:
    """mypy's exit code, its reports on ``example`` as ``(line, severity, message)``, and its
    whole output (for failure messages)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--no-pretty", str(EXAMPLES / example)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    print(f"mypy on {example}: {time.perf_counter() - started:.1f} s")
    reports = []
    for line in output.splitlines():
        match = REPORT.match(line)
        if match:
            assert Path(match["file"]).name == example, f"mypy reports on another file:\n{output}"
            reports.append((int(match["line"]), match["severity"], match["message"]))
    return done.returncode, reports, output


def marked(example: str, mark: str) -> dict[int, str]:
    """The lines of ``example`` carrying ``# <mark>: text``, and their texts."""
    found = {}
    for number, line in enumerate((EXAMPLES / example).read_text(encoding="utf-8").splitlines(), 1):
        _, sep, text = line.partition(f"  # {mark}: ")
        if sep:
            found[number] = text.strip()
    return found


def test_a_correct_program_passes_and_keeps_its_types(mypy_config: Path) -> None:
    status, reports, output = run_mypy(mypy_config, "typed_ok.py")
    errors = [report for report in reports if report[1] == "error"]
    assert status == 0 and not errors, f"mypy --strict fails the correct program:\n{output}"
    revealed = {
        line: message.removeprefix("Revealed type is ").strip('"').replace("builtins.", "")
        for line, severity, message in reports
        if severity == "note" and message.startswith("Revealed type is ")
    }
    expected = marked("typed_ok.py", "R")
    assert expected, "typed_ok.py has no '# R:' expectations"
    assert revealed == expected, f"@hp.param changed a signature, as mypy sees it:\n{output}"


def test_wrong_types_are_reported(mypy_config: Path) -> None:
    status, reports, output = run_mypy(mypy_config, "typed_wrong.py")
    expected = marked("typed_wrong.py", "E")
    assert len(expected) >= 10, "typed_wrong.py lost its '# E:' expectations"
    errors: dict[int, list[str]] = {}
    for line, severity, message in reports:
        if severity == "error":
            errors.setdefault(line, []).append(message)
    assert status == 1, f"mypy --strict passes a wrong program:\n{output}"
    missed = {
        line: text
        for line, text in expected.items()
        if not any(text in message for message in errors.get(line, []))
    }
    assert not missed, f"mypy did not report these lines of typed_wrong.py: {missed}\n{output}"
    unexpected = {line: messages for line, messages in errors.items() if line not in expected}
    assert not unexpected, f"mypy reports lines not marked '# E:': {unexpected}\n{output}"

"""``--dump-params`` refuses, by key and value, what no parameter file can hold (a suggester,
an object), in every format: never a serializer's own error naming neither."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROGRAM = textwrap.dedent(
    """
    import itertools
    import hyperparameter as hp
    from hyperparameter.tune import suggest_from

    @hp.param("t")
    def main(x=1):
        return x

    if __name__ == "__main__":
        counter = itertools.count()
        with hp.scope(**{"t.x": suggest_from(lambda: next(counter))}):
            hp.launch(main)
    """
)


@pytest.mark.parametrize("suffix", ["toml", "yaml", "json"])
def test_a_suggester_is_refused_by_name_in_every_format(tmp_path: Path, suffix: str) -> None:
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM, encoding="utf-8")
    out = tmp_path / f"used.{suffix}"
    done = subprocess.run(
        [sys.executable, str(script), "--dump-params", str(out)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, done.stderr
    assert "cannot write t.x = suggest_from(<function <lambda>>)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()

"""docs/c-api.md's recipe for shipping a native extension as a wheel, followed as written.

The extension is built in one venv against the hyperparameter installed there, repaired with
auditwheel, and installed into another venv: nothing may point back into the first, the wheel
must hold no second engine, and Python's scope must be what its C++ reads.
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from builds import ROOT, Built, Venv, make_venv, run, tool, tool_env

from hyperparameter import _build_info

DOC = ROOT / "docs" / "c-api.md"
ENGINE = _build_info.library_name()

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or tool("auditwheel") is None or shutil.which("readelf") is None,
    reason="the recipe is for Linux wheels; it needs auditwheel (test extra) and readelf",
)

CHECK = r"""
import hpext  # alone: its package imports hyperparameter first
import hyperparameter as hp

outside = hpext.read_lr()
with hp.scope(**{"train.lr": 0.25}):
    inside = hpext.read_lr()
engines = {line.split()[-1] for line in open("/proc/self/maps") if "libhyperparameter" in line}
print(outside, inside, *sorted(engines))
print(hp.get_library())
"""


def recipe_files() -> dict[str, str]:
    """The files of the recipe: fenced blocks whose first line is a comment naming the file."""
    section = DOC.read_text(encoding="utf-8").split("## Shipping an extension as a wheel", 1)[1]
    section = section.split("\n## ", 1)[0]
    found = re.findall(r"```\w+\n(?:#|//) (\S+)\n(.*?)```", section, re.S)
    return {name: body for name, body in found}


@dataclass
class Repaired:
    wheel: Path
    built_in: Venv


@pytest.fixture(scope="module")
def repaired(installed: Venv, workdir: Path) -> Repaired:
    files = recipe_files()
    assert set(files) == {"pyproject.toml", "setup.py", "hpext/__init__.py", "hpext/_kernel.cpp"}, files
    project = workdir / "hpext"
    for name, body in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(body, encoding="utf-8")
    dist, wheelhouse = workdir / "hpext-dist", workdir / "hpext-wheelhouse"
    build = ["-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-cache-dir", "-w", str(dist)]
    installed.run(*build, str(project))
    (built,) = dist.glob("hpext-*.whl")
    auditwheel = [tool("auditwheel"), "repair", "--exclude", ENGINE, "-w", wheelhouse, built]
    run(auditwheel, env=tool_env())
    (wheel,) = wheelhouse.glob("hpext-*.whl")
    return Repaired(wheel, installed)


def test_the_repaired_wheel_holds_no_engine_and_no_path_of_the_build(
    repaired: Repaired, tmp_path: Path
) -> None:
    assert re.search(r"-manylinux_\d+_\d+_\w+\.whl$", repaired.wheel.name), repaired.wheel.name
    with zipfile.ZipFile(repaired.wheel) as archive:
        files = archive.namelist()
        archive.extractall(tmp_path)
    assert [n for n in files if "libhyperparameter" in n or ".libs/" in n] == [], files
    (module,) = tmp_path.glob("hpext/_kernel*.so")
    section = run(["readelf", "-d", module]).stdout
    assert f"Shared library: [{ENGINE}]" in section
    build_env = str(repaired.built_in.root.resolve())
    paths = re.findall(r"Library r(?:un)?path: \[(.*)\]", section)
    assert not [p for p in paths if build_env in p or "hyperparameter" in p], paths


def test_installed_elsewhere_the_extension_reads_the_scope_python_sets(
    repaired: Repaired, wheel: Built, workdir: Path
) -> None:
    elsewhere = make_venv(workdir / "venv-hpext", wheel.path)
    pip = [sys.executable, "-m", "pip", "--python", elsewhere.python, "install", "--no-deps", "--no-index"]
    run([*pip, "--no-cache-dir", "--disable-pip-version-check", repaired.wheel])
    first, library = elsewhere.run("-c", CHECK).stdout.splitlines()
    outside, inside, *engines = first.split()
    assert (float(outside), float(inside)) == (0.001, 0.25)
    # One engine in the process: the one the hyperparameter of this venv loaded.
    assert engines == [str(Path(library).resolve())]
    assert Path(library).resolve().is_relative_to(elsewhere.root.resolve())

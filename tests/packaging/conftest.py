"""What the packaging tests share, each built once per session: the sdist, a wheel built from
it, a fresh venv holding that wheel, and the same wheel and venv built without the engine.

Builds run without build isolation, from the running venv (the test extra holds build,
setuptools and cffi), with the repository's cargo target folder, so that crates.io
dependencies are not compiled again. The fresh venvs hold hyperparameter from the wheel alone;
its dependencies and the test tools come from the running venv through a ``.pth`` line, so
nothing is downloaded.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from builds import ROOT, Built, Venv, clean_env, make_venv, path_without, pip_wheel, run


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("packaging")


@pytest.fixture(scope="session")
def sdist(workdir: Path) -> Built:
    out = workdir / "sdist"
    # setuptools adds every file its last SOURCES.txt listed: start from none, so that what
    # MANIFEST.in says is what is shipped.
    shutil.rmtree(ROOT / "hyperparameter.egg-info", ignore_errors=True)
    built = run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", out, ROOT], cwd=ROOT)
    (archive,) = out.glob("hyperparameter-*.tar.gz")
    return Built(archive, built.stdout + built.stderr)


@pytest.fixture(scope="session")
def wheel(sdist: Built, workdir: Path) -> Built:
    assert shutil.which("cargo"), "cargo is required: the wheel's engine is built from the sdist"
    out = workdir / "wheel"
    out.mkdir()
    built = pip_wheel(sdist.path, out, clean_env())
    (path,) = out.glob("*.whl")
    return Built(path, built.stdout + built.stderr)


@pytest.fixture(scope="session")
def installed(wheel: Built, workdir: Path) -> Venv:
    return make_venv(workdir / "venv", wheel.path)


@pytest.fixture(scope="session")
def pure_wheel(sdist: Built, workdir: Path) -> Built:
    out = workdir / "pure-wheel"
    out.mkdir()
    built = pip_wheel(sdist.path, out, clean_env(PATH=path_without("cargo"), HYPERPARAMETER_BACKEND="python"))
    (path,) = out.glob("*.whl")
    return Built(path, built.stdout + built.stderr)


@pytest.fixture(scope="session")
def pure_installed(pure_wheel: Built, workdir: Path) -> Venv:
    return make_venv(workdir / "pure-venv", pure_wheel.path)

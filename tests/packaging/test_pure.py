"""Installing from the sdist without Rust: a build that says what to do, and the pure-Python
package that ``HYPERPARAMETER_BACKEND=python`` builds instead."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from builds import Built, Venv, clean_env, copy_tests, path_without, pip_wheel

import hyperparameter as hp


def test_without_cargo_the_build_stops_and_names_both_ways_out(sdist: Built, tmp_path: Path) -> None:
    out = tmp_path / "wheel"
    out.mkdir()
    failed = pip_wheel(sdist.path, out, clean_env(PATH=path_without("cargo")), check=False)
    said = failed.stdout + failed.stderr
    assert failed.returncode != 0 and not list(out.glob("*.whl")), said[-3000:]
    assert "needs the Rust toolchain, and `cargo` is not on PATH" in said, said[-3000:]
    assert "https://rustup.rs" in said
    assert "HYPERPARAMETER_BACKEND=python python -m pip install --no-cache-dir hyperparameter" in said


def test_the_pure_wheel_holds_no_engine(pure_wheel: Built) -> None:
    assert pure_wheel.path.name == f"hyperparameter-{hp.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(pure_wheel.path) as archive:
        files = archive.namelist()
    native = [
        n for n in files if n.endswith((".so", ".so.0", ".dylib", ".dll", ".pyd", ".h", ".hpp", ".cmake"))
    ]
    assert native == [], native
    assert "hyperparameter/PURE_BUILD" in files  # the choice, recorded for the import


def test_the_pure_install_chooses_pure_python_without_a_warning(pure_installed: Venv) -> None:
    ran = pure_installed.run("-W", "error", "-c", "import hyperparameter as hp; print(hp.backend_name())")
    assert (ran.stdout.strip(), ran.stderr) == ("python", "")
    flags = pure_installed.run("-m", "hyperparameter", "--includes", "--libs", check=False)
    assert flags.returncode == 1 and flags.stdout == ""
    assert "no native engine is installed" in flags.stderr


def test_the_pure_install_passes_the_pure_backend_tests(pure_installed: Venv, tmp_path: Path) -> None:
    # As the main run tests the pure backend (tests/python/test_backends.py), with the tests
    # in a folder that holds no package, so that they import the installed one.
    tree = copy_tests(tmp_path / "tree", ["tests", "docs", "pyproject.toml"])  # docs: pages tests run
    ran = pure_installed.run(
        "-m", "pytest", str(tree / "tests" / "python"), "-v", "-p", "no:cacheprovider",
        check=False, HYPERPARAMETER_BACKEND="python",
    )  # fmt: skip
    tail = "\n".join((ran.stdout + ran.stderr).splitlines()[-30:])
    assert ran.returncode == 0, tail
    assert " passed" in ran.stdout and " failed" not in ran.stdout, tail
    # The checks that only a build without the engine runs, did run.
    assert re.search(r"test_a_build_without_the_engine\w* PASSED", ran.stdout), tail

"""The sdist: the whole source tree that a build needs, and nothing a build made."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile

import pytest
from builds import ROOT, Built

# What setuptools adds to every sdist.
METADATA = re.compile(r"^(PKG-INFO|setup\.cfg|hyperparameter\.egg-info/.*)$")
# What a build or a test run leaves in the tree.
BUILT = re.compile(
    r"(^|/)(target|build|dist|__pycache__|\.hypothesis|\.pytest_cache)/"
    r"|\.(so|so\.\d+|dylib|dll|pyd|lib|a|o|obj|pyc)$"
    r"|^hyperparameter/(include|pkgconfig)/|^hyperparameter/(PURE_BUILD|_native_ffi\..*)$"
    r"|^hyperparameter/cmake/hyperparameterConfigVersion\.cmake$"
)
# Tracked, but for the repository's CI alone.
CI_ONLY = re.compile(r"^(\.ci|\.github)/|(^|/)\.gitignore$")


def members(sdist: Built) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(sdist.path) as archive:
        infos = archive.getmembers()
    top = f"{sdist.path.name[: -len('.tar.gz')]}/"
    outside = [info.name for info in infos if not (info.name + "/").startswith(top)]
    assert outside == [], "the sdist must unpack into one folder"
    return {info.name[len(top) :]: info for info in infos if info.isfile() or info.issym()}


def test_sdist_holds_what_a_build_needs(sdist: Built) -> None:
    names = members(sdist)
    needed = {
        "pyproject.toml",
        "setup.py",
        "build_ffi.py",
        "MANIFEST.in",
        "LICENSE",
        "README.md",
        "Cargo.toml",
        "Cargo.lock",
        "CMakeLists.txt",
        "rust/Cargo.toml",
        "rust/build.rs",
        "rust/cbindgen.toml",
        "rust/src/lib.rs",
        "rust/src/ffi/mod.rs",
        "include/hyperparameter.h",
        "include/hyperparameter.hpp",
        "hyperparameter/__init__.py",
        "hyperparameter/py.typed",
        "hyperparameter/cmake/hyperparameterConfig.cmake",
        "tests/conftest.py",
    }
    assert needed <= set(names), f"missing from the sdist: {sorted(needed - set(names))}"
    assert not [name for name, info in names.items() if info.issym()], "an sdist holds no links"


def test_sdist_holds_nothing_built(sdist: Built) -> None:
    built = sorted(name for name in members(sdist) if BUILT.search(name))
    assert built == [], f"build or test artefacts in the sdist: {built}"


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_sdist_is_the_tree_git_holds(sdist: Built) -> None:
    def git_files(*options: str) -> set[str]:
        listed = subprocess.run(
            ["git", "ls-files", *options], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return set(listed.stdout.splitlines())

    # What git holds or would hold, less what it ignores (a tracked file that has become a
    # build output since) and the files deleted but not yet committed.
    listed = git_files("--cached", "--others", "--exclude-standard")
    listed -= git_files("--cached", "--ignored", "--exclude-standard")
    expected = {name for name in listed if (ROOT / name).is_file() and not CI_ONLY.search(name)}
    shipped = {name for name in members(sdist) if not METADATA.match(name)}
    assert sorted(expected - shipped) == [], "files of the tree missing from the sdist (MANIFEST.in)"
    assert sorted(shipped - expected) == [], "files in the sdist that git does not hold"


def test_sdist_build_gives_no_setuptools_warnings(sdist: Built) -> None:
    # Deprecations (the licence as a table) and data folders not declared as packages are
    # reported as warning classes; MANIFEST.in's "no files matched" notes are not.
    assert re.findall(r"\w+Warning\b", sdist.log) == [], sdist.log[-4000:]

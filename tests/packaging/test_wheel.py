"""The wheel built from the sdist, and a fresh venv that holds it.

One wheel per CPython version (the cffi module reads ``PyThreadState.context_ver``, so it is
built without the limited API); in it one stripped engine under the name programs record, ELF
files whose only RUNPATH is ``$ORIGIN``, the licence, and what native builds need.
"""

from __future__ import annotations

import re
import shlex
import shutil
import stat
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from builds import Built, Venv, run, tool, tool_env

import hyperparameter as hp
from hyperparameter import _build_info

LINUX = sys.platform.startswith("linux")
ENGINE = _build_info.library_name()
ENGINE_LIMIT = 1_500_000  # bytes; unstripped, the engine is over 5 MB

needs_readelf = pytest.mark.skipif(
    not LINUX or shutil.which("readelf") is None, reason="needs Linux and readelf"
)
needs_cxx = pytest.mark.skipif(
    shutil.which("g++") is None and shutil.which("clang++") is None, reason="no C++"
)

PROGRAM = r"""
#include "hyperparameter.hpp"
int main() {
    if (hp_abi_version() != HP_ABI_VERSION) return 3;
    if (GET_PARAM(build.check, 1) != 1) return 1;
    auto guard = WITH_PARAMS(build.check, 2);
    return GET_PARAM(build.check, 1) == 2 ? 0 : 2;
}
"""


def names(wheel: Built) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(wheel.path) as archive:
        return {info.filename: info for info in archive.infolist()}


def unpacked(wheel: Built, into: Path) -> Path:
    with zipfile.ZipFile(wheel.path) as archive:
        archive.extractall(into)
    return into


def dynamic_section(path: Path) -> str:
    return run(["readelf", "-d", path]).stdout


def test_wheel_is_built_for_this_cpython(wheel: Built) -> None:
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = re.sub(r"[-.]", "_", sysconfig.get_platform())
    assert wheel.path.name == f"hyperparameter-{hp.__version__}-{tag}-{tag}-{platform}.whl"
    with zipfile.ZipFile(wheel.path) as archive:
        info = archive.read(f"hyperparameter-{hp.__version__}.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in info and f"Tag: {tag}-{tag}-{platform}" in info, info


def test_wheel_build_gives_no_setuptools_warnings(wheel: Built) -> None:
    assert re.findall(r"\w+Warning\b", wheel.log) == [], wheel.log[-4000:]


def test_wheel_holds_one_engine_by_its_recorded_name_and_no_links(wheel: Built) -> None:
    infos = names(wheel)
    engines = sorted(n for n in infos if re.match(r"hyperparameter/(lib)?hyperparameter[.]", n))
    expected = [f"hyperparameter/{ENGINE}"] + (
        ["hyperparameter/hyperparameter.lib"] if ENGINE.endswith(".dll") else []
    )
    assert engines == sorted(expected)
    links = [n for n, info in infos.items() if stat.S_ISLNK(info.external_attr >> 16)]
    assert links == [], "a wheel cannot hold symbolic links"
    size = infos[f"hyperparameter/{ENGINE}"].file_size
    assert size < ENGINE_LIMIT, f"the engine is {size:,} bytes: is the release profile still stripped?"


def test_wheel_holds_the_licence_and_declares_it(wheel: Built) -> None:
    with zipfile.ZipFile(wheel.path) as archive:
        dist_info = f"hyperparameter-{hp.__version__}.dist-info"
        licence = archive.read(f"{dist_info}/licenses/LICENSE").decode()
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    assert "Classifier: License ::" not in metadata  # the expression replaces the classifiers


def test_wheel_holds_what_native_builds_need(wheel: Built) -> None:
    infos = names(wheel)
    for name in (
        "include/hyperparameter.h",
        "include/hyperparameter.hpp",
        "cmake/hyperparameterConfig.cmake",
        "cmake/hyperparameterConfigVersion.cmake",
        "pkgconfig/hyperparameter.pc",
        "py.typed",
    ):
        assert f"hyperparameter/{name}" in infos, name
    with zipfile.ZipFile(wheel.path) as archive:
        pc = archive.read("hyperparameter/pkgconfig/hyperparameter.pc").decode()
    assert f"Version: {hp.__version__}" in pc
    assert ENGINE in pc  # linked by the name programs record


@needs_readelf
def test_the_engine_is_stripped_and_named_by_its_soname(wheel: Built, tmp_path: Path) -> None:
    engine = unpacked(wheel, tmp_path) / "hyperparameter" / ENGINE
    assert f"Library soname: [{ENGINE}]" in dynamic_section(engine)
    sections = run(["readelf", "-S", "-W", engine]).stdout
    assert ".symtab" not in sections and ".debug_info" not in sections, "the engine is not stripped"
    assert ".dynsym" in sections  # the C ABI stays exported


@needs_readelf
def test_every_elf_in_the_wheel_finds_its_libraries_relative_to_itself(wheel: Built, tmp_path: Path) -> None:
    tree = unpacked(wheel, tmp_path)
    elves = [path for path in tree.rglob("*") if path.is_file() and path.read_bytes()[:4] == b"\x7fELF"]
    assert len(elves) == 2, elves  # the engine and the cffi module
    for elf in elves:
        section = dynamic_section(elf)
        for entry in re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library r(?:un)?path: \[(.*)\]", section):
            paths = entry.split(":")
            assert all(p.startswith("$ORIGIN") for p in paths), f"{elf.name} has the search path {entry}"
    (module,) = [elf for elf in elves if elf.name.startswith("_native_ffi")]
    section = dynamic_section(module)
    assert f"Shared library: [{ENGINE}]" in section and "Library runpath: [$ORIGIN]" in section, section


@pytest.mark.skipif(not LINUX or tool("auditwheel") is None, reason="needs Linux and auditwheel (test extra)")
def test_auditwheel_calls_it_manylinux_and_repair_adds_no_second_engine(wheel: Built, tmp_path: Path) -> None:
    shown = run([tool("auditwheel"), "show", wheel.path], env=tool_env()).stdout
    verdict = re.search(r'consistent with\s+the following platform tag:\s+"(manylinux_\d+_\d+_\w+)"', shown)
    assert verdict, shown
    repaired = run([tool("auditwheel"), "repair", "-w", tmp_path, wheel.path], env=tool_env())
    (fixed,) = tmp_path.glob("*.whl")
    assert verdict.group(1) in fixed.name, repaired.stderr
    with zipfile.ZipFile(fixed) as archive:
        grafted = [n for n in archive.namelist() if ".libs/" in n or "libhyperparameter" in n]
    assert grafted == [f"hyperparameter/{ENGINE}"], "auditwheel copied a library into the wheel"


def test_installed_wheel_runs_on_the_native_engine(installed: Venv) -> None:
    assert installed.run("-m", "hyperparameter", "--backend").stdout.split() == ["native"]
    probe = "import hyperparameter as hp; print(hp.__file__); print(hp.get_library())"
    ran = installed.run("-W", "error", "-c", probe)
    assert ran.stderr == ""
    package, library = (Path(line) for line in ran.stdout.split())
    assert package.resolve().is_relative_to(installed.root.resolve()) and library.is_file()


@needs_cxx
def test_a_cpp_program_built_with_includes_and_libs_runs(installed: Venv, tmp_path: Path) -> None:
    flags = shlex.split(installed.run("-m", "hyperparameter", "--includes", "--libs").stdout)
    source = tmp_path / "main.cpp"
    source.write_text(PROGRAM, encoding="utf-8")
    program = tmp_path / "main"
    compiler = shutil.which("g++") or shutil.which("clang++")
    run([compiler, "-std=c++17", source, "-o", program, *flags])
    assert subprocess.run([program], timeout=60).returncode == 0
    if LINUX and shutil.which("readelf"):
        assert f"Shared library: [{ENGINE}]" in dynamic_section(program)

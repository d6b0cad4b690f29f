"""The two backends: the whole suite under pure Python, the fallback, the choice, hash vectors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hyperparameter as hp
from hyperparameter import _build_info
from hyperparameter._backends import pure as pure_rules

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "hash.json").read_text(encoding="utf-8"))
PURE_RUN = os.environ.get("HYPERPARAMETER_BACKEND", "").strip().lower() in ("python", "pure")
# A package built with HYPERPARAMETER_BACKEND=python has no engine to fall back from.
PURE_BUILD = _build_info.built_without_engine()
has_an_engine = pytest.mark.skipif(PURE_BUILD, reason="built without the engine: nothing falls back")


def run_python(code: str, backend: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HYPERPARAMETER_BACKEND"}
    if backend is not None:
        env["HYPERPARAMETER_BACKEND"] = backend
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- (a) the same suite, pure-Python backend --------------------------------------------------


@pytest.mark.skipif(PURE_RUN, reason="this is the pure-Python run already")
def test_whole_suite_passes_under_the_pure_python_backend():
    env = dict(os.environ, HYPERPARAMETER_BACKEND="python")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/python", "-q", "-x", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
    assert result.returncode == 0, f"pure-Python run failed:\n{tail}"
    assert " passed" in result.stdout and " failed" not in result.stdout, tail


def test_backend_name_follows_the_environment():
    assert hp.backend_name() == ("python" if PURE_RUN else "native")


# --- (b) fallback when the native engine cannot load ----------------------------------------

BLOCK_NATIVE = 'import sys; sys.modules["hyperparameter._native_ffi"] = None\n'


@has_an_engine
def test_fallback_warns_once_and_uses_pure_python():
    result = run_python(
        BLOCK_NATIVE
        + "import hyperparameter as hp\n"
        + "import hyperparameter\n"  # a second import warns no more
        + "print(hp.backend_name())\n"
        + "with hp.scope(**{'a.b': '64'}): print(hp.scope.a.b | 1)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["python", "64"]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    warnings = [line for line in lines if "RuntimeWarning" in line]
    assert len(warnings) == 1, result.stderr
    assert "pure-Python" in warnings[0] and "native engine unavailable" in warnings[0]
    assert "Traceback" not in result.stderr
    # The warning and, as the warnings module shows it, the one source line it points at.
    assert len(lines) <= 2, result.stderr


def test_no_warning_when_pure_python_is_asked_for():
    result = run_python(BLOCK_NATIVE + "import hyperparameter as hp; print(hp.backend_name())", "python")
    assert result.returncode == 0
    assert result.stdout.strip() == "python"
    assert result.stderr.strip() == ""


@pytest.mark.skipif(not PURE_BUILD, reason="for a package built without the engine")
def test_a_build_without_the_engine_uses_pure_python_and_says_so_only_when_asked_for_native():
    result = run_python("import hyperparameter as hp; print(hp.backend_name())")
    assert (result.returncode, result.stdout.strip(), result.stderr.strip()) == (0, "python", "")
    asked = run_python(
        "try:\n    import hyperparameter\nexcept ImportError as exc:\n    print('ImportError', exc)\n",
        "native",
    )
    assert asked.stdout.startswith("ImportError"), asked.stdout + asked.stderr
    assert "built without the native engine" in asked.stdout


# --- (c) the choice -------------------------------------------------------------------------


@has_an_engine
def test_native_required_but_unavailable_raises_import_error():
    result = run_python(
        BLOCK_NATIVE
        + "try:\n    import hyperparameter\nexcept ImportError as exc:\n    print('ImportError', exc)\n",
        "native",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ImportError"), result.stdout + result.stderr
    assert "_native_ffi" in result.stdout
    assert "RuntimeWarning" not in result.stderr  # no silent fallback when native is required


def test_unknown_backend_raises_import_error_naming_it():
    result = run_python(
        "try:\n    import hyperparameter\nexcept ImportError as exc:\n    print('ImportError', exc)\n",
        "quantum",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ImportError")
    assert "quantum" in result.stdout and "native" in result.stdout and "python" in result.stdout


@pytest.mark.skipif(PURE_RUN, reason="needs the native engine")
@pytest.mark.parametrize("name", ["native", "NATIVE", " native "])
def test_native_by_name(name):
    result = run_python("import hyperparameter as hp; print(hp.backend_name())", name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "native"


@pytest.mark.parametrize("name", ["python", "pure", "Python"])
def test_pure_python_by_name(name):
    result = run_python("import hyperparameter as hp; print(hp.backend_name())", name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "python"


# --- (d) hash vectors -----------------------------------------------------------------------


def test_vector_file_is_the_contract():
    assert VECTORS["algorithm"] == "XXH64" and VECTORS["seed"] == 42
    assert len(VECTORS["vectors"]) >= 10


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: repr(v["key"][:20]))
def test_hash_vectors(vector):
    key, expected = vector["key"], vector["xxh64_seed42"]
    assert len(key.encode("utf-8")) == vector["utf8_len"]
    assert hp.hash_key(key) == expected  # the active backend
    assert pure_rules.hash_key(key) == expected  # the pure-Python rules
    if not PURE_RUN:
        from hyperparameter._backends.native import NativeBackend

        assert NativeBackend().hash_key(key) == expected


def test_hash_vectors_against_the_independent_xxhash_package():
    xxhash = pytest.importorskip("xxhash")
    for vector in VECTORS["vectors"]:
        key = vector["key"]
        assert xxhash.xxh64_intdigest(key.encode("utf-8"), seed=42) == vector["xxh64_seed42"]
        assert hp.hash_key(key) == vector["xxh64_seed42"]


def test_hash_is_not_python_hash_and_is_stable():
    assert hp.hash_key("train.lr") == 1730067025249070946
    assert hp.hash_key("train.lr") != hp.hash_key("train.LR")  # case is preserved

"""cffi builder for ``hyperparameter._native_ffi`` (out-of-line API mode).

The declarations come from the generated C header, never by hand: comments, the include
guard, ``#include`` lines and the ``extern "C"`` wrapper are stripped, and the integer
``#define`` constants are kept (cffi understands those).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parent
HEADER = ROOT / "include" / "hyperparameter.h"
INT_DEFINE = re.compile(r"#define\s+HP_\w+\s+-?\d+\s*$")


def cdef_from_header(text: str) -> str:
    """Turn the C header into declarations cffi's parser accepts."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if INT_DEFINE.match(stripped):
                kept.append(stripped)
            continue
        if stripped in ('extern "C" {', "}"):
            continue
        kept.append(line)
    return "\n".join(kept)


def cargo_release_dir() -> Path:
    """Where ``cargo build --release`` puts the engine; setup.py copies it from here too."""
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release"


def engine_link() -> dict:
    """How the module links the engine: by cargo's file, and at run time the one engine that
    sits beside the module in the package, whatever folder the package is installed in."""
    if sys.platform == "win32":
        # hyperparameter.dll.lib is cargo's import library; Windows looks for the DLL beside
        # the module that needs it.
        return {"libraries": ["hyperparameter.dll"], "extra_link_args": []}
    if sys.platform == "darwin":
        return {"libraries": ["hyperparameter"], "extra_link_args": ["-Wl,-rpath,@loader_path"]}
    return {"libraries": ["hyperparameter"], "extra_link_args": ["-Wl,-rpath,$ORIGIN"]}


# The engine calls the host through three C functions written here rather than straight into
# Python. Before Python runs, they check what only C can check cheaply: whether this thread is
# one Python runs on at all (a plain native thread has no Python scopes to sync, and must never
# wait for the interpreter), and whether the interpreter is shutting down (a daemon thread that
# asks for it then is ended on the spot). They also hand the engine this thread's context
# counter (`PyThreadState.context_ver`, moved by every `contextvars` context switch), which is
# why the module is built per CPython version, without the limited API.
TRAMPOLINES = r"""
#include "hyperparameter.h"

static void _hp_release_host(void *);
static int32_t _hp_sync_host(void);
static void _hp_host_write(uint64_t, const char *, size_t);
static void _hp_host_stack(bool, uint64_t);

static int hp_py_unavailable(void) {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

static int32_t hp_py_sync(void) {
    PyThreadState *state = PyGILState_GetThisThreadState();
    if (state == NULL || hp_py_unavailable()) {
        return HP_OK;
    }
#if PY_VERSION_HEX < 0x030E0000
    hp_host_context_watch(&state->context_ver);
#endif
    return _hp_sync_host();
}

static void hp_py_write(uint64_t tag, const char *key, size_t len) {
    if (PyGILState_GetThisThreadState() != NULL && !hp_py_unavailable()) {
        _hp_host_write(tag, key, len);
    }
}

static void hp_py_release(void *object) {
    if (!hp_py_unavailable()) {
        _hp_release_host(object);
    }
}

static void hp_py_stack(bool entered, uint64_t exited_tag) {
    if (PyGILState_GetThisThreadState() != NULL && !hp_py_unavailable()) {
        _hp_host_stack(entered, exited_tag);
    }
}
"""

ffibuilder = FFI()
ffibuilder.cdef(cdef_from_header(HEADER.read_text(encoding="utf-8")))
# Callbacks from the engine: dropping a Python value, syncing a stale thread's scopes, hearing
# what native code wrote into a scope Python mirrors, and which scopes native code entered.
ffibuilder.cdef('extern "Python" void _hp_release_host(void *);')
ffibuilder.cdef('extern "Python" int32_t _hp_sync_host(void);')
ffibuilder.cdef('extern "Python" void _hp_host_write(uint64_t, const char *, size_t);')
ffibuilder.cdef('extern "Python" void _hp_host_stack(bool, uint64_t);')
ffibuilder.cdef("int32_t hp_py_sync(void);")
ffibuilder.cdef("void hp_py_write(uint64_t, const char *, size_t);")
ffibuilder.cdef("void hp_py_stack(bool, uint64_t);")
ffibuilder.cdef("void hp_py_release(void *);")
ffibuilder.set_source(
    "hyperparameter._native_ffi",
    TRAMPOLINES,
    include_dirs=[str(ROOT / "include")],
    library_dirs=[str(cargo_release_dir())],
    **engine_link(),
    define_macros=[("_CFFI_NO_LIMITED_API", None)],
    py_limited_api=False,
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)

"""cffi builder for ``hyperparameter._native_ffi`` (out-of-line API mode).

The declarations come from the generated C header, never by hand: comments, the include
guard, ``#include`` lines and the ``extern "C"`` wrapper are stripped, and the integer
``#define`` constants are kept (cffi understands those).
"""

from __future__ import annotations

import os
import re
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


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release"


ffibuilder = FFI()
ffibuilder.cdef(cdef_from_header(HEADER.read_text(encoding="utf-8")))
# Callbacks from the engine: dropping a Python value, syncing a stale thread's scopes, and
# hearing what native code wrote into a scope Python mirrors.
ffibuilder.cdef('extern "Python" void _hp_release_host(void *);')
ffibuilder.cdef('extern "Python" void _hp_sync_host(void);')
ffibuilder.cdef('extern "Python" void _hp_host_write(uint64_t, const char *, size_t);')
ffibuilder.set_source(
    "hyperparameter._native_ffi",
    '#include "hyperparameter.h"',
    include_dirs=[str(ROOT / "include")],
    libraries=["hyperparameter"],
    library_dirs=[str(target_dir())],
    # Load the one libhyperparameter.so that sits beside the extension in the package.
    extra_link_args=["-Wl,-rpath,$ORIGIN"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)

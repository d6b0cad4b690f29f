"""GET_PARAM reads made from a Python thread: what following Python's context costs.

    python bench/native_read_python.py LIBRARY MODE COUNT

LIBRARY is bench/native_read.cpp built as a shared object (bench/native_read.sh does it, and
runs this under callgrind at two counts so Python's start-up cancels out). The reads happen
inside ``with hp.scope(...)`` on the main thread, as a C++ kernel called from Python makes
them: each one checks that the thread's context has not changed since the last sync.
"""

from __future__ import annotations

import ctypes
import sys

import hyperparameter as hp


def main() -> int:
    library, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    reader = ctypes.CDLL(library)
    reader.native_read_count.argtypes = [ctypes.c_char_p, ctypes.c_longlong]
    with hp.scope(**{"bench.other": 2, "bench.more": "x"}), hp.scope(**{"bench.hit": 1}):
        return reader.native_read_count(mode.encode(), count)


if __name__ == "__main__":
    sys.exit(main())

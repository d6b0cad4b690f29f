"""Resident memory across many scope cycles, each setting a fresh list (run by hand).

``python bench/scope_memory.py [cycles]`` (default 1,000,000) prints RSS at the start, every
tenth of the way and at the end, and the engine's count of Python objects it still holds.
With native code reading inside each scope (``--native-reads``) every scope is also mirrored
into the engine, so that path is measured too.
"""

from __future__ import annotations

import argparse
import os
import time

import hyperparameter as hp


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cycles", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--native-reads", action="store_true", help="read from native code in each scope")
    args = parser.parse_args()
    native = None
    if hp.backend_name() == "native":
        from hyperparameter._backends.native import NativeBackend as native
    start = rss_mib()
    started = time.perf_counter()
    print(f"backend {hp.backend_name()}, {args.cycles:,} cycles; RSS at start {start:.1f} MiB")
    step = max(args.cycles // 10, 1)
    for i in range(1, args.cycles + 1):
        with hp.scope(**{"data.shards": [i, i + 1, i + 2]}) as ps:
            ps.train.step = i
            if args.native_reads and native is not None:
                native.native_get("train.step")
        if i % step == 0:
            held = f", engine holds {native.live_host_objects()} objects" if native else ""
            print(f"{i:>10,} cycles: RSS {rss_mib():.1f} MiB (+{rss_mib() - start:.1f}){held}")
    elapsed = time.perf_counter() - started
    print(f"done in {elapsed:.1f} s ({elapsed / args.cycles * 1e9:.0f} ns per cycle)")


if __name__ == "__main__":
    main()

"""Interpreter exit while daemon threads are inside hp.scope: every run must exit 0.

    python tests/stress/daemon_exit.py [RUNS=200] [--variant python|native|both]
                                       [--jobs 2] [--timeout 30]

Each run is a fresh interpreter (this file with ``--child VARIANT``). Two daemon threads loop
while the main thread sleeps 0.2 s and returns, so the interpreter finalises while the daemon
threads are in the middle of the library:

- ``python``: ``with hp.scope(a=1): hp.scope.frozen()`` (pure-Python user code);
- ``native``: ``with hp.scope(a=1):`` a C++ ``GET_PARAM(a, 0)`` read called through ctypes,
  and ``hp.scope.frozen()`` every 8th time round (needs the native engine and a C++ compiler;
  skipped otherwise).

RUNS runs of each variant, JOBS at a time. Prints, per variant: runs, aborts (killed by a
signal, or "FATAL" on stderr), hangs (no exit within TIMEOUT seconds; the run is killed), and
other failures (any other non-zero exit, or daemon threads that never ran), with the first
failure's stderr. Exits 1 if any run failed. tests/stress/test_stress_exit_fork.py runs a short
version.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()
SUPPORT = HERE.parents[1] / "support"  # native_build

KERNEL = r"""
#include "hyperparameter.hpp"
extern "C" long long kernel_a() { return GET_PARAM(a, 0); }
"""


def child(variant: str, kernel_path: str | None) -> int:
    """One run: two daemon threads loop inside the library; main returns after 0.2 s."""
    import hyperparameter as hp

    loops = [0, 0]
    if variant == "native":
        import ctypes

        kernel = ctypes.CDLL(kernel_path)
        kernel.kernel_a.restype = ctypes.c_longlong

        def body(index: int) -> None:
            while True:
                loops[index] += 1
                with hp.scope(a=1):
                    if loops[index] % 8 == 0:
                        hp.scope.frozen()
                    kernel.kernel_a()
    else:

        def body(index: int) -> None:
            while True:
                loops[index] += 1
                with hp.scope(a=1):
                    hp.scope.frozen()

    for index in range(2):
        threading.Thread(target=body, args=(index,), daemon=True).start()
    time.sleep(0.2)
    print(f"loops {min(loops)}", flush=True)
    return 0


def build_kernel(directory: Path) -> str | None:
    """The C++ reader as a shared library, or None when there is no native engine or compiler."""
    import hyperparameter as hp

    if hp.backend_name() != "native":
        return None
    sys.path.insert(0, str(SUPPORT))
    from native_build import CXX, compile_cpp

    if CXX is None:
        return None
    return str(compile_cpp(KERNEL, directory / "libdaemon_exit.so", shared=True))


class Tally:
    def __init__(self, variant: str) -> None:
        self.variant = variant
        self.runs = self.aborts = self.hangs = self.other = 0
        self.signals: dict[str, int] = {}
        self.first_failure: str | None = None
        self.lock = threading.Lock()

    def add(self, outcome: str, detail: str, signal_name: str | None = None) -> None:
        with self.lock:
            self.runs += 1
            if signal_name is not None:
                self.signals[signal_name] = self.signals.get(signal_name, 0) + 1
            if outcome == "ok":
                return
            if outcome == "abort":
                self.aborts += 1
            elif outcome == "hang":
                self.hangs += 1
            else:
                self.other += 1
            if self.first_failure is None:
                self.first_failure = f"{outcome}: {detail}"

    def failed(self) -> bool:
        return self.aborts + self.hangs + self.other > 0

    def line(self) -> str:
        signals = ", ".join(f"{name} x{count}" for name, count in sorted(self.signals.items()))
        return (
            f"  {self.variant}: runs {self.runs}, aborts {self.aborts}, hangs {self.hangs}, "
            f"other failures {self.other}" + (f" ({signals})" if signals else "")
        )


def child_env() -> dict:
    """The environment of a run: it imports the same hyperparameter package as this process."""
    import hyperparameter as hp

    package_parent = str(Path(hp.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": package_parent + (os.pathsep + path if path else "")}


def run_once(variant: str, kernel_path: str | None, timeout: float, tally: Tally) -> None:
    cmd = [sys.executable, str(HERE), "--child", variant]
    if kernel_path is not None:
        cmd += ["--kernel", kernel_path]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=child_env())
    except subprocess.TimeoutExpired:
        tally.add("hang", f"no exit within {timeout} s")
        return
    tail = result.stderr.strip()[-1500:]
    code = result.returncode
    if code < 0 or code == 128 + signal.SIGABRT or "FATAL" in result.stderr:
        number = -code if code < 0 else code - 128
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"exit {code}"
        tally.add("abort", f"{name}\n{tail}", name)
    elif code != 0:
        tally.add("other", f"exit {code}\n{tail}")
    elif "loops " not in result.stdout or result.stdout.split("loops ")[1].split()[0] == "0":
        tally.add("other", f"the daemon threads never ran: {result.stdout!r}")
    else:
        tally.add("ok", "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="?", type=int, default=200, help="runs per variant (200)")
    parser.add_argument("--variant", choices=("python", "native", "both"), default="both")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (2)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a run is a hang (30)")
    parser.add_argument("--child", choices=("python", "native"), help=argparse.SUPPRESS)
    parser.add_argument("--kernel", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.kernel)

    import hyperparameter as hp

    variants = ["python", "native"] if args.variant == "both" else [args.variant]
    with tempfile.TemporaryDirectory() as tmp:
        kernel_path = build_kernel(Path(tmp)) if "native" in variants else None
        if "native" in variants and kernel_path is None:
            print("daemon_exit.py: native variant skipped (needs the native engine and a C++ compiler)")
            variants.remove("native")
            if not variants:
                return 0
        print(
            f"daemon_exit.py ({hp.backend_name()} backend): {args.runs} runs per variant, "
            f"{args.jobs} at a time, timeout {args.timeout:g} s",
            flush=True,
        )
        started = time.monotonic()
        tallies = [Tally(variant) for variant in variants]
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [
                pool.submit(run_once, tally.variant, kernel_path, args.timeout, tally)
                for tally in tallies
                for _ in range(args.runs)
            ]
            for future in futures:
                future.result()
    for tally in tallies:
        print(tally.line())
    for tally in tallies:
        if tally.first_failure:
            print(f"first failure ({tally.variant}): {tally.first_failure}")
    failed = any(tally.failed() for tally in tallies)
    verdict = "FAILED" if failed else "ok"
    print(f"daemon_exit.py: {verdict} in {time.monotonic() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

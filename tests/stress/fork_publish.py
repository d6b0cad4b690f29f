"""Fork while another thread publishes: every child must work, and none may hang.

    python tests/stress/fork_publish.py [FORKS=100] [--via fork|multiprocessing]
                                        [--timeout 10] [--gap 0.005]

A thread loops ``with hp.scope(pub.g=g): hp.scope.frozen()`` (and, on the native engine, a
C++ ``GET_PARAM`` read), so the library is mid-publication at any moment. Meanwhile the main
thread forks FORKS children, GAP seconds apart, with ``os.fork()`` or a ``multiprocessing``
context using the fork start method. Each child, child n, does three things, starting with a
different one each time (n % 3), as a worker's first lines would:

- a first read through ``hp.scope`` (``hp.scope.fork.n | -1`` must be -1);
- ``hp.scope.frozen()`` inside ``hp.scope(fork.frozen=n)``, after which the child's
  baseline has fork.frozen == n;
- ``with hp.scope(fork.n=n):`` Python and a C++ ``GET_PARAM(fork.n, -1)`` read both give n
  (the C++ read needs the native engine and a C++ compiler; without them, Python only).

and exits 0 (3 on a wrong value, 1 on an exception). A child still running TIMEOUT seconds
after its fork is a hang: it is killed. Prints runs / hangs / mismatches / other failures and
the number of publications made meanwhile; exits 1 if any child failed.
tests/stress/test_stress_exit_fork.py runs a short version.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import hyperparameter as hp

SUPPORT = Path(__file__).resolve().parents[1] / "support"  # native_build

KERNEL = r"""
#include "hyperparameter.hpp"
extern "C" long long kernel_fork_n() { return GET_PARAM(fork.n, -1); }
extern "C" long long kernel_pub_g() { return GET_PARAM(pub.g, -1); }
"""

MISMATCH = 3


def build_kernel(directory: Path):
    """The C++ reader, loaded; None without the native engine or a C++ compiler."""
    if hp.backend_name() != "native":
        return None
    sys.path.insert(0, str(SUPPORT))
    from native_build import CXX, compile_cpp

    if CXX is None:
        return None
    kernel = ctypes.CDLL(str(compile_cpp(KERNEL, directory / "libfork_publish.so", shared=True)))
    kernel.kernel_fork_n.restype = ctypes.c_longlong
    kernel.kernel_pub_g.restype = ctypes.c_longlong
    return kernel


def child_work(n: int, kernel) -> int:
    """What child n checks; its exit status."""
    problems = []

    def first_read() -> None:
        seen = hp.scope.fork.n | -1
        if seen != -1:
            problems.append(f"hp.scope.fork.n outside any scope: {seen!r}, want -1")

    def publish() -> None:
        with hp.scope(**{"fork.frozen": n}):
            hp.scope.frozen()
        seen = hp.scope.fork.frozen | -1
        if seen != n:
            problems.append(f"hp.scope.fork.frozen after frozen(): {seen!r}, want {n}")

    def scoped_read() -> None:
        with hp.scope(**{"fork.n": n}):
            seen = hp.scope.fork.n | -1
            native = kernel.kernel_fork_n() if kernel is not None else n
        if (seen, native) != (n, n):
            problems.append(f"in hp.scope(fork.n={n}): Python {seen!r}, C++ {native!r}")

    steps = [first_read, publish, scoped_read]
    for step in steps[n % 3 :] + steps[: n % 3]:
        step()
    if problems:
        sys.stderr.write(f"fork_publish.py child {n}: " + "; ".join(problems) + "\n")
        sys.stderr.flush()
        return MISMATCH
    return 0


def forked_child(n: int, kernel) -> None:
    """The body of an os.fork() child: never returns."""
    code = 1
    try:
        code = child_work(n, kernel)
    except BaseException as exc:  # noqa: B036 - reported, then the child exits
        sys.stderr.write(f"fork_publish.py child {n}: {exc!r}\n")
    finally:
        sys.stderr.flush()
        os._exit(code)


def mp_child(n: int, kernel) -> None:
    """The target of a multiprocessing child (fork start method: the arguments are inherited,
    not pickled): exits with its status."""
    sys.exit(child_work(n, kernel))


class Children:
    """Children started, each with its deadline; reaped as they finish, killed when late."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.running: dict = {}  # key -> (deadline, poll, kill)
        self.runs = self.hangs = self.mismatches = self.other = 0

    def add(self, key, poll, kill) -> None:
        self.running[key] = (time.monotonic() + self.timeout, poll, kill)

    def reap(self) -> None:
        now = time.monotonic()
        for key, (deadline, poll, kill) in list(self.running.items()):
            status = poll()
            if status is None and now < deadline:
                continue
            del self.running[key]
            self.runs += 1
            if status is None:
                kill()
                self.hangs += 1
            elif status == MISMATCH:
                self.mismatches += 1
            elif status != 0:
                self.other += 1
                sys.stderr.write(f"fork_publish.py: child {key} exited with status {status}\n")

    def wait_all(self) -> None:
        while self.running:
            self.reap()
            time.sleep(0.005)


def fork_one(n: int, kernel, children: Children) -> None:
    pid = os.fork()
    if pid == 0:
        forked_child(n, kernel)

    def poll():
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            return None
        return os.waitstatus_to_exitcode(status)

    def kill() -> None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

    children.add(n, poll, kill)


def mp_one(n: int, context, kernel, children: Children) -> None:
    process = context.Process(target=mp_child, args=(n, kernel), daemon=True)
    process.start()

    def poll():
        return process.exitcode

    def kill() -> None:
        process.kill()
        process.join()

    children.add(n, poll, kill)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("forks", nargs="?", type=int, default=100, help="children to fork (100)")
    parser.add_argument("--via", choices=("fork", "multiprocessing"), default="fork")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before a child is a hang (10)")
    parser.add_argument("--gap", type=float, default=0.005, help="seconds between two forks (0.005)")
    args = parser.parse_args(argv)
    # Forking a process that runs threads is what this program is about.
    warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*fork.*")

    with tempfile.TemporaryDirectory() as tmp:
        kernel = build_kernel(Path(tmp))
        reads = "Python and C++ reads" if kernel is not None else "Python reads only"
        print(
            f"fork_publish.py ({hp.backend_name()} backend, via {args.via}, {reads}): "
            f"{args.forks} children, timeout {args.timeout:g} s",
            flush=True,
        )
        stop = threading.Event()
        publications = [0]

        def publisher() -> None:
            generation = 0
            while not stop.is_set():
                generation += 1
                with hp.scope(**{"pub.g": generation}):
                    hp.scope.frozen()
                    if kernel is not None:
                        kernel.kernel_pub_g()
                publications[0] += 1

        started = time.monotonic()
        thread = threading.Thread(target=publisher, daemon=True)
        thread.start()
        children = Children(args.timeout)
        context = None
        if args.via == "multiprocessing":
            import multiprocessing

            context = multiprocessing.get_context("fork")
        try:
            while publications[0] == 0 and time.monotonic() - started < 10:
                time.sleep(0.001)  # the publisher is under way before the first fork
            for n in range(args.forks):
                if context is None:
                    fork_one(n, kernel, children)
                else:
                    mp_one(n, context, kernel, children)
                children.reap()
                time.sleep(args.gap)
            children.wait_all()
        finally:
            stop.set()
            thread.join(30)
    failed = children.hangs + children.mismatches + children.other
    print(
        f"  runs {children.runs}, hangs {children.hangs}, mismatches {children.mismatches}, "
        f"other failures {children.other}; publications {publications[0]}"
    )
    verdict = "FAILED" if failed or thread.is_alive() else "ok"
    print(f"fork_publish.py: {verdict} in {time.monotonic() - started:.1f} s", flush=True)
    return 1 if verdict == "FAILED" else 0


if __name__ == "__main__":
    sys.exit(main())

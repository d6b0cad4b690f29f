"""Concurrent stress of hp.scope across threads and asyncio tasks; bounded, it stops by itself.

    python tests/stress/stress.py [--ops N] [--task-ops N] [--threads 8] [--tasks 1000] [--seed 1]

Each of THREADS threads first runs OPS random operations of its own (enter a scope, exit one,
clear the innermost, set a key, read a key from Python, read it as native code does), then an
asyncio event loop running its share of TASKS tasks, each doing TASK_OPS such operations with
an ``await`` between every two, so the tasks' scopes interleave on one thread. Every read is
checked against a model of the thread's or the task's own scopes: all of them use the same
eight key names with values that name their writer, so a value seen across threads or tasks, a
stale read or a lost write is a mismatch. Meanwhile another thread republishes the frozen
baseline (base.a = g, base.b = 3g + 1, base.s = "gen-g"); readers must see the generations in
order and each one whole.

Prints the operation counts and exits 0 when no check failed. tests/stress/test_stress.py runs a
short version; see docs/errors.md ("Stress") for the long one.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import threading
import time

import hyperparameter as hp

KEYS = [f"s.k{i}" for i in range(8)]
MISSING = object()
MAX_DEPTH = 16

if hp.backend_name() == "native":
    from hyperparameter._backends.native import NativeBackend

    native_get = NativeBackend.native_get
    live_host_objects = NativeBackend.live_host_objects
else:
    native_get = None

    def live_host_objects() -> int:
        return 0


class Counts:
    FIELDS = ("enters", "exits", "clears", "sets", "reads", "native_reads", "misses", "baseline_reads")

    def __init__(self) -> None:
        for field in self.FIELDS:
            setattr(self, field, 0)
        self.errors: list[str] = []

    def add(self, other: Counts) -> None:
        for field in self.FIELDS:
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.errors += other.errors

    def total(self) -> int:
        return sum(getattr(self, f) for f in self.FIELDS if f not in ("misses", "native_reads"))


class Actor:
    """One thread or task: its random stream, its scopes, and the model of what it must see."""

    def __init__(self, name: str, rng: random.Random, counts: Counts, native_every: int) -> None:
        self.name = name
        self.rng = rng
        self.counts = counts
        self.native_every = native_every
        self.scopes: list = []
        self.frames: list[dict] = [{}]  # frames[0]: what the actor writes outside its own scopes
        self.serial = 0
        self.generation = -1

    def fail(self, what: str) -> None:
        if len(self.counts.errors) < 20:
            self.counts.errors.append(f"{self.name}: {what}")

    def expected(self, key: str):
        for frame in reversed(self.frames):
            if key in frame:
                return frame[key]
        return MISSING

    def value(self):
        self.serial += 1
        tag = f"{self.name}-{self.serial}"
        kind = self.rng.randrange(5)
        if kind == 0:
            return hash(tag) & 0xFFFFFFFF
        if kind == 1:
            return float(self.serial) + 0.5 + (hash(self.name) & 0xFFFF) * 1e6
        if kind == 2:
            return bool(self.serial & 1)
        if kind == 3:
            return tag
        return [tag]  # not a scalar: a host object for the engine

    def step(self) -> None:
        roll = self.rng.randrange(100)
        key = self.rng.choice(KEYS)
        if roll < 14 and len(self.scopes) < MAX_DEPTH:
            values = {key: self.value()} if self.rng.randrange(2) else {}
            scope = hp.scope(**values)
            scope.__enter__()
            self.scopes.append(scope)
            self.frames.append(dict(values))
            self.counts.enters += 1
        elif roll < 28 and self.scopes:
            self.scopes.pop().__exit__(None, None, None)
            self.frames.pop()
            self.counts.exits += 1
        elif roll < 31:
            hp.scope.clear()  # the innermost scope's own values (frames[0]: root or task scope)
            self.frames[-1].clear()
            self.counts.clears += 1
        elif roll < 58:
            value = self.value()
            if self.rng.randrange(2):
                hp.scope[key] = value
            else:
                hp.scope.current().set(key, value)
            self.frames[-1][key] = value
            self.counts.sets += 1
        elif roll < 95:
            self.read(key)
        else:
            self.read_baseline()

    def read(self, key: str) -> None:
        want = self.expected(key)
        self.counts.reads += 1
        self.counts.misses += want is MISSING
        got = hp.scope[key] | MISSING
        if not same(got, want):
            self.fail(f"read {key}: got {got!r}, want {want!r}")
        if native_get is not None and self.rng.randrange(self.native_every) == 0:
            self.counts.native_reads += 1
            try:
                native = native_get(key)
            except KeyError:
                native = MISSING
            if not same(native, want):
                self.fail(f"native read {key}: got {native!r}, want {want!r}")

    def read_baseline(self) -> None:
        # Two reads of base.a around the others: the generation never goes back, and when both
        # agree no publication finished in between, so b and s belong to that generation.
        self.counts.baseline_reads += 1
        a1 = hp.scope.base.a | -1
        b = hp.scope.base.b | -1
        s = hp.scope.base.s | ""
        a2 = hp.scope.base.a | -1
        if a1 < self.generation or a2 < a1:
            self.fail(f"baseline went back: {self.generation} {a1} {a2}")
        if a1 == a2 >= 0 and (b != 3 * a1 + 1 or s != f"gen-{a1}"):
            self.fail(f"baseline mixed or garbled: {a1} {b} {s!r}")
        if a1 == a2 == -1 and (b != -1 or s != ""):
            self.fail(f"baseline half there: {b} {s!r}")
        self.generation = a2

    def finish(self) -> None:
        while self.scopes:
            self.scopes.pop().__exit__(None, None, None)
            self.frames.pop()
            self.counts.exits += 1


def same(got, want) -> bool:
    if want is MISSING or got is MISSING:
        return got is want
    if isinstance(want, list):
        return got is want  # a host object comes back as the very object
    return type(got) is type(want) and got == want


def thread_main(index: int, args: argparse.Namespace, counts: Counts) -> None:
    rng = random.Random(args.seed * 1_000_003 + index)
    me = Actor(f"thread{index}", rng, counts, native_every=20)
    try:
        for _ in range(args.ops):
            me.step()
        me.finish()
        hp.scope.clear()  # the thread root: tasks start from an empty one
        me.frames[0].clear()
        for key in KEYS:
            me.read(key)
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        me.fail(f"unexpected {type(exc).__name__}: {exc}")
        return

    async def task(number: int) -> None:
        actor = Actor(f"t{index}.{number}", random.Random(rng.random()), counts, native_every=50)
        with hp.scope():  # the task's own outermost scope: its writes stay its own
            try:
                for _ in range(args.task_ops):
                    actor.step()
                    await asyncio.sleep(0)
                actor.finish()
            except Exception as exc:  # noqa: BLE001 - reported as a failed check
                actor.fail(f"unexpected {type(exc).__name__}: {exc}")
                while actor.scopes:
                    actor.scopes.pop().__exit__(None, None, None)

    async def loop() -> None:
        share = args.tasks // args.threads + (index < args.tasks % args.threads)
        await asyncio.gather(*(task(n) for n in range(share)))

    asyncio.run(loop())
    for key in KEYS:
        me.read(key)  # nothing the tasks wrote is left on the thread


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=20_000, help="operations of each thread (default 20,000)")
    parser.add_argument("--task-ops", type=int, default=40, help="operations of each task (default 40)")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--tasks", type=int, default=1000, help="asyncio tasks in all (default 1,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    live = live_host_objects()
    done = threading.Event()
    published = [0]

    def publisher() -> None:
        generation = 0
        while not done.is_set():
            values = {"base.a": generation, "base.b": 3 * generation + 1, "base.s": f"gen-{generation}"}
            with hp.scope(**values):
                hp.scope.frozen()
            generation += 1
            published[0] = generation
            time.sleep(0)

    counts = [Counts() for _ in range(args.threads)]
    started = time.perf_counter()
    publishing = threading.Thread(target=publisher)
    publishing.start()
    workers = [threading.Thread(target=thread_main, args=(i, args, counts[i])) for i in range(args.threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done.set()
    publishing.join()
    seconds = time.perf_counter() - started
    with hp.scope.empty():
        hp.scope.frozen()  # end with an empty baseline
    gc.collect()

    total = Counts()
    for c in counts:
        total.add(c)
    leaked = live_host_objects() - live
    if leaked:
        total.errors.append(f"the engine still holds {leaked} Python objects")
    ops = total.total()
    print(
        f"stress.py ({hp.backend_name()} backend): {args.threads} threads x {args.ops:,} ops and "
        f"{args.tasks:,} tasks x {args.task_ops:,} ops: {ops:,} ops in {seconds:.2f} s "
        f"({ops / seconds:,.0f} ops/s)"
    )
    print(
        "  "
        + ", ".join(f"{field.replace('_', ' ')} {getattr(total, field):,}" for field in Counts.FIELDS)
        + f"; baseline publications {published[0]:,}"
    )
    for error in total.errors:
        print(f"  FAILED {error}", file=sys.stderr)
    print(f"stress.py: {len(total.errors)} checks failed")
    return 0 if not total.errors else 1


if __name__ == "__main__":
    sys.exit(main())

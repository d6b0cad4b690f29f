"""Threads, asyncio tasks, processes (snapshots) and memory under repetition."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import multiprocessing
import os
import pickle
import threading
import time

import pytest

import hyperparameter as hp
from hyperparameter import ScopeOrderError

NATIVE = hp.backend_name() == "native"
native_only = pytest.mark.skipif(not NATIVE, reason="needs the native engine")

if NATIVE:
    from hyperparameter._backends.native import NativeBackend

    native_get = NativeBackend.native_get
    live_host_objects = NativeBackend.live_host_objects


def run_in_thread(func, *args):
    """``func(*args)`` in a new threading.Thread; its result, or its exception re-raised."""
    box: dict = {}

    def target():
        try:
            box["result"] = func(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def native_or_missing(key):
    try:
        return native_get(key)
    except KeyError:
        return "<missing>"


# --- threads --------------------------------------------------------------------------------


def test_two_threads_never_see_each_others_values():
    barrier = threading.Barrier(2)
    problems = []

    def worker(me, other):
        barrier.wait()
        for i in range(3000):
            with hp.scope(**{"who": me, f"only.{me}": i}):
                seen = hp.scope.who | None
                if seen != me or (hp.scope[f"only.{other}"] | None) is not None:
                    problems.append((me, i, seen))
                    return
                if NATIVE and i % 10 == 0 and native_get("who") != me:
                    problems.append((me, i, "native", native_get("who")))
                    return
            if (hp.scope.who | None) is not None:
                problems.append((me, i, "left over"))
                return

    threads = [
        threading.Thread(target=worker, args=("a", "b")),
        threading.Thread(target=worker, args=("b", "a")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []


def test_new_thread_sees_the_baseline_not_the_parents_live_scope(baseline):
    def read():
        return (hp.scope.foo.x | 1, hp.scope.live.only | "no")

    with hp.scope() as ps:
        ps.foo.x = 2
        ps.live.only = "yes"
        assert (hp.scope.foo.x | 1) == 2
        assert run_in_thread(read) == (1, "no")  # the seed example: foo.x=1 in the new thread
        if NATIVE:
            assert run_in_thread(native_or_missing, "foo.x") == "<missing>"


def test_frozen_is_seen_by_threads_started_after_it(baseline):
    def read():
        return hp.scope.cfg.seed | 0

    assert run_in_thread(read) == 0
    with hp.scope(**{"cfg.seed": 7}):
        hp.scope.frozen()
        with hp.scope(**{"cfg.seed": 8}):  # not published
            assert run_in_thread(read) == 7
    assert run_in_thread(read) == 7
    assert (hp.scope.cfg.seed | 0) == 7  # the baseline is under this thread's root too
    if NATIVE:
        assert run_in_thread(native_or_missing, "cfg.seed") == 7
    with hp.scope(**{"cfg.seed": 9}):
        hp.scope.frozen()  # republished
    assert run_in_thread(read) == 9
    if NATIVE:
        assert run_in_thread(native_or_missing, "cfg.seed") == 9


def test_frozen_baseline_is_under_the_new_threads_own_scopes(baseline):
    with hp.scope(**{"b.x": 1, "b.y": 1}):
        hp.scope.frozen()

    def work():
        with hp.scope(**{"b.y": 2}):
            inner = (hp.scope.b.x | 0, hp.scope.b.y | 0)
        return inner, (hp.scope.b.y | 0)

    assert run_in_thread(work) == ((1, 2), 1)


@native_only
def test_republished_baseline_is_never_mixed_nor_older(baseline):
    """Readers syncing with the engine while another thread republishes the baseline see the
    generations in order and each one whole (found by tests/stress: a reload could install a
    mix of two publications, or an older one over a newer)."""
    done = threading.Event()
    problems = []

    def publisher():
        generation = 0
        while not done.is_set():
            with hp.scope(**{"race.a": generation, "race.b": 3 * generation + 1}):
                hp.scope.frozen()
            generation += 1

    def reader():
        last = -1
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and not problems:
            with hp.scope(x=1):
                native_get("x")  # native code looks: the engine syncs, which reloads the baseline
                a1 = hp.scope.race.a | -1
                b = hp.scope.race.b | -1
                a2 = hp.scope.race.a | -1
            if a1 < last or a2 < a1:
                problems.append(("went back", last, a1, a2))
            if a1 == a2 >= 0 and b != 3 * a1 + 1:
                problems.append(("mixed", a1, b))
            last = a2

    publishing = threading.Thread(target=publisher)
    readers = [threading.Thread(target=reader) for _ in range(3)]
    publishing.start()
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    done.set()
    publishing.join()
    assert problems == []


def test_thread_pool_workers_start_from_the_baseline(baseline):
    with hp.scope(**{"pool.base": "frozen"}):
        hp.scope.frozen()

    def task(n):
        before = (hp.scope.pool.base | None, hp.scope.pool.n | None)
        with hp.scope(**{"pool.n": n}):
            during = hp.scope.pool.n | None
        return before, during

    with hp.scope(**{"pool.n": -1, "pool.base": "live"}):
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(task, range(40)))
    assert results == [(("frozen", None), n) for n in range(40)]


def test_each_thread_has_its_own_root():
    main_root = hp.scope.current()
    with hp.scope(a=1):
        other_root, other_view = run_in_thread(lambda: (hp.scope.current(), hp.scope.to_dict()))
    assert other_root is not main_root
    assert "thread root" in repr(other_root)
    assert other_view == {}


def test_exiting_a_scope_in_another_thread_is_refused():
    ps = hp.scope(a=1)
    ps.__enter__()
    try:
        with pytest.raises(ScopeOrderError) as info:
            run_in_thread(ps.__exit__, None, None, None)
        assert "thread" in str(info.value)
        assert hp.scope.current() is ps
        assert hp.scope.a() == 1
    finally:
        ps.__exit__(None, None, None)
    assert (hp.scope.a | 0) == 0


def test_many_threads_with_nested_scopes():
    def work(n):
        out = []
        with hp.scope(**{"n": n}):
            for depth in range(20):
                with hp.scope(**{"depth": depth}):
                    out.append((hp.scope.n | -1, hp.scope.depth | -1))
        return out == [(n, d) for d in range(20)] and (hp.scope.n | None) is None

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(200)))


# --- asyncio --------------------------------------------------------------------------------


def test_concurrent_tasks_are_isolated():
    async def task(n):
        seen = []
        with hp.scope(**{"task.id": n}):
            for _ in range(5):
                await asyncio.sleep(0)
                seen.append(hp.scope.task.id | None)
                with hp.scope(**{"task.inner": n}):
                    await asyncio.sleep(0)
                    seen.append(hp.scope.task.inner | None)
        await asyncio.sleep(0)
        seen.append(hp.scope.task.id | None)
        return seen

    async def main():
        return await asyncio.gather(*(asyncio.create_task(task(n)) for n in range(50)))

    results = asyncio.run(main())
    assert results == [[n] * 10 + [None] for n in range(50)]


def test_task_created_inside_a_scope_inherits_it():
    async def child():
        await asyncio.sleep(0)
        inherited = hp.scope.req.user | None
        with hp.scope(**{"req.user": "child"}):
            await asyncio.sleep(0)
            mine = hp.scope.req.user | None
        return inherited, mine

    async def main():
        with hp.scope(**{"req.user": "parent"}):
            task = asyncio.create_task(child())
            await asyncio.sleep(0)
            result = await task
            assert (hp.scope.req.user | None) == "parent"  # the child's scope did not leak
        return result

    assert asyncio.run(main()) == ("parent", "child")


def test_exiting_a_parents_scope_inside_a_task_is_refused():
    async def main():
        with hp.scope(x=1) as outer:

            async def child():
                outer.__exit__(None, None, None)

            with pytest.raises(ScopeOrderError):
                await asyncio.create_task(child())
            assert hp.scope.current() is outer
            assert hp.scope.x() == 1

    asyncio.run(main())


def test_request_level_isolation_in_a_server_loop():
    async def rerank(items):
        await asyncio.sleep(0)
        threshold = hp.scope.rerank.threshold | 0.8
        return [x for x in items if x >= threshold]

    async def handle(overrides, items):
        with hp.scope(**overrides):
            return await rerank(items)

    async def main():
        return await asyncio.gather(
            handle({"rerank.threshold": 0.5}, [0.4, 0.6, 0.9]),
            handle({}, [0.4, 0.6, 0.9]),
            handle({"rerank.threshold": "0.3"}, [0.4, 0.6, 0.9]),
        )

    assert asyncio.run(main()) == [[0.6, 0.9], [0.9], [0.4, 0.6, 0.9]]


@native_only
def test_native_reads_follow_the_running_task():
    log = []

    async def task_a():
        with hp.scope(who="A"):
            log.append(native_or_missing("who"))
            await asyncio.sleep(0.01)  # task B enters its scope and native code reads it
            log.append((hp.scope.who | None, native_or_missing("who")))
            await asyncio.sleep(0.02)

    async def task_b():
        await asyncio.sleep(0.005)
        with hp.scope(who="B"):
            log.append(native_or_missing("who"))
            await asyncio.sleep(0.02)

    async def main():
        await asyncio.gather(task_a(), task_b())

    asyncio.run(main())
    assert log == ["A", "B", ("A", "A")]


# --- processes: snapshots -------------------------------------------------------------------


def read_in_worker(snapshot_bytes):
    """Runs in a worker process: what it sees without and with the snapshot entered."""
    import hyperparameter as hp_worker

    before = hp_worker.scope.train.lr | None
    with pickle.loads(snapshot_bytes):
        inside = (
            hp_worker.scope.train.lr | None,
            hp_worker.scope.train.tags | None,
            hp_worker.scope.seed | None,
            hp_worker.scope["模型.层"] | None,
        )
        native = None
        if hp_worker.backend_name() == "native":
            from hyperparameter._backends.native import NativeBackend as Worker

            native = Worker.native_get("train.lr")
    return os.getpid(), before, inside, native


def enter_snapshot_in_worker(snapshot):
    """Runs in a worker process: the snapshot arrives pickled as an argument."""
    import hyperparameter as hp_worker

    with snapshot:
        return hp_worker.scope.train.lr | None


def test_snapshot_pickles_and_restores_in_a_worker_process():
    with hp.scope(**{"train.lr": 0.1, "train.tags": ["a", "b"], "模型.层": 3}):
        with hp.scope(seed=7):
            snap = hp.scope.current().snapshot()
    data = pickle.dumps(snap)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pid, before, inside, native = pool.submit(read_in_worker, data).result(timeout=120)
        direct = pool.submit(enter_snapshot_in_worker, snap).result(timeout=120)
    assert pid != os.getpid()
    assert before is None  # a spawned worker starts empty: the values came in the snapshot
    assert inside == (0.1, ["a", "b"], 7, 3)
    if NATIVE:
        assert native == 0.1  # and native code in the worker reads them too
    assert direct == 0.1


# --- memory ---------------------------------------------------------------------------------


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_enter_exit_cycles_do_not_leak():
    def cycle(n):
        for i in range(n):
            # ~1 kB of list per cycle: 20,000 leaked cycles would be ~20 MB.
            with hp.scope(**{"mem.v": [i] * 100}) as ps:
                ps.mem.w = [i] * 20
                assert hp.scope.mem.v()[0] == i
                if NATIVE and i % 100 == 0:
                    assert native_get("mem.w") == [i] * 20

    cycle(2000)  # warm up caches and allocator pools
    gc.collect()
    live = live_host_objects() if NATIVE else 0
    rss = _rss_bytes()
    cycle(20_000)
    gc.collect()
    if NATIVE:
        assert live_host_objects() == live
    grown = _rss_bytes() - rss
    assert grown < 4 * 1024 * 1024, f"RSS grew by {grown / 1e6:.1f} MB over 20,000 scopes"

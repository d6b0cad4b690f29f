"""Scopes stay right when code leaves the plain ``with`` path: generators that are abandoned
or resumed on another thread, writes to a parent scope that has exited while a child still
builds on it, and ``@hp.param`` calls racing a republished baseline.

Tests that can leave a scope current when they fail run in a fresh thread (its own context),
with a timeout, so a failure never leaks into the next test.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import sys
import threading
import time

from fresh_thread import in_fresh_thread

import hyperparameter as hp

# --- generators -------------------------------------------------------------------------------


def test_abandoned_generator_scope_is_gone_when_the_other_scope_exits():
    def body() -> list:
        def gen():
            with hp.scope(**{"gen.v": 1}):
                yield hp.scope.gen.v | 0
                yield hp.scope.gen.v | 0

        g = gen()
        steps = [next(g)]
        with hp.scope(**{"other.x": 1}):
            del g
            gc.collect()  # closed while the other scope is current
        steps.append(hp.scope.gen.v | 0)
        with hp.scope(**{"other.y": 1}):
            steps.append(hp.scope.gen.v | 0)
        steps.append(hp.scope.gen.v | 0)
        steps.append(hp.scope.current().to_dict())
        return steps

    assert in_fresh_thread(body) == [1, 0, 0, 0, {}]


def test_generator_finished_on_another_thread_leaves_no_values():
    def gen():
        with hp.scope(**{"gen.v": 2}):
            yield hp.scope.gen.v | 0
        yield hp.scope.gen.v | 0

    def thread_a() -> list:
        g = gen()
        steps = [next(g), hp.scope.gen.v | 0]  # started on A: its with is open here
        # Resumed and finished on B: the with exits there, without an error.
        steps.append(in_fresh_thread(lambda: [next(g), hp.scope.gen.v | 0, next(g, "done")]))
        steps.append(hp.scope.gen.v | 0)
        with hp.scope(**{"x.y": 1}):
            steps.append(hp.scope.gen.v | 0)
        steps.append(hp.scope.gen.v | 0)
        steps.append(hp.scope.current().to_dict())
        return steps

    assert in_fresh_thread(thread_a) == [2, 2, [0, 0, "done"], 0, 0, 0, {}]


# --- a write to an exited parent that a live child still builds on ---------------------------


def test_write_to_an_exited_parent_reaches_the_child_task_still_built_on_it():
    async def main() -> list:
        ready, go = asyncio.Event(), asyncio.Event()

        async def child() -> list:
            with hp.scope(b=2):
                before = (hp.scope.a | 0, hp.scope.b | 0)
                ready.set()
                await go.wait()
                return [before, (hp.scope.a | 0, hp.scope.b | 0)]

        with hp.scope(a=1) as ps:
            task = asyncio.create_task(child())
            await ready.wait()
        ps.a = 5  # ps is not entered: the write goes to ps itself, which the child builds on
        after = (hp.scope.a | 0, ps.a | 0)
        go.set()
        return [*await task, after]

    assert in_fresh_thread(lambda: asyncio.run(main())) == [(1, 2), (5, 2), (0, 5)]


def test_write_to_an_exited_parent_reaches_the_child_thread_still_built_on_it():
    ready, go = threading.Event(), threading.Event()
    seen: list = []

    def child() -> None:
        with hp.scope(b=2):
            seen.append((hp.scope.a | 0, hp.scope.b | 0))
            ready.set()
            go.wait(20)
            seen.append((hp.scope.a | 0, hp.scope.b | 0))

    with hp.scope(a=1) as ps:
        thread = threading.Thread(target=contextvars.copy_context().run, args=(child,), daemon=True)
        thread.start()
        assert ready.wait(20)
    ps.a = 5
    assert hp.scope.a | 0 == 0
    go.set()
    thread.join(20)
    assert not thread.is_alive()
    assert seen == [(1, 2), (5, 2)]


# --- @hp.param against a republished baseline -----------------------------------------------


def test_param_call_never_mixes_two_baseline_publications(baseline):
    """Every call resolves its parameters from one publication: x == y == z, never a mix.

    The calls run outside any scope and inside a request scope that sets none of the keys
    (a server's per-request overrides): both read x, y and z from the baseline, and the
    request scopes make every call resolve anew, while another thread republishes.
    """

    @hp.param("torn")
    def f(x=0, y=0, z=0):
        return x, y, z

    with hp.scope(**{"torn.x": 2, "torn.y": 2, "torn.z": 2}):
        hp.scope.frozen()
    assert f() == (2, 2, 2)
    stop = threading.Event()
    publications = [0]

    def publisher() -> None:
        value = 1
        while not stop.is_set():
            with hp.scope(**{"torn.x": value, "torn.y": value, "torn.z": value}):
                hp.scope.frozen()
            publications[0] += 1
            value = 3 - value

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # switch threads often, so a publication can land mid-call
    thread = threading.Thread(target=publisher, daemon=True)
    thread.start()
    mixed: list = []
    calls = 0
    deadline = time.monotonic() + 2.0
    try:
        while time.monotonic() < deadline and len(mixed) < 5:
            for i in range(100):
                with hp.scope(**{"request.id": i}):
                    in_request = f()
                outside = f()
                mixed += [got for got in (in_request, outside) if not got[0] == got[1] == got[2]]
            calls += 200
    finally:
        stop.set()
        thread.join(20)
        sys.setswitchinterval(switch_interval)
    assert not thread.is_alive()
    assert mixed == [], f"{len(mixed)} of {calls} calls mixed two publications, e.g. {mixed[:3]}"
    assert publications[0] > 10 and calls > 1000, (publications, calls)
    assert f() in ((1, 1, 1), (2, 2, 2))


# --- bad input at the scope's edges -------------------------------------------------------------


def test_membership_and_source_refuse_invalid_keys():
    # A deliberate departure from Mapping: a typo in a key is an error, not "not set".
    with hp.scope(**{"a.b": 1}) as ps:
        for probe in (lambda: "a..b" in ps, lambda: ps.source("a b"), lambda: "a..b" in hp.scope):
            try:
                probe()
            except hp.InvalidKeyError as exc:
                assert "invalid key" in str(exc)
            else:
                raise AssertionError("an invalid key was accepted")
        assert "a.b" in ps and "a.c" not in ps
        assert 3 not in ps  # not a key at all


def test_snapshot_keeps_source_labels_through_pickle():
    import pickle

    with hp.scope() as ps:
        ps.set("train.lr", 0.1, source="base.yaml:train.lr")
        ps.set("train.bs", 64)
        snap = ps.snapshot()
    restored = pickle.loads(pickle.dumps(snap))
    for copy in (snap, restored):
        with copy as entered:
            assert entered.source("train.lr") == "base.yaml:train.lr"
            assert entered.source("train.bs") is None
            assert hp.scope.train.lr | 0.0 == 0.1


def test_unpickling_a_snapshot_checks_its_keys():
    import pickle

    from hyperparameter import _scope

    forged = pickle.dumps(_scope.Scope(**{"ok.key": 1}))
    forged = forged.replace(b"ok.key", b"ok..ey")
    try:
        pickle.loads(forged)
    except hp.InvalidKeyError as exc:
        assert "ok..ey" in str(exc)
    else:
        raise AssertionError("a snapshot with an invalid key was loaded")


def test_cyclic_dict_value_names_its_key():
    value: dict = {"x": 1}
    value["self"] = value
    try:
        hp.scope(model={"cfg": value})
    except ValueError as exc:
        assert "model.cfg.self" in str(exc) and "contains itself" in str(exc)
    else:
        raise AssertionError("a cyclic dict was accepted")
    assert hp.scope.current().to_dict() == {}


def test_very_deep_dict_value_is_a_key_error_not_a_recursion_error():
    deep: dict = {"leaf": 1}
    for _ in range(5000):
        deep = {"a": deep}
    try:
        hp.scope(deep=deep)
    except hp.InvalidKeyError as exc:
        assert "deep.a.a.a" in str(exc)
    else:
        raise AssertionError("a 5,000-deep key was accepted")


def test_referenced_keys_are_bounded_and_then_warn_no_more(monkeypatch, capsys):
    from hyperparameter import _scope
    from hyperparameter._cli import report

    keys = _scope.KeysRead()
    monkeypatch.setattr(keys, "LIMIT", 100)
    monkeypatch.setattr(_scope, "referenced_keys", keys)
    for i in range(150):
        hp.scope[f"many.k{i}"] | 0
    assert len(keys) == 100 and keys.full
    assert "never.read.key" in keys  # past the bound, no key is claimed unread
    report.warn_unread(["never.read.key"], lambda: None)
    err = capsys.readouterr().err
    assert "more than 100 distinct keys" in err and "not reported" in err
    assert "nothing read it" not in err


def test_request_scoped_param_functions_are_not_kept_alive():
    import weakref

    from hyperparameter._param import registry

    alive = []

    def request(i: int) -> int:
        payload = bytearray(100_000)

        @hp.param(f"req{i}")
        def handler(x=1):
            return len(payload) + x

        alive.append(weakref.ref(handler))
        with hp.scope(**{f"req{i}.x": 2}):
            handler()
        return handler()  # cached in the thread root's injectors

    for i in range(200):
        request(i)
    gc.collect()
    assert sum(ref() is not None for ref in alive) == 0
    assert not any(key.startswith("req") for key in registry)


def test_a_long_lived_scope_keeps_no_request_functions_alive():
    # A scope notes the @hp.param functions that cache its values (so its exit drops those
    # caches) by weak references, and drops the references of functions that are gone.
    import weakref

    alive = []
    with hp.scope(**{"serve.port": 80}) as ps:
        for i in range(300):

            @hp.param(f"served{i}")
            def handler(x=1, port=0):
                return x, port

            alive.append(weakref.ref(handler))
            assert handler() == (1, 0)
            with hp.scope(**{f"served{i}.x": 2}):
                assert handler() == (2, 0)
            del handler
            if i % 10 == 0:
                gc.collect()
        gc.collect()
        assert sum(ref() is not None for ref in alive) == 0
        assert len(ps._hp_node.injectors) <= 64
    assert hp.scope.current()._hp_node.injectors is None  # a thread root notes nothing


def test_exit_that_is_unusual_in_every_way_at_once():
    # An empty() scope, holding an @hp.param cache, returning to a scope retired meanwhile.
    @hp.param("odd")
    def f(x=0):
        return x

    def body() -> list:
        seen = []

        def gen():
            with hp.scope(**{"odd.x": 1}):
                yield

        g = gen()
        next(g)  # the generator's scope is current now
        with hp.scope.empty(**{"odd.x": 2}):
            seen.append(f())
            g.close()  # retires the scope below the empty one
            seen.append(f())
        seen.append(f())
        seen.append(hp.scope.odd.x | 0)
        return seen

    assert in_fresh_thread(body) == [2, 2, 0, 0]


def test_snapshots_pickled_by_earlier_versions_still_load():
    import pickle

    made_before_source_labels = (
        b"\x80\x02chyperparameter._scope\n_restore\nq\x00]q\x01(X\n\x00\x00\x00model.nameq\x02"
        b"X\x06\x00\x00\x00resnetq\x03\x86q\x04X\x08\x00\x00\x00train.lrq\x05G?\xb9\x99\x99\x99"
        b"\x99\x99\x9a\x86q\x06e\x85q\x07Rq\x08."
    )
    with_source_labels = (
        b"\x80\x02chyperparameter._scope\n_restore\nq\x00]q\x01(X\n\x00\x00\x00model.nameq\x02"
        b"X\x06\x00\x00\x00resnetq\x03\x86q\x04X\x08\x00\x00\x00train.lrq\x05G?\xb9\x99\x99\x99"
        b"\x99\x99\x9a\x86q\x06e}q\x07\x86q\x08Rq\t."
    )
    for made in (made_before_source_labels, with_source_labels):
        with pickle.loads(made) as ps:
            assert ps.to_dict() == {"model.name": "resnet", "train.lr": 0.1}
            assert hp.scope.train.lr | 0.0 == 0.1

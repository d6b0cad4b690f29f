"""@hp.param (and the legacy @auto_param): keyword defaults injected from the current scope."""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading

import pytest

import hyperparameter as hp
from hyperparameter import ConversionError, auto_param, param_scope

# --- the three spellings, on functions ------------------------------------------------------


def test_named_namespace():
    @hp.param("train")
    def train(lr=1e-3, batch_size=32, epochs=10):
        return lr, batch_size, epochs

    assert train() == (1e-3, 32, 10)
    with hp.scope(**{"train.lr": 5e-4, "train.batch_size": 64}):
        assert train() == (5e-4, 64, 10)
    assert train(lr=1e-2) == (1e-2, 32, 10)
    assert train() == (1e-3, 32, 10)


def test_reserved_parameter_names_are_refused_at_decoration():
    with pytest.raises(TypeError, match="_hp_v"):

        @hp.param("ns")
        def f(_hp_v=1):
            return _hp_v


def test_functions_named_like_the_wrapper_internals_work():
    @hp.param("ns")
    def _hp_slow(wrapper=1, slow=2):
        return wrapper, slow

    with hp.scope(**{"ns.wrapper": 3}):
        assert _hp_slow() == (3, 2)
        assert _hp_slow(slow=5) == (3, 5)


def test_bare_decorator_uses_the_function_name():
    @hp.param
    def inference(x, backend="tvm"):
        return x, backend

    assert inference(1) == (1, "tvm")
    with hp.scope(**{"inference.backend": "onnx"}):
        assert inference(1) == (1, "onnx")
    with hp.scope(backend="onnx"):  # not under the namespace: not injected
        assert inference(1) == (1, "tvm")


def test_empty_call_uses_the_function_name():
    @hp.param()
    def dnn(inputs, layers=3, activation="relu"):
        return inputs, layers, activation

    assert dnn("x") == ("x", 3, "relu")
    with hp.scope("dnn.layers=4", "dnn.activation=sigmoid"):
        assert dnn("x") == ("x", 4, "sigmoid")


def test_dotted_namespace():
    @hp.param("model.encoder")
    def encoder(depth=2):
        return depth

    with hp.scope(model={"encoder": {"depth": 6}}):
        assert encoder() == 6


def test_bad_namespace_argument():
    with pytest.raises(TypeError, match="namespace"):
        hp.param(42)
    with pytest.raises(hp.InvalidKeyError, match="a b"):

        @hp.param("a b")
        def f(x=1):
            return x


# --- methods and classes --------------------------------------------------------------------


def test_methods():
    class Runner:
        def __init__(self, tag):
            self.tag = tag

        @hp.param("runner")
        def run(self, steps=10, *, verbose=False):
            return self.tag, steps, verbose

    r = Runner("a")
    assert r.run() == ("a", 10, False)
    with hp.scope(**{"runner.steps": 20, "runner.verbose": True}):
        assert r.run() == ("a", 20, True)
        assert r.run(5) == ("a", 5, True)
        assert Runner.run(r) == ("a", 20, True)


def test_classes_get_init_defaults_injected():
    @hp.param("Model")
    class Model:
        """A model."""

        def __init__(self, hidden=256, dropout=0.1):
            self.hidden, self.dropout = hidden, dropout

    m = Model()
    assert (m.hidden, m.dropout) == (256, 0.1)
    with hp.scope(**{"Model.hidden": 512}):
        m = Model()
        assert (m.hidden, m.dropout) == (512, 0.1)
        m = Model(128)
        assert m.hidden == 128
    assert isinstance(m, Model)
    assert Model.__name__ == "Model" and Model.__doc__ == "A model."


def test_bare_decorator_on_a_class_uses_the_class_name():
    @hp.param
    class Optimizer:
        def __init__(self, name="sgd", momentum=0.0):
            self.name, self.momentum = name, momentum

    with hp.scope(Optimizer={"name": "adam", "momentum": "0.9"}):
        opt = Optimizer()
    assert (opt.name, opt.momentum) == ("adam", 0.9)


# --- resolution order -----------------------------------------------------------------------


def test_resolution_order(baseline):
    @hp.param("r")
    def f(a=0, b=0, c=0, d=0, e=0):
        return a, b, c, d, e

    with hp.scope(**{"r.a": 4, "r.b": 4, "r.c": 4, "r.d": 4}):
        hp.scope.frozen()  # baseline: a..d = 4
    assert f() == (4, 4, 4, 4, 0)
    with hp.scope(**{"r.a": 3, "r.b": 3, "r.c": 3}):  # outer
        assert f() == (3, 3, 3, 4, 0)
        with hp.scope(**{"r.a": 2, "r.b": 2}):  # innermost
            assert f() == (2, 2, 3, 4, 0)
            assert f(a=1) == (1, 2, 3, 4, 0)  # explicit
            assert f(1) == (1, 2, 3, 4, 0)
        assert f() == (3, 3, 3, 4, 0)
    assert f() == (4, 4, 4, 4, 0)


def test_positional_explicit_arguments_are_not_overridden():
    @hp.param("p")
    def f(a=1, b=2, c=3):
        return a, b, c

    with hp.scope(**{"p.a": 10, "p.b": 20, "p.c": 30}):
        assert f() == (10, 20, 30)
        assert f(1) == (1, 20, 30)
        assert f(1, 2) == (1, 2, 30)
        assert f(1, 2, 3) == (1, 2, 3)
        assert f(1, c=3) == (1, 20, 3)
        assert f(b=None) == (10, None, 30)  # an explicit None is an argument too


def test_keyword_only_and_star_args():
    @hp.param("k")
    def f(x, *args, scale=1.0, shift=0, **kwargs):
        return x, args, scale, shift, kwargs

    with hp.scope(**{"k.scale": 2.0, "k.x": "ignored", "k.args": "ignored"}):
        assert f(1) == (1, (), 2.0, 0, {})
        assert f(1, 2, 3, shift=5, extra=True) == (1, (2, 3), 2.0, 5, {"extra": True})


def test_injectable_before_star_args_and_keyword_only():
    @hp.param("t")
    def f(x, lr=0.1, *rest, k=2, **kw):
        return x, lr, rest, k, kw

    with hp.scope(**{"t.lr": 0.5, "t.k": 7}):
        for _ in range(3):  # fills the cache, makes the bound copy, calls it
            assert f(1) == (1, 0.5, (), 7, {})
            assert f(1, 2, 3) == (1, 2, (3,), 7, {})
            assert f(1, k=3, z=1) == (1, 0.5, (), 3, {"z": 1})
            assert f(x=4) == (4, 0.5, (), 7, {})
    assert f(1) == (1, 0.1, (), 2, {})


def test_unset_defaults_arrive_as_the_same_objects():
    shared: list = []

    @hp.param("m")
    def f(items=shared, other=None):
        return items

    with hp.scope(**{"m.other": 1}):
        assert f() is shared and f() is shared
    replacement = [1]
    with hp.scope(**{"m.items": replacement}):
        assert f() is replacement


def test_decorating_a_wrapper_that_reports_another_signature():
    def logged(func):
        @functools.wraps(func)  # its own code takes *args, **kwargs
        def inner(*args, **kwargs):
            return ("logged", func(*args, **kwargs))

        return inner

    @hp.param("w")
    @logged
    def f(a, b=1):
        return a, b

    with hp.scope(**{"w.b": 5}):
        assert f(0) == ("logged", (0, 5)) == f(0)
        assert f(0, 2) == ("logged", (0, 2))


def test_methods_using_super_and_recursion():
    class Base:
        def __init__(self, size=1):
            self.size = size

    @hp.param("Net")
    class Net(Base):
        def __init__(self, width=8, depth=2):
            super().__init__(size=width * depth)
            self.width = width

    @hp.param("fact")
    def fact(n, stop=1):
        return stop if n <= stop else n * fact(n - 1)

    with hp.scope(**{"Net.width": 4, "fact.stop": 2}):
        for _ in range(3):
            net = Net()
            assert (net.width, net.size) == (4, 8)
            assert fact(4) == 4 * 3 * 2
    assert Net().size == 16 and fact(4) == 24


def test_parameters_without_default_are_never_injected():
    @hp.param("n")
    def f(required, optional=1):
        return required, optional

    with hp.scope(**{"n.required": 99}):
        with pytest.raises(TypeError, match="required"):
            f()
        assert f(0) == (0, 1)


def test_call_errors_are_those_of_the_original_function():
    @hp.param("e")
    def f(a, b=1):
        return a, b

    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        f(1, z=3)
    with pytest.raises(TypeError, match="multiple values"):
        f(1, a=2)


# --- conversion -----------------------------------------------------------------------------


def test_values_convert_to_the_default_type():
    @hp.param("train")
    def train(batch_size=32, lr=0.1, amp=False, name="run", tags=None):
        return batch_size, lr, amp, name, tags

    with hp.scope(
        **{
            "train.batch_size": "64",
            "train.lr": "5e-4",
            "train.amp": "yes",
            "train.name": 7,
            "train.tags": "a,b",
        }
    ):
        result = train()
    assert result == (64, 5e-4, True, "7", "a,b")
    assert [type(v) for v in result] == [int, float, bool, str, str]


def test_unconvertible_value_raises_naming_key_value_and_type():
    @hp.param("train")
    def train(batch_size=32):
        return batch_size

    with hp.scope(**{"train.batch_size": "3.5"}):
        with pytest.raises(ConversionError) as info:
            train()
    message = str(info.value)
    assert "train.batch_size" in message and "3.5" in message and "int" in message
    # An explicit argument is not looked up, so nothing needs converting.
    with hp.scope(**{"train.batch_size": "3.5"}):
        assert train(batch_size=8) == 8


def test_unconvertible_value_fails_on_every_call_that_uses_it():
    @hp.param("opt")
    def f(lr=0.1, steps=10, *, name="x"):
        return lr, steps, name

    with hp.scope(**{"opt.lr": "fast", "opt.steps": "many", "opt.name": 3}):
        for _ in range(3):  # the resolved values are cached: the error must stay
            with pytest.raises(ConversionError, match=r"opt\.lr.*fast.*float"):
                f()
        with pytest.raises(ConversionError, match=r"opt\.steps.*many.*int"):
            f(0.5)
        assert f(0.5, 20) == (0.5, 20, "3")
        assert f(lr=0.5, steps=1, name="y") == (0.5, 1, "y")
    assert f() == (0.1, 10, "x")


def test_unconvertible_value_in_an_async_function():
    @hp.param("opt")
    async def f(lr=0.1):
        return lr

    async def main():
        with hp.scope(**{"opt.lr": "fast"}):
            with pytest.raises(ConversionError, match=r"opt\.lr"):
                await f()
            return await f(lr=0.2)

    assert asyncio.run(main()) == 0.2


# --- wraps-clean ----------------------------------------------------------------------------


def test_wrapper_keeps_name_doc_signature():
    def original(x, y: int = 2, *, z: str = "s") -> tuple:
        """Docstring of original."""
        return x, y, z

    wrapped = hp.param("w")(original)
    assert wrapped.__name__ == "original"
    assert wrapped.__qualname__ == original.__qualname__
    assert wrapped.__doc__ == "Docstring of original."
    assert wrapped.__module__ == original.__module__
    assert inspect.signature(wrapped) == inspect.signature(original)
    assert wrapped.__wrapped__ is original
    assert wrapped(1) == (1, 2, "s")


def test_class_signature_is_kept():
    class C:
        def __init__(self, a, b=1):
            pass

    expected = inspect.signature(C)
    assert inspect.signature(hp.param("C")(C)) == expected


def test_composes_with_other_decorators():
    def twice(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            return 2 * func(*args, **kwargs)

        return inner

    @twice
    @hp.param("c")
    def f(v=1):
        return v

    with hp.scope(**{"c.v": 5}):
        assert f() == 10


# --- async ----------------------------------------------------------------------------------


def test_async_functions_resolve_in_the_task_scope():
    @hp.param("job")
    async def job(name="none", delay=0):
        await asyncio.sleep(0)
        return name, hp.scope.job.name | "none"

    assert inspect.iscoroutinefunction(job)

    async def run(name):
        with hp.scope(**{"job.name": name}):
            await asyncio.sleep(0)
            return await job()

    async def main():
        return await asyncio.gather(*(run(f"t{i}") for i in range(20)))

    assert asyncio.run(main()) == [(f"t{i}", f"t{i}") for i in range(20)]
    assert asyncio.run(job()) == ("none", "none")


def test_async_task_created_in_a_scope_resolves_there():
    @hp.param("job")
    async def job(name="none"):
        return name

    async def main():
        with hp.scope(**{"job.name": "inherited"}):
            task = asyncio.ensure_future(job())
        return await task

    assert asyncio.run(main()) == "inherited"


# --- legacy names ---------------------------------------------------------------------------


def test_legacy_names_are_the_same_objects():
    assert param_scope is hp.scope
    assert auto_param is hp.param


def test_auto_param_forms_behave_identically():
    @auto_param
    def bare(a=1):
        return a

    @auto_param()
    def called(a=1):
        return a

    @auto_param("ns")
    def named(a=1):
        return a

    @auto_param("Legacy")
    class Legacy:
        def __init__(self, a=1):
            self.a = a

    with param_scope(**{"bare.a": 2, "called.a": 3, "ns.a": 4, "Legacy.a": "5"}):
        assert (bare(), called(), named(), Legacy().a) == (2, 3, 4, 5)
        assert param_scope.ns.a | 0 == 4
    with param_scope() as ps:
        ps.ns.a = 9
        assert named() == 9
    assert (bare(), called(), named(), Legacy().a) == (1, 1, 1, 1)


# --- the cache notices every kind of change -------------------------------------------------


def test_injection_sees_every_kind_of_change(baseline):
    @hp.param("cache")
    def f(v=0):
        return v

    assert f() == 0
    with hp.scope(**{"cache.v": 1}) as ps:
        assert f() == 1
        ps.cache.v = 2  # attribute write
        assert f() == 2
        ps["cache.v"] = 3  # item write
        assert f() == 3
        hp.scope.cache.v = 4  # class-level write
        assert f() == 4
        ps.set("cache.v", 5, source="code")
        assert f() == 5
        ps.update({"cache": {"v": 6}})
        assert f() == 6
        with hp.scope():  # entering (inherits)
            assert f() == 6
            hp.scope["cache.v"] = 7
            assert f() == 7
        assert f() == 6  # exiting
        with hp.scope.empty():
            assert f() == 0
        ps.clear()
        assert f() == 0
        ps.cache.v = 8
        hp.scope.frozen()  # publishes 8 as the baseline
        ps.clear()
        assert f() == 8
    assert f() == 8
    with hp.scope.empty():
        hp.scope.frozen()
    assert f() == 0


def test_injection_sees_init_in_a_new_thread():
    @hp.param("th")
    def f(v=0):
        return v

    out = []

    def worker():
        out.append(f())
        hp.scope.init({"th.v": 3})
        out.append(f())

    with hp.scope(**{"th.v": 1}):
        assert f() == 1
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert f() == 1
    assert out == [0, 3]


def test_same_function_in_two_threads_with_different_scopes():
    @hp.param("two")
    def f(v=0):
        return v

    barrier = threading.Barrier(2)
    errors = []

    def worker(n):
        with hp.scope(**{"two.v": n}):
            barrier.wait()
            for _ in range(2000):
                if f() != n:
                    errors.append(n)
                    break

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

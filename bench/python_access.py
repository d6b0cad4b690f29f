"""Python access costs, in ns per operation, measured in one process with one timing loop.

Run by hand: ``python bench/python_access.py`` (``HYPERPARAMETER_BACKEND=python`` for the
pure-Python backend). Ratios are to a plain dict ``get`` and a plain function call measured in
the same run, the floors the targets are stated against.
"""

from __future__ import annotations

import timeit
from contextvars import ContextVar

import hyperparameter as hp

NUMBER = 20_000
ROUNDS = 60


def best_ns(statements: list[str], env: dict) -> dict[str, float]:
    """The best time of each statement, in ns, over rounds that take every statement in turn.

    Interleaving spreads a noisy machine's slow spells over every row alike, so the ratios
    stay meaningful when the absolute numbers wobble.
    """
    timers = {stmt: timeit.Timer(stmt, globals=env) for stmt in statements}
    best = dict.fromkeys(statements, float("inf"))
    for _ in range(ROUNDS):
        for stmt, timer in timers.items():
            best[stmt] = min(best[stmt], timer.timeit(NUMBER) / NUMBER * 1e9)
    return best


@hp.param("train")
def injected(lr=0.001, batch_size=32, epochs=10):
    return lr


def plain(lr=0.001, batch_size=32, epochs=10):
    return lr


# What pure Python itself costs for the same shapes, so each number has its floor beside it.
class Hooked:
    """A class with __getattr__ (CPython does not specialise attribute reads on it)."""

    def __getattr__(self, name: str) -> Hooked:
        raise AttributeError(name)

    def __or__(self, default: object) -> object:
        return default


class NoOp:
    """A context manager that takes keyword values and does nothing."""

    def __init__(self, **values: object) -> None:
        self.values = values

    def __enter__(self) -> NoOp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


_current: ContextVar = ContextVar("bench.current", default=None)


class NoOpContextVar(NoOp):
    """The same, setting and resetting a ContextVar as a scope must (asyncio isolation)."""

    def __enter__(self) -> NoOpContextVar:
        self.token = _current.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        _current.reset(self.token)


def forwarding(lr=0.001, batch_size=32, epochs=10):
    """A wrapper that only passes its arguments on: the cost of a second Python frame."""
    return plain(lr, batch_size, epochs)


def hooked_chain() -> Hooked:
    chain = Hooked()
    chain.__dict__["a"] = chain
    return chain


def main() -> None:
    table = {"model.layers._0.size": 20}
    values = {"model.layers._0.size": 20, "model.layers.0.size": 20, "train.lr": 0.01}
    with hp.scope(**values) as ps:
        env = {"hp": hp, "ps": ps, "table": table, "injected": injected, "plain": plain}
        env.update(hooked=hooked_chain(), NoOp=NoOp, NoOpContextVar=NoOpContextVar, forwarding=forwarding)
        rows = [
            ("dict.get (floor)", "table.get('model.layers._0.size', 10)", "dict"),
            ("plain 3-kw call (floor)", "plain()", "call"),
            ("hp.scope.model.layers._0.size | 10", "hp.scope.model.layers._0.size | 10", "dict"),
            ("ps.model.layers._0.size | 10", "ps.model.layers._0.size | 10", "dict"),
            ('hp.scope["model.layers.0.size"] | 10', 'hp.scope["model.layers.0.size"] | 10', "dict"),
            ('ps["model.layers.0.size"] | 10', 'ps["model.layers.0.size"] | 10', "dict"),
            ("@hp.param 3-kw call in a scope", "injected()", "call"),
            ('with hp.scope(**{"a.b": 1}): pass', 'with hp.scope(**{"a.b": 1}): pass', "dict"),
            ("with hp.scope(...): injected()", 'with hp.scope(**{"train.lr": 0.5}): injected()', "dict"),
            ("floor: 4 hops + | on a __getattr__ class", "hooked.a.a.a.a | 10", "dict"),
            ('floor: with NoOp(**{"a.b": 1}): pass', 'with NoOp(**{"a.b": 1}): pass', "dict"),
            ("floor: the same + ContextVar set/reset", 'with NoOpContextVar(**{"a.b": 1}): pass', "dict"),
            ("floor: a forwarding wrapper", "forwarding()", "call"),
        ]
        times = best_ns([stmt for _, stmt, _ in rows], env)
        results = {name: times[stmt] for name, stmt, _ in rows}
    floors = {"dict": results["dict.get (floor)"], "call": results["plain 3-kw call (floor)"]}
    print(f"backend: {hp.backend_name()}  (best of {ROUNDS} interleaved rounds x {NUMBER:,} loops)")
    print(f"{'operation':40} {'ns/op':>9} {'ratio':>8}  vs")
    for name, _, floor in rows:
        ratio = results[name] / floors[floor]
        print(f"{name:40} {results[name]:9.1f} {ratio:7.2f}x  {floor}")


if __name__ == "__main__":
    main()

"""Python access costs, in ns per operation, measured in one process with one timing loop.

Run by hand: ``python bench/python_access.py`` (``HYPERPARAMETER_BACKEND=python`` for the
pure-Python backend). Ratios are to a plain dict ``get`` and a plain function call measured in
the same run, the floors the targets are stated against.
"""

from __future__ import annotations

import timeit

import hyperparameter as hp

NUMBER = 200_000
REPEAT = 7


def best_ns(stmt: str, env: dict) -> float:
    timer = timeit.Timer(stmt, globals=env)
    return min(timer.repeat(repeat=REPEAT, number=NUMBER)) / NUMBER * 1e9


@hp.param("train")
def injected(lr=0.001, batch_size=32, epochs=10):
    return lr


def plain(lr=0.001, batch_size=32, epochs=10):
    return lr


def main() -> None:
    table = {"model.layers._0.size": 20}
    values = {"model.layers._0.size": 20, "model.layers.0.size": 20, "train.lr": 0.01}
    with hp.scope(**values) as ps:
        env = {"hp": hp, "ps": ps, "table": table, "injected": injected, "plain": plain}
        rows = [
            ("dict.get (floor)", "table.get('model.layers._0.size', 10)", "dict"),
            ("plain 3-kw call (floor)", "plain()", "call"),
            ("hp.scope.model.layers._0.size | 10", "hp.scope.model.layers._0.size | 10", "dict"),
            ("ps.model.layers._0.size | 10", "ps.model.layers._0.size | 10", "dict"),
            ('hp.scope["model.layers.0.size"] | 10', 'hp.scope["model.layers.0.size"] | 10', "dict"),
            ("@hp.param 3-kw call in a scope", "injected()", "call"),
            ('with hp.scope(**{"a.b": 1}): pass', 'with hp.scope(**{"a.b": 1}): pass', "dict"),
        ]
        results = {name: best_ns(stmt, env) for name, stmt, _ in rows}
    floors = {"dict": results["dict.get (floor)"], "call": results["plain 3-kw call (floor)"]}
    print(f"backend: {hp.backend_name()}  (best of {REPEAT} x {NUMBER:,} loops)")
    print(f"{'operation':40} {'ns/op':>9} {'ratio':>8}  vs")
    for name, _, floor in rows:
        ratio = results[name] / floors[floor]
        print(f"{name:40} {results[name]:9.1f} {ratio:7.2f}x  {floor}")


if __name__ == "__main__":
    main()

"""Parameters whose value is suggested on every read: the bridge to tuners such as Optuna.

A **suggester** is a parameter value that is computed again each time it is read:
``hp.scope.x | 0``, ``hp.scope.x()`` and every call of an ``@hp.param`` function that
takes ``x`` call it (the function's cache never holds what it suggested). Listings show it
without calling it: ``to_dict()``, ``items()``, ``-lps``, ``--dump-params`` and
``hp.effective_params()``. Native code (C, C++, Rust) sees a host object: a typed read is a
type mismatch (docs/tuning.md).

- ``suggest_from(callback)``: a suggester calling ``callback()``;
- ``lazy_dispatch(obj)``: records attribute, item and call chains on ``obj``; the call that
  ends a chain is a suggester replaying the chain on ``obj`` at each read, so an Optuna trial
  wraps into ``hp.scope(**{"x": trial.suggest_float("x", -10, 10)})``.

For Optuna, ``hyperparameter.integrations.optuna.suggest(trial, space)`` suggests a whole
search space once per trial instead.

>>> import hyperparameter as hp
>>> from hyperparameter.tune import suggest_from
>>> @hp.param("f")
... def f(x=0):
...     return x
>>> counter = iter(range(1, 100))
>>> with hp.scope(**{"f.x": suggest_from(lambda: next(counter))}):
...     [f(), f(), hp.scope.f.x | 0]
[1, 2, 3]
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ._suggester import Suggester, describe

__all__ = ["LazyDispatch", "Suggester", "lazy_dispatch", "suggest_from"]

Suggester.__module__ = __name__


def suggest_from(callback: Callable[[], Any]) -> Suggester:
    """A parameter value that reads as ``callback()``, called again on every read.

    Each read with a default converts what it suggests to the default's type, as for any
    value; an ``@hp.param`` function calls it on each call that uses the parameter.

    >>> import hyperparameter as hp
    >>> from hyperparameter.tune import suggest_from
    >>> def counter(state=[0]):
    ...     state[0] += 1
    ...     return state[0]
    >>> with hp.scope(x=suggest_from(counter)) as ps:
    ...     (hp.scope.x(), hp.scope.x(), hp.scope.x | 0, hp.scope.x | 0.0)
    ...     ps.to_dict()    # a listing shows the suggester, it does not call it
    (1, 2, 3, 4.0)
    {'x': suggest_from(<function counter>)}
    """
    return Suggester(callback)


def _replay(obj: Any, steps: tuple, args: tuple, kwargs: dict) -> Any:
    """Walk the recorded ``steps`` (attributes and items) from ``obj``, then call."""
    target = obj
    for is_item, step in steps:
        target = target[step] if is_item else getattr(target, step)
    return target(*args, **kwargs)


class LazyDispatch:
    """An object seen through ``lazy_dispatch``: attribute reads and indexing are recorded,
    and the call that ends the chain is a suggester that replays the chain on the object at
    each read.

    A chain ends with a call: ``lazy.suggest_float("x", 0, 1)`` is a suggester,
    ``lazy.attribute`` alone is a recording (not a parameter value to read).

    >>> from hyperparameter.tune import lazy_dispatch
    >>> class Source:
    ...     table = {"lr": [0.1, 0.01]}
    ...     def pick(self, i):
    ...         return self.table["lr"][i]
    >>> lazy = lazy_dispatch(Source())
    >>> lazy.pick(1)
    lazy_dispatch(<Source>).pick(1)
    >>> lazy.pick(1)()
    0.01
    >>> lazy.table["lr"].index(0.1)
    lazy_dispatch(<Source>).table['lr'].index(0.1)
    """

    __slots__ = ("_hp_obj", "_hp_steps")

    def __init__(self, obj: Any, steps: tuple = ()) -> None:
        object.__setattr__(self, "_hp_obj", obj)
        object.__setattr__(self, "_hp_steps", steps)

    def __getattr__(self, name: str) -> LazyDispatch:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # copy, pickle and friends probe for these
        return LazyDispatch(self._hp_obj, (*self._hp_steps, (False, name)))

    def __getitem__(self, index: Any) -> LazyDispatch:
        return LazyDispatch(self._hp_obj, (*self._hp_steps, (True, index)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("lazy_dispatch records reads and calls; set attributes on the object itself")

    def __reduce__(self) -> tuple:
        return (LazyDispatch, (self._hp_obj, self._hp_steps))

    def __call__(self, *args: Any, **kwargs: Any) -> Suggester:
        shown = [repr(arg) for arg in args] + [f"{key}={value!r}" for key, value in kwargs.items()]
        label = f"{self._chain()}({', '.join(shown)})"
        return Suggester(functools.partial(_replay, self._hp_obj, self._hp_steps, args, kwargs), label)

    def _chain(self) -> str:
        text = f"lazy_dispatch({describe(self._hp_obj)})"
        for is_item, step in self._hp_steps:
            text += f"[{step!r}]" if is_item else f".{step}"
        return text

    def __repr__(self) -> str:
        return f"<{self._chain()}>"


def lazy_dispatch(obj: Any) -> LazyDispatch:
    """``obj`` seen through a recorder: ``lazy_dispatch(obj).a.b(1)`` is a suggester that
    calls ``obj.a.b(1)`` on every read.

    The recipe for an Optuna objective: each read of the parameter asks the trial
    (``trial.suggest_float`` returns the trial's one value for a name however often it is
    asked).

    >>> import hyperparameter as hp
    >>> from hyperparameter.tune import lazy_dispatch
    >>> class Trial:  # what an Optuna trial looks like to the recipe
    ...     def suggest_float(self, name, low, high):
    ...         return (low + high) / 2
    >>> @hp.param("objective")
    ... def objective(x=0.0):
    ...     return (x - 2) ** 2
    >>> trial = lazy_dispatch(Trial())
    >>> with hp.scope(**{"objective.x": trial.suggest_float("objective.x", -10, 10)}) as ps:
    ...     objective()
    ...     ps.to_dict()
    4.0
    {'objective.x': lazy_dispatch(<Trial>).suggest_float('objective.x', -10, 10)}
    """
    return LazyDispatch(obj)

"""Optuna: one trial's suggestions for a whole search space, as a scope.

``suggest(trial, space)`` asks the trial for a value of every key in ``space`` and returns a
scope holding them; ``@hp.param`` functions (at any depth) read them like any other value, and
``hp.scope(**study.best_params)`` replays the best trial, because each key is the Optuna
parameter name too.

Optuna is imported when ``suggest`` is first called (``pip install hyperparameter[optuna]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._scope import Scope
from .._state import valid_key

__all__ = ["suggest"]

#: The short forms of ``space`` values, besides Optuna's distributions.
SHORT_FORMS = (
    "(low, high) of floats: uniform float; of ints: int; (low, high, 'log'): log scale; "
    "a list: one of its items"
)


def suggest(trial: Any, space: Mapping[str, Any]) -> Scope:
    """A scope holding ``trial``'s suggestion for each key of ``space`` (suggested now, once).

    ``space`` maps dotted keys (nested dicts flatten to them) to Optuna distributions
    (``optuna.distributions.FloatDistribution``, ``IntDistribution``,
    ``CategoricalDistribution``) or short forms: ``(low, high)`` of floats is a uniform float,
    of ints an int; ``(low, high, "log")`` samples on a log scale; a list is categorical. Each
    key is also the parameter's name in Optuna, so ``study.best_params`` has the same keys
    and ``with hp.scope(**study.best_params):`` replays the best trial.

    >>> import optuna, hyperparameter as hp
    >>> from hyperparameter.integrations.optuna import suggest
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> @hp.param("quad")
    ... def quad(x=0.0, shift=0):
    ...     return (x - 2) ** 2 + shift
    >>> def objective(trial):
    ...     with suggest(trial, {"quad.x": (-10.0, 10.0), "quad.shift": [0, 1]}):
    ...         return quad()
    >>> study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    >>> study.optimize(objective, n_trials=30)
    >>> sorted(study.best_params), study.best_params["quad.shift"]
    (['quad.shift', 'quad.x'], 0)
    >>> with hp.scope(**study.best_params):
    ...     quad() == study.best_value
    True
    """
    optuna = _import_optuna()
    planned = [(valid_key(key), _distribution(optuna, key, given)) for key, given in _flat(space)]
    values = {key: _ask(optuna, trial, key, distribution) for key, distribution in planned}
    return Scope(**values)


def _flat(space: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    if not isinstance(space, Mapping):
        raise TypeError(f"suggest(trial, space): space maps keys to distributions, got {space!r}")
    items = []
    for key, given in space.items():
        if not isinstance(key, str):
            raise TypeError(f"suggest(trial, space): keys are str, got {key!r}")
        if isinstance(given, Mapping):
            items.extend(_flat(given, f"{prefix}{key}."))
        else:
            items.append((f"{prefix}{key}", given))
    return items


def _distribution(optuna: Any, key: str, given: Any) -> Any:
    """The Optuna distribution ``given`` stands for (checked before any value is suggested)."""
    dists = optuna.distributions
    if isinstance(given, dists.BaseDistribution):
        return given
    if isinstance(given, list):
        if not given:
            raise ValueError(f"suggest: {key!r} is an empty list of choices")
        return dists.CategoricalDistribution(given)
    if isinstance(given, tuple) and len(given) in (2, 3):
        low, high = given[0], given[1]
        log = len(given) == 3 and given[2] == "log"
        numbers = all(type(bound) in (int, float) for bound in (low, high))
        if numbers and (len(given) == 2 or log):
            if type(low) is int and type(high) is int:
                return dists.IntDistribution(low, high, log=log)
            return dists.FloatDistribution(float(low), float(high), log=log)
    raise TypeError(
        f"suggest: {key!r} maps to {given!r}, expected an Optuna distribution or a short form: {SHORT_FORMS}"
    )


def _ask(optuna: Any, trial: Any, key: str, distribution: Any) -> Any:
    """The trial's value for ``key``, asked through the trial's public methods."""
    dists = optuna.distributions
    if isinstance(distribution, dists.FloatDistribution):
        low, high, step, log = distribution.low, distribution.high, distribution.step, distribution.log
        return trial.suggest_float(key, low, high, step=step, log=log)
    if isinstance(distribution, dists.IntDistribution):
        low, high, step, log = distribution.low, distribution.high, distribution.step, distribution.log
        return trial.suggest_int(key, low, high, step=step, log=log)
    if isinstance(distribution, dists.CategoricalDistribution):
        return trial.suggest_categorical(key, distribution.choices)
    kind = type(distribution).__name__
    raise TypeError(f"suggest: {key!r}: {kind} is not a distribution this version knows")


def _import_optuna() -> Any:
    try:
        import optuna
    except ImportError as exc:
        raise ImportError(
            "hyperparameter.integrations.optuna needs Optuna: pip install hyperparameter[optuna]; "
            f"importing it failed: {exc}"
        ) from exc
    return optuna

"""Hyperparameter search with Optuna: tune nested ``@hp.param`` functions without changing them.

After Optuna's quick start: ``objective_x`` and ``objective_y`` are ordinary ``@hp.param``
functions, called from ``objective`` as a program would call them; nothing passes ``x`` or
``y`` along. Each trial enters a scope holding the trial's suggestions, and the best
parameters, keyed as the functions read them, replay in ``hp.scope(**study.best_params)``.

Two ways to give a trial's suggestions to the scope (``--method``):

- ``suggest``: ``hyperparameter.integrations.optuna.suggest(trial, space)``, one scope of
  concrete values per trial, from a space of dotted keys;
- ``lazy``: upstream's recipe with ``hyperparameter.tune.lazy_dispatch``: the scope holds
  recorded ``trial.suggest_float(...)`` calls, replayed on the trial when a function reads them.

Try:

    python -m hyperparameter.examples.optuna_search
    python -m hyperparameter.examples.optuna_search --trials 50 --method lazy
    python -m hyperparameter.examples.optuna_search -D objective_y.power=2
    python -m hyperparameter.examples.optuna_search -lps
"""

from __future__ import annotations

import hyperparameter as hp


@hp.param("objective_x")
def objective_x(x: float = 0.0) -> float:
    """The first term: smallest at x = 2."""
    return (x - 2) ** 2


@hp.param("objective_y")
def objective_y(y: float = 0.0, power: int = 4) -> float:
    """The second term: smallest at y = 1."""
    return abs(y - 1) ** power


def objective() -> float:
    """What is minimised: the sum of both terms (0 at x = 2, y = 1)."""
    return objective_x() + objective_y()


@hp.param("search")
def search(
    trials: int = 40, seed: int = 0, low: float = -10.0, high: float = 10.0, method: str = "suggest"
) -> dict:
    """Minimise objective() over objective_x.x and objective_y.y with Optuna's TPE sampler.

    Args:
        trials: how many trials the study runs.
        seed: the sampler's seed (the same seed, the same trials).
        low: the lower bound of x and y.
        high: the upper bound of x and y.
        method: suggest (integrations.optuna.suggest) or lazy (tune.lazy_dispatch).
    """
    import optuna

    from hyperparameter.integrations.optuna import suggest
    from hyperparameter.tune import lazy_dispatch

    if method not in ("suggest", "lazy"):
        raise ValueError(f"search.method is 'suggest' or 'lazy', got {method!r}")
    space = {"objective_x.x": (low, high), "objective_y.y": (low, high)}

    def with_suggest(trial: optuna.Trial) -> float:
        with suggest(trial, space):
            return objective()

    def with_lazy_dispatch(trial: optuna.Trial) -> float:
        trial = lazy_dispatch(trial)
        with hp.scope(
            **{
                "objective_x.x": trial.suggest_float("objective_x.x", low, high),
                "objective_y.y": trial.suggest_float("objective_y.y", low, high),
            }
        ):
            return objective()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(with_suggest if method == "suggest" else with_lazy_dispatch, n_trials=trials)

    # The best parameters are keys the functions read: they replay as they are.
    with hp.scope(**study.best_params):
        replayed = objective()
    shown = ", ".join(f"{key}={value:.4f}" for key, value in sorted(study.best_params.items()))
    print(f"best of {trials} trials ({method}): {shown}")
    print(f"best value: {study.best_value:.6f} (replayed: {replayed:.6f})")
    return study.best_params


def main() -> None:
    hp.launch(search, prog="python -m hyperparameter.examples.optuna_search")


if __name__ == "__main__":
    main()

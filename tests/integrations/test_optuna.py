"""hyperparameter.integrations.optuna.suggest: real Optuna studies tune nested @hp.param functions,
and study.best_params replays the best trial."""

from __future__ import annotations

import doctest
import subprocess
import sys

import optuna
import pytest

import hyperparameter as hp
from hyperparameter.integrations import optuna as hp_optuna
from hyperparameter.integrations.optuna import suggest
from hyperparameter.tune import lazy_dispatch

optuna.logging.set_verbosity(optuna.logging.WARNING)


def seeded_study() -> optuna.Study:
    return optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))


@hp.param("quad_x")
def quad_x(x=0.0):
    return (x - 2) ** 2


@hp.param("quad_y")
def quad_y(y=0.0, power=2):
    return abs(y + 1) ** power


def objective():
    """Two nested @hp.param functions: the minimum is 0 at x = 2, y = -1."""
    return quad_x() + quad_y()


SPACE = {"quad_x.x": (-10.0, 10.0), "quad_y.y": (-10.0, 10.0)}


def test_a_study_finds_the_minimum_of_nested_functions():
    study = seeded_study()
    study.optimize(lambda trial: _run(trial, SPACE), n_trials=20)
    assert set(study.best_params) == {"quad_x.x", "quad_y.y"}
    assert study.best_value < 1.0  # 20 seeded TPE trials of a bowl ~200 high at the edges
    with hp.scope(**study.best_params):
        assert objective() == pytest.approx(study.best_value)
        assert abs((hp.scope.quad_x.x | 0.0) - 2) < 1 and abs((hp.scope.quad_y.y | 0.0) + 1) < 1


def _run(trial: optuna.Trial, space: dict) -> float:
    with suggest(trial, space):
        return objective()


def test_the_scope_holds_concrete_values_suggested_once():
    study = seeded_study()
    trial = study.ask()
    ps = suggest(trial, SPACE)
    values = ps.to_dict()
    assert set(values) == set(SPACE) and all(type(v) is float for v in values.values())
    assert trial.params == values  # the Optuna names are the keys
    with ps:
        assert objective() == objective()
    study.tell(trial, 1.0)


def test_short_forms_and_distributions():
    space = {
        "s.uniform": (0.0, 1.0),
        "s.int": (1, 8),
        "s.log": (1e-5, 1e-1, "log"),
        "s.int_log": (1, 1024, "log"),
        "s.choice": ["relu", "gelu"],
        "s.float_dist": optuna.distributions.FloatDistribution(0.0, 1.0, step=0.25),
        "s.int_dist": optuna.distributions.IntDistribution(0, 10, step=5),
        "s.cat_dist": optuna.distributions.CategoricalDistribution([True, False]),
        "nested": {"depth": (2, 4)},
    }
    study = seeded_study()
    for _ in range(5):
        trial = study.ask()
        values = suggest(trial, space).to_dict()
        assert 0.0 <= values["s.uniform"] <= 1.0 and type(values["s.uniform"]) is float
        assert 1 <= values["s.int"] <= 8 and type(values["s.int"]) is int
        assert 1e-5 <= values["s.log"] <= 1e-1
        assert 1 <= values["s.int_log"] <= 1024 and type(values["s.int_log"]) is int
        assert values["s.choice"] in ("relu", "gelu")
        assert values["s.float_dist"] in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert values["s.int_dist"] in (0, 5, 10)
        assert values["s.cat_dist"] in (True, False)
        assert 2 <= values["nested.depth"] <= 4
        study.tell(trial, 0.0)
    distributions = study.trials[0].distributions
    assert distributions["s.log"].log and distributions["s.int_log"].log
    assert not distributions["s.uniform"].log
    assert isinstance(distributions["s.int"], optuna.distributions.IntDistribution)
    assert isinstance(distributions["s.uniform"], optuna.distributions.FloatDistribution)
    assert isinstance(distributions["s.choice"], optuna.distributions.CategoricalDistribution)


def test_categorical_and_int_parameters_round_trip_through_best_params():
    @hp.param("cls")
    def score(kind="a", depth=1, rate=0.5):
        return {"a": 3.0, "b": 0.0}[kind] + abs(depth - 3) + rate

    def run(trial):
        with suggest(trial, {"cls.kind": ["a", "b"], "cls.depth": (1, 5), "cls.rate": (0.0, 1.0)}):
            return score()

    study = seeded_study()
    study.optimize(run, n_trials=20)
    with hp.scope(**study.best_params):
        assert score() == pytest.approx(study.best_value)


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ((1.0,), TypeError),
        ((1.0, 2.0, "linear"), TypeError),
        (("a", "b"), TypeError),
        ("text", TypeError),
        ([], ValueError),
    ],
)
def test_a_space_entry_that_is_no_distribution_is_refused_before_any_suggestion(given, error):
    study = seeded_study()
    trial = study.ask()
    with pytest.raises(error, match="bad.key"):
        suggest(trial, {"good.key": (0.0, 1.0), "bad.key": given})
    assert trial.params == {}  # nothing was asked


def test_an_invalid_key_is_refused():
    trial = seeded_study().ask()
    with pytest.raises(hp.InvalidKeyError):
        suggest(trial, {"bad..key": (0.0, 1.0)})


def test_a_fixed_trial_replays_values():
    ps = suggest(optuna.trial.FixedTrial({"quad_x.x": 2.0, "quad_y.y": -1.0}), SPACE)
    with ps:
        assert objective() == 0.0


def test_lazy_dispatch_drives_a_real_study():
    def run(trial):
        trial = lazy_dispatch(trial)
        with hp.scope(
            **{
                "quad_x.x": trial.suggest_float("quad_x.x", -10, 10),
                "quad_y.y": trial.suggest_float("quad_y.y", -10, 10),
            }
        ):
            return objective()

    study = seeded_study()
    study.optimize(run, n_trials=20)
    assert set(study.best_params) == {"quad_x.x", "quad_y.y"}
    assert study.best_value < 1.0
    with hp.scope(**study.best_params):
        assert objective() == pytest.approx(study.best_value)


def test_missing_optuna_is_an_import_error_naming_the_extra(tmp_path):
    blocker = tmp_path / "optuna.py"
    blocker.write_text("raise ImportError('no optuna here')\n", encoding="utf-8")
    code = (
        "from hyperparameter.integrations.optuna import suggest\n"
        "try:\n    suggest(None, {})\nexcept ImportError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install hyperparameter[optuna]" in result.stdout


def test_importing_the_module_does_not_import_optuna():
    code = "import sys, hyperparameter.integrations.optuna; print('optuna' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_docstrings_run():
    result = doctest.testmod(hp_optuna)
    assert result.attempted > 5 and result.failed == 0

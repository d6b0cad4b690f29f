"""hyperparameter.integrations.mlflow.log_params: real MLflow runs in a SQLite tracking store in a
temporary folder, read back with MlflowClient."""

from __future__ import annotations

import doctest
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow.utils import validation

import hyperparameter as hp
from hyperparameter.integrations import mlflow as hp_mlflow
from hyperparameter.integrations.mlflow import ARTIFACT, ParamChangedError, log_params

KEY_LIMIT = validation.MAX_ENTITY_KEY_LENGTH
VALUE_LIMIT = validation.MAX_PARAM_VAL_LENGTH
PER_BATCH = validation.MAX_PARAMS_TAGS_PER_BATCH


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("mlflow")
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
    yield mlflow.create_experiment("hyperparameter", artifact_location=(folder / "artifacts").as_uri())
    mlflow.set_tracking_uri(before)


@pytest.fixture
def client(experiment: str) -> Any:
    return mlflow.MlflowClient()


def params_of(client: Any, run_id: str, prefix: str) -> dict[str, str]:
    params = client.get_run(run_id).data.params
    return {key: value for key, value in params.items() if key.startswith(prefix)}


def record_of(client: Any, run_id: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        return json.loads(Path(client.download_artifacts(run_id, ARTIFACT, scratch)).read_text("utf-8"))


def test_every_effective_parameter_is_logged_with_its_source(experiment, client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp.yaml").write_text("ml_all:\n  lr: 0.01\n", encoding="utf-8")

    @hp.param("ml_all")
    def train(lr=0.1, steps=100, name="base", data=Path("data"), warmup=None):
        return lr

    with mlflow.start_run(experiment_id=experiment) as run:
        with hp.scope(hp.config("exp.yaml"), **{"ml_all.steps": "20", "ml_all.extra": [1, 2]}) as ps:
            ps.set("ml_all.name", "cli", source="-D")
            logged = log_params()
    expected = {
        "ml_all.data": "data",
        "ml_all.extra": "[1, 2]",
        "ml_all.lr": "0.01",
        "ml_all.name": "cli",
        "ml_all.steps": "20",
        "ml_all.warmup": "None",
    }
    assert params_of(client, run.info.run_id, "ml_all.") == expected
    assert {key: value for key, value in logged.items() if key.startswith("ml_all.")} == expected
    record = {
        key: value for key, value in record_of(client, run.info.run_id).items() if key.startswith("ml_all.")
    }
    assert record == {
        "ml_all.data": {"value": "data", "source": "default"},
        "ml_all.extra": {"value": [1, 2], "source": "code"},
        "ml_all.lr": {"value": 0.01, "source": "exp.yaml:ml_all.lr"},
        "ml_all.name": {"value": "cli", "source": "-D"},
        "ml_all.steps": {"value": 20, "source": "code"},
        "ml_all.warmup": {"value": None, "source": "default"},
    }


def test_many_parameters_go_in_batches_within_mlflows_limit(experiment, client, monkeypatch):
    sizes: list[int] = []
    log_batch = mlflow.MlflowClient.log_batch

    def counted(self: Any, run_id: str, *args: Any, **kwargs: Any) -> Any:
        sizes.append(len(kwargs.get("params") or ()))
        return log_batch(self, run_id, *args, **kwargs)

    monkeypatch.setattr(mlflow.MlflowClient, "log_batch", counted)
    many = {f"ml_many.p{i:03d}": i for i in range(2 * PER_BATCH + 50)}
    with mlflow.start_run(experiment_id=experiment) as run, hp.scope(**many):
        log_params()
    assert params_of(client, run.info.run_id, "ml_many.") == {key: str(value) for key, value in many.items()}
    assert max(sizes) <= PER_BATCH
    assert sum(sizes) >= len(many)
    assert len(sizes) >= 3


def test_long_keys_and_values_are_shortened_with_a_mark_and_kept_whole_in_the_artifact(experiment, client):
    stem = "ml_long." + "k" * (KEY_LIMIT + 20)
    keys = [stem + ".first", stem + ".second"]  # the same first KEY_LIMIT characters
    long_value = "v" * (VALUE_LIMIT + 100)
    with mlflow.start_run(experiment_id=experiment) as run:
        with hp.scope(**{keys[0]: long_value, keys[1]: 2, "ml_long.short": "x" * VALUE_LIMIT}):
            log_params()
    params = params_of(client, run.info.run_id, "ml_long.")
    assert params["ml_long.short"] == "x" * VALUE_LIMIT  # at the limit: whole
    shortened = sorted(key for key in params if key != "ml_long.short")
    assert len(shortened) == 2
    for key in shortened:
        assert len(key) <= KEY_LIMIT and "..." in key
    record = record_of(client, run.info.run_id)
    for key, value in zip(keys, [long_value, 2]):
        entry = record[key]
        assert entry["value"] == value
        assert entry["param"] in shortened
        assert entry["param"].endswith(f"...{hp.hash_key(key):016x}")
    text = params[record[keys[0]]["param"]]
    assert len(text) <= VALUE_LIMIT
    assert text.startswith("v" * 100)
    assert text.endswith(f"... ({len(long_value)} characters, whole in {ARTIFACT})")
    assert params[record[keys[1]]["param"]] == "2"


def test_a_key_with_a_letter_mlflow_refuses_is_logged_under_a_safe_key(experiment, client):
    key = "ml_safe.a\u0345b"  # a key letter to the engine, not to MLflow's name rule
    with mlflow.start_run(experiment_id=experiment) as run, hp.scope(**{key: 1}):
        log_params()
    (name,) = params_of(client, run.info.run_id, "ml_safe.")
    assert name == f"ml_safe.a_b...{hp.hash_key(key):016x}"
    assert record_of(client, run.info.run_id)[key] == {"value": 1, "source": "code", "param": name}


def test_calling_again_logs_only_what_is_new(experiment, client):
    with mlflow.start_run(experiment_id=experiment) as run:
        with hp.scope(**{"ml_again.a": 1}):
            first = log_params()
            assert first["ml_again.a"] == "1"
            assert log_params() == {}
            with hp.scope(**{"ml_again.b": "two"}):
                assert log_params() == {"ml_again.b": "two"}
        assert log_params() == {}  # ml_again.a and b are no longer set: nothing new, no change
    assert params_of(client, run.info.run_id, "ml_again.") == {"ml_again.a": "1", "ml_again.b": "two"}
    record = record_of(client, run.info.run_id)
    assert (record["ml_again.a"], record["ml_again.b"]) == (
        {"value": 1, "source": "code"},
        {"value": "two", "source": "code"},
    )


def test_a_changed_value_is_an_error_naming_key_old_and_new_and_logs_nothing(experiment, client):
    with mlflow.start_run(experiment_id=experiment) as run:
        with hp.scope(**{"ml_change.lr": 0.1, "ml_change.steps": 10}):
            log_params()
        with hp.scope(**{"ml_change.lr": 0.01, "ml_change.steps": 10, "ml_change.new": 1}):
            with pytest.raises(ParamChangedError) as caught:
                log_params()
    message = str(caught.value)
    for part in ("ml_change.lr", "0.1", "0.01", run.info.run_id, "new run"):
        assert part in message, (part, message)
    assert "ml_change.steps" not in message
    assert caught.value.changes == [("ml_change.lr", 0.1, 0.01)]
    assert isinstance(caught.value, (hp.HyperparameterError, ValueError))
    assert params_of(client, run.info.run_id, "ml_change.") == {
        "ml_change.lr": "0.1",
        "ml_change.steps": "10",
    }


def test_a_change_past_the_logged_text_is_found_in_the_artifact(experiment):
    before = "a" * (VALUE_LIMIT + 10)
    after = before[:-1] + "b"  # the same logged (shortened) text
    with mlflow.start_run(experiment_id=experiment):
        with hp.scope(**{"ml_tail.text": before}):
            log_params()
        with hp.scope(**{"ml_tail.text": after}), pytest.raises(ParamChangedError, match="ml_tail.text"):
            log_params()


def test_a_value_logged_by_mlflow_itself_is_compared_too(experiment, client):
    with mlflow.start_run(experiment_id=experiment):
        mlflow.log_param("ml_own.depth", 3)
        with hp.scope(**{"ml_own.depth": 4}), pytest.raises(ParamChangedError) as caught:
            log_params()
    assert caught.value.changes == [("ml_own.depth", "3", 4)]
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_param("ml_own.depth", 3)
        with hp.scope(**{"ml_own.depth": 3}):
            assert "ml_own.depth" not in log_params()
    assert record_of(client, run.info.run_id)["ml_own.depth"] == {"value": 3, "source": "code"}


def test_a_given_run_or_run_id_outside_an_active_run(experiment, client):
    one = client.create_run(experiment)
    two = client.create_run(experiment)
    with hp.scope(**{"ml_given.a": 1}):
        log_params(one)
        log_params(two.info.run_id)
    for run in (one, two):
        assert params_of(client, run.info.run_id, "ml_given.") == {"ml_given.a": "1"}
        client.set_terminated(run.info.run_id)
    with pytest.raises(TypeError, match="run id"):
        log_params(run=42)  # type: ignore[arg-type]


def test_without_an_active_run_it_says_what_to_do(experiment):
    assert mlflow.active_run() is None
    with pytest.raises(RuntimeError, match=r"no active MLflow run.*mlflow\.start_run"):
        log_params()


def test_without_mlflow_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(ImportError, match=r"pip install hyperparameter\[mlflow\]"):
        log_params()


def test_the_docstrings_examples_run(experiment):
    before = mlflow.get_tracking_uri()
    try:
        result = doctest.testmod(hp_mlflow, optionflags=doctest.ELLIPSIS)
    finally:
        mlflow.set_tracking_uri(before)
    assert result.attempted >= 5
    assert result.failed == 0

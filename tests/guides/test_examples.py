"""The examples the package ships run as their docstrings say, on scikit-learn's bundled digits:
each is an hp.launch program, run here as a user would, with small settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="the examples need scikit-learn (pip install hyperparameter[examples])")


def run(module: str, *args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", f"hyperparameter.examples.{module}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return result


def listed_keys(output: str) -> dict[str, list[str]]:
    """The rows of an -lps table by key: [type, default, value, source]."""
    rows = {}
    for line in output.splitlines()[2:]:
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = cells[1:]
    return rows


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in:\n{text}"
    return float(found.group(1))


# --- sparse_lr ----------------------------------------------------------------------------------


def test_sparse_lr_prints_accuracy_and_sparsity(tmp_path):
    out = run("sparse_lr", cwd=tmp_path).stdout
    assert number(r"accuracy: ([\d.]+)", out) > 0.8
    assert 0 < number(r"sparsity: ([\d.]+)%", out) < 100


def test_sparse_lr_smaller_c_is_sparser_and_a_seed_reproduces_a_run(tmp_path):
    sparse = run("sparse_lr", "-D", "sparse_lr.C=0.05", cwd=tmp_path).stdout
    dense = run("sparse_lr", "-D", "sparse_lr.C=0.5", cwd=tmp_path).stdout
    assert "C=0.05 penalty=l1" in sparse and "C=0.5 penalty=l1" in dense
    assert number(r"sparsity: ([\d.]+)%", sparse) > number(r"sparsity: ([\d.]+)%", dense)
    again = run("sparse_lr", "--C", "0.05", cwd=tmp_path).stdout
    assert again == sparse
    other_split = run("sparse_lr", "--C", "0.05", "-D", "data.seed=1", cwd=tmp_path).stdout
    assert other_split != sparse


def test_sparse_lr_lists_its_parameters(tmp_path):
    rows = listed_keys(run("sparse_lr", "-lps", "-D", "sparse_lr.C=0.5", cwd=tmp_path).stdout)
    assert set(rows) == {
        "data.seed",
        "data.test_size",
        "sparse_lr.C",
        "sparse_lr.max_iter",
        "sparse_lr.penalty",
        "sparse_lr.seed",
        "sparse_lr.tol",
    }
    assert rows["sparse_lr.C"] == ["float", "0.1", "0.5", "-D"]
    assert rows["data.test_size"] == ["float", "0.25", "0.25", "default"]


def test_sparse_lr_refuses_an_unknown_penalty(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hyperparameter.examples.sparse_lr", "--penalty", "l3"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode != 0 and "'l1' or 'l2', got 'l3'" in result.stderr


# --- mnist_mlflow -------------------------------------------------------------------------------


def test_mnist_mlflow_traces_parameters_and_metrics(tmp_path):
    mlflow = pytest.importorskip("mlflow")
    pytest.importorskip("sqlalchemy", reason="MLflow's SQLite store needs sqlalchemy")
    uri = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    out = run(
        "mnist_mlflow",
        "--epochs",
        "3",
        "-D",
        "model.hidden=16",
        cwd=tmp_path,
        env={"MLFLOW_TRACKING_URI": uri},
    ).stdout
    assert out.count("epoch ") == 3
    assert number(r"epoch   3  loss [\d.]+  accuracy ([\d.]+)", out) > 0.7
    run_id = re.search(r"to run (\w+)", out).group(1)
    assert f"tracking store: {uri}" in out
    assert not (tmp_path / "mlruns" / "mlflow.db").exists()  # the environment's store, not the default

    client = mlflow.MlflowClient(tracking_uri=uri)
    recorded = client.get_run(run_id)
    assert recorded.data.params["model.hidden"] == "16"
    assert recorded.data.params["model.activation"] == "relu"
    assert recorded.data.params["train.epochs"] == "3"
    assert recorded.data.params["train.lr"] == "0.01"
    history = client.get_metric_history(run_id, "accuracy")
    assert [m.step for m in history] == [1, 2, 3]
    assert len(client.get_metric_history(run_id, "loss")) == 3
    assert client.get_experiment(recorded.info.experiment_id).name == "digits"
    assert "hyperparameter" in [artifact.path for artifact in client.list_artifacts(run_id)]


def test_mnist_mlflow_defaults_to_a_local_mlruns_folder(tmp_path):
    pytest.importorskip("mlflow")
    pytest.importorskip("sqlalchemy", reason="MLflow's SQLite store needs sqlalchemy")
    env = {key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_URI"}
    result = subprocess.run(
        [sys.executable, "-m", "hyperparameter.examples.mnist_mlflow", "--epochs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mlruns" / "mlflow.db").is_file()
    assert "mlruns/mlflow.db" in result.stdout


def test_mnist_mlflow_lists_its_parameters(tmp_path):
    rows = listed_keys(run("mnist_mlflow", "-lps", "--epochs", "5", cwd=tmp_path).stdout)
    assert {"train.epochs", "train.lr", "train.batch_size", "train.seed", "train.experiment"} <= set(rows)
    assert rows["train.epochs"] == ["int", "10", "5", "option"]
    # The model's own @hp.param function, called inside the run, is listed too.
    assert {"model.hidden", "model.alpha", "model.activation"} <= set(rows)
    assert not (tmp_path / "mlruns").exists()  # listing runs nothing


# --- optuna_search ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["suggest", "lazy"])
def test_optuna_search_finds_and_replays_the_best_parameters(tmp_path, method):
    pytest.importorskip("optuna")
    out = run("optuna_search", "--trials", "15", "--method", method, cwd=tmp_path).stdout
    assert f"best of 15 trials ({method})" in out
    x = number(r"objective_x\.x=(-?[\d.]+)", out)
    y = number(r"objective_y\.y=(-?[\d.]+)", out)
    best = number(r"best value: ([\d.]+)", out)
    replayed = number(r"replayed: ([\d.]+)", out)
    assert best == replayed
    assert best < 1.0 and abs(x - 2) < 1 and abs(y - 1) < 1.5


def test_optuna_search_reads_the_nested_functions_parameters_from_the_scope(tmp_path):
    pytest.importorskip("optuna")
    quartic = run("optuna_search", "--trials", "5", cwd=tmp_path).stdout
    square = run("optuna_search", "--trials", "5", "-D", "objective_y.power=2", cwd=tmp_path).stdout
    assert number(r"best value: ([\d.]+)", quartic) != number(r"best value: ([\d.]+)", square)


def test_optuna_search_lists_its_parameters(tmp_path):
    rows = listed_keys(run("optuna_search", "-lps", "--trials", "3", cwd=tmp_path).stdout)
    assert {"search.trials", "search.seed", "search.low", "search.high", "search.method"} <= set(rows)
    assert rows["search.trials"][:3] == ["int", "40", "3"]


# --- docs/tuning.md -----------------------------------------------------------------------------


def test_the_tuning_page_runs():
    import doctest

    pytest.importorskip("optuna")
    page = Path(__file__).resolve().parents[2] / "docs" / "tuning.md"
    result = doctest.testfile(
        str(page), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 20
    assert result.failed == 0

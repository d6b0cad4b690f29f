"""Experiment tracing for data scientists: a small digit classifier, its parameters and its
metrics recorded in MLflow.

A one-hidden-layer network (scikit-learn's ``MLPClassifier``) learns scikit-learn's bundled
8x8 digits (nothing is downloaded), one epoch at a time. Every run records in MLflow the
parameters it used (``hyperparameter.integrations.mlflow.log_params``: defaults, ``-D``
values and config files alike, each with its source) and, per epoch, the loss and the test
accuracy. The tracking store is ``MLFLOW_TRACKING_URI`` when set, else a local folder
``mlruns`` (a SQLite database and the artifacts in it); ``mlflow ui --backend-store-uri
sqlite:///mlruns/mlflow.db`` shows the runs.

Try:

    python -m hyperparameter.examples.mnist_mlflow
    python -m hyperparameter.examples.mnist_mlflow --epochs 20 -D model.hidden=64
    python -m hyperparameter.examples.mnist_mlflow -lps
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import hyperparameter as hp


@hp.param("model")
def build_model(hidden: int = 32, activation: str = "relu", alpha: float = 1e-4) -> Any:
    """The classifier. Its parameters are keys too (``-D model.hidden=64``): an ``@hp.param``
    function called below the command takes them from the same scope.

    Args:
        hidden: units in the hidden layer.
        activation: relu, tanh or logistic.
        alpha: the L2 penalty.
    """
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=(hidden,),
        activation=activation,
        alpha=alpha,
        learning_rate_init=hp.scope.train.lr | 0.01,
        batch_size=hp.scope.train.batch_size | 64,
        random_state=hp.scope.train.seed | 0,
    )


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` when set, else the SQLite store in the local folder ``mlruns``."""
    given = os.environ.get("MLFLOW_TRACKING_URI")
    if given:
        return given
    folder = Path("mlruns").resolve()
    folder.mkdir(exist_ok=True)
    return f"sqlite:///{(folder / 'mlflow.db').as_posix()}"


@hp.param("train")
def train(
    epochs: int = 10, lr: float = 0.01, batch_size: int = 64, seed: int = 0, experiment: str = "digits"
) -> dict:
    """Train a small classifier on the digits, tracing parameters and metrics to MLflow.

    Args:
        epochs: passes over the training images.
        lr: the initial learning rate.
        batch_size: images per gradient step.
        seed: the seed of the split and of the weights.
        experiment: the MLflow experiment the run is recorded in.
    """
    import warnings

    import mlflow
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    from hyperparameter.integrations.mlflow import log_params

    images, digits = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        images / 16.0, digits, test_size=0.25, random_state=seed, stratify=digits
    )
    model = build_model()
    classes = np.unique(digits)
    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as run:
        # Every parameter the run uses (model.* too), its source in an artifact beside them.
        logged = log_params()
        for epoch in range(1, epochs + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)  # one pass per call is the point
                model.partial_fit(x_train, y_train, classes=classes)
            accuracy = float(model.score(x_test, y_test))
            mlflow.log_metrics({"loss": float(model.loss_), "accuracy": accuracy}, step=epoch)
            print(f"epoch {epoch:3d}  loss {model.loss_:.4f}  accuracy {accuracy:.4f}")
    print(f"logged {len(logged)} parameters and {epochs} epochs of metrics to run {run.info.run_id}")
    print(f"tracking store: {mlflow.get_tracking_uri()}")
    return {"accuracy": accuracy, "run_id": run.info.run_id}


def main() -> None:
    hp.launch(train, prog="python -m hyperparameter.examples.mnist_mlflow")


if __name__ == "__main__":
    main()

"""Parameter tuning for researchers: L1-penalised logistic regression on handwritten digits.

After scikit-learn's "L1 penalty and sparsity in logistic regression": 8x8 images of digits
(scikit-learn's bundled ``load_digits``, nothing is downloaded) are classified into small
(0-4) and large (5-9) digits, and the smaller ``C`` is, the more of the 64 pixel weights the L1
penalty sets to zero. Every knob is a parameter with a key, so an experiment is one command
line and a run is reproduced by its seed.

Try:

    python -m hyperparameter.examples.sparse_lr
    python -m hyperparameter.examples.sparse_lr -D sparse_lr.C=0.5
    python -m hyperparameter.examples.sparse_lr --penalty l2 -D data.test_size=0.5
    python -m hyperparameter.examples.sparse_lr -lps
    python -m hyperparameter.examples.sparse_lr --dump-params run.toml   # then: -C run.toml
"""

from __future__ import annotations

from typing import Any

import hyperparameter as hp


def load_data() -> tuple[Any, Any, Any, Any]:
    """The digits, standardised, split into training and test sets (``data.test_size`` of the
    images held out, split with ``data.seed``)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    # Code below the command reads parameters by key; -lps lists these reads too.
    test_size = hp.scope.data.test_size | 0.25
    seed = hp.scope.data.seed | 0
    images, digits = load_digits(return_X_y=True)
    large = (digits > 4).astype(int)  # small digits against large ones
    x_train, x_test, y_train, y_test = train_test_split(
        images, large, test_size=test_size, random_state=seed, stratify=large
    )
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test), y_train, y_test


def logistic_regression(C: float, penalty: str, tol: float, max_iter: int, seed: int) -> Any:
    """scikit-learn's LogisticRegression with an L1 or L2 penalty, on any recent version
    (``penalty`` gave way to ``l1_ratio`` in scikit-learn 1.8)."""
    import inspect

    from sklearn.linear_model import LogisticRegression

    if penalty not in ("l1", "l2"):
        raise ValueError(f"sparse_lr.penalty is 'l1' or 'l2', got {penalty!r}")
    ratio = 1.0 if penalty == "l1" else 0.0
    given: dict[str, Any] = {"l1_ratio": ratio}
    if inspect.signature(LogisticRegression).parameters["penalty"].default != "deprecated":
        given["penalty"] = "elasticnet"  # before 1.8, l1_ratio counts with this penalty only
    return LogisticRegression(C=C, tol=tol, max_iter=max_iter, solver="saga", random_state=seed, **given)


@hp.param("sparse_lr")
def sparse_lr(
    C: float = 0.1, penalty: str = "l1", tol: float = 0.01, max_iter: int = 200, seed: int = 0
) -> dict:
    """Fit a sparse logistic regression to small-versus-large digits; print accuracy and sparsity.

    Args:
        C: inverse regularisation strength: smaller is sparser.
        penalty: l1 (sparse weights) or l2.
        tol: the solver's tolerance.
        max_iter: the solver's iteration limit.
        seed: the solver's seed (with data.seed, the whole run is reproducible).
    """
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    x_train, x_test, y_train, y_test = load_data()
    model = logistic_regression(C, penalty, tol, max_iter, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a loose tol is the point here
        model.fit(x_train, y_train)
    accuracy = float(model.score(x_test, y_test))
    sparsity = float(np.mean(model.coef_ == 0) * 100)
    print(f"C={C} penalty={penalty} tol={tol} seed={seed}")
    print(f"accuracy: {accuracy:.4f}")
    print(f"sparsity: {sparsity:.2f}% of {model.coef_.size} weights are zero")
    return {"accuracy": accuracy, "sparsity": sparsity}


def main() -> None:
    hp.launch(sparse_lr, prog="python -m hyperparameter.examples.sparse_lr")


if __name__ == "__main__":
    main()

"""Integrations with other tools, one module each, each needing its tool (an extra of the package):

- ``hyperparameter.integrations.dask``: the driver's parameters in Dask workers
  (``pip install hyperparameter[dask]``);
- ``hyperparameter.integrations.ray``: Ray tasks and actors that run in their caller's scope
  (``pip install hyperparameter[ray]``);
- ``hyperparameter.integrations.mlflow``: ``log_params()`` records the parameters a run uses
  (``hp.effective_params``) in an MLflow run (``pip install hyperparameter[mlflow]``);
- ``hyperparameter.integrations.optuna``: ``suggest(trial, space)`` makes one Optuna trial's
  suggestions a scope (``pip install hyperparameter[optuna]``).

Nothing is imported here: ``import hyperparameter`` never loads a tool.
"""

"""Exceptions raised by hyperparameter. Each also derives from the builtin a caller would expect."""

from __future__ import annotations

from typing import Sequence


class HyperparameterError(Exception):
    """Base class of every error this library raises on purpose."""


class InvalidKeyError(HyperparameterError, ValueError):
    """A key breaks the key rules (empty, empty segment, bad character, too long).

    >>> import hyperparameter as hp
    >>> hp.scope["a..b"] | 1
    Traceback (most recent call last):
    ...
    hyperparameter._errors.InvalidKeyError: invalid key 'a..b': key has an empty segment
    """


class ConversionError(HyperparameterError, ValueError):
    """A value cannot be converted to the type a read asks for; names key, value and type.

    >>> import hyperparameter as hp
    >>> with hp.scope(**{"train.bs": "3.5"}):
    ...     hp.scope.train.bs | 32
    Traceback (most recent call last):
    ...
    hyperparameter._errors.ConversionError: parameter 'train.bs': cannot convert '3.5' to int
    """


class ScopeOrderError(HyperparameterError, RuntimeError):
    """A scope was exited while it was not the innermost one of this thread or task."""


class MissingParameterError(HyperparameterError, KeyError):
    """A required parameter (``hp.scope.a.b()``) is not set.

    >>> import hyperparameter as hp
    >>> hp.scope.train.required_key()
    Traceback (most recent call last):
    ...
    hyperparameter._errors.MissingParameterError: "parameter 'train.required_key' is not set ..."
    """


class ConfigError(HyperparameterError, ValueError):
    """A configuration file could not be loaded, resolved or validated.

    ``problems`` lists every problem found, each naming its file and dotted key.

    >>> import hyperparameter as hp
    >>> try:
    ...     hp.config("no/such/folder/run.yaml")
    ... except hp.ConfigError as exc:
    ...     exc.problems
    ['no/such/folder/run.yaml: no such file']
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems:\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)

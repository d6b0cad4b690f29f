"""hyperparameter: scoped hyperparameters shared by Python, C, C++ and Rust.

>>> import hyperparameter as hp
>>> @hp.param("foo")
... def foo(x=1, y="a"):
...     return f"x={x}, y={y}"
>>> foo()
'x=1, y=a'
>>> with hp.scope(**{"foo.x": 2}):
...     foo()
'x=2, y=a'
"""

from __future__ import annotations

from ._backend import backend as _backend
from ._build_info import get_cmake_dir, get_include, get_library, get_pkgconfig_dir
from ._errors import (
    ConversionError,
    HyperparameterError,
    InvalidKeyError,
    MissingParameterError,
    ScopeOrderError,
)
from ._cli import launch
from ._config import Config, ConfigError, config
from ._param import param
from ._scope import Scope, scope

__version__ = "0.1.0"

#: The name ``param_scope`` of earlier releases; the same object as ``scope``.
param_scope = scope
#: The name ``auto_param`` of earlier releases; the same object as ``param``.
auto_param = param


def backend_name() -> str:
    """``"native"`` when the Rust engine is loaded, ``"python"`` for the pure-Python backend.

    >>> import hyperparameter as hp
    >>> hp.backend_name() in ("native", "python")
    True
    """
    return _backend.name


def hash_key(key: str) -> int:
    """The key's hash: XXH64 of its UTF-8 bytes, seed 42 — the same in C, C++ and Rust.

    >>> import hyperparameter as hp
    >>> hp.hash_key("train.lr")
    1730067025249070946
    """
    return _backend.hash_key(key)


__all__ = [
    "Config",
    "ConfigError",
    "ConversionError",
    "HyperparameterError",
    "InvalidKeyError",
    "MissingParameterError",
    "Scope",
    "ScopeOrderError",
    "auto_param",
    "config",
    "backend_name",
    "get_cmake_dir",
    "get_include",
    "get_library",
    "get_pkgconfig_dir",
    "hash_key",
    "launch",
    "param",
    "param_scope",
    "scope",
]

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

from typing import TYPE_CHECKING, Any

from ._backend import backend as _backend
from ._errors import (
    ConversionError,
    HyperparameterError,
    InvalidKeyError,
    MissingParameterError,
    ScopeOrderError,
)
from ._param import param
from ._scope import Scope, scope

if TYPE_CHECKING:  # imported on first use (see __getattr__), so `import hyperparameter` stays quick
    from ._build_info import get_cmake_dir, get_include, get_library, get_pkgconfig_dir
    from ._cli import launch
    from ._config import Config, ConfigError, config

__version__ = "0.1.0"

#: Public names whose modules load on first use: the command line, config files and build
#: paths are not needed by a program that only reads parameters.
_LAZY = {
    "launch": "._cli",
    "config": "._config",
    "Config": "._config",
    "ConfigError": "._config",
    "get_cmake_dir": "._build_info",
    "get_include": "._build_info",
    "get_library": "._build_info",
    "get_pkgconfig_dir": "._build_info",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))


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

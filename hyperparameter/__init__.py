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

import sys
from collections.abc import Mapping
from typing import Any, Callable, Literal, Optional, Sequence, TypeVar, Union, overload

from ._backends import backend as _backend
from ._build_info import get_cmake_dir, get_include, get_library, get_pkgconfig_dir
from ._config_types import Config
from ._config_types import PathLike as _PathLike
from ._errors import (
    ConfigError,
    ConversionError,
    HyperparameterError,
    InvalidKeyError,
    MissingParameterError,
    ScopeOrderError,
)
from ._param import param
from ._scope import Scope, scope
from ._types import register_type

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


# config and launch import their modules when called: a program that only reads parameters
# never pays for the parsers and argparse. They are plain functions rather than names a module
# __getattr__ would load because CPython does not specialise attribute reads on a module that
# has a __getattr__, which would slow every `hp.scope` in a hot loop.

_Schema = TypeVar("_Schema")


# To a type checker, config(path) is a Config and config(path, schema=AppConfig) an AppConfig.
@overload
def config(
    paths: Union[_PathLike, Mapping[str, Any], Sequence[Union[_PathLike, Mapping[str, Any]]]],
    schema: None = None,
) -> Config: ...


@overload
def config(
    paths: Union[_PathLike, Mapping[str, Any], Sequence[Union[_PathLike, Mapping[str, Any]]]],
    schema: type[_Schema],
) -> _Schema: ...


def config(
    paths: Union[_PathLike, Mapping[str, Any], Sequence[Union[_PathLike, Mapping[str, Any]]]],
    schema: Any = None,
) -> Any:
    """Load configuration: files (JSON, TOML or YAML by extension) or mappings, merged deeply
    (later wins).

    ``paths`` is a file path, a mapping (such as a ``dict``) holding what a file would, or a list of
    them. A mapping is checked and loaded exactly as a file's contents: its keys must be
    strings and its values JSON-like data, its values' source is ``<mapping>:key``, and its
    ``defaults:`` bases are found from the working folder.

    A file may name its bases with a top-level ``defaults: [base.yaml]`` (paths relative to
    the file). Strings may refer to other values, ``${train.lr}``, or to the environment,
    ``${env:DATA_ROOT}`` / ``${env:DATA_ROOT,/data}``. Without a schema the result is a nested
    ``dict`` (a :class:`Config`, which knows each value's source); with a dataclass or any class
    with type hints, the values are checked and converted ("8080" -> 8080) and an instance is
    returned. Every problem is reported at once, each with its file and dotted key.

    >>> import hyperparameter as hp, pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "base.toml").write_text('[data]\\nroot = "/data"\\n[train]\\nlr = 0.1\\n')
    >>> _ = (folder / "exp.yaml").write_text(
    ...     'defaults: [base.toml]\\ntrain: {lr: 0.01}\\ndata: {train: "${data.root}/train"}\\n')
    >>> cfg = hp.config(folder / "exp.yaml")
    >>> cfg["train"]["lr"], cfg["data"]["train"]
    (0.01, '/data/train')
    >>> with hp.scope(cfg):
    ...     hp.scope.data.train | ""
    '/data/train'

    A mapping, alone or after files, works the same way:

    >>> cfg = hp.config([folder / "exp.yaml", {"train": {"lr": 0.5, "dir": "${data.root}/runs"}}])
    >>> cfg["train"], cfg.source_of("train.lr")
    ({'lr': 0.5, 'dir': '/data/runs'}, '<mapping>:train.lr')
    >>> with hp.scope(hp.config({"train": {"lr": "${train.base}", "base": 0.2}})) as ps:
    ...     ps.train.lr | 0.0, ps.source("train.lr")
    (0.2, '<mapping>:train.lr')
    """
    from ._config import load

    return load(paths, schema)


def launch(
    target: Union[Callable, Sequence[Callable], None] = None,
    argv: Optional[Sequence[str]] = None,
    prog: Optional[str] = None,
) -> Any:
    """Run ``@hp.param`` function(s) as a command-line program; returns the function's result.

    One function becomes the program; several (a list, or every ``@hp.param`` function of the
    calling module when none is given) become subcommands. Its keyword parameters become
    ``--name VALUE`` options (booleans ``--flag/--no-flag``), required parameters become
    positionals, and the docstring's ``Args:`` section becomes the help. ``-lps`` and ``-ep``
    print and exit (``SystemExit(0)``) without running the function, like ``--help``.

    >>> import hyperparameter as hp
    >>> @hp.param("greet")
    ... def greet(name: str = "World", times: int = 1):
    ...     return f"Hello, {name}" + "!" * times
    >>> hp.launch(greet, argv=["-D", "greet.name=Alice", "--times", "3"])
    'Hello, Alice!!!'
    """
    # The calling module is the frame just above this one; the command-line module is called
    # from here, so it is told rather than left to look.
    caller_globals = sys._getframe(1).f_globals if target is None else {}
    from ._cli.launch import run

    return run(target, argv, prog, caller_globals)


@overload
def effective_params(sources: Literal[False] = False) -> dict[str, Any]: ...


@overload
def effective_params(sources: Literal[True]) -> dict[str, tuple[Any, str]]: ...


def effective_params(sources: bool = False) -> dict[str, Any]:
    """Every parameter the program uses now: ``{key: value}``, or ``{key: (value, source)}``.

    It lists every parameter declared by a live ``@hp.param`` — its value as the function would
    receive it now (converted to its default's type; the value as set where that fails), or its
    default when nothing sets it — and every key set in the current scope chain and the frozen
    baseline, sorted by key. Sources: ``default``, ``code`` (set in code without a label),
    ``baseline`` (only the frozen baseline holds it), or the label the value was set with:
    ``file.yaml:train.lr`` for a configuration file, ``-D`` and ``option`` on the command line,
    ``key=value`` for a definition given in code. Nothing is called: a callable value is
    listed as it is. When two live ``@hp.param`` declare one key with different defaults, the
    last declared counts, with a ``UserWarning``.

    >>> import hyperparameter as hp
    >>> @hp.param("eff")
    ... def train(lr=1e-3, batch_size=32):
    ...     return lr, batch_size
    >>> with hp.scope("eff.batch_size=64", **{"seed": 7}):
    ...     {k: v for k, v in hp.effective_params().items() if k.startswith("eff.") or k == "seed"}
    {'eff.batch_size': 64, 'eff.lr': 0.001, 'seed': 7}
    >>> with hp.scope(hp.config({"eff": {"lr": "0.01"}})):
    ...     hp.effective_params(sources=True)["eff.lr"]
    (0.01, '<mapping>:eff.lr')
    """
    from ._effective import effective_params as effective

    return effective(sources)


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
    "effective_params",
    "get_cmake_dir",
    "get_include",
    "get_library",
    "get_pkgconfig_dir",
    "hash_key",
    "launch",
    "param",
    "param_scope",
    "register_type",
    "scope",
]

"""The types in ``hp.config``'s signature: the paths and mappings it takes and the :class:`Config`
it returns.

Kept apart from the loader (``_config.py``) so that ``hp.Config`` is available without
importing the JSON, TOML and YAML parsers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Iterator, Optional, Union

from ._errors import ConfigError

#: A file path as ``hp.config`` accepts it.
PathLike = Union[str, os.PathLike]
#: One source of ``hp.config``: a file path, or a mapping holding what a file would.
Source = Union[str, os.PathLike, Mapping[str, Any]]
#: The name a mapping given to ``hp.config`` goes by in sources (``<mapping>:train.lr``) and errors.
MAPPING = "<mapping>"
#: The extensions of the formats ``hp.config`` reads; the format comes from the extension.
FORMATS = (".json", ".toml", ".yaml", ".yml")


def unknown_format(name: str) -> Optional[str]:
    """The error for a file whose extension names no format ``hp.config`` reads, or None.

    >>> unknown_format("run.YAML") is None
    True
    >>> print(unknown_format("run.ini"))
    run.ini: unknown configuration format '.ini' (use .json, .toml, .yaml, .yml)
    """
    suffix = os.path.splitext(name)[1]
    if suffix.lower() in FORMATS:
        return None
    return f"{name}: unknown configuration format {suffix!r} (use {', '.join(FORMATS)})"


class Config(dict):
    """A loaded configuration: a nested ``dict`` that knows where each value came from.

    >>> import hyperparameter as hp, json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "train.json"
    >>> _ = path.write_text(json.dumps({"train": {"lr": 0.01}}))
    >>> cfg = hp.config(path)
    >>> cfg["train"]["lr"], cfg.source_of("train.lr") == f"{path}:train.lr"
    (0.01, True)
    """

    # Every section of one loaded configuration shares the top level's labels; a section
    # knows where it sits (``prefix``) and reads them under its own dotted path.
    sources: dict = {}
    prefix: str = ""

    def source_of(self, key: str) -> Optional[str]:
        """``"file:key"`` of a dotted key's value (relative to this section), ``"<mapping>:key"``
        for a value from a mapping given to ``hp.config``, or None for a value from neither.

        >>> import hyperparameter as hp, pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.toml"
        >>> _ = path.write_text("[model]\\nname = 'resnet'\\n")
        >>> cfg = hp.config(path)
        >>> cfg["model"].source_of("name") == cfg.source_of("model.name") == f"{path}:model.name"
        True
        """
        return self.sources.get(self.prefix + key)

    def flat(self) -> Iterator[tuple[str, Any, Optional[str]]]:
        """Every leaf as ``(dotted key, value, source)``; lists are leaves."""
        for key, value in leaves(self):
            yield key, value, self.source_of(key)


def leaves(data: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of nested mappings as ``(dotted key, value)``; lists and empty sections are leaves.

    Raises ConfigError for a key that is not a string (YAML reads ``1:`` or ``on:`` as others).

    >>> list(leaves({"train": {"lr": 0.1, "steps": [1, 2]}, "tags": {}}))
    [('train.lr', 0.1), ('train.steps', [1, 2]), ('tags', {})]
    """
    for key, value in data.items():
        if not isinstance(key, str):
            raise ConfigError([not_a_string(prefix, key)])
        if isinstance(value, dict) and value:
            yield from leaves(value, f"{prefix}{key}.")
        else:
            yield prefix + key, value


def not_a_string(prefix: str, key: Any, from_yaml: bool = True) -> str:
    """The problem of a key that is not a string, ``prefix`` being the dotted path above it;
    ``from_yaml``: the key may come from a file, where YAML may have read ``on:`` as True.

    >>> not_a_string("train.", 1)
    'key train.1 is not a string but int'
    """
    hint = ""
    if isinstance(key, bool) and from_yaml:
        hint = " (YAML reads unquoted yes/no/on/off as booleans: quote it)"
    return f"key {prefix}{key!r} is not a string but {type(key).__name__}{hint}"

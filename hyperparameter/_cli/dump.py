"""Writing parameters back to a file (``--dump-params``) that ``--config`` reads again."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .._types import as_text


def nest(flat: dict[str, Any]) -> dict:
    """``{"a.b": 1, "a.c": 2}`` -> ``{"a": {"b": 1, "c": 2}}``."""
    tree: dict = {}
    for key in sorted(flat):
        node = tree
        *sections, leaf = key.split(".")
        for section in sections:
            node = node.setdefault(section, {})
            if not isinstance(node, dict):
                raise ValueError(f"cannot write {key}: {section} holds a value and a section")
        node[leaf] = flat[key]
    return tree


def _toml_value(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v, key) for v in value) + "]"
    raise ValueError(f"cannot write {key} = {value!r} as TOML (use a .yaml or .json file)")


def _toml(tree: dict, prefix: str = "") -> list[str]:
    lines = []
    for k, v in tree.items():
        name = k if k.isidentifier() else json.dumps(k)
        if v is None:  # TOML has no null: leave the key out, so reading it back gives its default
            lines.append(f"# {name} = None (TOML has no null; left out, so the default applies)")
        elif not isinstance(v, dict):
            lines.append(f"{name} = {_toml_value(v, prefix + k)}")
    for k, v in tree.items():
        if isinstance(v, dict):
            lines += ["", f"[{prefix}{k}]", *_toml(v, f"{prefix}{k}.")]
    return lines


def _check_writable(key: str, value: Any) -> None:
    """Every format gets the same refusal, by name, for what a config file cannot hold (an
    object, a suggester): a raw serializer error would name neither the key nor the value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_writable(key, item)
        return
    if isinstance(value, dict):
        for name, item in value.items():
            _check_writable(f"{key}.{name}", item)
        return
    raise ValueError(
        f"cannot write {key} = {value!r}: a parameter file holds numbers, text, booleans, null and "
        "lists (set this parameter in code, or leave it out of the dump)"
    )


def write(path: Path, flat: dict[str, Any]) -> None:
    """Write ``flat`` (dotted keys) to ``path`` as TOML, YAML or JSON, by its extension.

    TOML has no null: a ``None`` value is written as a comment, and reading the file back
    leaves that key to its default (``--dump-params`` checks that the default is ``None``).
    """
    flat = {key: as_text(value) for key, value in flat.items()}  # a Path default as its text
    for key, value in flat.items():
        _check_writable(key, value)
    tree = nest(flat)
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(tree, indent=2, ensure_ascii=False) + "\n"
    elif suffix in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(tree, sort_keys=True, allow_unicode=True)
    elif suffix == ".toml":
        text = "\n".join(_toml(tree)).lstrip("\n") + "\n"
    else:
        raise ValueError(f"{path}: unknown format {path.suffix!r} (use .toml, .yaml or .json)")
    path.write_text(text, encoding="utf-8")

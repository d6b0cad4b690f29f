"""``hp.config``: configuration files in, plain values (or a typed schema instance) out.

The pipeline: read each file (JSON, TOML, YAML by extension) → load the bases it names
(``defaults: [base.yaml]``) → merge deeply, later files win → resolve ``${...}`` references →
validate and convert against a schema, if one is given. Every value remembers the file and
key it came from, and every error names them.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from ._config_types import Config, PathLike, leaves
from ._errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

#: Deeper nesting than this is refused (a legitimate configuration never comes close).
MAX_DEPTH = 100
#: More values than this, counting every use of a YAML alias, is refused (alias bombs).
MAX_VALUES = 1_000_000
BASES_KEY = "defaults"
_REFERENCE = re.compile(r"\$\{([^${}]*)\}")
_ESCAPED = "$${"
_INDEX = re.compile(r"[0-9]{1,18}")  # a list index in a reference: ASCII digits, not "²"


# --- reading files ------------------------------------------------------------------------------


def _where(path: Path, line: Optional[int] = None, column: Optional[int] = None) -> str:
    if line is None:
        return str(path)
    return f"{path}, line {line}" + (f", column {column}" if column is not None else "")


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")  # a leading byte-order mark (Windows editors) is dropped
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            [f"{_where(path, line, column)}: not UTF-8 text (byte 0x{raw[exc.start]:02x})"]
        ) from None


def _parse_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError([f"{_where(path, exc.lineno, exc.colno)}: invalid JSON: {exc.msg}"]) from None


def _parse_toml(path: Path, text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its message with "(at line L, column C)": spell it as the others do.
        found = _TOML_AT.search(str(exc))
        if found:
            where = _where(path, int(found.group(2)), int(found.group(3)))
            raise ConfigError([f"{where}: invalid TOML: {found.group(1)}"]) from None
        raise ConfigError([f"{path}: invalid TOML: {exc}"]) from None


_TOML_AT = re.compile(r"\A(.*) \(at line (\d+), column (\d+)\)\Z", re.S)
#: Flow brackets and block indicators are the only ways YAML nests; see _yaml_depth_bound.
_YAML_LINE_PREFIX = re.compile(r"^[ \t?:-]*", re.M)


def _yaml_depth_bound(text: str) -> int:
    """An upper bound on the nesting depth of a YAML text, in linear time without parsing.

    A nested block collection starts at a column greater than its parent's (two levels per
    column at most, counting indentless sequences), and that column lies within the line's
    run of indentation and ``-``/``?``/``:`` indicators; each flow level needs a ``[`` or ``{``
    (``[a: b]`` adds one implicit mapping per ``[``). A ``{`` right after ``$`` is not one: in
    flow context a plain scalar stops before ``{``, which then cannot follow it without a
    parse error, so ``${`` never nests. Quoted text only makes the bound larger.
    """
    widest = max(len(m) for m in _YAML_LINE_PREFIX.findall(text))
    flow = 2 * text.count("[") + text.count("{") - text.count("${")
    return 2 * (widest + 2) + flow


def _yaml_depth(text: str, yaml: Any, loader: type) -> int:
    """The exact nesting depth, from the parser's event stream (no recursion, no values)."""
    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    depth = deepest = -1  # the top-level mapping is depth 0, as in _check_size
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, starts):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    break
        elif isinstance(event, ends):
            depth -= 1
    return deepest


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml  # imported on first use: most programs never read YAML

    # libyaml's loader is several times faster, but it composes nodes by C recursion: a deep
    # enough document overflows the stack (a crash, not an exception), so depth is checked
    # first whenever the cheap bound cannot rule it out.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        if (
            loader is not yaml.SafeLoader
            and _yaml_depth_bound(text) > MAX_DEPTH
            and _yaml_depth(text, yaml, loader) > MAX_DEPTH
        ):
            raise ConfigError([f"{path}: nested deeper than {MAX_DEPTH} levels"])
        loader = loader(text)
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" in str(exc.problem):
            # Newer libyaml stops at its own limit (1000 levels), far past ours.
            raise ConfigError([f"{path}: nested deeper than {MAX_DEPTH} levels"]) from None
        mark = exc.problem_mark
        where = _where(path, mark.line + 1, mark.column + 1) if mark else str(path)
        raise ConfigError([f"{where}: invalid YAML: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: invalid YAML: {exc}"]) from None


_PARSERS = {".json": _parse_json, ".toml": _parse_toml, ".yaml": _parse_yaml, ".yml": _parse_yaml}


#: Python will not print an int of more than 4300 digits, so such a value could not even be named
#: in an error message; YAML builds them from hex or sexagesimal (1:59:59:...) text.
_MAX_INT_BITS = 14_000


def _huge_int(value: Any) -> bool:
    return isinstance(value, int) and value.bit_length() > _MAX_INT_BITS


def _check_size(path: Path, data: Any) -> None:
    """Refuse absurd nesting and documents that expand (through shared YAML aliases) to more
    values than anyone writes, before anything walks them."""
    # id -> (values, height) of a collection already measured: a shared (aliased) one counts
    # again at every use, and its height again at every depth it is used from.
    seen: dict[int, tuple[int, int]] = {}

    def too_deep() -> ConfigError:
        return ConfigError([f"{path}: nested deeper than {MAX_DEPTH} levels"])

    def size(value: Any, depth: int) -> tuple[int, int]:
        if depth > MAX_DEPTH:
            raise too_deep()
        known = seen.get(id(value))
        if known is not None:
            if depth + known[1] > MAX_DEPTH:
                raise too_deep()
            return known
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict) and any(_huge_int(k) for k in value):
            raise ConfigError([f"{path}: an integer key of more than {_MAX_INT_BITS} bits"])
        total, height = 1, 0
        for child in children:
            if isinstance(child, (dict, list)):
                count, below = size(child, depth + 1)
                total += count
                height = max(height, below + 1)
            elif _huge_int(child):
                raise ConfigError([f"{path}: an integer of more than {_MAX_INT_BITS} bits (unprintable)"])
            else:
                total += 1
            if total > MAX_VALUES:
                raise ConfigError(
                    [
                        f"{path}: more than {MAX_VALUES:,} values and sections"
                        + (
                            " once its aliases are expanded (an alias bomb?)"
                            if path.suffix.lower() in (".yaml", ".yml")
                            else ""
                        )
                    ]
                )
        seen[id(value)] = (total, height)
        return total, height

    size(data, 0)


def _read(path: Path) -> dict:
    parser = _PARSERS.get(path.suffix.lower())
    if parser is None:
        known = ", ".join(sorted(_PARSERS))
        raise ConfigError([f"{path}: unknown configuration format {path.suffix!r} (use {known})"])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None
    try:
        data = parser(path, _decode(path, raw))
    except RecursionError:
        raise ConfigError([f"{path}: nested deeper than {MAX_DEPTH} levels"]) from None
    except ConfigError:
        raise
    except ValueError as exc:  # a value the parser cannot build: a YAML date 2001-13-45, a huge int
        raise ConfigError([f"{path}: invalid value: {exc}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: the top level must be a mapping of keys, not {type(data).__name__}"])
    _check_size(path, data)
    try:
        for _ in leaves(data):
            pass  # every key must be a string
    except ConfigError as exc:
        raise ConfigError([f"{path}: {exc.problems[0]}"]) from None
    return data


# --- bases and merging ----------------------------------------------------------------------


def _merge(base: dict, override: Mapping) -> dict:
    """A new dict: ``base`` with ``override`` merged in deeply; override wins."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Loaded:
    """Merged data plus the ``file:key`` source of every leaf."""

    def __init__(self) -> None:
        self.data: dict = {}
        self.sources: dict[str, str] = {}

    def add(self, data: dict, sources: dict[str, str]) -> None:
        self.data = _merge(self.data, data)
        for key in list(self.sources):
            if _shadowed(key, data):
                del self.sources[key]
        self.sources.update(sources)


def _shadowed(key: str, data: dict) -> bool:
    """Whether ``data`` replaces the leaf ``key`` (or a section above it)."""
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
        if not isinstance(node, dict):
            return True
    return True


def _bases_of(path: Path, data: dict) -> list[str]:
    named = data.pop(BASES_KEY, None)
    if named is None:
        return []
    items = [named] if isinstance(named, str) else named
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigError([f"{path}: {BASES_KEY!r} must name base files: a path or a list of paths"])
    return items


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError as exc:  # a name too long for the file system, say
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None


def _load_tree(path: Path, stack: tuple[tuple[Path, str], ...] = ()) -> _Loaded:
    """Load ``path`` over its bases. ``path`` is spelled as the user would: a base's path is
    the including file's folder joined with the name written in it."""
    resolved = path.resolve()
    if any(seen == resolved for seen, _ in stack):
        chain = " -> ".join([*(name for _, name in stack), str(path)])
        raise ConfigError([f"include cycle: {chain}"])
    data = _read(path)
    loaded = _Loaded()
    for written in _bases_of(path, data):
        base = path.parent / written
        if not _exists(base):
            raise ConfigError([f"{path}: base file {written!r} not found (looked for {base})"])
        sub = _load_tree(base, (*stack, (resolved, str(path))))
        loaded.add(sub.data, sub.sources)
    loaded.add(data, {key: f"{path}:{key}" for key, _ in leaves(data)})
    return loaded


# --- interpolation ----------------------------------------------------------------------------


class _Resolver:
    """Resolves ``${a.b}``, ``${env:NAME}`` and ``${env:NAME,default}`` in string leaves."""

    def __init__(self, data: dict, sources: dict[str, str]) -> None:
        self.data = data
        self.sources = sources
        self.done: dict[str, Any] = {}
        self.active: list[str] = []

    def where(self, key: str) -> str:
        source = self.sources.get(key)
        return f"{source.rsplit(':', 1)[0]}: " if source else ""

    def lookup(self, path: str, referrer: str) -> Any:
        node: Any = self.data
        walked = []
        for part in path.split("."):
            walked.append(part)
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and _INDEX.fullmatch(part) and int(part) < len(node):
                node = node[int(part)]
            else:
                chain = " -> ".join([*self.active, path])
                raise ConfigError(
                    [f"{self.where(referrer)}{referrer}: reference ${{{path}}} is not set ({chain})"]
                )
        return self.value(path, node)

    def value(self, key: str, value: Any) -> Any:
        if isinstance(value, str):
            return self.string(key, value)
        if isinstance(value, dict):
            return {k: self.value(f"{key}.{k}", v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(f"{key}.{i}", v) for i, v in enumerate(value)]
        return value

    def string(self, key: str, text: str) -> Any:
        if "${" not in text:
            return text
        if key in self.done:
            return self.done[key]
        if key in self.active:
            chain = " -> ".join([*self.active[self.active.index(key) :], key])
            raise ConfigError([f"{self.where(key)}reference cycle: {chain}"])
        self.active.append(key)
        try:
            result = self.substitute(key, text)
        finally:
            self.active.pop()
        self.done[key] = result
        return result

    def substitute(self, key: str, text: str) -> Any:
        protected = text.replace(_ESCAPED, "\0")
        whole = _REFERENCE.fullmatch(protected)
        if whole:
            return self.reference(key, whole.group(1))
        resolved = _REFERENCE.sub(lambda m: _text(self.reference(key, m.group(1))), protected)
        return resolved.replace("\0", "${")

    def reference(self, key: str, inner: str) -> Any:
        inner = inner.strip()
        if inner.startswith("env:"):
            name, comma, default = inner[4:].partition(",")
            name = name.strip()
            if name in os.environ:
                return os.environ[name]
            if comma:
                return default.strip()
            raise ConfigError(
                [f"{self.where(key)}{key}: environment variable {name} is not set (${{{inner}}})"]
            )
        if not inner:
            raise ConfigError([f"{self.where(key)}{key}: empty reference ${{}}"])
        return self.lookup(inner, key)


def _text(value: Any) -> str:
    """A referenced value inside a longer string, spelled as the engine spells it."""
    from ._backend import backend

    if isinstance(value, (bool, int, float)):
        return backend.convert("", value, str)
    if value is None:
        return "null"
    return str(value)


def _resolve(loaded: _Loaded) -> dict:
    resolver = _Resolver(loaded.data, loaded.sources)
    try:
        return {key: resolver.value(key, value) for key, value in loaded.data.items()}
    except RecursionError:
        raise ConfigError(["references nested too deeply (a chain of ${...} through ${...} ...)"]) from None


# --- public entry point -----------------------------------------------------------------------


def _as_config(data: dict, sources: dict[str, str]) -> Config:
    def wrap(value: Any, prefix: str) -> Any:
        if not isinstance(value, dict):
            return value
        section = Config({k: wrap(v, f"{prefix}{k}.") for k, v in value.items()})
        section.sources, section.prefix = sources, prefix
        return section

    return wrap(data, "")


def load(paths: Union[PathLike, Sequence[PathLike]], schema: Any = None) -> Any:
    """What ``hp.config(paths, schema)`` returns; its docstring describes the files and references."""
    if isinstance(paths, (str, os.PathLike)):
        items = [paths]
    elif isinstance(paths, (list, tuple)) and all(isinstance(p, (str, os.PathLike)) for p in paths):
        items = list(paths)
    else:
        raise ConfigError([f"hp.config() takes a file path or a list of paths, got {paths!r}"])
    if not items:
        raise ConfigError(["hp.config() needs at least one file"])
    merged = _Loaded()
    for item in items:
        path = Path(item)
        if not _exists(path):
            raise ConfigError([f"{path}: no such file"])
        tree = _load_tree(path)
        merged.add(tree.data, tree.sources)
    resolved = _resolve(merged)
    # ${...} references can repeat a section many times over, as YAML aliases do: same bounds.
    _check_size(path, resolved)
    if schema is None:
        return _as_config(resolved, merged.sources)
    from ._schema import validate

    return validate(resolved, schema, merged.sources)

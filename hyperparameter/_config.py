"""``hp.config``: configuration files (or mappings) in, plain values (or a typed schema instance) out.

The pipeline: read each file (JSON, TOML, YAML by extension), or check and copy each mapping,
which then goes by the name ``<mapping>`` → load the bases it names (``defaults: [base.yaml]``)
→ merge deeply, later sources win → resolve ``${...}`` references → validate and convert against
a schema, if one is given. Every value remembers the file (or ``<mapping>``) and key it came
from, and every error names them.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from ._backends import backend
from ._config_types import MAPPING, Config, Source, leaves, not_a_string, unknown_format
from ._errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

#: Deeper nesting than this is refused (a legitimate configuration never comes close).
MAX_DEPTH = 100
#: More values than this, counting every use of a YAML alias, is refused (alias bombs).
MAX_VALUES = 1_000_000
#: More characters than this, in all the text that ``${...}`` references build in one call, is
#: refused (reference bombs: each line ten references to the one before).
MAX_TEXT = 64 * 1024 * 1024
#: More files merged than this in one call, counting a base each time it is named, is refused
#: (``defaults:`` fan-out: each file naming the next ten times).
MAX_MERGES = 1_000
#: More values merged than this in one call, counting the values of a file (and of its bases)
#: each time it is merged, is refused: the work of merging stays bounded.
MAX_MERGED_VALUES = 5_000_000
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


def _line_and_column(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _parse_json(path: Path, text: str) -> Any:
    duplicates: list[str] = []

    def unique(pairs: list[tuple[str, Any]]) -> dict:
        section = dict(pairs)
        if len(section) < len(pairs) and not duplicates:
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    duplicates.append(key)
                    break
                seen.add(key)
        return section

    try:
        data = json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as exc:
        raise ConfigError([f"{_where(path, exc.lineno, exc.colno)}: invalid JSON: {exc.msg}"]) from None
    if duplicates:
        found = _json_duplicate(text)
        if found is None:  # pragma: no cover - the scan below finds whatever json.loads saw
            raise ConfigError([f"{path}: duplicate key {duplicates[0]}"])
        key, offset, first = found
        where = _where(path, *_line_and_column(text, offset))
        first_line = _line_and_column(text, first)[0]
        raise ConfigError([f"{where}: duplicate key {key} (first on line {first_line})"])
    return data


#: The tokens of a JSON text: strings, punctuation, and runs of anything else (numbers, words).
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def _json_duplicate(text: str) -> Optional[tuple[str, int, int]]:
    """The dotted key, offset and first offset of the first duplicate key of a valid JSON text.

    ``json`` gives no positions to its hooks, so this scans the tokens again (only once a
    duplicate is known to exist), keeping the path from the top to the current value.
    """
    # one entry per open container: [keys seen and where (None in a list), key or index, key next]
    stack: list[list[Any]] = []
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token == "{":
            stack.append([{}, None, True])
        elif token == "[":
            stack.append([None, 0, False])
        elif token in ("}", "]"):
            stack.pop()
        elif token == ",":
            top = stack[-1]
            if top[0] is None:
                top[1] += 1
            else:
                top[2] = True
        elif token == ":":
            stack[-1][2] = False
        elif stack and stack[-1][2]:
            top = stack[-1]
            key = json.loads(token)
            if key in top[0]:
                dotted = ".".join([*(str(entry[1]) for entry in stack[:-1]), key])
                return dotted, match.start(), top[0][key]
            top[0][key] = match.start()
            top[1] = key
    return None


def _parse_toml(path: Path, text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its message with "(at line L, column C)": spell it as the others do.
        found = _TOML_AT.search(str(exc))
        if found:
            line = int(found.group(2))
            where = _where(path, line, int(found.group(3)))
            problem = found.group(1)
            if problem == "Cannot overwrite a value":  # a key given twice: say which
                key, equals, _ = (text.splitlines()[line - 1 : line] or [""])[0].partition("=")
                problem += f" (key {key.strip()})" if equals and key.strip() else ""
            raise ConfigError([f"{where}: invalid TOML: {problem}"]) from None
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


_YAML_MERGE = "tag:yaml.org,2002:merge"
_YAML_VALUE = "tag:yaml.org,2002:value"  # the key "=", which PyYAML reads as the string "="
_YAML_STR = "tag:yaml.org,2002:str"


class _DuplicateKey(Exception):
    def __init__(self, mapping: Any, key: Any, first: Any) -> None:
        super().__init__()
        self.mapping, self.key, self.first = mapping, key, first


def _unique_keys(node: Any) -> None:
    """Raise _DuplicateKey if a mapping node gives one key twice itself. Keys that a merge
    (``<<: *base``) brings in are not its own: giving one of them again overrides it."""
    seen: dict[tuple[str, str], Any] = {}
    for key, _ in node.value:
        if key.tag == _YAML_MERGE or not isinstance(key.value, str):
            continue  # a merge, or a sequence or mapping as a key (refused later: not a string)
        spelled = (_YAML_STR if key.tag == _YAML_VALUE else key.tag, key.value)
        first = seen.setdefault(spelled, key)
        if first is not key:
            raise _DuplicateKey(node, key, first)


_STRICT_LOADERS: dict[type, type] = {}


def _strict(loader: type, mapping_node: type) -> type:
    """``loader`` refusing a key given twice in one mapping (PyYAML keeps the last silently)."""
    strict = _STRICT_LOADERS.get(loader)
    if strict is None:

        class Strict(loader):  # type: ignore[misc, valid-type]
            def construct_document(self, node: Any) -> Any:
                self.hp_root, self.hp_checked = node, set()
                return super().construct_document(node)

            def flatten_mapping(self, node: Any) -> None:
                # Every mapping passes here before it is built. Merging rewrites a mapping and
                # the ones it merges, so those are checked first, while they are as written.
                self.hp_check(node)
                super().flatten_mapping(node)

            def hp_check(self, node: Any) -> None:
                if id(node) in self.hp_checked:
                    return
                self.hp_checked.add(id(node))
                _unique_keys(node)
                for key, value in node.value:
                    if key.tag == _YAML_MERGE:
                        merged = value.value if isinstance(value.value, list) else []
                        for sub in [value] if isinstance(value, mapping_node) else merged:
                            if isinstance(sub, mapping_node):
                                self.hp_check(sub)

        strict = _STRICT_LOADERS[loader] = Strict
    return strict


def _yaml_key(node: Any) -> str:
    return node.value if isinstance(node.value, str) else "?"  # a sequence or mapping as a key


def _yaml_key_path(root: Any, target: Any) -> str:
    """The dotted path of the node ``target`` under ``root`` (searched without recursion)."""
    pending, seen = [(root, "")], {id(root)}
    while pending:
        node, prefix = pending.pop()
        if node is target:
            return prefix
        if isinstance(node.value, list):
            is_mapping = bool(node.value) and isinstance(node.value[0], tuple)
            children = (
                [(v, prefix if k.tag == _YAML_MERGE else f"{prefix}{_yaml_key(k)}.") for k, v in node.value]
                if is_mapping
                else [(v, f"{prefix}{i}.") for i, v in enumerate(node.value)]
            )
            for child, path in children:
                if id(child) not in seen:
                    seen.add(id(child))
                    pending.append((child, path))
    return ""  # pragma: no cover - the mapping being built is always reachable from the root


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
        loader = _strict(loader, yaml.MappingNode)(text)
        try:
            return loader.get_single_data()
        except _DuplicateKey as dup:
            mark = dup.key.start_mark
            dotted = _yaml_key_path(loader.hp_root, dup.mapping) + str(dup.key.value)
            raise ConfigError(
                [
                    f"{_where(path, mark.line + 1, mark.column + 1)}: duplicate key {dotted}"
                    f" (first on line {dup.first.start_mark.line + 1})"
                ]
            ) from None
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


def _check_size(path: Union[Path, str], data: Any) -> int:
    """Refuse absurd nesting and documents that expand (through shared YAML aliases) to more
    values than anyone writes, before anything walks them; the number of values and sections."""
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
                            if str(path).lower().endswith((".yaml", ".yml"))
                            else ""
                        )
                    ]
                )
        seen[id(value)] = (total, height)
        return total, height

    return size(data, 0)[0]


def _read(path: Path) -> dict:
    unknown = unknown_format(str(path))
    if unknown is not None:
        raise ConfigError([unknown])
    parser = _PARSERS[os.path.splitext(path)[1].lower()]
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


class _Section(dict):
    """A section built while merging, owned by one merge: merged into in place. Sections read
    from a file are plain dicts, shared wherever the file is named, and copied before a change."""


def _merge_into(target: _Section, override: Mapping) -> None:
    """Merge ``override`` into ``target`` deeply; override wins. ``override`` is not changed."""
    for key, value in override.items():
        below = target.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            if not isinstance(below, _Section):
                below = target[key] = _Section(below)
            _merge_into(below, value)
        else:
            target[key] = value


class _Loaded:
    """Merged data plus the ``file:key`` source of every leaf."""

    def __init__(self) -> None:
        self.data = _Section()
        self.sources: dict[str, str] = {}

    def add(self, data: dict, sources: dict[str, str]) -> None:
        """Merge ``data`` in; this takes over the sections of ``data`` that a merge built."""
        self._unshadow(self.data, data, "")
        _merge_into(self.data, data)
        self.sources.update(sources)

    def _unshadow(self, old: Any, new: Mapping, prefix: str) -> None:
        """Forget the sources of the leaves ``new`` replaces: a value at the same key, or a
        section it puts a value in place of (an empty section over a full one replaces nothing)."""
        for key, value in new.items():
            path = prefix + key
            self.sources.pop(path, None)
            below = old.get(key) if isinstance(old, dict) else None
            if isinstance(value, dict):
                if value:
                    self._unshadow(below, value, path + ".")
            elif isinstance(below, dict) and below:
                self._forget(below, path + ".")

    def _forget(self, old: dict, prefix: str) -> None:
        for key, value in old.items():
            self.sources.pop(prefix + key, None)
            if isinstance(value, dict):
                self._forget(value, prefix + key + ".")


def _bases_of(path: Union[Path, str], data: dict) -> list[str]:
    named = data.pop(BASES_KEY, None)
    if named is None:
        return []
    items = [named] if isinstance(named, str) else named
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigError([f"{path}: {BASES_KEY!r} must name base files: a path or a list of paths"])
    return items


#: Windows' words for a symlink loop (ERROR_CANT_RESOLVE_FILENAME), and for a name no file can
#: have (ERROR_NOT_READY, ERROR_INVALID_NAME), as ``Path.exists`` reads them.
_LOOP_WINERROR = 1921
_MISSING_WINERRORS = (21, 123)


def _exists(path: Path, what: Optional[str] = None) -> bool:
    """Whether ``path`` exists, as ``Path.exists`` says, except that a symlink loop is an error
    (``what`` names the path, in a base's case), and so is a path the system refuses."""
    try:
        path.stat()
    except ValueError:  # a NUL character in the name: no file has that name
        return False
    except OSError as exc:
        winerror = getattr(exc, "winerror", None)
        if exc.errno == errno.ELOOP or winerror == _LOOP_WINERROR:
            if what is None:
                raise ConfigError([f"{path}: a symlink loop (too many levels of symbolic links)"]) from None
            raise ConfigError(
                [f"{what} is a symlink loop (too many levels of symbolic links at {path})"]
            ) from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF) or winerror in _MISSING_WINERRORS:
            return False
        raise ConfigError([f"{path}: cannot read: {exc.strerror}"]) from None  # a name too long, say
    return True


class _Files:
    """The files of one ``hp.config`` call: each read and checked once (a base named in many
    places is merged in each of them, from the same parsed tree), and the merging bounded."""

    def __init__(self) -> None:
        self.parsed: dict[tuple[Path, str], tuple[dict, list[str]]] = {}
        self.merges = 0
        self.merged_values = 0

    def read(self, path: Path, resolved: Path) -> tuple[dict, list[str]]:
        self.merges += 1
        if self.merges > MAX_MERGES:
            raise ConfigError(
                [
                    f"{path}: more than {MAX_MERGES:,} files merged, counting a base each time it is"
                    " named (bases that name their bases many times over?)"
                ]
            )
        # The format comes from the name it is given by, which a symbolic link can change.
        key = (resolved, path.suffix.lower())
        parsed = self.parsed.get(key)
        if parsed is None:
            data = _read(path)
            parsed = self.parsed[key] = (data, _bases_of(path, data))
        return parsed

    def merge(
        self, path: Union[Path, str], into: _Loaded, data: dict, sources: dict[str, str], own: bool
    ) -> None:
        """Merge a file's ``own`` values, or a tree that ``_load_tree`` built (then taken over)."""
        if not into.data and not own:
            into.data, into.sources = data, sources  # nothing to merge into: nothing to do
            return
        self.merged_values += len(sources) + 1
        if self.merged_values > MAX_MERGED_VALUES:
            raise ConfigError(
                [
                    f"{path}: more than {MAX_MERGED_VALUES:,} values merged, counting the values of a"
                    " base each time it is merged (bases that name their bases many times over?)"
                ]
            )
        into.add(data, sources)


def _load_tree(path: Path, files: _Files, stack: tuple[tuple[Path, str], ...] = ()) -> _Loaded:
    """Load ``path`` over its bases. ``path`` is spelled as the user would: a base's path is
    the including file's folder joined with the name written in it."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop, before Python 3.13
        raise ConfigError([f"{path}: cannot resolve: {exc}"]) from None
    if any(seen == resolved for seen, _ in stack):
        chain = " -> ".join([*(name for _, name in stack), str(path)])
        raise ConfigError([f"include cycle: {chain}"])
    data, bases = files.read(path, resolved)
    loaded = _Loaded()
    for written in bases:
        base = path.parent / written
        if not _exists(base, f"{path}: base file {written!r}"):
            raise ConfigError([f"{path}: base file {written!r} not found (looked for {base})"])
        sub = _load_tree(base, files, (*stack, (resolved, str(path))))
        files.merge(base, loaded, sub.data, sub.sources, own=False)
    files.merge(path, loaded, data, {key: f"{path}:{key}" for key, _ in leaves(data)}, own=True)
    return loaded


# --- mappings ---------------------------------------------------------------------------------

#: The values a mapping may hold besides sections and lists: what JSON, TOML and YAML files give
#: (``datetime.datetime`` is a ``datetime.date``).
_SCALARS = (str, bool, int, float, type(None), datetime.date, datetime.time)


def _short(value: Any) -> str:
    """``repr(value)``, cut short: an error names a value, it does not print a whole object."""
    try:
        text = repr(value)
    except Exception:  # a value whose repr fails is still named by its type
        return "(no repr)"
    return text if len(text) <= 60 else text[:57] + "..."


def _copy_mapping(mapping: Mapping) -> dict:
    """A mapping given to ``hp.config`` as a file would hold it: plain dicts and lists (tuples
    become lists), every key a string, every value JSON-like data; the mapping is not changed.

    The checks a file's contents pass apply too (depth, number of values, huge integers), and a
    mapping or list that holds itself is refused: each error names the dotted path.
    """
    count = 0
    holding: set[int] = set()  # the mappings and lists being copied: one met again holds itself

    def problem(key: str, message: str) -> ConfigError:
        return ConfigError([f"{MAPPING}: {key + ': ' if key else ''}{message}"])

    def copy(value: Any, key: str, depth: int) -> Any:
        nonlocal count
        count += 1
        if count > MAX_VALUES:
            raise ConfigError([f"{MAPPING}: more than {MAX_VALUES:,} values and sections"])
        if isinstance(value, (Mapping, list, tuple)):
            if depth > MAX_DEPTH:
                raise ConfigError([f"{MAPPING}: nested deeper than {MAX_DEPTH} levels"])
            if id(value) in holding:
                raise problem(key, "refers back to a section that contains it (a cycle is not data)")
            holding.add(id(value))
            try:
                if isinstance(value, Mapping):
                    prefix = key + "." if key else ""
                    section = {}
                    for k, v in value.items():
                        if not isinstance(k, str):
                            raise ConfigError([f"{MAPPING}: {not_a_string(prefix, k, from_yaml=False)}"])
                        section[k] = copy(v, prefix + k, depth + 1)
                    return section
                return [copy(v, f"{key}.{i}" if key else str(i), depth + 1) for i, v in enumerate(value)]
            finally:
                holding.discard(id(value))
        if _huge_int(value):
            raise problem(key, f"an integer of more than {_MAX_INT_BITS} bits (unprintable)")
        if isinstance(value, _SCALARS):
            return value
        raise problem(
            key,
            f"{type(value).__name__} {_short(value)} is not configuration data (a file holds strings, "
            "numbers, booleans, None, dates, lists and mappings)",
        )

    return copy(mapping, "", 0)


def _load_mapping(mapping: Mapping, files: _Files) -> _Loaded:
    """Load a mapping as the contents of a file named ``<mapping>`` in the working folder: its
    ``defaults:`` bases are found from there."""
    data = _copy_mapping(mapping)
    loaded = _Loaded()
    for written in _bases_of(MAPPING, data):
        base = Path(written)
        if not _exists(base, f"{MAPPING}: base file {written!r}"):
            raise ConfigError(
                [f"{MAPPING}: base file {written!r} not found (looked for {os.path.abspath(base)})"]
            )
        sub = _load_tree(base, files)
        files.merge(base, loaded, sub.data, sub.sources, own=False)
    files.merge(MAPPING, loaded, data, {key: f"{MAPPING}:{key}" for key, _ in leaves(data)}, own=True)
    return loaded


# --- interpolation ----------------------------------------------------------------------------


class _Resolver:
    """Resolves ``${a.b}``, ``${env:NAME}`` and ``${env:NAME,default}`` in string leaves.

    What references build is bounded as it is built: the text (``MAX_TEXT`` characters in all)
    and the values and sections a reference to a section or list copies (``MAX_VALUES``), so a
    bomb is refused, naming the key, before it takes the memory it asks for.
    """

    def __init__(self, data: dict, sources: dict[str, str]) -> None:
        self.data = data
        self.sources = sources
        self.done: dict[str, Any] = {}
        self.active: list[str] = []
        self.text_left = MAX_TEXT
        self.values_left = MAX_VALUES
        self.copying: list[str] = []  # the keys whose references are copying what they name
        # id -> (the value, so the id stays its own, and len(repr(value))) for values spelled in text
        self.lengths: dict[int, tuple[Any, int]] = {}

    def where(self, key: str) -> str:
        """``file: `` of the value at ``key`` (of the section or list it is in, for one without
        a source of its own), or nothing."""
        while True:
            source = self.sources.get(key)
            if source:
                return f"{source.rsplit(':', 1)[0]}: "
            if "." not in key:
                return ""
            key = key.rpartition(".")[0]

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
        self.copying.append(referrer)
        try:
            return self.value(path, node)
        finally:
            self.copying.pop()

    def value(self, key: str, value: Any) -> Any:
        if isinstance(value, str):
            return self.string(key, value)
        if isinstance(value, (dict, list)) and self.copying:
            self.values_left -= len(value) + 1
            if self.values_left < 0:
                referrer = self.copying[-1]
                raise ConfigError(
                    [
                        f"{self.where(referrer)}{referrer}: references copy more than {MAX_VALUES:,}"
                        " values and sections in all (a reference bomb?)"
                    ]
                )
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
            return self.reference(key, whole.group(1))  # the value itself: nothing new is built
        # The pieces are counted before they are joined, so the text a bomb asks for is never built.
        pieces: list[str] = []
        start = 0
        for match in _REFERENCE.finditer(protected):
            pieces.append(self.charge(key, protected[start : match.start()].replace("\0", "${")))
            pieces.append(self.charge(key, self.spell(key, self.reference(key, match.group(1)))))
            start = match.end()
        pieces.append(self.charge(key, protected[start:].replace("\0", "${")))
        return "".join(pieces)

    def charge(self, key: str, text: str) -> str:
        self.text_left -= len(text)
        if self.text_left < 0:
            raise self.too_much_text(key)
        return text

    def too_much_text(self, key: str) -> ConfigError:
        return ConfigError(
            [
                f"{self.where(key)}{key}: references build more than {MAX_TEXT:,} characters of text"
                " in all (a reference bomb?)"
            ]
        )

    def spell(self, key: str, value: Any) -> str:
        """A referenced value inside a longer string, spelled as the engine spells it."""
        if isinstance(value, (dict, list)):  # spelled as Python does; measured before it is built
            if self.length(value) > self.text_left:
                raise self.too_much_text(key)
            return str(value)
        return _text(value)

    def length(self, value: Any) -> int:
        """``len(repr(value))`` without building it, each shared section or list measured once."""
        known = self.lengths.get(id(value))
        if known is not None:
            return known[1]
        if isinstance(value, dict):
            items = [len(repr(k)) + 2 + self.length(v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [self.length(v) for v in value]
        else:
            return len(repr(value))
        total = 2 + sum(items) + 2 * max(len(items) - 1, 0)
        self.lengths[id(value)] = (value, total)
        return total

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
    """A referenced scalar inside a longer string, spelled as the engine spells it."""
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


_SOURCE_TYPES = (str, os.PathLike, Mapping)


def load(paths: Union[Source, Sequence[Source]], schema: Any = None) -> Any:
    """What ``hp.config(paths, schema)`` returns; its docstring describes the files and references.

    Each source is a file path or a mapping; a mapping is checked and loaded as the contents of
    a file named ``<mapping>`` would be.
    """
    if isinstance(paths, _SOURCE_TYPES):
        items = [paths]
    elif isinstance(paths, (list, tuple)):
        items = list(paths)
        for number, item in enumerate(items, 1):
            if not isinstance(item, _SOURCE_TYPES):
                raise ConfigError(
                    [
                        f"hp.config(): item {number} of the list is {type(item).__name__} {_short(item)},"
                        " not a file path or a mapping"
                    ]
                )
    else:
        raise ConfigError(
            [f"hp.config() takes a file path, a mapping, or a list of them, got {_short(paths)}"]
        )
    if not items:
        raise ConfigError(["hp.config() needs at least one file or mapping"])
    merged = _Loaded()
    files = _Files()
    name: Union[Path, str] = MAPPING
    for item in items:
        if isinstance(item, Mapping):
            name = MAPPING
            tree = _load_mapping(item, files)
        else:
            name = Path(item)
            if not _exists(name):
                raise ConfigError([f"{name}: no such file"])
            tree = _load_tree(name, files)
        files.merge(name, merged, tree.data, tree.sources, own=False)
    resolved = _resolve(merged)
    # ${...} references can repeat a section many times over, as YAML aliases do: same bounds.
    _check_size(name, resolved)
    if schema is None:
        return _as_config(resolved, merged.sources)
    from ._schema import validate

    return validate(resolved, schema, merged.sources)

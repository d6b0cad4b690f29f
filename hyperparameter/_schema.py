"""Checking loaded configuration against a dataclass or a class with type hints.

Every problem is collected (with its dotted key and the file it came from) and reported
together; strings convert by the engine's rules ("8080" -> 8080, "true" -> True), and to the
other types (``Path``, ``Decimal``, dates, enums, user types) by ``_types``, as reads do.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import typing
from typing import Any, Union

from ._backends import backend
from ._cli.text import did_you_mean
from ._errors import ConfigError, ConversionError
from ._state import CONVERTIBLE, MISSING
from ._types import NO_MEMBER, convert, converts, enum_member, label

if sys.version_info >= (3, 10):
    import types

    _UNION_TYPES: tuple = (Union, types.UnionType)
else:  # pragma: no cover
    _UNION_TYPES = (Union,)


class _Problems:
    def __init__(self, sources: dict[str, str]) -> None:
        self.sources = sources
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        where = self.file_of(key)
        self.items.append(f"{where + ': ' if where else ''}{key or '<top level>'}: {message}")

    def file_of(self, key: str) -> str:
        """The file ``key`` came from; for a section, the file of its first leaf; for a list
        item or a missing key, that of the nearest section above it that has one."""
        candidate = key
        while candidate:
            if candidate in self.sources:
                return _file(candidate, self.sources[candidate])
            below = candidate + "."
            for k, source in self.sources.items():
                if k.startswith(below):
                    return _file(k, source)
            candidate = candidate.rpartition(".")[0]
        # A top-level key nobody set: every file could have.
        files = dict.fromkeys(_file(k, source) for k, source in self.sources.items())
        return ", ".join(files)


def _file(key: str, source: str) -> str:
    """The file of a ``file:key`` source (keys may contain ':', so split at the known key)."""
    return source[: -len(key) - 1] if source.endswith(":" + key) else source


def _name(tp: Any) -> str:
    """A type as written in a schema: ``List[Layer]``, ``Optional[int]``, ``Literal['a', 'b']``."""
    origin = typing.get_origin(tp)
    if origin is None:
        if tp is type(None):
            return "None"
        return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")
    args = typing.get_args(tp)
    if origin is typing.Literal:
        return f"Literal[{', '.join(map(repr, args))}]"
    if origin in _UNION_TYPES:
        options = [a for a in args if a is not type(None)]
        if len(options) == 1 < len(args):
            return f"Optional[{_name(options[0])}]"
        return f"Union[{', '.join(map(_name, args))}]"
    base = getattr(tp, "_name", None) or _name(origin)  # typing.List[int] -> List; list[int] -> list
    return f"{base}[{', '.join('...' if a is Ellipsis else _name(a) for a in args)}]"


def _type_hints(schema: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(schema)
    except KeyError:
        # Python 3.9 looks up the module of every class in sys.modules and fails for a class
        # made outside any (in exec'd code, a doctest): resolve names where it was made.
        module = sys.modules.get(schema.__module__)
        return typing.get_type_hints(schema, globalns=vars(module) if module else {})


def _fields(schema: type) -> dict[str, tuple[Any, Any]]:
    """name -> (type, default or MISSING), for a dataclass or any class with type hints."""
    hints = _type_hints(schema)
    if dataclasses.is_dataclass(schema):
        fields = {}
        for f in dataclasses.fields(schema):
            if not f.init:
                continue  # computed by the class (field(init=False)): not configurable
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = MISSING
            fields[f.name] = (hints.get(f.name, Any), default)
        return fields
    return {
        name: (tp, getattr(schema, name, MISSING))
        for name, tp in hints.items()
        if not name.startswith("_") and typing.get_origin(tp) is not typing.ClassVar
    }


def _is_schema(tp: Any) -> bool:
    return isinstance(tp, type) and (
        dataclasses.is_dataclass(tp)
        or (tp not in CONVERTIBLE and not issubclass(tp, enum.Enum) and bool(_type_hints(tp)))
    )


def _build(schema: type, values: dict) -> Any:
    if dataclasses.is_dataclass(schema):
        return schema(**values)
    instance = schema.__new__(schema)
    for name, value in values.items():
        setattr(instance, name, value)
    return instance


def _object(value: Any, schema: type, key: str, problems: _Problems) -> Any:
    if not isinstance(value, dict):
        problems.add(key, f"expected a section ({schema.__name__}), got {type(value).__name__} {value!r}")
        return MISSING
    fields = _fields(schema)
    prefix = f"{key}." if key else ""
    for unknown in sorted(set(value) - set(fields)):
        problems.add(prefix + unknown, f"unknown key for {schema.__name__}{did_you_mean(unknown, fields)}")
    built = {}
    for name, (tp, default) in fields.items():
        if name in value:
            built[name] = _check(value[name], tp, prefix + name, problems)
        elif default is not MISSING:
            built[name] = default
        else:
            problems.add(prefix + name, f"required {_name(tp)} is missing")
    if len(problems.items):
        return MISSING
    return _build(schema, built)


def _check(value: Any, tp: Any, key: str, problems: _Problems) -> Any:
    if tp is Any or tp is object:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in _UNION_TYPES:
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _check(value, options[0], key, problems)
        for option in options:
            trial = _Problems(problems.sources)
            result = _check(value, option, key, trial)
            if not trial.items:
                return result
        problems.add(key, f"expected {_name(tp)}, got {value!r}")
        return MISSING
    if origin is typing.Literal:
        if value in args:
            return value
        for allowed in args:
            if isinstance(allowed, CONVERTIBLE) and not isinstance(value, type(allowed)):
                try:
                    if backend.convert(key, value, type(allowed)) == allowed:
                        return allowed
                except ConversionError:
                    pass
        problems.add(key, f"expected one of {', '.join(map(repr, args))}, got {value!r}")
        return MISSING
    if origin in (list, typing.List, tuple, set, frozenset):
        if not isinstance(value, list):
            problems.add(key, f"expected a list, got {type(value).__name__} {value!r}")
            return MISSING
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            # Tuple[int, str]: one type per position.
            if len(value) != len(args):
                problems.add(key, f"expected {len(args)} items ({_name(tp)}), got {len(value)}")
                return MISSING
            return tuple(_check(v, t, f"{key}.{i}", problems) for i, (v, t) in enumerate(zip(value, args)))
        item_type = args[0] if args else Any
        items = [_check(v, item_type, f"{key}.{i}", problems) for i, v in enumerate(value)]
        return items if origin in (list, typing.List) else origin(items)
    if origin in (dict, typing.Dict):
        if not isinstance(value, dict):
            problems.add(key, f"expected a mapping, got {type(value).__name__} {value!r}")
            return MISSING
        value_type = args[1] if len(args) == 2 else Any
        return {k: _check(v, value_type, f"{key}.{k}", problems) for k, v in value.items()}
    if tp in CONVERTIBLE:
        return _scalar(value, tp, key, problems)
    # A section (a mapping) of a schema class is checked field by field, even if the class
    # could also be read from text (a ``from_string`` classmethod).
    if converts(tp) and not (isinstance(value, dict) and _is_schema(tp)):
        return _converted(value, tp, key, problems)
    if _is_schema(tp):
        return _object(value, tp, key, problems)
    if isinstance(tp, type) and isinstance(value, tp):
        return value
    problems.add(key, f"expected {_name(tp)}, got {type(value).__name__} {value!r}")
    return MISSING


def _scalar(value: Any, tp: type, key: str, problems: _Problems) -> Any:
    if type(value) is tp or (tp is float and type(value) is int):
        return tp(value)
    if value is None or isinstance(value, (dict, list)):
        problems.add(key, f"expected {tp.__name__}, got {type(value).__name__} {value!r}")
        return MISSING
    try:
        return backend.convert(key, value, tp)
    except ConversionError:
        problems.add(key, f"expected {tp.__name__}, got {value!r}")
        return MISSING


def _converted(value: Any, tp: type, key: str, problems: _Problems) -> Any:
    """A value of a type beyond the four scalars: a ``Path``, ``Decimal``, date, enum or user
    type, converted as a read with a default of that type converts it (``None`` only where
    the field is ``Optional``, which ``_check`` has handled)."""
    try:
        if value is None:
            raise ConversionError("null")
        return convert(key, value, tp)
    except ConversionError as exc:
        if isinstance(tp, enum.EnumMeta) and enum_member(tp, value, key) is NO_MEMBER:
            names = ", ".join(m.name for m in tp)  # type: ignore[attr-defined]
            problems.add(key, f"expected one of {tp.__name__} ({names}), got {value!r}")
        elif value is None or isinstance(value, (dict, list)):
            problems.add(key, f"expected {label(tp)}, got {type(value).__name__} {value!r}")
        else:
            reason = getattr(exc, "reason", "")
            problems.add(key, f"expected {label(tp)}, got {value!r}{f' ({reason})' if reason else ''}")
        return MISSING


def validate(data: dict, schema: type, sources: dict[str, str]) -> Any:
    """An instance of ``schema`` from ``data``, or ConfigError listing every problem."""
    if not _is_schema(schema):
        raise TypeError(f"schema must be a dataclass or a class with type hints, got {schema!r}")
    problems = _Problems(sources)
    result = _object(data, schema, "", problems)
    if problems.items:
        raise ConfigError(problems.items)
    return result

"""Conversions to the types beyond the engine's four (bool, int, float, str): paths, decimals,
UUIDs, dates and times, durations, enums, and user types (``hp.register_type`` or a
``from_string`` classmethod).

This is the one place they are decided. A read with a default (``_state.coerce``), ``@hp.param``
(by the default's type, or by the annotation when the default is None), the command line
(options, ``-D``, ``--config``) and schemas all convert through ``convert``. The value stored in
a scope stays what was set (usually text): only reads convert, so native code sees the text.

Nothing here imports ``pathlib``, ``decimal``, ``uuid`` or ``datetime``: a value or a default
of one of those types means its module is imported already, so it is looked up in
``sys.modules`` when a type is first met, and the answer is cached per type.
"""

from __future__ import annotations

import enum
import os
import sys
import typing
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, Union

from ._backends import backend
from ._backends.values import plain
from ._backends.wording import shown_value
from ._errors import ConversionError

#: The engine's own types: they convert by its rules (``backend.convert``), the same in every
#: language, and cannot be registered.
SCALARS = (bool, int, float, str)
if TYPE_CHECKING:
    #: A converter: ``(key, value, wanted type) -> value of that type``, or ConversionError.
    Converter = Callable[[str, Any, type], Any]

T = TypeVar("T")

#: Types given a parser with ``register_type``.
registered: dict[type, Callable[[str], Any]] = {}
#: type -> its converter, or None for a type that does not convert; filled on first use.
found: dict[type, Optional[Converter]] = {}
#: How many times ``register_type`` was called (a list, so importers share it), so that what
#: was worked out from annotations before is worked out again.
registrations = [0]
#: Called after each ``register_type`` (``@hp.param`` drops the values it resolved before).
on_register: list[Callable[[], None]] = []
#: How many types ``found`` keeps before it starts again.
FOUND_LIMIT = 10_000


def register_type(kind: type[T], parse: Callable[[str], T]) -> None:
    """Teach every conversion a type: ``parse(text)`` returns the value of ``kind`` that the
    text stands for, or raises (any exception) when it stands for none.

    Reads with a default of that type, ``@hp.param`` parameters whose default (or, for a
    ``None`` default, annotation) is that type, options and ``-D`` on the command line,
    ``--config`` files and schemas then all convert with it. ``parse`` always receives text:
    an int or float (from a YAML or JSON file) is first written as the engine writes numbers
    (``8080``, ``0.5``); an instance of ``kind`` is kept as it is; anything else (a bool, a list,
    ``None``) is refused. A failure is a ``ConversionError`` naming key, value and type.

    The type is matched exactly (a subclass is not covered). A registered parser comes first:
    before a ``from_string`` classmethod, which is used without registering, and before the
    built-in conversions (``Path``, ``Decimal``, ``UUID``, dates and times, ``timedelta``,
    enums). ``bool``, ``int``, ``float`` and ``str`` convert by the engine's rules in every
    language and cannot be registered.

    >>> import hyperparameter as hp
    >>> class Size:
    ...     def __init__(self, nbytes): self.nbytes = nbytes
    ...     def __repr__(self): return f"Size({self.nbytes})"
    >>> def parse_size(text):
    ...     units = {"K": 2**10, "M": 2**20, "G": 2**30}
    ...     return Size(int(text[:-1]) * units[text[-1].upper()])
    >>> hp.register_type(Size, parse_size)
    >>> with hp.scope(**{"cache.size": "64M"}):
    ...     hp.scope.cache.size | Size(0)
    Size(67108864)
    >>> with hp.scope(**{"cache.size": "64X"}):
    ...     hp.scope.cache.size | Size(0)
    Traceback (most recent call last):
    ...
    hyperparameter._errors.ConversionError: parameter 'cache.size': cannot convert '64X' to Size ...
    """
    if not isinstance(kind, type):
        raise TypeError(f"register_type(kind, parse): kind must be a class, got {kind!r}")
    if kind in SCALARS:
        raise ValueError(
            f"{kind.__name__} converts by the engine's rules, the same in every language; "
            "it cannot be registered"
        )
    if not callable(parse):
        raise TypeError(f"register_type(kind, parse): parse must be callable, got {parse!r}")
    registered[kind] = parse
    found.clear()
    registrations[0] += 1
    for listener in on_register:
        listener()


# --- finding a type's converter ---------------------------------------------------------------


def converter(kind: type) -> Optional[Converter]:
    """How values convert to ``kind`` (not one of ``SCALARS``), or None when they do not."""
    try:
        return found[kind]
    except KeyError:
        pass
    made = _find(kind)
    if len(found) >= FOUND_LIMIT:
        found.clear()
    found[kind] = made
    return made


def converts(kind: Any) -> bool:
    """Whether values convert to ``kind``: one of ``SCALARS`` or a type with a converter."""
    return kind in SCALARS or (isinstance(kind, type) and converter(kind) is not None)


def _find(kind: type) -> Optional[Converter]:
    """Registered first, then ``from_string``, then the built-in conversions."""
    parse = registered.get(kind)
    if parse is not None:
        return _parsed_by(parse)
    for base in kind.__mro__:
        method = base.__dict__.get("from_string")
        if method is not None:
            if isinstance(method, (classmethod, staticmethod)):
                return _from_string
            break  # an instance method of that name: not a parser
    if issubclass(kind, enum.Enum):
        return _enum
    modules = sys.modules
    pathlib = modules.get("pathlib")
    if pathlib is not None and issubclass(kind, pathlib.PurePath):
        return _path
    decimal = modules.get("decimal")
    if decimal is not None and issubclass(kind, decimal.Decimal):
        return _decimal
    uuid = modules.get("uuid")
    if uuid is not None and issubclass(kind, uuid.UUID):
        return _uuid
    datetime = modules.get("datetime")
    if datetime is not None:
        if issubclass(kind, datetime.datetime):
            return _datetime
        if issubclass(kind, datetime.date):
            return _date
        if issubclass(kind, datetime.time):
            return _time
        if issubclass(kind, datetime.timedelta):
            return _timedelta
    return None


# --- converting -------------------------------------------------------------------------------


def convert(key: str, value: Any, wanted: type) -> Any:
    """``value`` as a ``wanted``: by the engine's rules for the four scalars, by the rules of
    this module for the others. ``None`` stays ``None``. Raises ConversionError (naming key,
    value and type), or TypeError for a type that does not convert."""
    if value is None or type(value) is wanted:
        return value
    if wanted in SCALARS:
        return backend.convert(key, value, wanted)
    made = converter(wanted)
    if made is None:
        raise TypeError(f"no conversion to {label(wanted)}: register one with hp.register_type")
    return made(key, value, wanted)


def convert_other(key: str, value: Any, kind: type) -> Any:
    """What a read with a default of type ``kind`` (not one of the four scalars) returns:
    ``value`` converted, or ``value`` itself when ``kind`` has no conversion."""
    made = converter(kind)
    return value if made is None else made(key, value, kind)


def label(kind: Any) -> str:
    """A type's name in messages: ``Path`` for the platform's own path class (``PosixPath``)."""
    return getattr(generic(kind), "__name__", None) or str(kind).replace("typing.", "")


def generic(kind: Any) -> Any:
    """``pathlib.Path`` for the platform's own ``PosixPath``/``WindowsPath`` (what ``Path(...)``
    makes), ``PurePath`` likewise; any other type as it is."""
    pathlib = sys.modules.get("pathlib")
    if pathlib is not None and isinstance(kind, type) and issubclass(kind, pathlib.PurePath):
        if kind is type(pathlib.Path()):
            return pathlib.Path
        if kind is type(pathlib.PurePath()):
            return pathlib.PurePath
    return kind


def failure(key: str, value: Any, kind: type, reason: str = "") -> ConversionError:
    """The error for ``value`` that does not convert to ``kind``, worded as the engine's
    (``parameter 'k': cannot convert 'x' to Path``); ``reason``, if any, in parentheses."""
    shown = shown_value(value) if type(value) in SCALARS or value is None else _repr(value)
    error = ConversionError(
        f"parameter {key!r}: cannot convert {shown} to {label(kind)}{f' ({reason})' if reason else ''}"
    )
    error.reason = reason  # type: ignore[attr-defined]
    return error


def _repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 256 else f"{text[:200]}... ({len(text)} characters)"


def _text(key: str, value: Any, kind: type) -> str:
    """The text a value stands for: text as it is, an int or float as the engine writes it
    (``8080``, ``0.5``); anything else (a bool, None, a list) is refused."""
    if type(value) is str:
        return value
    base = plain(value)
    if type(base) in (str, int, float):
        text: str = backend.convert(key, base, str)
        return text
    raise failure(key, value, kind)


def _parsed_by(parse: Callable[[str], Any]) -> Converter:
    def by_parser(key: str, value: Any, kind: type) -> Any:
        if isinstance(value, kind):
            return value
        return _call_parser(parse, key, value, kind)

    return by_parser


def _from_string(key: str, value: Any, kind: type) -> Any:
    if isinstance(value, kind):
        return value
    return _call_parser(kind.from_string, key, value, kind)  # type: ignore[attr-defined]


def _call_parser(parse: Callable[[str], Any], key: str, value: Any, kind: type) -> Any:
    text = _text(key, value, kind)
    try:
        return parse(text)
    except Exception as exc:  # noqa: BLE001 - a user's parser may raise anything: it says "no"
        detail = str(exc)
        raise failure(key, value, kind, f"{type(exc).__name__}: {detail}" if detail else "") from exc


NO_MEMBER: Any = object()


def enum_member(kind: type, value: Any, key: str = "") -> Any:
    """The member of enum ``kind`` that ``value`` names, by value, then by name; text also
    matches a member whose value is a bool, int or float by the engine's rules (``"3"`` is
    the member of value ``3``). ``NO_MEMBER`` when none matches."""
    members = list(kind)  # type: ignore[call-overload]
    for member in members:
        if value == member.value:
            return member
    for member in members:
        if value == member.name:
            return member
    if type(value) is str:
        for member in members:
            if type(member.value) in (bool, int, float):
                try:
                    if backend.convert(key, value, type(member.value)) == member.value:
                        return member
                except ConversionError:
                    pass
    return NO_MEMBER


def _enum(key: str, value: Any, kind: type) -> Any:
    if isinstance(value, kind):
        return value
    member = enum_member(kind, value, key)
    if member is NO_MEMBER:
        names = ", ".join(m.name for m in kind)  # type: ignore[attr-defined]
        raise failure(key, value, kind, f"one of {names}, by value or name")
    return member


def _path(key: str, value: Any, kind: type) -> Any:
    if isinstance(value, kind):
        return value
    text = value if isinstance(value, os.PathLike) else _text(key, value, kind)
    if text == "":
        raise failure(key, value, kind, "an empty path; write '.' for the current folder")
    try:
        return kind(text)
    except (TypeError, ValueError) as exc:  # a NUL byte is refused when the path is used
        raise failure(key, value, kind) from exc


def _decimal(key: str, value: Any, kind: type) -> Any:
    """Exact: from text or an int; a float through its ``repr`` (``0.1`` is ``Decimal('0.1')``,
    not the binary fraction a float holds)."""
    if isinstance(value, kind):
        return value
    base = plain(value)
    source: Any
    if type(base) is str or type(base) is int:
        source = base
    elif type(base) is float:
        source = repr(base)
    else:
        raise failure(key, value, kind)
    try:
        return kind(source)
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise failure(key, value, kind) from exc


def _uuid(key: str, value: Any, kind: type) -> Any:
    if isinstance(value, kind):
        return value
    try:
        return kind(_text(key, value, kind).strip())
    except (TypeError, ValueError) as exc:
        raise failure(key, value, kind) from exc


def _iso(key: str, value: Any, kind: type) -> Any:
    """``kind.fromisoformat`` of the text (Python's own ISO 8601 reader)."""
    try:
        return kind.fromisoformat(_text(key, value, kind).strip())  # type: ignore[attr-defined]
    except (TypeError, ValueError) as exc:
        raise failure(key, value, kind) from exc


def _is_date_only(datetime: Any, text: str) -> bool:
    try:
        datetime.date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def _datetime(key: str, value: Any, kind: type) -> Any:
    """A date and time. A date alone (text or object) is refused: midnight is not guessed."""
    if isinstance(value, kind):
        return value
    datetime = sys.modules["datetime"]
    date_only = isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
    if date_only or (isinstance(value, str) and _is_date_only(datetime, value)):
        day = value.isoformat() if date_only else str.strip(value)
        raise failure(key, value, kind, f"a date without a time: write '{day}T00:00' for midnight")
    return _iso(key, value, kind)


def _date(key: str, value: Any, kind: type) -> Any:
    datetime = sys.modules["datetime"]
    if isinstance(value, datetime.datetime):  # a date and time is not a date: no time is dropped
        raise failure(key, value, kind, "it has a time of day")
    if isinstance(value, kind):
        return value
    return _iso(key, value, kind)


def _time(key: str, value: Any, kind: type) -> Any:
    if isinstance(value, kind):
        return value
    return _iso(key, value, kind)


SECONDS_HINT = "a duration is a number of seconds, such as 90 or 0.25"


def _timedelta(key: str, value: Any, kind: type) -> Any:
    """A number of seconds: an int or float, or their text (``90``, ``1.5``, ``-2``, ``1e3``),
    to the microsecond. Text of any other form, a bool, ``nan`` and ``inf`` are refused."""
    if isinstance(value, kind):
        return value
    base = plain(value)
    seconds: Any = None
    if type(base) is str:
        text = base.strip()
        try:
            seconds = int(text) if text.lstrip("+-").isdigit() and text.isascii() else None
        except ValueError:
            seconds = None
        if seconds is None:
            try:
                seconds = backend.convert(key, text, float)
            except ConversionError:
                seconds = None
    elif type(base) in (int, float):
        seconds = base
    if seconds is None or (type(seconds) is float and seconds - seconds != 0):  # not a number, nan, inf
        raise failure(key, value, kind, SECONDS_HINT)
    try:
        return kind(seconds=seconds)
    except OverflowError as exc:
        raise failure(key, value, kind, "out of range") from exc


def as_text(value: Any) -> Any:
    """What a file holds for ``value`` so that reading it back converts to the same value (for
    ``--dump-params``): a path, decimal or UUID as its text, a date or time in ISO 8601, a
    duration as its number of seconds, an enum member as its value (its name when the value is
    not a bool, int, float or str). Any other value is returned as it is."""
    if value is None or type(value) in SCALARS:
        return value
    made = converter(type(value))
    if made is _enum:
        inner = value.value
        return inner if type(inner) in SCALARS else value.name
    if made is _path or made is _decimal or made is _uuid:
        return str(value)
    if made is _datetime or made is _date or made is _time:
        return value.isoformat()
    if made is _timedelta:
        micro = value // type(value)(microseconds=1)
        return micro // 10**6 if micro % 10**6 == 0 else micro / 10**6
    return value


# --- annotations ------------------------------------------------------------------------------

if sys.version_info >= (3, 10):
    import types

    _UNIONS: tuple[Any, ...] = (Union, types.UnionType)
else:  # pragma: no cover
    _UNIONS = (Union,)


#: ``(text, id of the namespace) -> (namespace, what it evaluated to)``: the command line asks
#: for a parameter's type several times.
_evaluated: dict[tuple[str, int], tuple[Any, Any]] = {}


def evaluated(annotation: Any, function: Any = None) -> Any:
    """An annotation written as text (``from __future__ import annotations``) evaluated where
    ``function`` was defined; the text itself when that fails (a name defined later, say)."""
    if not isinstance(annotation, str):
        return annotation
    namespace = getattr(function, "__globals__", None)
    if namespace is None:
        return annotation
    cached = _evaluated.get((annotation, id(namespace)))
    if cached is not None and cached[0] is namespace:
        return cached[1]
    try:
        result = eval(annotation, namespace)  # noqa: S307 - what typing.get_type_hints does
    except Exception:  # noqa: BLE001 - not evaluable here: the caller falls back to the text
        return annotation  # not kept: the name may be defined by the next call
    if len(_evaluated) >= FOUND_LIMIT:
        _evaluated.clear()
    _evaluated[(annotation, id(namespace))] = (namespace, result)
    return result


def annotated_type(annotation: Any) -> tuple[Optional[type], bool]:
    """``(type values convert to, or None; whether None is allowed)`` of an annotation:
    ``Path`` -> (Path, False), ``Optional[Path]`` -> (Path, True), ``List[int]`` -> (None, False)."""
    if isinstance(annotation, type) and converts(annotation):
        return annotation, False
    if typing.get_origin(annotation) in _UNIONS:
        args = typing.get_args(annotation)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 < len(args) and converts(rest[0]):
            return rest[0], True
    return None, False

"""One ``@hp.param`` function (or class) as a command: its parameters, their types, the
options and help made from its signature and docstring, and the call that runs it.

Every value from the command line converts by the engine's rules (``backend.convert``), or,
for the other types a parameter may have (``Path``, ``Decimal``, dates, enums, user types), is
checked by their rules (``_types``) and kept as text for reads to convert; a bad one becomes an
``argparse`` error naming the option.
"""

from __future__ import annotations

import argparse
import inspect
import re
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from .._backends import backend
from .._errors import ConversionError, HyperparameterError
from .._param import ParamInfo, registry
from .._state import CONVERTIBLE  # a command-line value converts as a read with a default
from .._types import annotated_type, convert, converts, evaluated, generic, label
from .sweeps import SWEEP_FLAGS

_TYPE_NAMES = {t.__name__: t for t in CONVERTIBLE}

#: Flags of the options every program has; a parameter with one of these names is given only
#: its ``--namespace.name`` spelling.
RESERVED_FLAGS = frozenset(
    {
        "-h",
        "--help",
        "-D",
        "--define",
        "--config",
        "-lps",
        "--list-params",
        "-ep",
        "--explain-param",
        "--dump-params",
        "--strict",
        "--multirun",
    }
)


# --- docstrings -------------------------------------------------------------------------------


def summary(func: Callable) -> str:
    """The first paragraph of ``func``'s docstring."""
    doc = inspect.getdoc(func) or ""
    return doc.split("\n\n", 1)[0].strip()


def param_help(func: Callable) -> dict[str, str]:
    """Per-parameter help from a Google-style ``Args:`` or NumPy-style ``Parameters`` section.

    >>> def f(lr=0.1, steps=10):
    ...     '''Train.
    ...
    ...     Args:
    ...         lr (float): the learning rate,
    ...             before warm-up.
    ...         steps: how many steps.
    ...     '''
    >>> param_help(f)
    {'lr': 'the learning rate, before warm-up.', 'steps': 'how many steps.'}
    """
    doc = inspect.getdoc(func) or ""
    helps: dict[str, str] = {}
    google = re.search(
        r"^(?:Args|Arguments|Parameters|Keyword Args|Keyword Arguments):[ \t]*\n((?:[ \t]+.*\n?|[ \t]*\n)+)",
        doc,
        re.M,
    )
    if google:
        lines = [line for line in google.group(1).splitlines()]
        indent = next((len(line) - len(line.lstrip()) for line in lines if line.strip()), 0)
        current = None
        for line in lines:
            depth = len(line) - len(line.lstrip())
            match = re.match(r"^\s*(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", line)
            if match and depth == indent:
                current = match.group(1).lstrip("*")
                helps[current] = match.group(2).strip()
            elif current and line.strip():
                helps[current] = f"{helps[current]} {line.strip()}".strip()
        return helps
    numpy = re.search(
        r"^Parameters[ \t]*\n-{3,}[ \t]*\n(.*?)(?:\n[ \t]*\n[A-Z][\w ]*\n-{3,}|\Z)", doc, re.M | re.S
    )
    if numpy:
        current = None
        for line in numpy.group(1).splitlines():
            match = re.match(r"^(\*{0,2}\w+)\s*(?::.*)?$", line)
            if match and not line[:1].isspace():
                current = match.group(1).lstrip("*")
                helps[current] = ""
            elif current and line.strip():
                helps[current] = f"{helps[current]} {line.strip()}".strip()
    return helps


def escape_percent(text: str) -> str:
    """argparse %-formats help strings: a literal ``%`` must be doubled."""
    return text.replace("%", "%%")


# --- types and conversion -----------------------------------------------------------------------


def resolve(annotation: Any, function: Any = None) -> tuple[Optional[type], bool]:
    """``(type values convert to or None, whether None is allowed)`` of an annotation. One
    written as text is evaluated where ``function`` was defined, else read by its words
    (``Optional[int]``, ``int | None``: the four scalars only)."""
    annotation = evaluated(annotation, function)
    if isinstance(annotation, str):
        text = annotation.replace(" ", "").replace("typing.", "")
        match = re.fullmatch(r"Optional\[(\w+)\]|(\w+)\|None|None\|(\w+)", text)
        if match:
            return _TYPE_NAMES.get(next(g for g in match.groups() if g)), True
        return _TYPE_NAMES.get(text), False
    wanted, allow_none = annotated_type(annotation)
    return generic(wanted), allow_none


def value_type(info: ParamInfo) -> Optional[type]:
    """The type a parameter's values convert to: by its annotation, else its default."""
    wanted, _ = resolve(info.annotation, info.function)
    if wanted is not None:
        return wanted
    if info.default is not None and converts(type(info.default)):
        return generic(type(info.default))
    return None


def nullable(info: ParamInfo) -> bool:
    """Whether ``none`` is a value of the parameter (``Optional[...]`` or a ``None`` default)."""
    return resolve(info.annotation, info.function)[1] or info.default is None


def type_name(info: ParamInfo) -> str:
    """The parameter's type as ``-lps`` shows it: ``int``, ``str``, or the annotation's name."""
    wanted = value_type(info)
    if wanted is not None:
        return label(wanted)
    if info.annotation is not inspect.Parameter.empty:
        return getattr(info.annotation, "__name__", str(info.annotation))
    return type(info.default).__name__


def convert_text(key: str, text: str, wanted: Optional[type], allow_none: bool = False) -> Any:
    """Command-line text to the value a scope holds for it: see ``check_value``; parsed
    (``8`` an int, ``true`` a bool) when the type is unknown.

    Raises ConversionError. A ``str`` parameter keeps the text as typed (``007`` stays ``007``).
    """
    if allow_none and text.strip().lower() in ("none", "null"):
        return None
    if wanted is None:
        return backend.parse_value(text)
    return check_value(key, text, wanted)


def check_value(key: str, value: Any, wanted: type) -> Any:
    """The value a scope holds for ``value`` given to a parameter of type ``wanted``: converted
    for bool/int/float/str, by the engine's rules; for another type (``Path``, ``Decimal``, a
    date, an enum, a user type) checked and kept as it is (text, usually), so native code sees
    the text and reads convert it. Raises ConversionError."""
    if wanted in CONVERTIBLE:
        return backend.convert(key, value, wanted)
    convert(key, value, wanted)
    return value


def _converter(
    key: str, wanted: Optional[type], allow_none: bool = False, positional: bool = False
) -> Callable[[str], Any]:
    """An argparse ``type=``: ``convert_text``, its failure an error naming the type. A
    positional is passed to the function itself, so it is converted to ``wanted`` whole."""

    def converter(text: str) -> Any:
        try:
            value = convert_text(key, text, wanted, allow_none)
            return convert(key, value, wanted) if positional and wanted is not None else value
        except ConversionError as exc:
            reason = getattr(exc, "reason", "")
            why = f" ({reason})" if reason else ""
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a valid {label(wanted) if wanted else 'value'}{why}"
            ) from exc

    converter.__name__ = label(wanted) if wanted else "value"
    return converter


# --- commands -----------------------------------------------------------------------------------


def collect(
    target: Union[Callable, Sequence[Callable], None], caller_globals: Mapping[str, Any]
) -> list[Callable]:
    """The functions ``hp.launch(target)`` runs: ``target``, the functions it lists, or (for
    None) every ``@hp.param`` function defined in the caller's module."""
    if target is None:
        module = caller_globals.get("__name__")
        found = [
            obj
            for obj in caller_globals.values()
            if inspect.isfunction(obj)
            and hasattr(obj, "__hp_namespace__")
            and getattr(obj, "__module__", None) == module
        ]
        if not found:
            raise HyperparameterError(f"hp.launch(): module {module!r} has no @hp.param functions")
        return found
    if callable(target):
        return [target]
    found = list(target)
    if not found:
        raise HyperparameterError("hp.launch(): the list of functions is empty")
    return found


class Command:
    """One function (or ``@hp.param`` class) as a command: its parameters, options and help."""

    def __init__(self, func: Callable) -> None:
        self.func = func
        is_class = isinstance(func, type)
        #: the function whose parameters are registered: a class's ``__init__``
        self.target = inspect.unwrap(func.__init__ if is_class else func)  # type: ignore[misc]
        self.name: str = func.__name__
        #: the name on the command line: ``export-model`` for ``export_model``
        self.dashed: str = self.name.replace("_", "-")
        self.namespace: str = getattr(func, "__hp_namespace__", func.__name__)
        self.params = [info for info in registry.values() if info.function is self.target]
        self.helps = {**param_help(func.__init__), **param_help(func)} if is_class else param_help(func)  # type: ignore[misc]
        self.positionals: list[inspect.Parameter] = []
        self.keyword_only: list[inspect.Parameter] = []
        self.varargs: Optional[inspect.Parameter] = None
        for p in inspect.signature(func).parameters.values():
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                self.varargs = p
            elif p.default is inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_KEYWORD:
                (self.keyword_only if p.kind is inspect.Parameter.KEYWORD_ONLY else self.positionals).append(
                    p
                )
        #: Each parameter's option flag: ``--batch-size`` (``--batch_size`` is read as that), or
        #: ``--ns.name`` when the name is taken by a common option (``--config``, ...).
        self.flags: dict[str, list[str]] = {}
        for info in self.params:
            dashed = "--" + info.name.replace("_", "-")
            self.flags[info.key] = [dashed] if dashed not in RESERVED_FLAGS else [f"--{info.key}"]
        #: ``{sweep option: how the parameter of that name is spelled under -m}``, for each
        #: parameter named like a sweep option: ``{"--seed": "--train.seed"}``
        self.sweep_clashes: dict[str, str] = {
            flag: f"--{key}" for key, (flag, *_) in self.flags.items() if flag in SWEEP_FLAGS
        }

    def reserve_sweep_options(self) -> dict[str, str]:
        """Under ``-m``: spell each parameter named like a sweep option ``--namespace.name``, so
        that the sweep option wins; ``{new spelling: the spelling without -m}``, the ``--no-``
        spellings of booleans included."""
        renamed = {}
        for flag, spelled in self.sweep_clashes.items():
            key = spelled[2:]
            self.flags[key] = [spelled]
            renamed[spelled] = flag
            renamed[f"--no-{key}"] = f"--no-{flag[2:]}"
        return renamed

    def option_text(self, key: str) -> str:
        """How the option of ``key`` is written: ``--name STR`` or ``--shout/--no-shout``."""
        info = registry[key]
        flag = self.flags[key][0]
        wanted = value_type(info)
        if wanted is bool:
            return f"{flag}/--no-{flag[2:]}"
        return f"{flag} {type_name(info).upper() if wanted else 'VALUE'}"

    @property
    def required(self) -> list[inspect.Parameter]:
        return [*self.positionals, *self.keyword_only]

    def add_arguments(self, parser: argparse.ArgumentParser, listing: bool) -> list[str]:
        """Add this command's positionals and options; return every option flag added."""
        added: list[str] = []
        for p in self.required:
            wanted, can_be_none = resolve(p.annotation, self.target)
            parser.add_argument(
                f"hp-pos:{p.name}",
                metavar=p.name,
                nargs="?" if listing else None,
                type=_converter(f"{self.namespace}.{p.name}", wanted, can_be_none, positional=True),
                help=escape_percent(self.helps.get(p.name, "")) or None,
            )
        if self.varargs is not None:
            wanted, can_be_none = resolve(self.varargs.annotation, self.target)
            parser.add_argument(
                f"hp-pos:*{self.varargs.name}",
                metavar=self.varargs.name,
                nargs="*",
                type=_converter(
                    f"{self.namespace}.{self.varargs.name}", wanted, can_be_none, positional=True
                ),
                help=escape_percent(self.helps.get(self.varargs.name, "")) or None,
            )
        if not self.params:
            return added
        group = parser.add_argument_group(
            f"parameters (keys {self.namespace}.*; -D {self.namespace}.NAME=VALUE sets them too)"
        )
        for info in self.params:
            flags = self.flags[info.key]
            added += flags
            text = escape_percent(self.helps.get(info.name, ""))
            described = f"{text} " if text else ""
            wanted = value_type(info)
            if wanted is bool:
                added += [f"--no-{f[2:]}" for f in flags]
                group.add_argument(
                    *flags,
                    dest=f"hp:{info.key}",
                    action=argparse.BooleanOptionalAction,
                    default=argparse.SUPPRESS,
                    help=f"{described}(default: {info.default})",
                )
            else:
                group.add_argument(
                    *flags,
                    dest=f"hp:{info.key}",
                    type=_converter(info.key, wanted, nullable(info)),
                    default=argparse.SUPPRESS,
                    metavar=type_name(info).upper() if wanted else "VALUE",
                    help=f"{described}(default: {escape_percent(repr(info.default))})",
                )
        return added

    def usage(self) -> str:
        words = ["%(prog)s [OPTIONS]" if self.params else "%(prog)s", "[-D KEY=VALUE ...]", "[--config FILE]"]
        words += [p.name for p in self.required]
        if self.varargs is not None:
            words.append(f"[{self.varargs.name} ...]")
        return " ".join(words)

    def example(self) -> Optional[tuple[str, str]]:
        """An example ``(option, -D definition)`` setting one of this command's parameters."""
        numeric = [
            i for i in self.params if value_type(i) in (int, float) and type(i.default) in (int, float)
        ]
        info = numeric[0] if numeric else (self.params[0] if self.params else None)
        if info is None:
            return None
        flag = self.flags[info.key][0]
        if isinstance(info.default, bool):
            option = flag if info.default is False else f"--no-{flag[2:]}"
            return option, f"{info.key}={str(not info.default).lower()}"
        if isinstance(info.default, (int, float)):
            value = str(info.default + 2 if isinstance(info.default, int) else info.default * 10)
        else:
            value = "VALUE"
        return f"{flag} {value}", f"{info.key}={value}"

    def call(self, args: argparse.Namespace) -> Any:
        positional = [getattr(args, f"hp-pos:{p.name}") for p in self.positionals]
        if self.varargs is not None:
            positional += getattr(args, f"hp-pos:*{self.varargs.name}") or []
        keywords = {p.name: getattr(args, f"hp-pos:{p.name}") for p in self.keyword_only}
        return self.func(*positional, **keywords)

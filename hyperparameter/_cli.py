"""``hp.launch``: a command line built from ``@hp.param`` signatures and docstrings.

Layers, weakest first: signature defaults < ``-D key=value`` < explicit options. Every value
from the command line converts by the engine's rules before the program runs, and a bad one
is an error naming the option.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import re
import sys
from typing import Any, Callable, Optional, Sequence, Union

from . import _scope as _scope_module
from ._backend import backend
from ._errors import ConversionError, HyperparameterError
from ._param import ParamInfo, registry
from ._scope import scope

_SIMPLE_TYPES = (bool, int, float, str)


# --- docstrings -------------------------------------------------------------------------------


def _summary(func: Callable) -> str:
    doc = inspect.getdoc(func) or ""
    return doc.split("\n\n", 1)[0].strip()


def param_help(func: Callable) -> dict[str, str]:
    """Per-parameter help from a Google-style ``Args:`` or NumPy-style ``Parameters`` section."""
    doc = inspect.getdoc(func) or ""
    helps: dict[str, str] = {}
    google = re.search(r"^(?:Args|Arguments|Parameters):\s*\n((?:[ \t]+.*\n?|\s*\n)+)", doc, re.M)
    if google:
        current = None
        for line in google.group(1).splitlines():
            match = re.match(r"^\s{2,8}(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", line)
            if match:
                current = match.group(1).lstrip("*")
                helps[current] = match.group(2).strip()
            elif current and line.strip():
                helps[current] = f"{helps[current]} {line.strip()}".strip()
        return helps
    numpy = re.search(r"^Parameters\s*\n-{3,}\s*\n(.*?)(?:\n\s*\n[A-Z]\w+\s*\n-{3,}|\Z)", doc, re.M | re.S)
    if numpy:
        current = None
        for line in numpy.group(1).splitlines():
            match = re.match(r"^(\w+)\s*(?::.*)?$", line)
            if match and not line.startswith(" "):
                current = match.group(1)
                helps[current] = ""
            elif current and line.strip():
                helps[current] = f"{helps[current]} {line.strip()}".strip()
    return helps


# --- options ------------------------------------------------------------------------------------


def _value_type(info: ParamInfo) -> Optional[type]:
    annotation = info.annotation
    if isinstance(annotation, str):
        annotation = {"bool": bool, "int": int, "float": float, "str": str}.get(annotation)
    if annotation in _SIMPLE_TYPES:
        return annotation
    if type(info.default) in _SIMPLE_TYPES:
        return type(info.default)
    return None


def _converter(key: str, wanted: Optional[type]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        if wanted is None:
            return backend.parse_value(text)
        try:
            return backend.convert(key, text, wanted)
        except ConversionError as exc:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {wanted.__name__}") from exc

    convert.__name__ = wanted.__name__ if wanted else "value"
    return convert


def _type_name(info: ParamInfo) -> str:
    wanted = _value_type(info)
    if wanted is not None:
        return wanted.__name__
    if info.annotation is not inspect.Parameter.empty:
        return getattr(info.annotation, "__name__", str(info.annotation))
    return type(info.default).__name__


class _Command:
    """One function as a command: its parameters, options and help."""

    def __init__(self, func: Callable) -> None:
        self.func = func
        self.namespace: str = getattr(func, "__hp_namespace__", func.__name__)
        self.params = [info for info in registry.values() if info.function is inspect.unwrap(func)]
        self.helps = param_help(func)
        self.required = [
            (name, p)
            for name, p in inspect.signature(func).parameters.items()
            if p.default is inspect.Parameter.empty
            and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        ]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        for name, p in self.required:
            wanted = p.annotation if p.annotation in _SIMPLE_TYPES else None
            parser.add_argument(
                name, type=_converter(f"{self.namespace}.{name}", wanted), help=self.helps.get(name)
            )
        group = parser.add_argument_group(f"parameters ({self.namespace}.*)")
        for info in self.params:
            flag = "--" + info.name.replace("_", "-")
            flags = [flag] if flag == f"--{info.name}" else [flag, f"--{info.name}"]
            text = self.helps.get(info.name, "")
            described = f"{text} " if text else ""
            if _value_type(info) is bool:
                group.add_argument(
                    *flags, dest=f"hp:{info.key}", action=argparse.BooleanOptionalAction,
                    default=None, help=f"{described}(key {info.key}, default: {info.default})",
                )
            else:
                group.add_argument(
                    *flags, dest=f"hp:{info.key}", type=_converter(info.key, _value_type(info)),
                    default=None, metavar=_type_name(info).upper(),
                    help=f"{described}(key {info.key}, default: {info.default!r})",
                )

    def call(self, args: argparse.Namespace) -> Any:
        positional = [getattr(args, name) for name, _ in self.required]
        return self.func(*positional)


def _common_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("hyperparameters")
    group.add_argument(
        "-D", "--define", metavar="KEY=VALUE", nargs="+", action="extend", default=[],
        help="set a parameter for this run (repeatable): -D train.lr=0.01 -D model.depth=4",
    )
    group.add_argument(
        "--config", metavar="FILE", action="append", default=[],
        help="load parameters from a JSON, TOML or YAML file (repeatable; later files win, -D wins over files)",
    )
    group.add_argument(
        "-lps", "--list-params", action="store_true",
        help="list every parameter with its type, default, current value and source, then exit",
    )
    group.add_argument(
        "-ep", "--explain-param", metavar="KEY",
        help="explain one parameter: where it is declared, its value and where it came from, then exit",
    )
    group.add_argument(
        "--dump-params", metavar="FILE",
        help="after the run, write every parameter it used, with its final value, to FILE "
        "(.toml, .yaml or .json); --config FILE runs it again the same way",
    )
    group.add_argument(
        "--strict", action="store_true",
        help="fail before running when a -D key is not a known parameter",
    )


# --- listing and explaining -------------------------------------------------------------------


def _rows(params: list[ParamInfo], ps: scope) -> list[tuple[str, ...]]:
    rows = []
    for info in sorted(params, key=lambda i: i.key):
        value, source = info.default, "default"
        if info.key in ps:
            value = ps[info.key]()
            source = ps.source(info.key) or "code"
        rows.append((info.key, _type_name(info), repr(info.default), repr(value), source))
    return rows


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _explain(key: str, ps: scope) -> str:
    info = registry.get(key)
    if info is None:
        return _unknown_key_message(key, "parameter") + "\n"
    func = info.function
    value, source = (ps[key](), ps.source(key) or "code") if key in ps else (info.default, "default")
    try:
        where = f"{inspect.getsourcefile(func)}:{inspect.getsourcelines(func)[1]}"
    except (OSError, TypeError):
        where = "<unknown>"
    lines = [
        f"{key}",
        f"  type:        {_type_name(info)}",
        f"  default:     {info.default!r}",
        f"  value:       {value!r}",
        f"  source:      {source}",
        f"  declared in: {func.__qualname__}({info.name}=...) at {where}",
    ]
    text = param_help(func).get(info.name)
    if text:
        lines.append(f"  help:        {text}")
    return "\n".join(lines) + "\n"


def _known_keys() -> set[str]:
    return set(registry) | _scope_module.referenced_keys


def _unknown_key_message(key: str, what: str = "-D key") -> str:
    close = difflib.get_close_matches(key, sorted(_known_keys()), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown {what} {key}{hint}"


# --- launch -------------------------------------------------------------------------------------


def _parse_definitions(parser: argparse.ArgumentParser, definitions: list[str]) -> list[tuple[str, Any]]:
    parsed = []
    for text in definitions:
        key, sep, raw = text.partition("=")
        key = key.strip()
        if not sep:
            parser.error(f"argument -D/--define: {text!r} is not KEY=VALUE")
        try:
            _scope_module.checked(key)
        except HyperparameterError as exc:
            parser.error(f"argument -D/--define: {exc}")
        value = backend.parse_value(raw)
        info = registry.get(key)
        wanted = _value_type(info) if info else None
        if wanted is not None and value is not None:
            try:
                value = backend.convert(key, value, wanted)
            except ConversionError:
                parser.error(f"argument -D/--define: {key}={raw!r} is not a valid {wanted.__name__}")
        parsed.append((key, value))
    return parsed


def _dump_params(parser: argparse.ArgumentParser, target: str, ps: scope, params: list[ParamInfo]) -> None:
    """Write the run's parameters: every declared one, and every key read that has a value."""
    from pathlib import Path

    from ._dump import write

    values = {info.key: info.default for info in params}
    for key in set(values) | _scope_module.referenced_keys:
        if key in ps:
            values[key] = ps[key]()
    try:
        write(Path(target), values)
    except (OSError, ValueError) as exc:
        print(f"error: --dump-params {target}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _load_configs(parser: argparse.ArgumentParser, files: list[str]) -> list[tuple[str, Any, Optional[str]]]:
    """Every value of the ``--config`` files, checked against the declared parameters."""
    if not files:
        return []
    from ._config import ConfigError, config

    try:
        loaded = list(config(files).flat())
    except ConfigError as exc:
        parser.error(f"argument --config: {exc}")
    checked = []
    for key, value, source in loaded:
        info = registry.get(key)
        wanted = _value_type(info) if info else None
        if wanted is not None and value is not None:
            try:
                value = backend.convert(key, value, wanted)
            except ConversionError:
                parser.error(f"argument --config: {source}: {value!r} is not a valid {wanted.__name__}")
        checked.append((key, value, source))
    return checked


def _collect(target: Any, caller_globals: dict) -> list[Callable]:
    if target is None:
        module = caller_globals.get("__name__")
        found = [
            obj for obj in caller_globals.values()
            if callable(obj) and hasattr(obj, "__hp_namespace__") and getattr(obj, "__module__", None) == module
        ]
        if not found:
            raise HyperparameterError(f"hp.launch(): module {module!r} has no @hp.param functions")
        return found
    if callable(target):
        return [target]
    return list(target)


def launch(
    target: Union[Callable, Sequence[Callable], None] = None,
    argv: Optional[Sequence[str]] = None,
    prog: Optional[str] = None,
) -> Any:
    """Run ``@hp.param`` function(s) as a command-line program; returns the function's result.

    One function becomes the program; several (a list, or every ``@hp.param`` function of the
    calling module when none is given) become subcommands. Its keyword parameters become
    ``--name VALUE`` options (booleans ``--flag/--no-flag``), required parameters become
    positionals, and the docstring's ``Args:`` section becomes the help.

    >>> import hyperparameter as hp
    >>> @hp.param("greet")
    ... def greet(name: str = "World", times: int = 1):
    ...     return f"Hello, {name}" + "!" * times
    >>> hp.launch(greet, argv=["-D", "greet.name=Alice", "--times", "3"])
    'Hello, Alice!!!'
    """
    caller_globals = inspect.stack()[1].frame.f_globals if target is None else {}
    commands = [_Command(f) for f in _collect(target, caller_globals)]
    single = len(commands) == 1
    parser = argparse.ArgumentParser(
        prog=prog,
        description=_summary(commands[0].func) if single else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common_options(parser)
    if single:
        commands[0].add_arguments(parser)
        chosen = commands[0]
    else:
        sub = parser.add_subparsers(dest="hp:command", required=True, metavar="COMMAND")
        for command in commands:
            child = sub.add_parser(command.func.__name__, help=_summary(command.func), description=_summary(command.func))
            _common_options(child)
            command.add_arguments(child)
    args = parser.parse_args(argv)
    if not single:
        chosen = next(c for c in commands if c.func.__name__ == getattr(args, "hp:command"))
    from_files = _load_configs(parser, args.config)
    definitions = _parse_definitions(parser, args.define)
    unknown = [key for key, _ in definitions if key not in registry]
    if unknown and args.strict:
        parser.error("; ".join(_unknown_key_message(k) for k in unknown))
    with scope() as ps:
        for key, value, source in from_files:
            ps.set(key, value, source=source)
        for key, value in definitions:
            ps.set(key, value, source="-D")
        for dest, value in vars(args).items():
            if dest.startswith("hp:") and dest != "hp:command" and value is not None:
                ps.set(dest[3:], value, source="option")
        if args.list_params:
            params = [info for c in commands for info in c.params]
            print(_table(_rows(params, ps), ("key", "type", "default", "value", "source")))
            return None
        if args.explain_param:
            sys.stdout.write(_explain(args.explain_param, ps))
            return None
        try:
            result = chosen.call(args)
            if args.dump_params:
                _dump_params(parser, args.dump_params, ps, [info for c in commands for info in c.params])
            return result
        finally:
            for key in unknown:
                if key not in _known_keys():
                    print(f"warning: {_unknown_key_message(key)}", file=sys.stderr)

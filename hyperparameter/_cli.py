"""``hp.launch``: a command line built from ``@hp.param`` signatures and docstrings.

Layers, weakest first: signature defaults < ``--config FILE`` < ``-D key=value`` < explicit
options. Every value from the command line converts by the engine's rules before the program
runs, and a bad one is an error naming the option.

Startup matters (``--help`` must be quick), so the modules that only some runs need —
``difflib`` for "did you mean", the static scan behind ``-lps``/``-ep``/``--strict``, config
files, dumping — are imported where they are used.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

from . import _scope as _scope_module
from ._backend import backend
from ._errors import ConfigError, ConversionError, HyperparameterError
from ._param import ParamInfo, registry
from ._scope import scope

_SIMPLE_TYPES = (bool, int, float, str)
_TYPE_NAMES = {"bool": bool, "int": int, "float": float, "str": str}
_LISTING_FLAGS = ("-lps", "--list-params", "-ep", "--explain-param")
_DEFINITION = re.compile(r"[^-=\s][^=\s]*=")


# --- docstrings -------------------------------------------------------------------------------


def _summary(func: Callable) -> str:
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


# --- types and conversion -----------------------------------------------------------------------


def _resolve(annotation: Any) -> tuple[Optional[type], bool]:
    """``(simple type or None, whether None is allowed)`` of an annotation, string or not."""
    if isinstance(annotation, str):
        text = annotation.replace(" ", "").replace("typing.", "")
        match = re.fullmatch(r"Optional\[(\w+)\]|(\w+)\|None|None\|(\w+)", text)
        if match:
            return _TYPE_NAMES.get(next(g for g in match.groups() if g)), True
        return _TYPE_NAMES.get(text), False
    if annotation in _SIMPLE_TYPES:
        return annotation, False
    args = getattr(annotation, "__args__", None) or ()
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and rest[0] in _SIMPLE_TYPES:
            return rest[0], True
    return None, False


def _value_type(info: ParamInfo) -> Optional[type]:
    wanted, _ = _resolve(info.annotation)
    if wanted is not None:
        return wanted
    if type(info.default) in _SIMPLE_TYPES:
        return type(info.default)
    return None


def _nullable(info: ParamInfo) -> bool:
    return _resolve(info.annotation)[1] or info.default is None


def _convert_text(key: str, text: str, wanted: Optional[type], nullable: bool = False) -> Any:
    """Command-line text to a value: by the engine's rules for ``wanted``, else parsed.

    Raises ConversionError. A ``str`` parameter keeps the text as typed (``007`` stays ``007``).
    """
    if nullable and text.strip().lower() in ("none", "null"):
        return None
    if wanted is None:
        return backend.parse_value(text)
    return backend.convert(key, text, wanted)


def _converter(key: str, wanted: Optional[type], nullable: bool = False) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return _convert_text(key, text, wanted, nullable)
        except ConversionError as exc:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a valid {wanted.__name__ if wanted else 'value'}"
            ) from exc

    convert.__name__ = wanted.__name__ if wanted else "value"
    return convert


def _type_name(info: ParamInfo) -> str:
    wanted = _value_type(info)
    if wanted is not None:
        return wanted.__name__
    if info.annotation is not inspect.Parameter.empty:
        return getattr(info.annotation, "__name__", str(info.annotation))
    return type(info.default).__name__


def _escape(text: str) -> str:
    """argparse %-formats help strings: a literal ``%`` must be doubled."""
    return text.replace("%", "%%")


# --- options ------------------------------------------------------------------------------------

#: Flags of the options every program has; a parameter with one of these names is given only
#: its ``--namespace.name`` spelling.
_RESERVED = {
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
}


class _Command:
    """One function (or ``@hp.param`` class) as a command: its parameters, options and help."""

    def __init__(self, func: Callable) -> None:
        self.func = func
        is_class = isinstance(func, type)
        #: the function whose parameters are registered: a class's ``__init__``
        self.target = inspect.unwrap(func.__init__ if is_class else func)  # type: ignore[misc]
        self.name: str = func.__name__
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
            self.flags[info.key] = [dashed] if dashed not in _RESERVED else [f"--{info.key}"]

    def option_text(self, key: str) -> str:
        """How the option of ``key`` is written: ``--name STR`` or ``--shout/--no-shout``."""
        info = registry[key]
        flag = self.flags[key][0]
        if _value_type(info) is bool:
            return f"{flag}/--no-{flag[2:]}"
        wanted = _value_type(info)
        return f"{flag} {_type_name(info).upper() if wanted else 'VALUE'}"

    @property
    def required(self) -> list[inspect.Parameter]:
        return [*self.positionals, *self.keyword_only]

    def add_arguments(self, parser: argparse.ArgumentParser, listing: bool) -> list[str]:
        """Add this command's positionals and options; return every option flag added."""
        added: list[str] = []
        for p in self.required:
            wanted, nullable = _resolve(p.annotation)
            parser.add_argument(
                f"hp-pos:{p.name}",
                metavar=p.name,
                nargs="?" if listing else None,
                type=_converter(f"{self.namespace}.{p.name}", wanted, nullable),
                help=_escape(self.helps.get(p.name, "")) or None,
            )
        if self.varargs is not None:
            wanted, nullable = _resolve(self.varargs.annotation)
            parser.add_argument(
                f"hp-pos:*{self.varargs.name}",
                metavar=self.varargs.name,
                nargs="*",
                type=_converter(f"{self.namespace}.{self.varargs.name}", wanted, nullable),
                help=_escape(self.helps.get(self.varargs.name, "")) or None,
            )
        if not self.params:
            return added
        group = parser.add_argument_group(
            f"parameters (keys {self.namespace}.*; -D {self.namespace}.NAME=VALUE sets them too)"
        )
        for info in self.params:
            flags = self.flags[info.key]
            added += flags
            text = _escape(self.helps.get(info.name, ""))
            described = f"{text} " if text else ""
            wanted = _value_type(info)
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
                    type=_converter(info.key, wanted, _nullable(info)),
                    default=argparse.SUPPRESS,
                    metavar=_type_name(info).upper() if wanted else "VALUE",
                    help=f"{described}(default: {_escape(repr(info.default))})",
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
            i for i in self.params if _value_type(i) in (int, float) and type(i.default) in (int, float)
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


def _common_options(
    parser: argparse.ArgumentParser, prefix: str = "", example: Optional[_Command] = None
) -> list[str]:
    """Add -D, --config, --strict, --dump-params, -lps and -ep; ``example`` words the -D help."""
    shown = example.example() if example is not None else None
    definition = _escape(shown[1]) if shown else "train.lr=0.01"
    option = shown[0].split()[0] if shown else "--lr"
    setting = parser.add_argument_group("setting parameters")
    setting.add_argument(
        "-D",
        "--define",
        dest=f"{prefix}define",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help=f"set any parameter by its key: -D {definition} (repeatable; -D a=1 b=2 sets "
        f"both); overrides --config, and an option such as {option} overrides -D",
    )
    setting.add_argument(
        "--config",
        dest=f"{prefix}config",
        metavar="FILE",
        action="append",
        default=[],
        help="read parameters from a JSON, TOML or YAML file (repeatable; later files win)",
    )
    setting.add_argument(
        "--strict",
        dest=f"{prefix}strict",
        action="store_true",
        help="stop before running if a -D key is not a parameter of this program",
    )
    setting.add_argument(
        "--dump-params",
        dest=f"{prefix}dump_params",
        metavar="FILE",
        help="after the run, write the parameters it used to FILE (.toml, .yaml or .json); "
        "--config FILE repeats the run",
    )
    looking = parser.add_argument_group("inspecting parameters (print and exit, without running)")
    looking.add_argument(
        "-lps",
        "--list-params",
        dest=f"{prefix}list_params",
        action="store_true",
        help="list every parameter: type, default, value and where the value comes from",
    )
    looking.add_argument(
        "-ep",
        "--explain-param",
        dest=f"{prefix}explain_param",
        metavar="KEY",
        help="explain one parameter: its value, source, help and every place that reads it",
    )
    return ["--define", "--config", "--strict", "--dump-params", "--list-params", "--explain-param", "--help"]


def _expand_definitions(argv: Sequence[str], flags: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Take the definitions out of ``argv``: ``-D a=1 b=2`` gives ``["a=1", "b=2"]``.

    Only words that look like KEY=VALUE are taken after a ``-D``, so ``-D a=1 input.txt``
    leaves ``input.txt`` to a positional. They never reach argparse, whose matching of
    repeated options is quadratic in their number. A ``-D`` followed by anything else stays
    in ``argv`` for argparse to report. ``--batch_size`` becomes ``--batch-size`` when that
    is one of ``flags``.
    """
    flags = set(flags)
    out: list[str] = []
    definitions: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            out += argv[i:]
            break
        if word.startswith("--") and "_" in word.partition("=")[0]:
            name, sep, rest = word.partition("=")
            if name.replace("_", "-") in flags:
                word = name.replace("_", "-") + sep + rest
        i += 1
        if word in ("-D", "--define"):
            if i < len(argv) and _DEFINITION.match(argv[i]):
                definitions.append(argv[i])
                i += 1
            else:
                out.append(word)
                continue
        elif word.startswith("--define="):
            definitions.append(word[len("--define=") :])
        elif word.startswith("-D") and len(word) > 2:
            definitions.append(word[2:])
        else:
            out.append(word)
            continue
        while i < len(argv) and _DEFINITION.match(argv[i]):
            definitions.append(argv[i])
            i += 1
    return out, definitions


# --- reading the command line ----------------------------------------------------------------


def _parse_definitions(
    error: Callable[[str], Any],
    definitions: list[str],
    wanted_of: Callable[[str], tuple[Optional[type], bool]],
) -> list[tuple[str, Any]]:
    parsed = []
    for text in definitions:
        key, sep, raw = text.partition("=")
        key = key.strip()
        if not sep:
            error(f"argument -D/--define: {text!r} is not KEY=VALUE")
        try:
            _scope_module.checked(key)
        except HyperparameterError as exc:
            error(f"argument -D/--define: {exc}")
        wanted, nullable = wanted_of(key)
        try:
            value = _convert_text(key, raw, wanted, nullable)
        except ConversionError:
            error(
                f"argument -D/--define: {key}={raw!r} is not a valid {wanted.__name__ if wanted else 'value'}"
            )
        parsed.append((key, value))
    return parsed


def _load_configs(error: Callable[[str], Any], files: list[str]) -> list[tuple[str, Any, Optional[str]]]:
    """Every value of the ``--config`` files, converted to the declared parameters' types."""
    if not files:
        return []
    from ._config import load

    try:
        loaded = list(load(files).flat())
    except ConfigError as exc:
        error(f"argument --config: {exc}")
    checked = []
    for key, value, source in loaded:
        try:
            _scope_module.checked(key)
        except HyperparameterError as exc:
            error(f"argument --config: {source}: {exc}")
        info = registry.get(key)
        wanted = _value_type(info) if info else None
        if wanted is not None and value is not None:
            try:
                value = backend.convert(key, value, wanted)
            except ConversionError:
                error(f"argument --config: {source}: {value!r} is not a valid {wanted.__name__}")
        checked.append((key, value, source))
    return checked


def _collect(target: Any, caller_globals: Mapping[str, Any]) -> list[Callable]:
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


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help with ``-D, --define KEY=VALUE``: the value named once, on every Python version
    (argparse before 3.13 writes ``-D KEY=VALUE, --define KEY=VALUE``)."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        value = self._format_args(action, self._get_default_metavar_for_optional(action))
        return f"{', '.join(action.option_strings)} {value}"


class _Parser(argparse.ArgumentParser):
    """The program's parser and, through ``add_parser``, its subcommands': the help format
    above, "options:" as argparse says it since Python 3.10 (before: "optional arguments:"),
    and no abbreviated long options (``--lr`` must not match ``--lr-decay``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(formatter_class=_HelpFormatter, allow_abbrev=False, **kwargs)
        self._optionals.title = "options"


def _epilog(commands: list[_Command], single: bool) -> str:
    if single:
        command = commands[0]
        lines = ["examples:"]
        example = command.example()
        if example:
            option, definition = example
            lines += [f"  %(prog)s {option}", f"  %(prog)s -D {definition}  (the same, by key)"]
        lines += [
            "  %(prog)s --config run.toml --dump-params used.toml",
            "  %(prog)s -lps  (list the parameters; -ep KEY explains one)",
        ]
        return "\n".join(lines)
    first = commands[0]
    name = first.name.replace("_", "-")
    lines = ["examples:", f"  %(prog)s {name} --help"]
    example = first.example()
    if example:
        lines.append(f"  %(prog)s {name} -D {example[1]}")
    lines.append("  %(prog)s -lps  (the parameters of every command)")
    return "\n".join(lines)


class _Options:
    """The program-wide options, merged from the main parser and the chosen subcommand's."""

    def __init__(self, args: argparse.Namespace, sub: bool) -> None:
        def pick(name: str) -> Any:
            return getattr(args, f"sub:{name}", None) if sub else None

        self.define: list[str] = args.define + (pick("define") or [])
        self.config: list[str] = args.config + (pick("config") or [])
        self.strict: bool = args.strict or bool(pick("strict"))
        self.dump_params: Optional[str] = pick("dump_params") or args.dump_params
        self.list_params: bool = args.list_params or bool(pick("list_params"))
        self.explain_param: Optional[str] = pick("explain_param") or args.explain_param


def run(
    target: Union[Callable, Sequence[Callable], None],
    argv: Optional[Sequence[str]],
    prog: Optional[str],
    caller_globals: Mapping[str, Any],
) -> Any:
    """What ``hp.launch(target, argv, prog)`` does; its docstring describes the program.

    ``caller_globals`` are the globals of ``hp.launch``'s caller: with no ``target``, every
    ``@hp.param`` function defined in that module becomes a subcommand.
    """
    commands = [_Command(f) for f in _collect(target, caller_globals)]
    option_flags = {f for c in commands for flags in c.flags.values() for f in flags}
    option_flags |= {f"--no-{f[2:]}" for f in option_flags}
    argv, taken_definitions = _expand_definitions(list(sys.argv[1:] if argv is None else argv), option_flags)
    words = argv[: argv.index("--")] if "--" in argv else argv
    listing = any(w in _LISTING_FLAGS or w.startswith(("--explain-param=", "--list-params=")) for w in words)
    single = len(commands) == 1
    parser = _Parser(
        prog=prog,
        description=_summary(commands[0].func) if single else None,
        usage=commands[0].usage() if single else "%(prog)s [-D KEY=VALUE ...] [--config FILE] COMMAND ...",
        epilog=_epilog(commands, single),
    )
    flags: dict[Optional[str], list[str]] = {}
    parsers: dict[Optional[str], argparse.ArgumentParser] = {None: parser}
    if single:
        flags[None] = commands[0].add_arguments(parser, listing)
    else:
        sub = parser.add_subparsers(dest="hp:command", metavar="COMMAND", title="commands")
        for command in commands:
            dashed = command.name.replace("_", "-")
            summary = _summary(command.func)
            child = sub.add_parser(
                dashed,
                aliases=[command.name] if dashed != command.name else [],
                prog=f"{parser.prog} {dashed}",
                help=_escape(summary),
                description=summary,
                usage=command.usage(),
            )
            flags[command.name] = command.add_arguments(child, listing) + _common_options(
                child, prefix="sub:", example=command
            )
            parsers[command.name] = child
            listed_as = getattr(sub, "_choices_actions", [None])[-1]
            if listed_as is not None and hasattr(listed_as, "metavar"):
                listed_as.metavar = dashed  # the help lists "export-model", not its alias too
    flags[None] = flags.get(None, []) + _common_options(parser, example=commands[0])
    args, extras = parser.parse_known_args(argv)
    chosen: Optional[_Command] = commands[0] if single else None
    if not single:
        name = getattr(args, "hp:command", None)
        chosen = next((c for c in commands if name in (c.name, c.name.replace("_", "-"))), None)
    key = chosen.name if chosen is not None and not single else None
    error = parsers[key].error
    if extras:
        from ._cli_report import closest

        hints = [closest(e.split("=", 1)[0], flags[key] + flags[None]) for e in extras if e.startswith("--")]
        hint = "; did you mean " + ", ".join(h for h in hints if h) + "?" if any(hints) else ""
        error(f"unrecognized arguments: {' '.join(extras)}{hint}")
    opts = _Options(args, sub=not single)
    if chosen is None and not (opts.list_params or opts.explain_param):
        error("choose a command: " + ", ".join(c.name.replace("_", "-") for c in commands))

    listed = [chosen] if chosen is not None else commands
    static_cache: list[Any] = []

    def static() -> Any:
        """The static scan of the program's source files (``_cli_report.Static``), made once."""
        if not static_cache:
            from ._cli_report import Static

            static_cache.append(Static.of(listed))
        return static_cache[0]

    def wanted_of(key: str) -> tuple[Optional[type], bool]:
        info = registry.get(key)
        if info is not None:
            return _value_type(info), _nullable(info)
        known, default = static().default(key)
        return (type(default), False) if known and type(default) in _SIMPLE_TYPES else (None, False)

    from_files = _load_configs(error, opts.config)
    definitions = _parse_definitions(error, taken_definitions + opts.define, wanted_of)
    unknown = [k for k, _ in definitions if k not in registry and k not in _scope_module.referenced_keys]
    if unknown and opts.strict:
        from ._cli_report import unknown_keys_message

        message = unknown_keys_message(unknown, static())
        if message:
            error(message)
    with scope() as ps:
        for key_, value, source in from_files:
            ps.set(key_, value, source=source)
        for key_, value in definitions:
            ps.set(key_, value, source="-D")
        for dest, value in vars(args).items():
            if dest.startswith("hp:") and dest != "hp:command":
                ps.set(dest[3:], value, source="option")
        if opts.list_params or opts.explain_param:
            from ._cli_report import Run

            run = Run(commands, chosen, ps, static())
            defined = [k for k, _ in definitions] + [k for k, _, _ in from_files]
            raise SystemExit(run.report(opts.list_params, opts.explain_param, unknown, defined))
        assert chosen is not None
        try:
            result = chosen.call(args)
            if opts.dump_params:
                from ._cli_report import Run

                Run(commands, chosen, ps, static()).dump(opts.dump_params)
            return result
        finally:
            if unknown:
                from ._cli_report import warn_unread

                warn_unread(unknown, static)

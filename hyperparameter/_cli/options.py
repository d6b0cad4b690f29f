"""The parser of a launched program: its options, the options every program has (``-D``,
``--config``, ``--strict``, ``--dump-params``, ``-lps``, ``-ep``) and ``parse()``, which turns
``argv`` into an ``Invocation``: the chosen command, its arguments and the program-wide options.
"""

from __future__ import annotations

import argparse
import functools
import re
from typing import TYPE_CHECKING, Any, Callable, Iterable, NoReturn, Optional, Sequence

from .command import Command, escape_percent, summary
from .text import closest, suggest

if TYPE_CHECKING:
    from .scan import SourceScan

_LISTING_FLAGS = ("-lps", "--list-params", "-ep", "--explain-param")
_DEFINITION = re.compile(r"[^-=\s][^=\s]*=")
#: The prefix of the destinations of a subcommand's common options (``-D`` after the command).
_SUB = "sub:"


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


def _common_options(parser: argparse.ArgumentParser, example: Command, prefix: str = "") -> list[str]:
    """Add -D, --config, --strict, --dump-params, -lps and -ep; ``example`` words the -D help."""
    shown = example.example()
    definition = escape_percent(shown[1]) if shown else "train.lr=0.01"
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


def expand_definitions(argv: Sequence[str], flags: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Take the definitions out of ``argv``: ``-D a=1 b=2`` gives ``["a=1", "b=2"]``.

    Only words that look like KEY=VALUE are taken after a ``-D``, so ``-D a=1 input.txt``
    leaves ``input.txt`` to a positional. They never reach argparse, whose matching of
    repeated options is quadratic in their number. A ``-D`` followed by anything else stays
    in ``argv`` for argparse to report. ``--batch_size`` becomes ``--batch-size`` when that
    is one of ``flags``.

    >>> expand_definitions(["-D", "a=1", "b=2", "in.txt", "--batch_size", "8"], ["--batch-size"])
    (['in.txt', '--batch-size', '8'], ['a=1', 'b=2'])
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


def _epilog(commands: list[Command]) -> str:
    if len(commands) == 1:
        lines = ["examples:"]
        example = commands[0].example()
        if example:
            option, definition = example
            lines += [f"  %(prog)s {option}", f"  %(prog)s -D {definition}  (the same, by key)"]
        lines += [
            "  %(prog)s --config run.toml --dump-params used.toml",
            "  %(prog)s -lps  (list the parameters; -ep KEY explains one)",
        ]
        return "\n".join(lines)
    first = commands[0]
    lines = ["examples:", f"  %(prog)s {first.dashed} --help"]
    example = first.example()
    if example:
        lines.append(f"  %(prog)s {first.dashed} -D {example[1]}")
    lines.append("  %(prog)s -lps  (the parameters of every command)")
    return "\n".join(lines)


class CommandLine:
    """The parser of a program: one command's options on the program's own parser, or one
    subparser per command. The common options are on the program's parser and, for several
    commands, on each subparser too (so ``-D`` works before and after the command name)."""

    def __init__(self, commands: list[Command], prog: Optional[str], listing: bool) -> None:
        """``listing``: ``-lps``/``-ep`` is given, so positionals may be left out."""
        self.commands = commands
        self.single = len(commands) == 1
        first = commands[0]
        self.parser = _Parser(
            prog=prog,
            description=summary(first.func) if self.single else None,
            usage=first.usage() if self.single else "%(prog)s [-D KEY=VALUE ...] [--config FILE] COMMAND ...",
            epilog=_epilog(commands),
        )
        #: the option flags of the program's parser
        self.flags: list[str] = first.add_arguments(self.parser, listing) if self.single else []
        #: each command's parser and option flags, by command name, for several commands
        self.subparsers: dict[str, argparse.ArgumentParser] = {}
        self.subflags: dict[str, list[str]] = {}
        if not self.single:
            self._add_subcommands(listing)
        self.flags += _common_options(self.parser, example=first)

    def _add_subcommands(self, listing: bool) -> None:
        sub = self.parser.add_subparsers(dest="hp:command", metavar="COMMAND", title="commands")
        for command in self.commands:
            about = summary(command.func)
            child = sub.add_parser(
                command.dashed,
                aliases=[command.name] if command.dashed != command.name else [],
                prog=f"{self.parser.prog} {command.dashed}",
                help=escape_percent(about),
                description=about,
                usage=command.usage(),
            )
            added = command.add_arguments(child, listing)
            self.subflags[command.name] = added + _common_options(child, example=command, prefix=_SUB)
            self.subparsers[command.name] = child
            # argparse lists a command with its aliases, "export-model (export_model)": list the
            # dashed name alone. argparse has no option for it, so this reaches into its listing.
            listed_as = getattr(sub, "_choices_actions", [None])[-1]
            if listed_as is not None and hasattr(listed_as, "metavar"):
                listed_as.metavar = command.dashed

    def chosen(self, args: argparse.Namespace) -> Optional[Command]:
        """The command to run; None when several commands were given and none was named."""
        if self.single:
            return self.commands[0]
        name = getattr(args, "hp:command", None)
        return next((c for c in self.commands if name in (c.name, c.dashed)), None)

    def parser_of(self, chosen: Optional[Command]) -> argparse.ArgumentParser:
        """The parser whose usage an error shows: the chosen subcommand's, else the program's."""
        return self.subparsers.get(chosen.name, self.parser) if chosen is not None else self.parser

    def flags_of(self, chosen: Optional[Command]) -> list[str]:
        """Every option flag accepted with ``chosen``: the program's and its subcommand's."""
        return self.flags + (self.subflags.get(chosen.name, []) if chosen is not None else [])


class Options:
    """The program-wide options, merged from the program's parser and the chosen subcommand's."""

    def __init__(self, args: argparse.Namespace, sub: bool) -> None:
        def pick(name: str) -> Any:
            return getattr(args, f"{_SUB}{name}", None) if sub else None

        self.define: list[str] = args.define + (pick("define") or [])
        self.config: list[str] = args.config + (pick("config") or [])
        self.strict: bool = args.strict or bool(pick("strict"))
        self.dump_params: Optional[str] = pick("dump_params") or args.dump_params
        self.list_params: bool = args.list_params or bool(pick("list_params"))
        self.explain_param: Optional[str] = pick("explain_param") or args.explain_param

    @property
    def inspecting(self) -> bool:
        """``-lps`` or ``-ep``: print and exit without running."""
        return bool(self.list_params or self.explain_param)


class Invocation:
    """One parsed command line."""

    def __init__(
        self,
        commands: list[Command],
        chosen: Optional[Command],
        args: argparse.Namespace,
        options: Options,
        definitions: list[str],
        error: Callable[[str], NoReturn],
    ) -> None:
        self.commands = commands
        #: the command to run; None only when ``-lps``/``-ep`` is given without a command
        self.chosen = chosen
        self.args = args
        self.options = options
        #: every ``KEY=VALUE`` text given with ``-D``, in order
        self.definitions = definitions
        #: reports a usage error with the usage of the chosen command, and exits with status 2
        self.error = error

    @property
    def listed(self) -> list[Command]:
        """The commands ``-lps`` lists: the chosen one, else all."""
        return [self.chosen] if self.chosen is not None else self.commands

    def option_values(self) -> list[tuple[str, Any]]:
        """``(key, value)`` of each parameter set by its option (``--lr 0.1``)."""
        return [
            (dest[3:], value)
            for dest, value in vars(self.args).items()
            if dest.startswith("hp:") and dest != "hp:command"
        ]

    @functools.cached_property
    def source_scan(self) -> SourceScan:
        """The scan of the listed commands' source files, made when first needed."""
        from .scan import SourceScan

        return SourceScan.of(command.target for command in self.listed)


def parse(commands: list[Command], argv: Sequence[str], prog: Optional[str]) -> Invocation:
    """Read ``argv``; a usage error exits with status 2, ``--help`` with 0."""
    option_flags = {f for c in commands for flags in c.flags.values() for f in flags}
    option_flags |= {f"--no-{f[2:]}" for f in option_flags}
    argv, definitions = expand_definitions(argv, option_flags)
    words = argv[: argv.index("--")] if "--" in argv else argv
    listing = any(w in _LISTING_FLAGS or w.startswith(("--explain-param=", "--list-params=")) for w in words)
    line = CommandLine(commands, prog, listing)
    args, extras = line.parser.parse_known_args(argv)
    chosen = line.chosen(args)
    error = line.parser_of(chosen).error
    if extras:
        flags = line.flags_of(chosen)
        hint = suggest(closest(e.split("=", 1)[0], flags) for e in extras if e.startswith("--"))
        error(f"unrecognized arguments: {' '.join(extras)}{hint}")
    options = Options(args, sub=not line.single)
    if chosen is None and not options.inspecting:
        error("choose a command: " + ", ".join(c.dashed for c in commands))
    return Invocation(commands, chosen, args, options, definitions + options.define, error)

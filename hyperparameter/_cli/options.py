"""The parser of a launched program: its options, the options every program has (``-D``,
``-C/--config``, ``--strict``, ``--dump-params``, ``-lps``, ``-ep``, and ``-m`` with the sweep
options) and ``parse()``, which turns ``argv`` into an ``Invocation``: the chosen command, its
arguments and the program-wide options.

``-D`` and ``-C`` take lists (``-D a=1 b=2``, ``-C base.yaml exp.yaml``); ``take_lists`` takes
them out of ``argv`` before argparse sees it, so that each list ends where the rule says (see
its docstring), not where argparse's greedy ``nargs`` would end it. ``-m`` and the sweep options
are taken out first (``sweeps.take_sweep``): argparse never sees them, and under ``-m`` a
parameter of the program named like a sweep option is spelled ``--namespace.name``.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
from typing import TYPE_CHECKING, Any, Callable, Iterable, NamedTuple, NoReturn, Optional, Sequence

from .._config_types import unknown_format
from .command import Command, escape_percent, summary
from .sweeps import SWEEP_FLAGS, SweepError, SweepOptions, format_rows, help_rows, sweep_options, take_sweep
from .text import closest, suggest

if TYPE_CHECKING:
    from .scan import SourceScan

_LISTING_FLAGS = ("-lps", "--list-params", "-ep", "--explain-param")
_DEFINITION = re.compile(r"[^-=\s][^=\s]*=")
#: The prefix of the destinations of a subcommand's common options (``-D`` after the command).
_SUB = "sub:"
#: The common options that take a value in the next word (``--dump-params FILE``); before the
#: command name, only common options can come, so the first other word is the command.
_VALUE_FLAGS = frozenset({"--dump-params", "-ep", "--explain-param"})


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


def _common_options(
    parser: argparse.ArgumentParser, example: Command, prefix: str = "", before_command: bool = False
) -> list[str]:
    """Add -D, -C/--config, --strict, --dump-params, -lps and -ep; ``example`` words the -D
    help; ``before_command``: the program's parser of several commands, whose -C list also ends
    at the command name."""
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
        f"both); overrides -C, and an option such as {option} overrides -D",
    )
    # Never parsed by argparse (take_lists takes every -C out first): here for the help.
    setting.add_argument(
        "-C",
        "--config",
        dest=f"{prefix}config",
        metavar="FILE",
        nargs="+",
        action="extend",
        default=[],
        help="read parameters from JSON, TOML or YAML files, later files winning: -C base.yaml "
        "exp.yaml, or -C repeated; the files end at the next option"
        + (" or at the command name" if before_command else ""),
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
        "-C FILE repeats the run",
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
    return [
        "--define",
        "-C",
        "--config",
        "--strict",
        "--dump-params",
        "--list-params",
        "--explain-param",
        "--help",
    ]


def _sweep_options(parser: argparse.ArgumentParser, renamed: dict[str, str]) -> list[str]:
    """Add the "sweeps (with -m)" group to the help; ``renamed``: each sweep option that is also
    a parameter's option, and how that parameter is spelled under ``-m``. The options are taken
    out of ``argv`` before argparse (``take_sweep``), so the group is text: it has no actions
    that could clash with a parameter's option of the same name."""
    import shutil

    width = shutil.get_terminal_size().columns - 2  # as argparse's formatter measures it
    parser.add_argument_group("sweeps (with -m)", format_rows(help_rows(renamed), width))
    return ["--multirun", *SWEEP_FLAGS]


class ConfigFile(NamedTuple):
    """One file given with ``-C``/``--config``."""

    name: str
    #: the flag it was given with, as typed: ``-C`` or ``--config``
    flag: str
    #: not the first file after its flag, but a later one of a list (``-C a.yaml b.yaml``)
    later: bool
    #: taken before the command name, in a program of several commands
    before_command: bool


class Lists(NamedTuple):
    """What ``take_lists`` takes out of ``argv``."""

    #: the words left for argparse
    argv: list[str]
    #: every ``KEY=VALUE`` given with ``-D``, in order
    definitions: list[str]
    #: every ``-C`` file, in order
    configs: list[ConfigFile]
    #: the command name, as typed, for several commands (None if none was given)
    command: Optional[str]
    #: the first ``-C`` given no file: ``(flag, the word that ended it or None)``
    empty_config: Optional[tuple[str, Optional[str]]]


def _is_option(word: str) -> bool:
    return word.startswith("-") and word != "-"


def take_lists(
    argv: Sequence[str], flags: Iterable[str] = (), commands: Optional[Iterable[str]] = None
) -> Lists:
    """Take the ``-D`` definitions and the ``-C`` files out of ``argv``.

    ``-D a=1 b=2`` gives ``["a=1", "b=2"]``: only words that look like KEY=VALUE are taken after
    a ``-D``, so ``-D a=1 input.txt`` leaves ``input.txt`` to a positional; a ``-D`` followed by
    anything else stays in ``argv`` for argparse to report.

    ``-C a.yaml b.yaml`` (also ``--config``, ``-Ca.yaml``, ``-C=a.yaml``, ``--config=a.yaml``)
    gives both files; the list ends at the next option (a word starting with ``-``), at ``--``,
    and, in a program of several ``commands``, at a command name where the command name can
    come, that is before it was given: there, ``-C a.yaml fit`` is the file ``a.yaml`` and
    the command ``fit``; after it, ``fit -C fit`` is the file ``fit``. Every other word is a
    file, so ``fit -C a.yaml data.csv`` takes ``data.csv`` as a file (an error, for its
    extension): give positionals before ``-C``, or after ``--``.

    Neither list ever reaches argparse, whose matching of repeated options is quadratic in
    their number. ``--batch_size`` becomes ``--batch-size`` when that is one of ``flags``.

    >>> lists = take_lists(["-D", "a=1", "b=2", "in.txt", "--batch_size", "8"], ["--batch-size"])
    >>> lists.argv, lists.definitions
    (['in.txt', '--batch-size', '8'], ['a=1', 'b=2'])
    >>> lists = take_lists(["-C", "a.yaml", "b.toml", "fit", "-C", "fit", "data.csv"], commands=["fit"])
    >>> lists.argv, [c.name for c in lists.configs], lists.command
    (['fit'], ['a.yaml', 'b.toml', 'fit', 'data.csv'], 'fit')
    """
    flags = set(flags)
    names = None if commands is None else set(commands)
    out: list[str] = []
    definitions: list[str] = []
    configs: list[ConfigFile] = []
    command: Optional[str] = None
    empty_config: Optional[tuple[str, Optional[str]]] = None
    expecting_command = names is not None  # several commands, and none given yet
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
        # -C FILE ...
        attached: Optional[str] = None
        if word in ("-C", "--config"):
            flag = word
        elif word.startswith("--config="):
            flag, attached = "--config", word[len("--config=") :]
        elif word.startswith("-C") and not word.startswith("--"):
            flag, attached = "-C", word[2:].removeprefix("=")
        else:
            flag = ""
        if flag:
            before = expecting_command
            count = 0
            if attached:
                configs.append(ConfigFile(attached, flag, False, before))
                count = 1
            while i < len(argv) and argv[i] != "--" and not _is_option(argv[i]):
                if expecting_command and argv[i] in names:  # type: ignore[operator]
                    break
                configs.append(ConfigFile(argv[i], flag, count > 0, before))
                count += 1
                i += 1
            if count == 0 and empty_config is None:
                empty_config = (word, argv[i] if i < len(argv) else None)
            continue
        # -D KEY=VALUE ...
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
            if expecting_command:
                if not _is_option(word):
                    expecting_command, command = False, word
                elif word in _VALUE_FLAGS and i < len(argv) and not _is_option(argv[i]):
                    out.append(argv[i])  # the option's value, not the command
                    i += 1
            continue
        while i < len(argv) and _DEFINITION.match(argv[i]):
            definitions.append(argv[i])
            i += 1
    return Lists(out, definitions, configs, command, empty_config)


def _epilog(commands: list[Command]) -> str:
    if len(commands) == 1:
        lines = ["examples:"]
        example = commands[0].example()
        if example:
            option, definition = example
            lines += [f"  %(prog)s {option}", f"  %(prog)s -D {definition}  (the same, by key)"]
        lines += [
            "  %(prog)s -C base.toml run.toml --dump-params used.toml",
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
        self.flags += _common_options(self.parser, example=first, before_command=not self.single)
        clashes = {k: v for c in commands for k, v in c.sweep_clashes.items()}
        self.flags += _sweep_options(self.parser, clashes if self.single else {})

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
            self.subflags[command.name] += _sweep_options(child, command.sweep_clashes)
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

    def __init__(self, args: argparse.Namespace, sub: bool, config: list[str]) -> None:
        """``config``: the ``-C`` files, in order (``take_lists`` takes them out of ``argv``)."""

        def pick(name: str) -> Any:
            return getattr(args, f"{_SUB}{name}", None) if sub else None

        self.define: list[str] = args.define + (pick("define") or [])
        self.config: list[str] = config
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
        #: the sweep options, when ``-m`` is given
        self.sweep: Optional[SweepOptions] = None
        #: under ``-m``: the command line as given; the words left for argparse (what
        #: ``run_argv`` builds on); the parameters' options spelled ``--namespace.name``
        #: because of a sweep option
        self.argv: list[str] = []
        self.words: list[str] = []
        self.renamed: dict[str, str] = {}

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

    def run_argv(self, definitions: Sequence[str]) -> list[str]:
        """Under ``-m``: the command line of one run, ``definitions`` (``KEY=VALUE`` texts) as its
        ``-D``: this command line without ``-m`` and the sweep options, each option spelled as
        it is without ``-m``. A worker parses it; ``python PROGRAM`` and it replays the run."""
        end = self.words.index("--") if "--" in self.words else len(self.words)
        words = []
        for word in self.words[:end]:
            flag, eq, rest = word.partition("=")
            words.append(self.renamed[flag] + eq + rest if flag in self.renamed else word)
        config = ["-C", *self.options.config] if self.options.config else []
        defined = [word for text in definitions for word in ("-D", text)]
        return [*words, *config, *defined, *self.words[end:]]

    @functools.cached_property
    def source_scan(self) -> SourceScan:
        """The scan of the listed commands' source files, made when first needed."""
        from .scan import SourceScan

        return SourceScan.of(command.target for command in self.listed)


def _check_configs(lists: Lists, command_names: list[str]) -> Optional[str]:
    """The usage error of the ``-C`` files, if any: a ``-C`` without a file, or a file whose
    extension names no format (found before argparse, which would otherwise report the
    positional that a ``-C`` list took as missing)."""
    if lists.empty_config is not None:
        flag, ended_by = lists.empty_config
        message = f"argument --config: no file after {flag}"
        if ended_by is not None and ended_by in command_names:
            message += f" ({ended_by} is the command)"
        return message
    for config in lists.configs:
        unknown = unknown_format(config.name)
        if unknown is None:
            continue
        message = f"argument --config: {unknown}"
        if config.before_command:  # a misspelt command name, taken as a file?
            bare = not os.path.splitext(config.name)[1] and "/" not in config.name
            close = closest(config.name, command_names) if bare else None
            if close:
                message += f"; did you mean the command {close}?"
        elif config.later:
            message += (
                f"; every word after {config.flag} up to the next option is read as a file:"
                f" give positional arguments before {config.flag}, or after --"
            )
        return message
    return None


def _option_flags(commands: list[Command]) -> set[str]:
    flags = {f for c in commands for flags in c.flags.values() for f in flags}
    return flags | {f"--no-{f[2:]}" for f in flags}


def parse(commands: list[Command], argv: Sequence[str], prog: Optional[str]) -> Invocation:
    """Read ``argv``; a usage error exits with status 2, ``--help`` with 0."""
    as_given = list(argv)
    sweep = take_sweep(argv, _option_flags(commands))
    renamed: dict[str, str] = {}
    if sweep.multirun:
        for command in commands:
            renamed.update(command.reserve_sweep_options())
    option_flags = _option_flags(commands)
    names = [n for c in commands for n in dict.fromkeys((c.dashed, c.name))]
    lists = take_lists(sweep.argv, option_flags, None if len(commands) == 1 else names)
    argv = lists.argv
    words = argv[: argv.index("--")] if "--" in argv else argv
    listing = any(w in _LISTING_FLAGS or w.startswith(("--explain-param=", "--list-params=")) for w in words)
    line = CommandLine(commands, prog, listing)
    problem = _check_configs(lists, names if len(commands) > 1 else []) or sweep.problem
    if problem:
        given = next((c for c in commands if lists.command in (c.name, c.dashed)), None)
        line.parser_of(given).error(problem)
    args, extras = line.parser.parse_known_args(argv)
    chosen = line.chosen(args)
    error = line.parser_of(chosen).error
    if extras:
        flags = line.flags_of(chosen)
        hint = suggest(closest(e.split("=", 1)[0], flags) for e in extras if e.startswith("--"))
        error(f"unrecognized arguments: {' '.join(extras)}{hint}")
    options = Options(args, sub=not line.single, config=[c.name for c in lists.configs])
    if chosen is None and not options.inspecting:
        error("choose a command: " + ", ".join(c.dashed for c in commands))
    invocation = Invocation(commands, chosen, args, options, lists.definitions + options.define, error)
    if sweep.multirun:
        _read_sweep(invocation, sweep.given, renamed)
        invocation.argv = as_given
        invocation.words = lists.argv
    return invocation


def _read_sweep(
    invocation: Invocation, given: list[tuple[str, Optional[str]]], renamed: dict[str, str]
) -> None:
    """Under ``-m``: check the sweep options into ``invocation.sweep``, and what does not go with
    ``-m`` (usage errors)."""
    options, error = invocation.options, invocation.error
    if options.inspecting:
        error("-lps and -ep show the parameters of one run: give them without -m")
    if options.dump_params:
        error("--dump-params: with -m, each run writes the parameters it used to its own folder")
    clashes = {flag: spelled for c in invocation.commands for flag, spelled in c.sweep_clashes.items()}
    try:
        invocation.sweep = sweep_options(given, clashes)
    except SweepError as exc:
        error(str(exc))
    invocation.renamed = renamed

"""What ``-lps``, ``-ep``, ``--strict``, ``--dump-params`` and the unknown ``-D`` key warnings
print: a run's parameters with their values and sources, and where the source reads them.

Not loaded by an ordinary run (nor by ``--help``): it needs the static scan of the program's
source (``scan``, no import of user code) and may read and write files.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any, Callable, Iterable, Optional

from .. import _scope
from .._effective import effective_params
from .._param import ParamInfo, registry
from .._scope import Scope
from .._state import CONVERTIBLE
from .command import Command, type_name
from .scan import SourceScan
from .text import did_you_mean, display_path, table


def _source_line(file: str, line: int) -> str:
    import linecache

    return linecache.getline(file, line).strip()


def _where(func: Callable) -> str:
    try:
        return f"{display_path(inspect.getsourcefile(func) or '?')}:{inspect.getsourcelines(func)[1]}"
    except (OSError, TypeError):
        return "<unknown>"


def _literal_type(known: bool, default: Any) -> str:
    return type(default).__name__ if known and type(default) in CONVERTIBLE else "?"


# --- typo safety ----------------------------------------------------------------------------------


def unknown_keys_message(unknown: list[str], source_scan: SourceScan) -> str:
    """For ``--strict``: the -D keys that no @hp.param declares and no code reads, or ""."""
    strangers = [k for k in unknown if k not in source_scan.keys()]
    candidates = set(registry) | source_scan.keys()
    return "; ".join(f"unknown -D key {k}{did_you_mean(k, candidates)}" for k in strangers)


#: More unknown -D keys than this are summed up in one line after the first few.
_WARN_LIMIT = 10


def unread(unknown: list[str]) -> Optional[list[str]]:
    """The keys of ``unknown`` that nothing has read in this process; None when the record of
    keys read is full (see ``KeysRead``), so that it cannot tell."""
    read = _scope.referenced_keys
    return None if read.full and unknown else [key for key in unknown if key not in read]


def warn_unread(
    unknown: list[str], source_scan: Callable[[], SourceScan], not_read: Optional[list[str]] = None
) -> None:
    """After the run: report the -D keys that nothing declares and nothing read (``not_read``,
    when the caller knows them: the keys no run of a sweep read).

    ``source_scan`` makes (or returns) the scan of the program's source, only if it is needed.
    """
    read = _scope.referenced_keys
    not_read = unread(unknown) if not_read is None else not_read
    if not_read is None:
        print(
            f"note: this run read more than {read.LIMIT:,} distinct keys, more than are recorded, "
            "so -D keys that nothing read are not reported",
            file=sys.stderr,
        )
        return
    for key in not_read[:_WARN_LIMIT]:
        places = source_scan().reads.get(key)
        if places:
            where = ", ".join(f"{display_path(f.file)}:{f.line}" for f in places)
            print(
                f"warning: -D {key}: nothing read it during this run (the code reads it at {where})",
                file=sys.stderr,
            )
        else:
            candidates = set(registry) | source_scan().keys() | {k for k in read if "." in k}
            print(
                f"warning: unknown -D key {key}: no @hp.param declares it and nothing read it"
                f"{did_you_mean(key, candidates)}",
                file=sys.stderr,
            )
    if len(not_read) > _WARN_LIMIT:
        print(f"warning: {len(not_read) - _WARN_LIMIT} more -D keys that nothing read", file=sys.stderr)


# --- listing, explaining, dumping -------------------------------------------------------------------


class RunReport:
    """One run as ``-lps``, ``-ep`` and ``--dump-params`` show it: its commands, the scope
    holding every layer, and what the source declares and reads."""

    def __init__(
        self, commands: list[Command], ps: Scope, source_scan: SourceScan, every: Iterable[Command] = ()
    ) -> None:
        """``commands``: the chosen command, or every command when none was chosen; ``every``:
        all the program's commands (the others' parameters are not this run's)."""
        self.commands = commands
        self.others = {info.key for command in every if command not in commands for info in command.params}
        self.ps = ps
        self.source_scan = source_scan
        self.values = ps.to_dict()  # not ps[key]: an accessor would count as a read

    def value(self, key: str, default: Any) -> tuple[Any, str]:
        """The value of ``key`` in this run and where it came from."""
        if key in self.values:
            return self.values[key], self.ps.source(key) or "code"
        return default, "default"

    def params(self) -> list[ParamInfo]:
        """The commands' parameters, then those of every other ``@hp.param`` function and class
        of the program's files (what the commands' nested calls use)."""
        own = [info for command in self.commands for info in command.params]
        seen = {info.key for info in own} | self.others
        declared = sorted(key for key in self.source_scan.declared if key not in seen and key in registry)
        return own + [registry[key] for key in declared]

    def rows(self, defined: Iterable[str]) -> list[tuple[str, ...]]:
        """``-lps``: declared parameters, keys the code reads, then keys set that neither knows."""
        rows: dict[str, tuple[str, ...]] = {}
        for info in self.params():
            value, source = self.value(info.key, info.default)
            rows[info.key] = (info.key, type_name(info), repr(info.default), repr(value), source)
        for key, reads in self.source_scan.reads.items():
            if key in rows:
                continue
            known, default = self.source_scan.default(key)
            shown_default = repr(default) if known else (reads[0].default or "(required)")
            value, source = self.value(key, default if known else None)
            shown_value = repr(value) if known or source != "default" else "-"
            rows[key] = (key, _literal_type(known, default), shown_default, shown_value, source)
        for key in defined:
            if key not in rows:
                value, source = self.value(key, None)
                rows[key] = (key, "?", "-", repr(value), f"{source} (unknown key)")
        return [rows[key] for key in sorted(rows)]

    def explain(self, key: str) -> Optional[str]:
        """``-ep KEY``: type, default, value, source, help, how to set it, every place reading it."""
        info = next((i for i in self.params() if i.key == key), None)
        reads = self.source_scan.reads.get(key, [])
        if info is None and not reads:
            return None
        lines = [key]
        if info is not None:
            value, source = self.value(key, info.default)
            lines += [f"  type:         {type_name(info)}", f"  default:      {info.default!r}"]
        else:
            known, default = self.source_scan.default(key)
            value, source = self.value(key, default if known else None)
            shown_default = repr(default) if known else (reads[0].default or "(none: the read is required)")
            lines += [f"  type:         {_literal_type(known, default)}", f"  default:      {shown_default}"]
        lines += [f"  value:        {value!r}", f"  source:       {source}"]
        if info is not None:
            command = next(c for c in self.commands if info in c.params)
            text = command.helps.get(info.name)
            if text:
                lines.append(f"  help:         {text}")
            lines.append(f"  set with:     {command.option_text(key)}, -D {key}=VALUE or --config FILE")
            declared = self.source_scan.declared.get(key)
            where = (
                f"{display_path(declared[0].file)}:{declared[0].line}" if declared else _where(info.function)
            )
            lines.append(f"  declared in:  {info.function.__qualname__}({info.name}=...) at {where}")
        else:
            lines.append(f"  set with:     -D {key}=VALUE or --config FILE")
        lines.append("  read by:")
        if info is not None:
            lines.append(f"    {info.function.__qualname__}(), which receives it as its argument {info.name}")
        for found in reads:
            code = _source_line(found.file, found.line)
            lines.append(f"    {display_path(found.file)}:{found.line} in {found.where}: {code}")
        return "\n".join(lines) + "\n"

    def report(self, listing: bool, explaining: Optional[str], unknown: list[str], defined: list[str]) -> int:
        """Print ``-lps`` and/or ``-ep``; the exit status."""
        candidates = set(registry) | self.source_scan.keys()
        for key in unknown:
            if key not in self.source_scan.keys():
                print(f"warning: unknown -D key {key}{did_you_mean(key, candidates)}", file=sys.stderr)
        if listing:
            print(table(self.rows(defined), ("key", "type", "default", "value", "source")))
        if explaining:
            text = self.explain(explaining)
            if text is None:
                print(
                    f"error: unknown parameter {explaining}{did_you_mean(explaining, candidates)}",
                    file=sys.stderr,
                )
                return 2
            sys.stdout.write(text)
        sys.stdout.flush()
        return 0

    def used(self) -> dict[str, Any]:
        """What the run read, with final values: the declared parameters, the keys read that
        the run set, and the keys the source reads with a literal default, at that default."""
        read = _scope.referenced_keys
        # The values as the functions receive them (converted to their defaults' types): what
        # hp.effective_params() gives, the one place that computes them.
        effective = effective_params()
        used = {info.key: effective.get(info.key, info.default) for info in self.params()}
        for key in read:
            if key in self.values:
                used[key] = effective.get(key, self.values[key])
        for key in read & set(self.source_scan.reads):  # read with its default: write the default
            known, default = self.source_scan.default(key)
            clash = any(k.startswith(key + ".") or key.startswith(k + ".") for k in used)
            if key not in used and known and not clash:
                used[key] = default
        return used

    def toml_problem(self, used: dict[str, Any]) -> Optional[str]:
        """Why ``used`` cannot be written as TOML, which has no null, or None: a key whose value
        is None but whose default is not (left out of the file, it would read back as the
        default)."""
        for key, value in used.items():
            info = registry.get(key)
            default = info.default if info is not None else self.source_scan.default(key)[1]
            if value is None and default is not None:
                return f"{key} is None, which TOML cannot hold, and its default is {default!r}"
        return None

    def dump(self, target: str) -> None:
        """``--dump-params``: what the run read, with final values; ``--config`` reads it back."""
        from pathlib import Path

        from .dump import write

        used = self.used()
        problem = self.toml_problem(used) if target.lower().endswith(".toml") else None
        if problem:
            print(f"error: --dump-params {target}: {problem}; write a .yaml or .json file", file=sys.stderr)
            raise SystemExit(2)
        try:
            write(Path(target), used)
        except (OSError, ValueError) as exc:
            print(f"error: --dump-params {target}: {exc}", file=sys.stderr)
            raise SystemExit(2) from None

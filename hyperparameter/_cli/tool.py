"""The ``hp`` command: list and explain the parameters of a Python file or package, statically."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

from .scan import Found, scan
from .text import did_you_mean, printable, table

# Everything printed that comes from a scanned file or from the command line (keys, defaults,
# function and file names, messages) goes through ``printable`` first: a control character in
# a key cannot reach the terminal. JSON output needs no escaping: ``json.dumps`` writes ASCII.


def _table(found: list[Found]) -> str:
    rows = [(f.key, f.kind, f.default, f.where, f"{f.file}:{f.line}") for f in found]
    return table(
        [tuple(printable(cell) for cell in row) for row in rows],
        ("key", "kind", "default", "where", "file:line"),
    )


def _scanned(path: str) -> tuple[list[Found], bool]:
    """The scan of ``path``, and whether a file was passed over (each is named on stderr)."""
    found, problems = scan(Path(path))
    for problem in problems:
        print(f"hp: {printable(problem)}", file=sys.stderr)
    return found, bool(problems)


def _list(args: argparse.Namespace) -> int:
    found, passed_over = _scanned(args.path)
    if args.format == "json":
        print(json.dumps([f.as_dict() for f in found], indent=2))
    elif found:
        print(_table(found))
    else:
        print(f"no parameters found in {printable(args.path)}")
    return 1 if passed_over and not found else 0


def _explain(args: argparse.Namespace) -> int:
    found, _ = _scanned(args.path)
    matches = [f for f in found if f.key == args.key]
    if args.format == "json":
        print(json.dumps([f.as_dict() for f in matches], indent=2))
        return 0 if matches else 1
    if not matches:
        hint = did_you_mean(args.key, {f.key for f in found})
        print(printable(f"hp: no parameter {args.key} in {args.path}{hint}"), file=sys.stderr)
        return 1
    print(printable(args.key))
    for f in matches:
        what = "declared by" if f.kind == "param" else "read in"
        default = f" (default {printable(f.default)})" if f.default else " (required)"
        print(f"  {what} {printable(f.where)} at {printable(f.file)}:{f.line}{default}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``hp`` console script."""
    parser = argparse.ArgumentParser(
        prog="hp",
        description="List and explain the hyperparameters of Python code, without running it.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lister = sub.add_parser("list", help="every @hp.param parameter and hp.scope read, with file and line")
    lister.add_argument("path", help="a .py file or a folder (searched recursively)")
    lister.add_argument("--format", choices=("table", "json"), default="table")
    lister.set_defaults(run=_list)
    explainer = sub.add_parser("explain", help="where one parameter is declared and read")
    explainer.add_argument("path", help="a .py file or a folder (searched recursively)")
    explainer.add_argument("key", help="the dotted key, e.g. train.lr")
    explainer.add_argument("--format", choices=("table", "json"), default="table")
    explainer.set_defaults(run=_explain)
    args = parser.parse_args(argv)
    if not Path(args.path).exists():
        parser.error(f"{printable(args.path)}: no such file or folder")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

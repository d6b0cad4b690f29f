"""Text shared by every message of the command line: tables, "did you mean", safe echoes.

Cheap to import (``difflib`` is loaded only when a suggestion is looked for): the config
schema check (``hyperparameter._schema``) uses the same "did you mean".
"""

from __future__ import annotations

import os
from typing import Iterable, Optional

#: How alike a candidate must be to be suggested (``difflib``'s ratio, 0 to 1; 0.6 is
#: ``difflib``'s own default). A candidate that differs only in case is always close.
CUTOFF = 0.6


def closest(word: str, candidates: Iterable[str]) -> Optional[str]:
    """The candidate ``word`` was most likely meant to be, or None if none is close.

    >>> closest("greet.nmae", ["greet.name", "greet.shout"])
    'greet.name'
    >>> closest("Color", ["colour", "color"])
    'color'
    >>> closest("xyz", ["greet.name"]) is None
    True
    """
    pool = sorted(c for c in set(candidates) if c != word)
    same = [c for c in pool if c.lower() == word.lower()]
    if same:
        return same[0]
    import difflib

    close = difflib.get_close_matches(word, pool, n=1, cutoff=CUTOFF)
    return close[0] if close else None


def suggest(suggestions: Iterable[Optional[str]]) -> str:
    """The one wording of a suggestion, to end a message with: ``"; did you mean a, b?"``, or
    ``""`` when there is none (None entries are left out).

    >>> "unknown key greet.nmae" + suggest(["greet.name"])
    'unknown key greet.nmae; did you mean greet.name?'
    >>> suggest([None])
    ''
    """
    found = [s for s in suggestions if s]
    return f"; did you mean {', '.join(found)}?" if found else ""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean X?"`` naming the candidate closest to ``word``, or ``""``.

    >>> "unknown key for Server" + did_you_mean("prot", ["host", "port"])
    'unknown key for Server; did you mean port?'
    """
    return suggest([closest(word, candidates)])


def table(rows: Iterable[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """Rows in columns under a header and a rule, as ``-lps`` and ``hp list`` print them.

    >>> print(table([("greet.name", "str")], ("key", "type")))
    key         type
    ----------  ----
    greet.name  str
    """
    lines = [header, *rows]
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


def display_path(path: str) -> str:
    """A path relative to the working directory when it is below it, else as it is."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def printable(text: str) -> str:
    """``text`` with every character that is not printable written as an escape.

    Control characters (C0, DEL, C1), line and paragraph separators, format characters such as
    the bidirectional overrides, lone surrogates and unassigned code points become ``\\n``,
    ``\\x1b``, ``\\u202e``: text read from a scanned file cannot move the cursor, recolour the
    terminal, reorder what is shown or break a line of a table.

    >>> printable("a\\x1b[31mb\\nc\\u202e")
    'a\\\\x1b[31mb\\\\nc\\\\u202e'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"

"""What ``-m``/``--multirun`` adds to a command line: the sweep options and the sweep values of
``-D``.

Sweep values follow Hydra's rule: they mean a sweep only under ``-m``; without it a value is a
value (``-D tag=a,b`` is the text ``a,b``). Under ``-m``:

========================  ==================================================  ==============
``-D``                    runs                                                sweeper
========================  ==================================================  ==============
``k=0.1,0.01``            one per item (``\\,`` is a comma inside an item)     grid, optuna
``k=range(1,7,2)``        one per int of Python's ``range`` (1, 3, 5)          grid, optuna
``k=uniform(a,b)``        a float between a and b                             optuna
``k=loguniform(a,b)``     a float between a and b, on a log scale (0 < a)     optuna
``k=int(a,b)``            an int from a to b, both included                   optuna
``k=choice(a,b,...)``     one of the values                                   optuna
========================  ==================================================  ==============

Several swept keys run every combination (the grid) or are searched together (optuna). A value
spelled as one of these functions must be well formed with or without ``-m``: ``uniform(1,``
is a usage error naming its key either way.

This module reads text only (and tells whether this process is a worker importing the
program, which ``hp.launch`` asks first); ``multirun`` runs the sweep.
"""

from __future__ import annotations

import math
import re
import sys
from typing import NamedTuple, Optional, Sequence, Union

#: The words that turn a command line into a sweep.
MULTIRUN_FLAGS = ("-m", "--multirun")

#: Each sweep option and the name of its value (None: a flag without one).
SWEEP_FLAGS: dict[str, Optional[str]] = {
    "--jobs": "N",
    "--runs-dir": "DIR",
    "--sweeper": "NAME",
    "--trials": "N",
    "--maximize": None,
    "--seed": "S",
    "--launcher": "NAME",
}
SWEEPERS = ("grid", "optuna")
LAUNCHERS = ("local", "dask", "ray")
#: ``--trials`` when not given.
DEFAULT_TRIALS = 20

_FUNCTIONS = ("range", "uniform", "loguniform", "int", "choice")
_CALL = re.compile(rf"\s*({'|'.join(_FUNCTIONS)})\s*\(")
_SIGNATURES = {
    "range": "range(START,STOP[,STEP]) of integers",
    "uniform": "uniform(LOW,HIGH)",
    "loguniform": "loguniform(LOW,HIGH) with 0 < LOW",
    "int": "int(LOW,HIGH) of integers",
    "choice": "choice(A,B,...)",
}


#: True while a worker process imports the program's main module to find its functions
#: (``runs.Program.functions``): ``hp.launch`` then does nothing (see ``starting_a_worker``).
importing_program = False


def starting_a_worker() -> bool:
    """Whether this process is a worker that is importing the program's main module: through
    multiprocessing's spawn or forkserver start (which sets ``_inheriting`` on the process while
    it runs the main module as ``__mp_main__``), or through ``runs.Program.functions``. A
    program without an ``if __name__ == "__main__":`` guard calls ``hp.launch`` at import, and it
    must not start the sweep again there."""
    if importing_program:
        return True
    process = sys.modules.get("multiprocessing.process")
    return process is not None and bool(getattr(process.current_process(), "_inheriting", False))


class SweepError(ValueError):
    """A malformed sweep value or sweep option; the message names what was expected."""


# --- sweep values -----------------------------------------------------------------------------


class Values(NamedTuple):
    """A finite sweep: a list (``a,b``), a ``range(...)`` or a ``choice(...)``."""

    texts: tuple[str, ...]
    kind: str  # "list", "range" or "choice"
    #: for a range: (start, stop, step)
    bounds: Optional[tuple[int, int, int]] = None


class Interval(NamedTuple):
    """A distribution for the optuna sweeper: ``uniform``, ``loguniform`` or ``int``."""

    kind: str
    low: Union[int, float]
    high: Union[int, float]


Sweep = Union[Values, Interval]


def split_items(text: str) -> list[str]:
    """``text`` split at its commas; ``\\,`` is a comma inside an item and ``\\\\`` a backslash
    (any other backslash stays as it is, so ``C:\\data`` needs no escaping).

    >>> split_items(r"0.1,0.01")
    ['0.1', '0.01']
    >>> split_items(r"a\\,b,c")
    ['a,b', 'c']
    >>> split_items(r"C:\\data")
    ['C:\\\\data']
    """
    items, current, i = [], [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in ",\\":
            current.append(text[i + 1])
            i += 2
            continue
        if char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    items.append("".join(current))
    return items


def read_value(raw: str) -> Union[str, Sweep]:
    """A ``-D`` value under ``-m``: one value (unescaped) or a sweep. Raises SweepError.

    >>> read_value("0.1,0.01")
    Values(texts=('0.1', '0.01'), kind='list', bounds=None)
    >>> read_value("range(2,8,3)").texts
    ('2', '5')
    >>> read_value("loguniform(1e-4, 1e-1)")
    Interval(kind='loguniform', low=0.0001, high=0.1)
    >>> read_value(r"a\\,b")
    'a,b'
    """
    if _CALL.match(raw):
        return _call(raw)
    items = split_items(raw)
    if len(items) == 1:
        return items[0]
    if any(not item.strip() for item in items):
        raise SweepError(f"an empty item in the list {raw!r} (write a comma inside a value as \\,)")
    return Values(tuple(items), "list")


def check_plain(raw: str) -> None:
    """Without ``-m``: a value spelled as a sweep function must still be well formed (it is a
    value then, but ``uniform(1,`` is surely a mistake). Raises SweepError."""
    if _CALL.match(raw):
        _call(raw)


def looks_like_sweep(raw: str) -> bool:
    """Whether a plain value would be a sweep under ``-m`` (for the hint of a failed conversion)."""
    return bool(_CALL.match(raw)) or len(split_items(raw)) > 1


def _call(raw: str) -> Sweep:
    name = _CALL.match(raw).group(1)  # type: ignore[union-attr]
    text = raw.strip()
    expected = f"expected {_SIGNATURES[name]}"
    if not text.endswith(")"):
        raise SweepError(f"malformed sweep value {raw!r}: {expected}, closed by ')'")
    inner = text[text.index("(") + 1 : -1]
    args = [a.strip() for a in split_items(inner)] if inner.strip() else []
    if name == "choice":
        if not args or any(not a for a in args):
            raise SweepError(f"malformed sweep value {raw!r}: {expected}, with at least one value")
        return Values(tuple(args), "choice")
    if name == "range":
        numbers = [int(_number(raw, a, int, expected)) for a in args]
        if not 1 <= len(numbers) <= 3:
            raise SweepError(f"malformed sweep value {raw!r}: {expected}")
        start, stop, step = ([0] if len(numbers) == 1 else []) + numbers + ([1] if len(numbers) < 3 else [])
        if step == 0:
            raise SweepError(f"malformed sweep value {raw!r}: the step of a range cannot be 0")
        values = range(start, stop, step)
        if not values:
            raise SweepError(f"the sweep value {raw!r} is an empty range")
        return Values(tuple(str(v) for v in values), "range", (start, stop, step))
    kind = int if name == "int" else float
    if len(args) != 2:
        raise SweepError(f"malformed sweep value {raw!r}: {expected}")
    low, high = (_number(raw, a, kind, expected) for a in args)
    if not low < high:
        raise SweepError(f"malformed sweep value {raw!r}: LOW must be below HIGH")
    if name == "loguniform" and low <= 0:
        raise SweepError(f"malformed sweep value {raw!r}: {expected}")
    return Interval(name, low, high)


def _number(raw: str, text: str, kind: type, expected: str) -> Union[int, float]:
    try:
        value: Union[int, float] = kind(text)
    except ValueError:
        raise SweepError(f"malformed sweep value {raw!r}: {text!r} is not {_a(kind)}; {expected}") from None
    if kind is float and not math.isfinite(value):
        raise SweepError(f"malformed sweep value {raw!r}: {text!r} is not a finite number; {expected}")
    return value


def _a(kind: type) -> str:
    return "an integer" if kind is int else "a number"


# --- sweep options ----------------------------------------------------------------------------


class SweepOptions(NamedTuple):
    """The sweep options of a ``-m`` command line, checked."""

    jobs: int = 1
    runs_dir: str = "runs"
    sweeper: str = "grid"
    trials: int = DEFAULT_TRIALS
    maximize: bool = False
    seed: Optional[int] = None
    launcher: str = "local"


class SweepWords(NamedTuple):
    """What ``take_sweep`` takes out of ``argv``."""

    #: the words left for the program's parser
    argv: list[str]
    #: ``-m`` or ``--multirun`` was given
    multirun: bool
    #: ``(flag, value)`` of each sweep option, in order (value None for ``--maximize``)
    given: list[tuple[str, Optional[str]]]
    #: the usage error, if any
    problem: Optional[str]


def take_sweep(argv: Sequence[str], program_flags: set[str]) -> SweepWords:
    """Take ``-m`` and the sweep options out of ``argv`` (words after ``--`` are left alone).

    Under ``-m``, every sweep option is the sweep's (a parameter of the program with the same
    name is then spelled ``--namespace.name``). Without ``-m``, an option that is one of the
    program's own (``program_flags``) stays the program's; any other sweep option is an error.

    >>> words = take_sweep(["-m", "--jobs", "2", "--lr", "1", "--maximize"], {"--lr"})
    >>> words.argv, words.multirun, words.given
    (['--lr', '1'], True, [('--jobs', '2'), ('--maximize', None)])
    >>> take_sweep(["--seed", "3"], {"--seed"}).argv
    ['--seed', '3']
    >>> take_sweep(["--jobs", "2"], set()).problem
    'argument --jobs: a sweep option, for a command line with -m (--multirun)'
    """
    end = argv.index("--") if "--" in argv else len(argv)
    multirun = any(word in MULTIRUN_FLAGS for word in argv[:end])
    out: list[str] = []
    given: list[tuple[str, Optional[str]]] = []
    problem: Optional[str] = None
    i = 0
    while i < end:
        word = argv[i]
        i += 1
        if word in MULTIRUN_FLAGS:
            continue
        name, eq, attached = word.partition("=")
        if name.startswith("--"):
            name = name.replace("_", "-")
        if name not in SWEEP_FLAGS or (not multirun and name in program_flags):
            out.append(word)
            continue
        value: Optional[str] = attached if eq else None
        if SWEEP_FLAGS[name] is None and eq:
            problem = problem or f"argument {name}: ignored explicit argument {attached!r}"
        elif SWEEP_FLAGS[name] is not None and not eq:
            if i < end:
                value = argv[i]
                i += 1
            else:
                problem = problem or f"argument {name}: expected one argument"
        given.append((name, value))
    out += argv[end:]
    if given and not multirun and problem is None:
        problem = f"argument {given[0][0]}: a sweep option, for a command line with -m (--multirun)"
    return SweepWords(out, multirun, given, problem)


def sweep_options(
    given: list[tuple[str, Optional[str]]], clashes: Optional[dict[str, str]] = None
) -> SweepOptions:
    """The checked options of ``given`` (later ones win); ``clashes``: the program's parameters
    named like a sweep option, ``{"--seed": "--train.seed"}``, for the messages. Raises
    SweepError.

    >>> options = sweep_options([("--jobs", "2"), ("--sweeper", "optuna"), ("--trials", "6")])
    >>> options.jobs, options.sweeper, options.trials, options.seed
    (2, 'optuna', 6, None)
    """
    values: dict[str, Optional[str]] = dict(given)
    jobs = _count(values, "--jobs", 1)
    sweeper = _one_of(values, "--sweeper", SWEEPERS, "grid")
    launcher = _one_of(values, "--launcher", LAUNCHERS, "local")
    runs_dir = values.get("--runs-dir", "runs") or ""
    if not runs_dir.strip():
        raise SweepError("argument --runs-dir: expected a folder")
    if sweeper != "optuna":
        for flag in ("--trials", "--seed", "--maximize"):
            if flag in values:
                spelled = (clashes or {}).get(flag)
                program = (
                    f"; with -m, the program's {flag} is {spelled} (or -D {spelled[2:]}=VALUE)"
                    if spelled
                    else ""
                )
                raise SweepError(
                    f"argument {flag}: a sweep option for --sweeper optuna (the grid sweeper runs"
                    f" every combination){program}"
                )
    seed = None
    if values.get("--seed") is not None:
        try:
            seed = int(values["--seed"])  # type: ignore[arg-type]
        except ValueError:
            raise SweepError(f"argument --seed: {values['--seed']!r} is not a valid int") from None
    return SweepOptions(
        jobs=jobs,
        runs_dir=runs_dir,
        sweeper=sweeper,
        trials=_count(values, "--trials", DEFAULT_TRIALS),
        maximize="--maximize" in values,
        seed=seed,
        launcher=launcher,
    )


def _count(values: dict[str, Optional[str]], flag: str, default: int) -> int:
    text = values.get(flag)
    if text is None:
        return default
    try:
        number = int(text)
    except ValueError:
        raise SweepError(f"argument {flag}: {text!r} is not a valid int") from None
    if number < 1:
        raise SweepError(f"argument {flag}: {number} is not a count (give 1 or more)")
    return number


def _one_of(values: dict[str, Optional[str]], flag: str, choices: tuple[str, ...], default: str) -> str:
    text = values.get(flag) or default
    if text not in choices:
        from .text import did_you_mean

        raise SweepError(
            f"argument {flag}: unknown {flag[2:]} {text!r} (choose from {', '.join(choices)})"
            f"{did_you_mean(text, choices)}"
        )
    return text


# --- help ---------------------------------------------------------------------------------------


def help_rows(renamed: dict[str, str]) -> list[tuple[str, str]]:
    """The rows of the "sweeps (with -m)" help group (an empty invocation is a note); ``renamed``
    maps a sweep option to the spelling a parameter of the program with its name takes under
    ``-m``."""
    rows = [
        ("-m, --multirun", "run once per combination of -D values: -D a=1,2 -D b=range(3) is 6 runs"),
        ("--jobs N", "run N at a time, each in a process of its own (default: 1, in this one)"),
        ("--runs-dir DIR", "write each run's parameters and result to DIR/DATE_TIME/N/ (default: runs)"),
        (
            "--sweeper optuna --trials N [--seed S] [--maximize]",
            "search -D k=uniform(a,b), loguniform(a,b), int(a,b) or choice(a,b,...)",
        ),
        ("--launcher NAME", "where runs go: local (default), dask or ray"),
    ]
    for flag, spelled in renamed.items():
        key = spelled[2:]
        note = f"with -m, {flag} is the sweep's, and the program's is {spelled} (or -D {key}=VALUE)"
        rows.append(("", note))
    return rows


def format_rows(rows: list[tuple[str, str]], width: int) -> str:
    """``rows`` laid out as argparse lays out options (invocation, then help from column 24),
    for a group description, which argparse indents by two."""
    import textwrap

    lines = []
    room = max(width - 24, 20)
    for invocation, text in rows:
        if not invocation:  # a note under the options
            lines += textwrap.wrap(text, max(width - 2, 20))
            continue
        wrapped = textwrap.wrap(text, room) or [""]
        if invocation and len(invocation) <= 20:
            lines.append(f"{invocation:<20}  {wrapped[0]}")
            wrapped = wrapped[1:]
        elif invocation:
            lines.append(invocation)
        lines += [" " * 22 + line for line in wrapped]
    return "\n".join(lines)

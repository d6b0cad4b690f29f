"""``-m``: run the program once per combination of swept values (or per trial of a search).

``sweep()`` checks every value of the sweep before the first run (a bad one is a usage error
naming key and value), makes ``<runs-dir>/<date_time>/``, and runs what the sweeper asks for,
up to ``--jobs`` at a time, through the launcher; each run gets ``<n>/`` of its own
(``runs.run_one`` writes it). A run that fails is recorded and the sweep goes on. While it
runs, a progress line on stderr; at the end, a summary table on stdout, ``sweep.json`` in the
sweep's folder, and exit status 1 if a run failed.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import pickle
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Callable, ContextManager, Optional, TextIO

from .._scope import Scope, scope
from . import layers
from .launchers import LAUNCHERS, InlineExecutor, Launcher
from .options import Invocation
from .runs import Program, RunOutcome, RunTask, as_json, one_line, run_one, write_error
from .sweepers import Plan, Sweeper, make
from .sweeps import Interval, SweepOptions
from .text import display_path, table


def sweep(invocation: Invocation, functions: list[Callable], prog: Optional[str]) -> list[Any]:
    """Run the sweep of ``invocation`` (``-m`` was given); the runs' results, in run order (None
    for a run that failed). Usage errors exit with status 2 before any run; a failed run makes
    the exit status 1, once all have run; Ctrl-C, 130."""
    options = invocation.sweep
    assert options is not None
    plan = Plan.of(invocation.definitions, invocation.error)
    sweeper = make(plan, options, invocation.error)
    _check_values(invocation, plan)
    launcher, program = _where(invocation, options, functions, prog)
    runs = _Runs(invocation, plan, _new_folder(Path(options.runs_dir)), _replay_prefix(prog))
    jobs = min(options.jobs, sweeper.total) or 1
    print(
        f"sweep: {sweeper.total} run{'s' if sweeper.total != 1 else ''} into {display_path(str(runs.folder))}"
        + (f", {jobs} at a time" if jobs > 1 else ""),
        file=sys.stderr,
        flush=True,
    )
    progress = Progress(sweeper.total, sys.stderr)
    finished = _run_all(launcher.executor(jobs), jobs, sweeper, runs, progress, program, functions)
    _print_summary(runs, sweeper, progress, plan)
    runs.save(_options(options))
    _warn_unread(invocation, runs)
    if not finished:
        print(f"sweep: interrupted after {len(runs.outcomes)} of {sweeper.total} runs", file=sys.stderr)
        raise SystemExit(130)
    problem = sweeper.problem()
    if problem:
        print(f"sweep: {problem}", file=sys.stderr)
    if problem or any(outcome.failed for outcome in runs.outcomes.values()):
        raise SystemExit(1)
    return [runs.outcomes[n].result for n in sorted(runs.outcomes)]


def _run_all(
    executor: ContextManager[concurrent.futures.Executor],
    jobs: int,
    sweeper: Sweeper,
    runs: _Runs,
    progress: Progress,
    program: Program,
    functions: list[Callable],
) -> bool:
    """Run the sweep through ``executor``; False when Ctrl-C stopped it."""
    streams = sys.stdout, sys.stderr
    try:
        with executor as pool:
            here = isinstance(pool, InlineExecutor)  # runs in this process print to its streams
            if here and progress.terminal:
                sys.stdout, sys.stderr = _Wiping(sys.stdout, progress), _Wiping(sys.stderr, progress)

            def submit(task: RunTask) -> concurrent.futures.Future:
                if here:
                    progress.started(task.number, runs.values[task.number])
                return pool.submit(run_one, program, task, functions if here else None)

            _drive(jobs, sweeper, runs, progress, submit)
        return True
    except KeyboardInterrupt:
        return False
    finally:
        sys.stdout, sys.stderr = streams
        progress.clear()


# --- checks before the first run -----------------------------------------------------------------


def _check_values(invocation: Invocation, plan: Plan) -> None:
    """Every swept value converts to its key's type, and the rest of the command line is good
    (config files, the fixed ``-D`` values, ``--strict``): usage errors before any run."""
    for key, sweep in plan.swept.items():
        if isinstance(sweep, Interval):
            wanted, _ = layers.wanted_type(invocation, key)
            if sweep.kind != "int" and wanted in (int, bool):
                invocation.error(
                    f"argument -D/--define: {key}={plan.typed[key]}: {key} is {wanted.__name__}, and"
                    f" {sweep.kind}() gives floats; use int(LOW,HIGH) or a list"
                )
            bounds = [sweep.low, sweep.high]
            layers.convert_definitions(invocation, [f"{key}={bound!r}" for bound in bounds])
        else:
            layers.convert_definitions(invocation, [f"{key}={text}" for text in sweep.texts])
    first = {
        key: (repr(sweep.low) if isinstance(sweep, Interval) else sweep.texts[0])
        for key, sweep in plan.swept.items()
    }
    layers.read(invocation, plan.definitions(first))


def _options(options: SweepOptions) -> dict[str, Any]:
    """The options ``sweep.json`` records: those that apply to the sweeper used."""
    recorded = options._asdict()
    if options.sweeper != "optuna":
        for name in ("trials", "maximize", "seed"):
            del recorded[name]
    return recorded


def _where(
    invocation: Invocation, options: SweepOptions, functions: list[Callable], prog: Optional[str]
) -> tuple[Launcher, Program]:
    """The launcher, and the program as its workers find it: usage errors when the launcher's
    package is missing, or when the runs go to other processes that could not find the
    program's functions."""
    launcher = LAUNCHERS[options.launcher]
    problem = launcher.problem()
    if problem:
        invocation.error(f"argument --launcher: {problem}")
    inline = options.launcher == "local" and options.jobs == 1
    program = Program.of(functions, prog, None if inline else _outer())
    problem = None if inline else program.problem() or _unpicklable(program)
    if problem:
        where = f"--jobs {options.jobs}" if options.launcher == "local" else f"--launcher {options.launcher}"
        invocation.error(f"{where} runs the program in other processes, but {problem}")
    return launcher, program


def _outer() -> Optional[Scope]:
    """The values code around ``hp.launch`` set, for runs in other processes (None: none)."""
    current = scope.current()
    return current.snapshot() if len(current) else None


def _unpicklable(program: Program) -> Optional[str]:
    try:
        pickle.dumps(program)
    except Exception as exc:
        return str(exc)
    return None


def _new_folder(runs_dir: Path) -> Path:
    """``runs_dir/<date_time>``, new: ``_2``, ``_3`` ... when a sweep started in the same second."""
    stamp = datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    for attempt in range(1, 1000):
        folder = runs_dir / (stamp if attempt == 1 else f"{stamp}_{attempt}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"{runs_dir / stamp}: too many sweeps started in this second")


def _replay_prefix(prog: Optional[str]) -> str:
    """How the program is started again: ``prog`` when given, else ``python -m NAME`` or
    ``python FILE`` as this process was started."""
    if prog:
        return prog
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        return f"python -m {spec.name.removesuffix('.__main__')}"
    if sys.argv and sys.argv[0] and sys.argv[0] != "-c":
        return f"python {shlex.quote(display_path(sys.argv[0]))}"
    return "python PROGRAM"


# --- running -------------------------------------------------------------------------------------


class _Runs:
    """The runs of a sweep: each one's swept values, command line and how it ended."""

    def __init__(self, invocation: Invocation, plan: Plan, folder: Path, replay: str) -> None:
        self.invocation = invocation
        self.plan = plan
        #: the sweep's folder
        self.folder = folder
        #: how the program is started again (``python train.py``)
        self.replay = replay
        self.values: dict[int, dict[str, str]] = {}
        self.outcomes: dict[int, RunOutcome] = {}

    def task(self, number: int, values: dict[str, str]) -> RunTask:
        self.values[number] = values
        return RunTask(number, self.argv(values), str(self.folder / str(number)))

    def argv(self, values: dict[str, str]) -> list[str]:
        return self.invocation.run_argv(self.plan.definitions(values))

    def command(self, values: dict[str, str]) -> str:
        """The command line that runs the run of ``values`` again, alone."""
        return f"{self.replay} {shlex.join(self.argv(values))}".rstrip()

    def save(self, options: dict[str, Any]) -> None:
        """``sweep.json``: the sweep's command line and options, and each run's values, command
        line and result."""
        runs = []
        for number in sorted(self.values):
            outcome = self.outcomes.get(number)
            runs.append(
                {
                    "run": number,
                    "values": self.values[number],
                    "command": self.command(self.values[number]),
                    "status": "not run" if outcome is None else "failed" if outcome.failed else "ok",
                    "error": outcome.failed if outcome is not None else None,
                    "result": json.loads(as_json(outcome.result)) if outcome and not outcome.failed else None,
                }
            )
        command = f"{self.replay} {shlex.join(self.invocation.argv)}".rstrip()
        data = {"command": command, "options": options, "runs": runs}
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        (self.folder / "sweep.json").write_text(text, encoding="utf-8")


def _drive(
    jobs: int,
    sweeper: Sweeper,
    runs: _Runs,
    progress: Progress,
    submit: Callable[[RunTask], concurrent.futures.Future],
) -> None:
    """Keep up to ``jobs`` runs going, asking the sweeper for the next, until it has no more."""
    pending: dict[concurrent.futures.Future, RunTask] = {}
    number = 0
    more = True
    while True:
        while more and len(pending) < jobs:
            values = sweeper.ask(number)
            if values is None:
                more = False
                break
            task = runs.task(number, values)
            number += 1
            try:
                future = submit(task)
            except Exception as exc:  # a pool that a crashed worker broke
                future = concurrent.futures.Future()
                future.set_exception(exc)
            pending[future] = task
        if not pending:
            return
        done, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: pending[f].number):
            task = pending.pop(future)
            try:
                outcome = future.result()
            except Exception as exc:  # the worker could not run it at all
                outcome = _lost(task, exc)
            runs.outcomes[task.number] = outcome
            sweeper.tell(outcome)
            progress.finished(outcome, runs.values[task.number])


def _lost(task: RunTask, exc: BaseException) -> RunOutcome:
    """The outcome of a run whose worker failed before it could report (it died, or could not
    import the program): recorded in the run's ``error.txt``."""
    write_error(Path(task.folder), task, exc)
    return RunOutcome(task.number, one_line(exc), None, "failed", None, 0.0, None)


# --- what a person sees ----------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    """``0.4s``, ``12s``, ``3m05s``, ``1h02m``."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _shown_value(text: str) -> str:
    """A swept value for the table: a long float (as Optuna picks them) to 6 digits."""
    if len(text) > 10:
        try:
            return f"{float(text):.6g}"
        except ValueError:
            pass
    return text


class Progress:
    """The progress line on stderr. On a terminal it is redrawn in place (and wiped before a
    run in this process prints, see ``_Wiping``); elsewhere (a log file, a pipe) it is one line
    per finished run, never a carriage return."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.terminal = stream.isatty()
        self.start = time.monotonic()
        self.done = 0
        self.failed = 0
        self.drawn = False

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def _times(self) -> str:
        elapsed = self.elapsed
        eta = f", ETA {_duration(elapsed / self.done * (self.total - self.done))}" if self.done else ""
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{_duration(elapsed)} elapsed{eta}{failed}"

    def started(self, number: int, values: dict[str, str]) -> None:
        """A run in this process starts: on a terminal, say so until it ends."""
        if self.terminal:
            self._draw(f"[{self.done}/{self.total}] run {number} {_values(values)} running; {self._times()}")

    def finished(self, outcome: RunOutcome, values: dict[str, str]) -> None:
        self.done += 1
        self.failed += bool(outcome.failed)
        ended = f"failed ({outcome.failed})" if outcome.failed else f"-> {outcome.shown}"
        line = (
            f"[{self.done}/{self.total}] run {outcome.number} {_values(values)} {ended}"
            f" in {_duration(outcome.seconds)}; {self._times()}"
        )
        if self.terminal:
            self._draw(line)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def _draw(self, line: str) -> None:
        import shutil

        width = shutil.get_terminal_size().columns - 1
        self.stream.write("\r\x1b[K" + (line if len(line) <= width else line[: width - 3] + "..."))
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        """Wipe the line (on a terminal, where it was drawn)."""
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def _values(values: dict[str, str]) -> str:
    return " ".join(f"{key}={_shown_value(text)}" for key, text in values.items())


class _Wiping:
    """``sys.stdout`` / ``sys.stderr`` while runs print in this process to a terminal: the
    progress line is wiped before their first word, so that it does not run into it."""

    def __init__(self, stream: TextIO, progress: Progress) -> None:
        self._stream = stream
        self._progress = progress

    def write(self, text: str) -> int:
        if self._progress.drawn and text:
            self._progress.clear()
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _print_summary(runs: _Runs, sweeper: Sweeper, progress: Progress, plan: Plan) -> None:
    """The table of the runs on stdout, what the sweeper has to say, and each failure on
    stderr."""
    folder = runs.folder
    keys = list(plan.swept)
    rows = []
    for number in sorted(runs.outcomes):
        outcome = runs.outcomes[number]
        values = runs.values[number]
        rows.append((str(number), *(_shown_value(values[k]) for k in keys), outcome.shown))
    failed = [o for o in runs.outcomes.values() if o.failed]
    if rows:
        print(table(rows, ("run", *keys, "result")))
    summary = f"{len(runs.outcomes)} runs in {_duration(progress.elapsed)}"
    if failed:
        summary += f", {len(failed)} failed"
    print(f"{summary}: {display_path(str(folder))}")
    for line in sweeper.report(runs.command):
        print(line)
    sys.stdout.flush()
    for outcome in sorted(failed, key=lambda o: o.number):
        where = display_path(str(folder / str(outcome.number) / "error.txt"))
        print(f"run {outcome.number} failed: {outcome.failed} (traceback in {where})", file=sys.stderr)


def _warn_unread(invocation: Invocation, runs: _Runs) -> None:
    """Warn once, after the sweep, of ``-D`` keys that no run read."""
    reports = [o.unread for o in runs.outcomes.values() if not o.failed]
    known = [r for r in reports if r is not None]
    if not known or len(known) < len(reports):
        return
    not_read = [key for key in known[0] if all(key in r for r in known)]
    if not_read:
        from .report import warn_unread

        warn_unread(not_read, lambda: invocation.source_scan, not_read)

"""One run of a sweep, where it runs: in this process, or in a worker process that imported the
program. ``run_one`` is all a worker does, and it is given only text and references: the
program's functions (pickled by their module and name, so a worker imports the program's module
to find them), the run's command line, the folder to write to, and the values that code around
``hp.launch`` had set.

The run's command line is the sweep's without ``-m`` and the sweep options, each swept key given
its value with ``-D``: ``run_one`` parses it as ``hp.launch`` parses any command line, enters
its parameters in a scope of their own, calls the function and writes the run's folder:

- ``params.toml``: the parameters the run used, as ``--dump-params`` writes them (``-C`` reads
  the file back); ``params.yaml`` when a value is None that TOML could not hold;
- ``result.json``: what the function returned, as JSON, or the JSON text of its ``repr`` when it
  is not JSON data;
- ``error.txt``: the traceback, when the run raised (and then no ``result.json``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import math
import pickle
import shlex
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, NamedTuple, Optional

from .._scope import Scope, scope
from . import layers, sweeps
from .command import Command
from .options import parse
from .report import RunReport, unread

#: The longest result the summary shows before cutting it short.
_SHOWN = 40
#: The folder of this package: its frames are left out of a run's traceback.
_HERE = str(Path(__file__).resolve().parent)


class Program(NamedTuple):
    """How a worker finds the program: its functions by module and qualified name, and how to
    import the main module when they are defined there."""

    #: ``(module, qualified name)`` of each function
    targets: tuple[tuple[str, str], ...]
    prog: Optional[str]
    #: how the main module was started: ``("path", file)``, ``("module", name)`` or ``("", "")``
    main: tuple[str, str]
    #: the folder the program's own imports start from (``sys.path[0]``: the script's folder,
    #: or the working folder for ``python -m``), which a worker puts first on its path too
    root: str
    #: the values code around ``hp.launch`` had set (a snapshot), or None
    outer: Optional[Scope]

    @classmethod
    def of(cls, functions: list[Callable], prog: Optional[str], outer: Optional[Scope]) -> Program:
        main = sys.modules.get("__main__")
        spec = getattr(main, "__spec__", None)
        if spec is not None and spec.name:
            started = ("module", spec.name)
        elif getattr(main, "__file__", None):
            started = ("path", str(Path(main.__file__).resolve()))  # type: ignore[union-attr, arg-type]
        else:
            started = ("", "")
        targets = tuple((f.__module__, f.__qualname__) for f in functions)
        root = str(Path(sys.path[0] or ".").resolve()) if sys.path else ""
        return cls(targets, prog, started, root, outer)

    def problem(self) -> Optional[str]:
        """Why a worker process could not find the functions, or None."""
        for module, name in self.targets:
            if "<locals>" in name:
                return f"{name} is defined inside a function, where a worker process cannot find it"
            if module == "__main__" and not self.main[0]:
                return f"{name} is defined in __main__, which has no file that a worker process could import"
        return None

    def functions(self) -> list[Callable]:
        """The program's functions, in a worker: its modules imported (the main module, too,
        when multiprocessing did not import it, with ``hp.launch`` doing nothing meanwhile)."""
        if self.root and self.root not in sys.path:  # a Dask or Ray worker, started elsewhere
            sys.path.insert(0, self.root)
        found = []
        for module_name, name in self.targets:
            if module_name == "__main__":
                module = sys.modules["__main__"]
                if not _has(module, name):
                    module = self._import_main()
            else:
                module = importlib.import_module(module_name)
            obj: Any = module
            for part in name.split("."):
                obj = getattr(obj, part)
            found.append(obj)
        return found

    def _import_main(self) -> Any:
        loaded = sys.modules.get("__mp_main__")
        if loaded is not None and loaded is not sys.modules["__main__"]:
            return loaded
        import runpy
        import types

        how, where = self.main
        sweeps.importing_program = True
        try:
            if how == "module":
                code = runpy.run_module(where, run_name="__mp_main__", alter_sys=True)
            else:
                code = runpy.run_path(where, run_name="__mp_main__")
        finally:
            sweeps.importing_program = False
        module = types.ModuleType("__mp_main__")
        module.__dict__.update(code)
        sys.modules["__mp_main__"] = module
        return module


def _has(module: Any, name: str) -> bool:
    obj = module
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return True


class RunTask(NamedTuple):
    """One run: its number, its command line and its folder."""

    number: int
    argv: list[str]
    folder: str


class RunOutcome(NamedTuple):
    """What a run sends back: a summary, never a live object that might not pickle."""

    number: int
    #: ``"ValueError: boom"`` when the run failed, else None
    failed: Optional[str]
    #: the result: itself in this process or when it pickles, else its repr
    result: Any
    #: the result as the summary shows it
    shown: str
    #: the result as a number, when it is one (the optuna sweeper's objective)
    value: Optional[float]
    seconds: float
    #: the ``-D`` keys that nothing declares and nothing read during the run (None: unknown)
    unread: Optional[list[str]]


def run_one(program: Program, task: RunTask, functions: Optional[list[Callable]] = None) -> RunOutcome:
    """Run ``task`` and write its folder. ``functions``: the program's functions, when the run
    is in the sweep's own process (then the result is sent back as it is); a worker finds them
    from ``program``."""
    here = functions is not None
    start = time.perf_counter()
    folder = Path(task.folder)
    folder.mkdir(parents=True, exist_ok=True)
    result: Any = None
    failed: Optional[str] = None
    not_read: Optional[list[str]] = None
    try:
        commands = [Command(f) for f in (functions if functions is not None else program.functions())]
        invocation = parse(commands, task.argv, program.prog)
        values = layers.read(invocation)
        outer = program.outer if program.outer is not None else contextlib.nullcontext()
        with outer, scope() as ps:
            values.apply(ps)
            report = RunReport(invocation.listed, ps, invocation.source_scan, invocation.commands)
            try:
                assert invocation.chosen is not None
                result = invocation.chosen.call(invocation.args)
            finally:
                _write_params(folder, report, task.number)
        not_read = unread(values.unknown)
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:  # the program exited, or (checked before the sweep) a usage error
        if exc.code not in (None, 0):
            failed = f"SystemExit: exited with status {exc.code}"
            write_error(folder, task, exc)
    except BaseException as exc:
        failed = one_line(exc)
        write_error(folder, task, exc)
    if failed is None:
        (folder / "result.json").write_text(as_json(result) + "\n", encoding="utf-8")
    sys.stdout.flush()
    sys.stderr.flush()
    return RunOutcome(
        number=task.number,
        failed=failed,
        result=result if here else _sendable(result),
        shown="failed" if failed else _shown(result),
        value=None if failed else as_number(result),
        seconds=time.perf_counter() - start,
        unread=not_read,
    )


def _write_params(folder: Path, report: RunReport, number: int) -> None:
    """``params.toml``, or ``params.yaml`` for what TOML cannot hold (a None, a list of
    tables); a value neither can hold is a warning, not a failure of the run."""
    from .dump import write

    used = report.used()
    try:
        if report.toml_problem(used) is None:
            try:
                write(folder / "params.toml", used)
                return
            except ValueError:
                pass
        write(folder / "params.yaml", used)
    except Exception as exc:
        print(f"warning: run {number}: cannot write the parameters it used: {exc}", file=sys.stderr)


def write_error(folder: Path, task: RunTask, exc: BaseException) -> None:
    """``error.txt``: the run's command line and the traceback, from the program's own frames
    (the frames of this package that called it are left out)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename.startswith(_HERE):
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    folder.mkdir(parents=True, exist_ok=True)
    heading = f"run {task.number}: {shlex.join(task.argv)}"
    (folder / "error.txt").write_text(f"{heading}\n\n{text}", encoding="utf-8")


def one_line(exc: BaseException) -> str:
    """``ValueError: boom``: the exception's type and the first line of its message."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def as_json(result: Any) -> str:
    """``result`` as JSON, or the JSON text of its repr when it is not JSON data."""
    try:
        return json.dumps(result, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError):
        return json.dumps(repr(result), ensure_ascii=False)


def _sendable(result: Any) -> Any:
    try:
        pickle.dumps(result)
    except Exception:
        return repr(result)
    return result


def _shown(result: Any) -> str:
    """The result for the summary: a float to 6 digits, anything else by its repr, cut short."""
    text = f"{result:.6g}" if type(result) is float else repr(result)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def as_number(result: Any) -> Optional[float]:
    """``result`` as a float when it is a number (a bool or text is not), else None.

    >>> as_number(3), as_number(0.5), as_number(True), as_number("1.0"), as_number(float("nan"))
    (3.0, 0.5, None, None, None)
    """
    if isinstance(result, (bool, str, bytes)) or not hasattr(type(result), "__float__"):
        return None
    try:
        number = float(result)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None

"""What to run next: the sweepers of ``--sweeper``, over the ``Plan`` of a ``-m`` command line.

A sweeper is asked for the swept values of each next run (``ask``) and told how each run ended
(``tell``), so a search can use the results so far; the sweep runs what it asks for, up to
``--jobs`` at a time, and stops when ``ask`` returns None.

- ``grid`` (the default): every combination of the lists and ranges, the last key changing
  fastest, as ``itertools.product`` orders them.
- ``optuna``: ``--trials`` runs, each asked from an Optuna study (the TPE sampler, seeded with
  ``--seed``) and told its result, which it minimises (``--maximize``: maximises). Lists and
  ranges are categorical and integer parameters of the search, ``uniform``, ``loguniform``,
  ``int`` and ``choice`` its distributions. Optuna is imported only here.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, NamedTuple, NoReturn, Optional, Protocol, Union

from .runs import RunOutcome
from .sweeps import Interval, Sweep, SweepError, SweepOptions, read_value


class Plan(NamedTuple):
    """The ``-D`` definitions of a ``-m`` command line: each key's value or sweep, in the order
    the keys were first given (a key given twice keeps its last value)."""

    #: key -> its value (text, unescaped) or its sweep
    entries: dict[str, Union[str, Sweep]]
    #: key -> the value as typed, for messages
    typed: dict[str, str]
    #: definitions without ``=``, kept for the parser to report
    malformed: list[str]

    @classmethod
    def of(cls, definitions: list[str], error: Callable[[str], NoReturn]) -> Plan:
        entries: dict[str, Union[str, Sweep]] = {}
        typed: dict[str, str] = {}
        malformed = []
        for text in definitions:
            key, sep, raw = text.partition("=")
            key = key.strip()
            if not sep:
                malformed.append(text)
                continue
            try:
                entries[key] = read_value(raw)
            except SweepError as exc:
                error(f"argument -D/--define: {key}: {exc}")
            typed[key] = raw
        return cls(entries, typed, malformed)

    @property
    def swept(self) -> dict[str, Sweep]:
        return {key: value for key, value in self.entries.items() if not isinstance(value, str)}

    def definitions(self, values: dict[str, str]) -> list[str]:
        """The ``KEY=VALUE`` texts of one run: the fixed values, and ``values`` for the swept."""
        texts = [f"{key}={values.get(key, value)}" for key, value in self.entries.items()]
        return [*self.malformed, *texts]


class Sweeper(Protocol):
    """What to run next."""

    #: how many runs the sweep makes
    total: int

    def ask(self, number: int) -> Optional[dict[str, str]]:
        """The swept values (texts, by key) of run ``number``; None when the sweep is done."""

    def tell(self, outcome: RunOutcome) -> None:
        """How a run ended (``outcome.number`` says which)."""

    def report(self, replay: Callable[[dict[str, str]], str]) -> list[str]:
        """Lines to print after the summary; ``replay`` gives the command line of a run."""

    def problem(self) -> Optional[str]:
        """Why the sweep failed although no run raised (the exit status is then 1), or None."""


class Grid:
    """Every combination of the swept values."""

    def __init__(self, plan: Plan, error: Callable[[str], NoReturn]) -> None:
        axes = []
        for key, sweep in plan.swept.items():
            if isinstance(sweep, Interval) or sweep.kind == "choice":
                name = sweep.kind
                error(
                    f"argument -D/--define: {key}={plan.typed[key]}: {name}() is a distribution, for"
                    " --sweeper optuna; the grid sweeper takes lists (a,b,c) and range(...)"
                )
            axes.append([(key, text) for text in sweep.texts])
        self.runs = [dict(combination) for combination in itertools.product(*axes)]
        self.total = len(self.runs)
        self._next = iter(self.runs)

    def ask(self, number: int) -> Optional[dict[str, str]]:
        return next(self._next, None)

    def tell(self, outcome: RunOutcome) -> None:
        pass

    def report(self, replay: Callable[[dict[str, str]], str]) -> list[str]:
        return []

    def problem(self) -> Optional[str]:
        return None


class Optuna:
    """``--trials`` runs, chosen by an Optuna study from the results so far."""

    def __init__(self, plan: Plan, options: SweepOptions, error: Callable[[str], NoReturn]) -> None:
        try:
            import optuna
        except ImportError:
            error("--sweeper optuna needs Optuna: pip install 'hyperparameter[optuna]'")
        self.optuna = optuna
        self.maximize = options.maximize
        self.distributions = {key: _distribution(optuna, sweep) for key, sweep in plan.swept.items()}
        if not self.distributions:
            error(
                "--sweeper optuna: nothing to search; give a distribution with -D, such as"
                " -D train.lr=loguniform(1e-4,1e-1)"
            )
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # the sweep prints its own progress
        self.study = optuna.create_study(
            direction="maximize" if options.maximize else "minimize",
            sampler=optuna.samplers.TPESampler(seed=options.seed),
        )
        self.total = options.trials
        #: each asked run's trial and values, by run number
        self.trials: dict[int, tuple[Any, dict[str, str]]] = {}
        self.best: Optional[tuple[float, int, dict[str, str]]] = None
        #: ``(run number, result shown)`` of the runs that returned something other than a number
        self.not_numbers: list[tuple[int, str]] = []

    def ask(self, number: int) -> Optional[dict[str, str]]:
        if len(self.trials) == self.total:
            return None
        trial = self.study.ask(self.distributions)
        values = {key: _text(trial.params[key]) for key in self.distributions}
        self.trials[number] = (trial, values)
        return values

    def tell(self, outcome: RunOutcome) -> None:
        trial, values = self.trials[outcome.number]
        if outcome.value is None:
            self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)
            if not outcome.failed:
                self.not_numbers.append((outcome.number, outcome.shown))
            return
        self.study.tell(trial, outcome.value)
        better = self.best is None or (
            outcome.value > self.best[0] if self.maximize else outcome.value < self.best[0]
        )
        if better:
            self.best = (outcome.value, outcome.number, values)

    def report(self, replay: Callable[[dict[str, str]], str]) -> list[str]:
        lines = [
            f"note: run {number} returned {shown}, not a number, so its trial counts as failed"
            for number, shown in self.not_numbers
        ]
        if self.best is None:
            return [*lines, "best: none (no run returned a number)"]
        value, number, values = self.best
        goal = "maximised" if self.maximize else "minimised"
        return [
            *lines,
            f"best: run {number}, result {value!r} ({goal} over {self.total} trials)",
            "  " + " ".join(f"{key}={text}" for key, text in values.items()),
            f"replay: {replay(values)}",
        ]

    def problem(self) -> Optional[str]:
        if self.best is None:
            return "no run returned a number for Optuna to " + ("maximise" if self.maximize else "minimise")
        return None


def _distribution(optuna: Any, sweep: Sweep) -> Any:
    distributions = optuna.distributions
    if isinstance(sweep, Interval):
        if sweep.kind == "int":
            return distributions.IntDistribution(int(sweep.low), int(sweep.high))
        return distributions.FloatDistribution(sweep.low, sweep.high, log=sweep.kind == "loguniform")
    if sweep.kind == "range" and sweep.bounds is not None and len(sweep.texts) > 1:
        numbers = [int(text) for text in sweep.texts]
        return distributions.IntDistribution(min(numbers), max(numbers), step=abs(sweep.bounds[2]))
    return distributions.CategoricalDistribution(list(sweep.texts))


def _text(value: Any) -> str:
    """A value Optuna chose, as the text of a ``-D`` definition (floats exactly, by ``repr``)."""
    return repr(value) if isinstance(value, float) else str(value)


def make(plan: Plan, options: SweepOptions, error: Callable[[str], NoReturn]) -> Sweeper:
    """The sweeper ``--sweeper`` names."""
    if options.sweeper == "optuna":
        return Optuna(plan, options, error)
    return Grid(plan, error)

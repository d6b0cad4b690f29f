"""Sweeps from the command line (``-m``), end to end: real programs, each run as a process, and
what a person sees of them (stdout, stderr, the exit status) and finds on disk (the run folders).
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "sweeps.md"
STAMP = re.compile(r"\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(?:_\d+)?")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"COLUMNS": "100", "PYTHONUNBUFFERED": "1", **extra})
    return env


def run(path: Path, *args: str, cwd: Optional[Path] = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(path), *args],
        cwd=cwd or path.parent,
        env=_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def program(tmp_path: Path, source: str, name: str = "prog.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def summary(stdout: str) -> list[dict[str, str]]:
    """The summary table of a sweep as rows of ``{column: cell}``."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("run  "))
    header, rule = lines[start], lines[start + 1]
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    names = header.split()
    rows = []
    for line in lines[start + 2 :]:
        if not re.match(r"\d+  ", line):
            break
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None])]
        rows.append(dict(zip(names, cells)))
    return rows


def sweep_folder(runs_dir: Path) -> Path:
    """The one sweep folder under ``runs_dir``."""
    (folder,) = [p for p in runs_dir.iterdir() if p.is_dir()]
    assert STAMP.fullmatch(folder.name), folder.name
    return folder


GRID = """
import hyperparameter as hp

@hp.param("t")
def f(a: int = 0, b: int = 0, name: str = "x"):
    return {"a": a, "b": b, "name": name}

if __name__ == "__main__":
    print("returned:", hp.launch(f))
"""


@pytest.fixture()
def grid(tmp_path: Path) -> Path:
    return program(tmp_path, GRID)


# --- the grid ---------------------------------------------------------------------------------


def test_a_sweep_runs_the_cartesian_product_with_a_folder_per_run(grid: Path) -> None:
    done = run(grid, "-m", "-D", "t.a=1,2,3", "-D", "t.b=range(2)", "--runs-dir", "out")
    assert done.returncode == 0, done.stderr
    rows = summary(done.stdout)
    assert [(r["run"], r["t.a"], r["t.b"]) for r in rows] == [
        ("0", "1", "0"),
        ("1", "1", "1"),
        ("2", "2", "0"),
        ("3", "2", "1"),
        ("4", "3", "0"),
        ("5", "3", "1"),
    ]
    assert rows[3]["result"] == "{'a': 2, 'b': 1, 'name': 'x'}"
    folder = sweep_folder(grid.parent / "out")
    assert sorted(p.name for p in folder.iterdir()) == ["0", "1", "2", "3", "4", "5", "sweep.json"]
    assert json.loads((folder / "3" / "result.json").read_text()) == {"a": 2, "b": 1, "name": "x"}
    assert (folder / "3" / "params.toml").read_text() == '[t]\na = 2\nb = 1\nname = "x"\n'
    assert sorted(p.name for p in (folder / "3").iterdir()) == ["params.toml", "result.json"]
    # hp.launch returns the results, in run order
    assert "returned: [{'a': 1, 'b': 0, 'name': 'x'}, {'a': 1, 'b': 1, 'name': 'x'}, " in done.stdout
    recorded = json.loads((folder / "sweep.json").read_text())
    assert recorded["command"] == "python prog.py -m -D t.a=1,2,3 -D 't.b=range(2)' --runs-dir out"
    assert recorded["options"] == {"jobs": 1, "runs_dir": "out", "sweeper": "grid", "launcher": "local"}
    assert recorded["runs"][3] == {
        "run": 3,
        "values": {"t.a": "2", "t.b": "1"},
        "command": "python prog.py -D t.a=2 -D t.b=1",
        "status": "ok",
        "error": None,
        "result": {"a": 2, "b": 1, "name": "x"},
    }
    # a second sweep gets a folder of its own
    assert run(grid, "-m", "-D", "t.a=1", "--runs-dir", "out").returncode == 0
    assert len([p for p in (grid.parent / "out").iterdir()]) == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [("range(3)", ["0", "1", "2"]), ("range(1,7,2)", ["1", "3", "5"]), ("range(5,0,-2)", ["5", "3", "1"])],
)
def test_range_is_pythons_range(grid: Path, value: str, expected: list[str]) -> None:
    done = run(grid, "-m", "-D", f"t.a={value}")
    assert done.returncode == 0, done.stderr
    assert [r["t.a"] for r in summary(done.stdout)] == expected


def test_a_comma_inside_a_swept_value_is_escaped_and_without_m_a_value_is_a_value(grid: Path) -> None:
    done = run(grid, "-m", "-D", r"t.name=a\,b,c")
    assert done.returncode == 0, done.stderr
    assert [r["t.name"] for r in summary(done.stdout)] == ["a,b", "c"]
    folder = sweep_folder(grid.parent / "runs")
    assert json.loads((folder / "0" / "result.json").read_text())["name"] == "a,b"
    # without -m: the text as typed, commas and backslashes alike (Hydra's rule)
    assert run(grid, "-D", "t.name=a,b").stdout == "returned: {'a': 0, 'b': 0, 'name': 'a,b'}\n"
    assert run(grid, "-D", r"t.name=a\,b").stdout == "returned: {'a': 0, 'b': 0, 'name': 'a\\\\,b'}\n"
    done = run(grid, "-D", "t.a=1,2")
    assert done.returncode == 2
    assert "t.a='1,2' is not a valid int (a sweep, which needs -m)" in done.stderr


def test_options_and_config_files_hold_for_every_run(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("fit")
        def fit(data: str, lr: float = 0.1, epochs: int = 1, seed: int = 0, amp: bool = True):
            return f"{data} lr={lr} epochs={epochs} seed={seed} amp={amp} warmup={hp.scope.fit.warmup | 0}"

        @hp.param("other")
        def other(x: int = 0):
            return x

        if __name__ == "__main__":
            hp.launch()
        """,
    )
    (tmp_path / "fit.yaml").write_text("fit:\n  epochs: 7\n")
    done = run(
        path,
        "-C",
        "fit.yaml",
        "-m",
        "fit",
        "d.csv",
        "-D",
        "fit.lr=0.5,0.25",
        "--no-amp",
        "--fit.seed",
        "9",
        "-D",
        "fit.warmup=3",
    )
    assert done.returncode == 0, done.stderr
    assert [r["fit.lr"] for r in summary(done.stdout)] == ["0.5", "0.25"]
    folder = sweep_folder(tmp_path / "runs")
    assert [json.loads((folder / n / "result.json").read_text()) for n in "01"] == [
        "d.csv lr=0.5 epochs=7 seed=9 amp=False warmup=3",
        "d.csv lr=0.25 epochs=7 seed=9 amp=False warmup=3",
    ]
    recorded = json.loads((folder / "sweep.json").read_text())
    # each run's command line spells --fit.seed as the program takes it without -m
    assert recorded["runs"][1]["command"] == (
        "python prog.py fit d.csv --no-amp --seed 9 -C fit.yaml -D fit.lr=0.25 -D fit.warmup=3"
    )


# --- processes --------------------------------------------------------------------------------


def test_jobs_runs_in_spawned_worker_processes_even_without_a_main_guard(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import os, sys
        import hyperparameter as hp

        print("imported as", __name__, file=sys.stderr)

        @hp.param("t")
        def f(x: int = 0):
            return [x * 10 + (hp.scope.t.offset | 0), os.getpid(), __name__]

        print("parent", os.getpid())
        with hp.scope(**{"t.offset": 5}):
            hp.launch(f)  # no guard: a worker must not start the sweep again
        """,
    )
    done = run(path, "-m", "--jobs", "2", "-D", "t.x=1,2,3,4")
    assert done.returncode == 0, done.stderr
    parent = int(re.search(r"parent (\d+)", done.stdout).group(1))
    folder = sweep_folder(tmp_path / "runs")
    results = [json.loads((folder / str(n) / "result.json").read_text()) for n in range(4)]
    assert [r[0] for r in results] == [15, 25, 35, 45]  # the values set around hp.launch travel
    assert all(pid != parent for _, pid, _ in results)
    assert {name for _, _, name in results} == {"__mp_main__"}  # spawn: a fresh interpreter
    assert done.stderr.count("imported as __main__") == 1
    assert 1 <= done.stderr.count("imported as __mp_main__") <= 2
    assert "sweep: 4 runs into runs/" in done.stderr and ", 2 at a time" in done.stderr


def test_a_failing_run_is_recorded_the_sweep_goes_on_and_the_exit_status_is_1(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("t")
        def f(x: int = 0):
            if x == 2:
                raise ValueError("two is not allowed")
            return x

        if __name__ == "__main__":
            hp.launch(f)
        """,
    )
    for jobs in ("1", "2"):
        done = run(path, "-m", "-D", "t.x=1,2,3", "--jobs", jobs, "--runs-dir", f"j{jobs}")
        assert done.returncode == 1, done.stderr
        assert [r["result"] for r in summary(done.stdout)] == ["1", "failed", "3"]
        assert "3 runs in " in done.stdout and ", 1 failed: " in done.stdout
        folder = sweep_folder(tmp_path / f"j{jobs}")
        error = (folder / "1" / "error.txt").read_text()
        assert error.startswith("run 1: -D t.x=2\n")
        assert 'prog.py", line 7, in f' in error and error.rstrip().endswith("ValueError: two is not allowed")
        assert "_cli" not in error  # the traceback starts at the program's own frames
        assert sorted(p.name for p in (folder / "1").iterdir()) == ["error.txt", "params.toml"]
        assert (folder / "2" / "result.json").read_text() == "3\n"
        assert f"run 1 failed: ValueError: two is not allowed (traceback in j{jobs}/" in done.stderr
        assert "Traceback" not in done.stderr


def test_params_toml_of_a_run_reads_back_with_C(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("t")
        def f(lr: float = 0.1, depth: int = 2):
            return round(lr * depth + (hp.scope.t.extra | 0.5), 6)

        if __name__ == "__main__":
            print(hp.launch(f))
        """,
    )
    done = run(path, "-m", "-D", "t.lr=0.5,0.25", "-D", "t.depth=3", "-D", "t.extra=1.5")
    assert done.returncode == 0, done.stderr
    folder = sweep_folder(tmp_path / "runs")
    params = folder / "1" / "params.toml"
    assert params.read_text() == "[t]\ndepth = 3\nextra = 1.5\nlr = 0.25\n"
    again = run(path, "-C", str(params))
    assert again.stdout == f"{json.loads((folder / '1' / 'result.json').read_text())}\n" == "2.25\n"


def test_a_result_that_is_not_json_is_written_as_its_repr(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        class Model:
            def __init__(self, depth):
                self.depth = depth
            def __repr__(self):
                return f"Model(depth={self.depth})"

        @hp.param("t")
        def f(depth: int = 2):
            return Model(depth)

        if __name__ == "__main__":
            hp.launch(f)
        """,
    )
    done = run(path, "-m", "-D", "t.depth=3,4", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert [r["result"] for r in summary(done.stdout)] == ["Model(depth=3)", "Model(depth=4)"]
    folder = sweep_folder(tmp_path / "runs")
    assert json.loads((folder / "1" / "result.json").read_text()) == "Model(depth=4)"


def test_progress_is_one_line_per_run_when_stderr_is_not_a_terminal(grid: Path) -> None:
    done = run(grid, "-m", "-D", "t.a=1,2,3")
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == f"sweep: 3 runs into runs/{sweep_folder(grid.parent / 'runs').name}"
    assert len(lines) == 4
    assert re.fullmatch(
        r"\[2/3\] run 1 t\.a=2 -> \{'a': 2, 'b': 0, 'name': 'x'\} in \d+\.\ds;"
        r" \d+\.\ds elapsed, ETA \d+\.\ds",
        lines[2],
    )


def test_progress_is_redrawn_in_place_on_a_terminal() -> None:
    from hyperparameter._cli.multirun import Progress
    from hyperparameter._cli.runs import RunOutcome

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(2, stream)
    progress.started(0, {"t.a": "1"})
    progress.finished(RunOutcome(0, None, 1, "1", 1.0, 0.1, []), {"t.a": "1"})
    progress.clear()
    text = stream.getvalue()
    assert "\n" not in text
    assert text.startswith("\r\x1b[K[0/2] run 0 t.a=1 running; ")
    assert "\r\x1b[K[1/2] run 0 t.a=1 -> 1 in 0.1s; " in text and ", ETA " in text
    assert text.endswith("\r\x1b[K")


# --- sweep options and the program's own options ------------------------------------------------

COLLIDING = """
import hyperparameter as hp

@hp.param("train")
def train(lr: float = 0.1, seed: int = 0, jobs: int = 1, maximize: bool = False):
    '''Train.

    Args:
        seed: the random seed.
    '''
    return f"lr={lr} seed={seed} jobs={jobs} maximize={maximize}"

if __name__ == "__main__":
    print(hp.launch(train))
"""


def test_a_parameter_named_like_a_sweep_option_keeps_working(tmp_path: Path) -> None:
    path = program(tmp_path, COLLIDING)
    # without -m, the options are the program's
    done = run(path, "--seed", "3", "--jobs", "4", "--maximize")
    assert done.stdout == "lr=0.1 seed=3 jobs=4 maximize=True\n", done.stderr
    # with -m, the sweep's; the parameters are --train.NAME or -D
    done = run(
        path,
        "-m",
        "--jobs",
        "2",
        "--train.jobs",
        "5",
        "--no-train.maximize",
        "-D",
        "train.seed=4",
        "-D",
        "train.lr=1,2",
    )
    assert done.returncode == 0, done.stderr
    assert ", 2 at a time" in done.stderr
    assert [r["result"] for r in summary(done.stdout)] == [
        "'lr=1.0 seed=4 jobs=5 maximize=False'",
        "'lr=2.0 seed=4 jobs=5 maximize=False'",
    ]
    recorded = json.loads((sweep_folder(tmp_path / "runs") / "sweep.json").read_text())
    assert (
        recorded["runs"][0]["command"]
        == "python prog.py --jobs 5 --no-maximize -D train.seed=4 -D train.lr=1"
    )
    # the program's --seed under -m: the sweep's, which the grid sweeper does not take
    done = run(path, "-m", "--seed", "3", "-D", "train.lr=1,2")
    assert done.returncode == 2
    assert (
        "argument --seed: a sweep option for --sweeper optuna (the grid sweeper runs every combination);"
        " with -m, the program's --seed is --train.seed (or -D train.seed=VALUE)"
    ) in done.stderr
    # --help says how the two are told apart
    help_text = run(path, "--help").stdout
    assert "--seed INT" in help_text
    assert re.search(
        r"with -m, --seed is the sweep's, and the program's is --train\.seed \(or -D\s+train\.seed=VALUE\)",
        help_text,
    )
    assert "--train.seed INT" in run(path, "-m", "--help").stdout


def test_sweep_options_without_m_are_usage_errors(grid: Path) -> None:
    for args in (
        ["--jobs", "2"],
        ["--sweeper", "optuna"],
        ["--trials=3"],
        ["--maximize"],
        ["--runs-dir", "x"],
    ):
        done = run(grid, *args)
        assert done.returncode == 2, args
        flag = args[0].split("=")[0]
        assert (
            f"error: argument {flag}: a sweep option, for a command line with -m (--multirun)" in done.stderr
        )
        assert "Traceback" not in done.stderr and done.stdout == ""


def test_help_shows_the_sweep_options(grid: Path) -> None:
    out = run(grid, "--help").stdout
    group = out[out.index("sweeps (with -m):") :]
    for flag in (
        "-m, --multirun",
        "--jobs N",
        "--runs-dir DIR",
        "--sweeper optuna --trials N [--seed S]",
        "[--maximize]",
        "--launcher NAME",
    ):
        assert flag in group
    assert max(len(line) for line in out.splitlines()) <= 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-m", "-D", "t.a=uniform(1,"],
            "argument -D/--define: t.a: malformed sweep value 'uniform(1,': expected"
            " uniform(LOW,HIGH), closed by ')'",
        ),
        (["-D", "t.a=uniform(1,"], "argument -D/--define: t.a: malformed sweep value 'uniform(1,'"),
        (["-D", "t.name=range(1,x)"], "t.name: malformed sweep value 'range(1,x)': 'x' is not an integer"),
        (["-m", "-D", "t.a=range(3,3)"], "t.a: the sweep value 'range(3,3)' is an empty range"),
        (["-m", "-D", "t.a=1,"], "t.a: an empty item in the list '1,' (write a comma inside a value as \\,)"),
        (["-m", "-D", "t.a=1,two"], "argument -D/--define: t.a='two' is not a valid int"),
        (["-m", "-D", "t.a=int(1,5)"], "t.a=int(1,5): int() is a distribution, for --sweeper optuna"),
        (
            ["-m", "-D", "t.a=choice(1,2)"],
            "t.a=choice(1,2): choice() is a distribution, for --sweeper optuna",
        ),
        (
            ["-m", "--sweeper", "optuna", "-D", "t.a=uniform(1,2)"],
            "t.a=uniform(1,2): t.a is int, and uniform() gives floats; use int(LOW,HIGH) or a list",
        ),
        (["-m", "--sweeper", "optuna", "-D", "t.a=3"], "--sweeper optuna: nothing to search"),
        (
            ["-m", "--sweeper", "optuan"],
            "argument --sweeper: unknown sweeper 'optuan' (choose from grid, optuna); did you mean optuna?",
        ),
        (["-m", "--jobs", "0"], "argument --jobs: 0 is not a count (give 1 or more)"),
        (["-m", "--jobs", "two"], "argument --jobs: 'two' is not a valid int"),
        (["-m", "--jobs"], "argument --jobs: expected one argument"),
        (["-m", "--trials", "3"], "argument --trials: a sweep option for --sweeper optuna"),
        (["-m", "-lps"], "-lps and -ep show the parameters of one run: give them without -m"),
        (["-m", "--dump-params", "x.toml"], "--dump-params: with -m, each run writes the parameters it used"),
        (["-m", "--strict", "-D", "t.nmae=1,2"], "unknown -D key t.nmae; did you mean t.name?"),
    ],
)
def test_usage_errors_name_the_key_and_exit_2_before_any_run(
    grid: Path, args: list[str], message: str
) -> None:
    done = run(grid, *args)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (grid.parent / "runs").exists()


def test_jobs_needs_functions_a_worker_can_import(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import sys
        import hyperparameter as hp

        def main():
            @hp.param("t")
            def f(x: int = 0):
                return x
            return hp.launch(f, argv=sys.argv[1:])

        if __name__ == "__main__":
            print(main())
        """,
    )
    assert run(path, "-m", "-D", "t.x=1,2").stdout.endswith("[1, 2]\n")  # in this process: fine
    done = run(path, "-m", "-D", "t.x=1,2", "--jobs", "2")
    assert done.returncode == 2
    assert (
        "--jobs 2 runs the program in other processes, but main.<locals>.f is defined inside a function"
    ) in done.stderr


# --- Optuna -----------------------------------------------------------------------------------

QUADRATIC = """
import hyperparameter as hp

@hp.param("q")
def f(x: float = 0.0, n: int = 0):
    return (x - 1.5) ** 2 + (n - 2) ** 2

if __name__ == "__main__":
    hp.launch(f)
"""


def _optuna() -> None:
    pytest.importorskip("optuna")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_optuna_finds_a_lower_point_than_its_worst_trial(tmp_path: Path, jobs: str) -> None:
    _optuna()
    path = program(tmp_path, QUADRATIC)
    done = run(
        path,
        "-m",
        "--sweeper",
        "optuna",
        "--trials",
        "6",
        "--seed",
        "0",
        "--jobs",
        jobs,
        "-D",
        "q.x=uniform(-4,4)",
        "-D",
        "q.n=int(0,5)",
    )
    assert done.returncode == 0, done.stderr
    rows = summary(done.stdout)
    assert len(rows) == 6
    results = [float(r["result"]) for r in rows]
    best = re.search(r"^best: run (\d+), result (\S+) \(minimised over 6 trials\)$", done.stdout, re.M)
    assert best, done.stdout
    assert float(best.group(2)) == pytest.approx(min(results), rel=1e-5) and min(results) < max(results)
    assert all(-4 <= float(r["q.x"]) <= 4 and r["q.n"] in "012345" for r in rows)
    replay = re.search(r"^replay: (.*)$", done.stdout, re.M).group(1)
    assert replay.startswith("python prog.py -D q.x=")
    # the replay command runs the best run again
    words = shlex.split(replay)
    again = run(path, *words[2:], "--dump-params", "best.json")
    assert again.returncode == 0, again.stderr
    used = json.loads((tmp_path / "best.json").read_text())["q"]
    assert (used["x"] - 1.5) ** 2 + (used["n"] - 2) ** 2 == pytest.approx(float(best.group(2)), rel=1e-5)


def test_optuna_maximize_and_seed_repeat(tmp_path: Path) -> None:
    _optuna()
    path = program(tmp_path, QUADRATIC)
    args = [
        "-m",
        "--sweeper",
        "optuna",
        "--trials",
        "5",
        "--seed",
        "1",
        "--maximize",
        "-D",
        "q.x=loguniform(0.1,10)",
        "-D",
        "q.n=choice(0,2,4)",
    ]
    done = run(path, *args)
    assert done.returncode == 0, done.stderr
    results = [float(r["result"]) for r in summary(done.stdout)]
    best = re.search(r"^best: run \d+, result (\S+) \(maximised over 5 trials\)$", done.stdout, re.M)
    assert float(best.group(1)) == pytest.approx(max(results), rel=1e-5)
    assert summary(run(path, *args).stdout) == summary(done.stdout)  # the same seed, the same search


def test_optuna_counts_a_result_that_is_not_a_number_as_a_failed_trial(tmp_path: Path) -> None:
    _optuna()
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("q")
        def f(x: float = 0.0):
            return "high" if x > 0 else x

        if __name__ == "__main__":
            hp.launch(f)
        """,
    )
    done = run(path, "-m", "--sweeper", "optuna", "--trials", "2", "-D", "q.x=uniform(1,2)")
    assert done.returncode == 1
    assert re.search(r"note: run 0 returned 'high', not a number, so its trial counts as failed", done.stdout)
    assert "sweep: no run returned a number for Optuna to minimise" in done.stderr


def test_optuna_missing_is_a_usage_error_naming_the_extra(grid: Path, tmp_path: Path) -> None:
    fake = tmp_path / "no-optuna" / "optuna"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('not installed')\n")
    done = run(grid, "-m", "--sweeper", "optuna", "-D", "t.a=int(1,3)", PYTHONPATH=str(fake.parent))
    assert done.returncode == 2
    assert "error: --sweeper optuna needs Optuna: pip install 'hyperparameter[optuna]'" in done.stderr
    assert "Traceback" not in done.stderr


# --- launchers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("launcher", "module"), [("dask", "distributed"), ("ray", "ray")])
def test_a_launcher_whose_package_is_missing_is_a_usage_error(
    grid: Path, tmp_path: Path, launcher: str, module: str
) -> None:
    fake = tmp_path / "missing" / module
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('not installed')\n")
    done = run(grid, "-m", "--launcher", launcher, "-D", "t.a=1,2", PYTHONPATH=str(fake.parent))
    assert done.returncode == 2
    assert (
        f"error: argument --launcher: launcher '{launcher}' needs hyperparameter[{launcher}]:"
        f" pip install 'hyperparameter[{launcher}]'"
    ) in done.stderr


@pytest.mark.parametrize("launcher", ["dask", "ray"])
def test_the_dask_and_ray_launchers_run_the_sweep(tmp_path: Path, launcher: str) -> None:
    pytest.importorskip("distributed" if launcher == "dask" else "ray")
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("t")
        def f(x: int = 0):
            if x == 3:
                raise ValueError("three")
            return x * (hp.scope.t.factor | 1)

        with hp.scope(**{"t.factor": 10}):
            hp.launch(f)  # no guard
        """,
    )
    done = run(
        path,
        "-m",
        "--launcher",
        launcher,
        "--jobs",
        "2",
        "-D",
        "t.x=1,2,3",
        RAY_ENABLE_UV_RUN_RUNTIME_ENV="0",
    )
    assert done.returncode == 1, done.stderr
    assert [r["result"] for r in summary(done.stdout)] == ["10", "20", "failed"]
    folder = sweep_folder(tmp_path / "runs")
    assert (folder / "1" / "params.toml").read_text() == "[t]\nfactor = 10\nx = 2\n"
    assert "ValueError: three" in (folder / "2" / "error.txt").read_text()


# --- in-process and module text -------------------------------------------------------------------


def test_hp_launch_returns_the_results_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hyperparameter as hp

    @hp.param("inproc")
    def f(x: int = 0, y: int = 1):
        return x * y

    monkeypatch.chdir(tmp_path)
    assert hp.launch(f, argv=["-m", "-D", "inproc.x=1,2", "-D", "inproc.y=range(3,5)"]) == [3, 4, 6, 8]
    assert hp.scope.inproc.x | None is None  # every run's scope is gone
    with pytest.raises(SystemExit) as raised:
        hp.launch(f, argv=["-m", "-D", "inproc.x=1,x"])
    assert raised.value.code == 2


def test_module_docstrings_run() -> None:
    import doctest

    from hyperparameter._cli import runs, sweeps

    attempted = 0
    for module in (sweeps, runs):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted >= 8


# --- docs/sweeps.md -----------------------------------------------------------------------------

_EXAMPLE = re.compile(r"<!-- sweeps-example: ([\w.-]+) -->\n```(\w+)\n(.*?)```", re.S)
_DURATION = re.compile(r"\b\d+(?:\.\d)?s\b|\b\d+m\d\ds\b|\b\d+h\d\dm\b")


def _normal(text: str) -> str:
    return _DURATION.sub("T", STAMP.sub("DATE", text))


def _transcript(block: str) -> list[tuple[str, str]]:
    """``(command, expected output)`` of each ``$ `` line of a console block."""
    found: list[tuple[str, str]] = []
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            found.append((line[2:].rstrip("\n"), ""))
        else:
            command, output = found[-1]
            found[-1] = (command, output + line)
    return found


def test_the_examples_of_docs_sweeps_md_run_as_shown(tmp_path: Path) -> None:
    _optuna()
    examples = {name: (kind, text) for name, kind, text in _EXAMPLE.findall(DOC.read_text(encoding="utf-8"))}
    assert list(examples) == ["train.py", "grid", "files", "failing", "errors", "jobs", "optuna"]
    (tmp_path / "train.py").write_text(examples["train.py"][1], encoding="utf-8")
    env = _env(COLUMNS="80", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for name, (kind, text) in examples.items():
        if kind != "console":
            continue
        for command, expected in _transcript(text):
            done = subprocess.run(
                command,
                shell=True,
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=120,
            )
            output = done.stdout + (f"[exit status {done.returncode}]\n" if done.returncode else "")
            if name == "optuna":  # the values Optuna picks depend on its version: the shape
                assert done.returncode == 0, output
                assert len(summary(output)) == 8
                replay = re.search(
                    r"^replay: python train\.py -D train\.lr=\S+ -D train\.depth=\d -D "
                    r"train\.dropout=0(\.1|\.2)?$",
                    output,
                    re.M,
                )
                assert replay, output
            else:
                assert _normal(output) == _normal(expected), f"{name}: {command}"


def test_jobs_2_gives_the_same_results_and_run_folders_as_jobs_1(grid: Path) -> None:
    folders = {}
    for jobs in ("1", "2"):
        runs = f"runs-{jobs}"
        done = run(grid, "-m", "--jobs", jobs, "--runs-dir", runs, "-D", "t.a=1,2", "-D", "t.name=x,y")
        assert done.returncode == 0, done.stderr
        folders[jobs] = sweep_folder(grid.parent / runs)
    for n in range(4):
        for name in ("params.toml", "result.json"):
            one = (folders["1"] / str(n) / name).read_text(encoding="utf-8")
            two = (folders["2"] / str(n) / name).read_text(encoding="utf-8")
            assert one == two, f"run {n} {name} differs between --jobs 1 and --jobs 2"
    assert sorted(p.name for p in folders["2"].iterdir() if p.is_dir()) == ["0", "1", "2", "3"]


def test_optuna_with_25_trials_finds_the_minimum(tmp_path: Path) -> None:
    _optuna()
    path = program(tmp_path, QUADRATIC)
    done = run(
        path, "-m", "--sweeper", "optuna", "--trials", "25", "--seed", "0",
        "-D", "q.x=uniform(-4,4)", "-D", "q.n=int(0,5)",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    best = re.search(r"^best: run \d+, result (\S+) \(minimised over 25 trials\)$", done.stdout, re.M)
    assert best, done.stdout
    # The minimum is 0 at x = 1.5, n = 2; a grid of 25 random points would rarely get this close.
    assert float(best.group(1)) < 0.25, done.stdout


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_each_run_is_seen_by_a_cpp_kernel_in_its_worker(tmp_path: Path, jobs: str) -> None:
    """A run's scope is the thread's scope for native code too, in a spawned worker as here."""
    import travel_work

    kernel = travel_work.build_lr_kernel(tmp_path)
    if kernel is None:
        pytest.skip("needs the native engine and a C++ compiler")
    path = program(
        tmp_path,
        """
        import ctypes, os
        import hyperparameter as hp

        @hp.param("train")
        def f(lr: float = 0.001):
            lib = ctypes.CDLL(os.environ["LR_KERNEL"])
            lib.kernel_lr.restype = ctypes.c_double
            return [lr, lib.kernel_lr()]

        if __name__ == "__main__":
            hp.launch(f)
        """,
    )
    done = run(path, "-m", "--jobs", jobs, "-D", "train.lr=0.1,0.2,0.3", LR_KERNEL=kernel)
    assert done.returncode == 0, done.stderr
    folder = sweep_folder(tmp_path / "runs")
    read = [json.loads((folder / str(n) / "result.json").read_text()) for n in range(3)]
    assert read == [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]

"""``-C`` / ``--config`` on the command line: several files after one flag or the flag repeated,
later files winning, each value's source naming its file; where a list of files ends (the next
option, ``--``, or the command name where a command can come); the errors of bad lists.

Programs run as processes (on the backend the suite runs on, and on both explicitly where the
provenance is shown), and in-process through ``hp.launch(argv=...)``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Optional

import pytest

import hyperparameter as hp
from hyperparameter._cli.options import take_lists

ROOT = Path(__file__).resolve().parents[2]
QS = [sys.executable, "-m", "hyperparameter.examples.quickstart"]


def run(argv: list[str], cwd: Path, backend: Optional[str] = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS="100", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if backend is not None:
        env["HYPERPARAMETER_BACKEND"] = backend
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def sources(stdout: str) -> dict[str, tuple[str, str]]:
    """``-lps`` output as ``{key: (value, source)}``."""
    rows = {}
    for line in stdout.splitlines()[2:]:
        key, _type, _default, value, source = line.split(None, 4)
        rows[key] = (value, source)
    return rows


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "base.toml").write_text('[greet]\nname = "Base"\nenthusiasm = 2\ngreeting = "Hi"\n')
    (tmp_path / "exp.yaml").write_text("greet:\n  name: Exp\n")
    (tmp_path / "loud.json").write_text('{"greet": {"enthusiasm": 4}}')
    return tmp_path


# --- one flag, several files; the flag repeated ---------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["-C", "base.toml", "exp.yaml", "loud.json"],
        ["--config", "base.toml", "exp.yaml", "loud.json"],
        ["-C", "base.toml", "-C", "exp.yaml", "-C", "loud.json"],
        ["--config", "base.toml", "--config", "exp.yaml", "--config", "loud.json"],
        ["-C", "base.toml", "exp.yaml", "--config", "loud.json"],
        ["-Cbase.toml", "exp.yaml", "-C=loud.json"],
        ["--config=base.toml", "exp.yaml", "-C", "loud.json"],
    ],
)
def test_several_files_after_one_flag_or_the_flag_repeated(files: Path, args: list[str]) -> None:
    done = run([*QS, *args], files)
    assert (done.returncode, done.stdout, done.stderr) == (0, "Hi, Exp!!!!\n", "")
    listed = sources(run([*QS, *args, "-lps"], files).stdout)
    assert listed["greet.name"] == ("'Exp'", "exp.yaml:greet.name")
    assert listed["greet.greeting"] == ("'Hi'", "base.toml:greet.greeting")
    assert listed["greet.enthusiasm"] == ("4", "loud.json:greet.enthusiasm")
    assert listed["greet.shout"] == ("False", "default")


def test_later_files_win_in_the_order_given(files: Path) -> None:
    assert run([*QS, "-C", "exp.yaml", "base.toml"], files).stdout == "Hi, Base!!\n"
    assert run([*QS, "-C", "base.toml", "exp.yaml"], files).stdout == "Hi, Exp!!\n"


@pytest.mark.parametrize("backend", ["native", "python"])
def test_list_params_and_explain_param_name_the_file_of_each_value(files: Path, backend: str) -> None:
    done = run([*QS, "-C", "base.toml", "exp.yaml", "-D", "greet.enthusiasm=3", "-lps"], files, backend)
    assert done.returncode == 0, done.stderr
    assert sources(done.stdout) == {
        "greet.enthusiasm": ("3", "-D"),
        "greet.greeting": ("'Hi'", "base.toml:greet.greeting"),
        "greet.name": ("'Exp'", "exp.yaml:greet.name"),
        "greet.shout": ("False", "default"),
        "greet.style": ("'plain'", "default"),
    }
    done = run([*QS, "-C", "base.toml", "exp.yaml", "-ep", "greet.name"], files, backend)
    assert "  value:        'Exp'\n  source:       exp.yaml:greet.name\n" in done.stdout


def test_a_file_in_another_folder_is_named_as_given(files: Path) -> None:
    (files / "conf").mkdir()
    (files / "conf" / "fast.yaml").write_text("greet: {greeting: Yo}\n")
    listed = sources(run([*QS, "-C", "base.toml", "conf/fast.yaml", "-lps"], files).stdout)
    assert listed["greet.greeting"] == ("'Yo'", "conf/fast.yaml:greet.greeting")


# --- where the list ends --------------------------------------------------------------------------


def test_the_list_ends_at_the_next_option(files: Path) -> None:
    assert run([*QS, "-C", "base.toml", "exp.yaml", "--shout"], files).stdout == "HI, EXP!!\n"
    assert run([*QS, "-C", "base.toml", "-D", "greet.name=D", "exp.yaml"], files).returncode == 2
    done = run([*QS, "-C", "base.toml", "--shout", "exp.yaml"], files)
    assert done.returncode == 2
    assert "error: unrecognized arguments: exp.yaml" in done.stderr
    assert run([*QS, "-C", "base.toml", "--name", "Opt", "-C", "exp.yaml"], files).stdout == "Hi, Opt!!\n"


SINGLE = """
import hyperparameter as hp


@hp.param("job")
def job(data: str, *more: str, lr: float = 0.1):
    print(f"job {data} {list(more)} lr={lr}")


hp.launch(job)
"""


@pytest.fixture()
def single(files: Path) -> list[str]:
    (files / "job.py").write_text(textwrap.dedent(SINGLE))
    (files / "job.yaml").write_text("job: {lr: 0.5}\n")
    return [sys.executable, str(files / "job.py")]


def test_positionals_go_before_the_files_or_after_double_dash(files: Path, single: list[str]) -> None:
    assert run([*single, "d.csv", "-C", "job.yaml"], files).stdout == "job d.csv [] lr=0.5\n"
    assert run([*single, "-C", "job.yaml", "--", "d.csv", "e"], files).stdout == "job d.csv ['e'] lr=0.5\n"
    assert run([*single, "-C", "job.yaml", "--lr", "1", "d.csv"], files).stdout == "job d.csv [] lr=1.0\n"


def test_a_positional_after_the_files_is_read_as_a_file_with_a_hint(files: Path, single: list[str]) -> None:
    done = run([*single, "-C", "job.yaml", "d.csv"], files)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        "job.py: error: argument --config: d.csv: unknown configuration format '.csv' (use .json, .toml, "
        ".yaml, .yml); every word after -C up to the next option is read as a file: give positional "
        "arguments before -C, or after --"
    )
    # the first file after its flag is only a file of an unknown format
    done = run([*single, "d.csv", "--config", "run.ini"], files)
    assert done.stderr.splitlines()[-1] == (
        "job.py: error: argument --config: run.ini: unknown configuration format '.ini' (use .json, "
        ".toml, .yaml, .yml)"
    )


MULTI = """
import hyperparameter as hp


@hp.param("fit")
def fit(data: str, lr: float = 0.001, epochs: int = 3):
    print(f"fit {data} lr={lr} epochs={epochs}")


@hp.param("evaluate")
def evaluate(*checkpoints: str, batch_size: int = 8):
    print(f"evaluate {list(checkpoints)} batch_size={batch_size}")


@hp.param("export")
def export_model(fmt: str = "onnx"):
    print(f"export {fmt}")


hp.launch()
"""


@pytest.fixture()
def multi(tmp_path: Path) -> list[str]:
    (tmp_path / "multi.py").write_text(textwrap.dedent(MULTI))
    (tmp_path / "fit.yaml").write_text("fit: {lr: 0.1, epochs: 5}\n")
    (tmp_path / "long.toml").write_text("[fit]\nepochs = 20\n")
    (tmp_path / "eval.json").write_text('{"evaluate": {"batch_size": 64}, "export": {"fmt": "tf"}}')
    return [sys.executable, str(tmp_path / "multi.py")]


@pytest.mark.parametrize(
    "args",
    [
        ["-C", "fit.yaml", "long.toml", "fit", "d.csv"],  # before the command: ends at its name
        ["fit", "d.csv", "-C", "fit.yaml", "long.toml"],  # after it
        ["-C", "fit.yaml", "fit", "d.csv", "-C", "long.toml"],  # both, in that order
        ["--config", "fit.yaml", "long.toml", "fit", "--", "d.csv"],
        ["fit", "-C", "fit.yaml", "long.toml", "--epochs", "20", "d.csv"],
    ],
)
def test_several_files_with_several_commands(tmp_path: Path, multi: list[str], args: list[str]) -> None:
    done = run([*multi, *args], tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "fit d.csv lr=0.1 epochs=20\n", "")


def test_the_list_ends_at_any_command_name_in_the_command_position(tmp_path: Path, multi: list[str]) -> None:
    for name in ("evaluate", "export-model", "export_model"):
        expected = "export tf\n" if name.startswith("export") else "evaluate ['a'] batch_size=64\n"
        args = [name] if name.startswith("export") else [name, "a"]
        assert run([*multi, "-C", "fit.yaml", "eval.json", *args], tmp_path).stdout == expected
    # options before the command, and their values, are not the command
    done = run([*multi, "--dump-params", "used.yaml", "-C", "fit.yaml", "fit", "d"], tmp_path)
    assert done.stdout == "fit d lr=0.1 epochs=5\n"
    assert "fit:\n" in (tmp_path / "used.yaml").read_text()
    listed = sources(
        run([*multi, "-ep", "fit.lr", "-C", "fit.yaml", "fit", "-lps"], tmp_path).stdout.split("\nfit.lr\n")[
            0
        ]
    )
    assert listed["fit.lr"] == ("0.1", "fit.yaml:fit.lr")


def test_after_the_command_a_command_name_is_a_file_name(tmp_path: Path, multi: list[str]) -> None:
    done = run([*multi, "fit", "d", "-C", "fit.yaml", "evaluate"], tmp_path)
    assert done.returncode == 2
    assert "error: argument --config: evaluate: unknown configuration format ''" in done.stderr
    assert done.stderr.startswith("usage: multi.py fit ")


def test_files_before_and_after_the_command_merge_in_command_line_order(
    tmp_path: Path, multi: list[str]
) -> None:
    (tmp_path / "slow.yaml").write_text("fit: {lr: 0.001}\n")
    out = run([*multi, "-C", "slow.yaml", "fit", "d", "-C", "fit.yaml", "-lps"], tmp_path).stdout
    assert sources(out)["fit.lr"] == ("0.1", "fit.yaml:fit.lr")
    out = run([*multi, "-C", "fit.yaml", "fit", "d", "-C", "slow.yaml", "-lps"], tmp_path).stdout
    assert sources(out)["fit.lr"] == ("0.001", "slow.yaml:fit.lr")
    assert sources(out)["fit.epochs"] == ("5", "fit.yaml:fit.epochs")


# --- bad lists --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["-C"], "-C"),
        (["--config"], "--config"),
        (["-C", "--shout"], "-C"),
        (["-C", "-D", "greet.name=x"], "-C"),
        (["-C", "--", "x"], "-C"),
        (["--config="], "--config="),
        (["-C="], "-C="),
        (["-C", "base.toml", "-C", "-lps"], "-C"),
    ],
)
def test_a_flag_without_a_file_is_a_usage_error(files: Path, args: list[str], flag: str) -> None:
    done = run([*QS, *args], files)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "usage: python -m hyperparameter.examples.quickstart [OPTIONS] [-D KEY=VALUE ...] [--config FILE]",
        f"python -m hyperparameter.examples.quickstart: error: argument --config: no file after {flag}",
    ]


def test_a_flag_that_the_command_name_ends_has_no_file(tmp_path: Path, multi: list[str]) -> None:
    done = run([*multi, "-C", "fit", "d"], tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr.splitlines()[-1]
        == "multi.py fit: error: argument --config: no file after -C (fit is the command)"
    )


def test_a_misspelt_command_taken_as_a_file_is_suggested(tmp_path: Path, multi: list[str]) -> None:
    done = run([*multi, "-C", "fit.yaml", "fitt", "d"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "multi.py: error: argument --config: fitt: unknown configuration format '' (use .json, .toml, "
        ".yaml, .yml); did you mean the command fit?"
    )


def test_a_missing_file_among_several_is_named(files: Path, tmp_path: Path, multi: list[str]) -> None:
    for args in (["-C", "base.toml", "nowhere.yaml", "exp.yaml"], ["-C", "base.toml", "-C", "nowhere.yaml"]):
        done = run([*QS, *args], files)
        assert done.returncode == 2
        assert done.stderr.splitlines()[-1].endswith("error: argument --config: nowhere.yaml: no such file")
    done = run([*multi, "-C", "fit.yaml", "gone.toml", "fit", "d"], tmp_path)
    assert done.stderr.splitlines()[-1] == "multi.py fit: error: argument --config: gone.toml: no such file"


def test_a_bad_value_names_the_file_it_is_in(files: Path) -> None:
    (files / "bad.yaml").write_text("greet: {enthusiasm: lots}\n")
    done = run([*QS, "-C", "base.toml", "bad.yaml", "exp.yaml"], files)
    assert done.returncode == 2
    assert "error: argument --config: bad.yaml:greet.enthusiasm: 'lots' is not a valid int" in done.stderr


# --- help -------------------------------------------------------------------------------------


def test_help_shows_the_short_flag_and_the_list(files: Path, tmp_path: Path, multi: list[str]) -> None:
    out = run([*QS, "--help"], files).stdout
    assert "  -C, --config FILE [FILE ...]\n" in out
    text = " ".join(out[out.index("-C, --config") :].split())
    assert (
        "later files winning: -C base.yaml exp.yaml, or -C repeated; the files end at the next option "
        in text
    )
    assert "or at the command name" not in text
    assert "-C base.toml run.toml --dump-params used.toml" in out  # an example with a list
    top = " ".join(run([*multi, "--help"], tmp_path).stdout.split())
    assert "-C, --config FILE [FILE ...]" in top
    assert "the files end at the next option or at the command name" in top
    sub = " ".join(run([*multi, "fit", "--help"], tmp_path).stdout.split())
    assert "-C, --config FILE [FILE ...]" in sub
    assert "the files end at the next option -D" not in sub and "or at the command name" not in sub


# --- in-process: hp.launch(argv=...) -----------------------------------------------------------


@hp.param("cfgtest")
def cfgtest(a: int = 0, b: str = "none", c: float = 0.0) -> tuple:
    return a, b, c


@hp.param("cfgother")
def cfgother(z: int = 0) -> int:
    return z


def test_in_process_lists_and_repeats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("one.yaml").write_text("cfgtest: {a: 1, b: one}\n")
    Path("two.json").write_text('{"cfgtest": {"b": "two", "c": "2.5"}}')
    assert hp.launch(cfgtest, argv=["-C", "one.yaml", "two.json"]) == (1, "two", 2.5)
    assert hp.launch(cfgtest, argv=["-C", "one.yaml", "-C", "two.json", "--a", "7"]) == (7, "two", 2.5)
    assert hp.launch(cfgtest, argv=["--config", "two.json", "one.yaml"]) == (1, "one", 2.5)
    assert hp.launch([cfgtest, cfgother], argv=["-C", "one.yaml", "two.json", "cfgtest"]) == (1, "two", 2.5)
    assert hp.launch([cfgtest, cfgother], argv=["cfgtest", "-C", "one.yaml", "two.json"]) == (1, "two", 2.5)


def test_in_process_provenance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("one.yaml").write_text("cfgtest: {a: 1, b: one}\n")
    Path("two.json").write_text('{"cfgtest": {"b": "two"}}')
    with pytest.raises(SystemExit) as exited:
        hp.launch(cfgtest, argv=["-C", "one.yaml", "two.json", "-lps"])
    assert exited.value.code == 0
    listed = sources(capsys.readouterr().out)
    assert listed["cfgtest.a"] == ("1", "one.yaml:cfgtest.a")
    assert listed["cfgtest.b"] == ("'two'", "two.json:cfgtest.b")
    assert listed["cfgtest.c"] == ("0.0", "default")


# --- take_lists, the rule itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "commands", "left", "configs", "command"),
    [
        (["-C", "a.yaml", "b.yaml"], None, [], ["a.yaml", "b.yaml"], None),
        (["-C", "a.yaml", "fit"], None, [], ["a.yaml", "fit"], None),  # one command: no command names
        (["-C", "a.yaml", "fit", "x"], ["fit"], ["fit", "x"], ["a.yaml"], "fit"),
        (["-C", "a.yaml", "fitx", "fit"], ["fit"], ["fit"], ["a.yaml", "fitx"], "fit"),
        (["fit", "-C", "fit", "a.yaml"], ["fit"], ["fit"], ["fit", "a.yaml"], "fit"),
        (["-C", "a", "--", "-C", "b"], None, ["--", "-C", "b"], ["a"], None),
        (["-ep", "fit", "-C", "a", "fit"], ["fit"], ["-ep", "fit", "fit"], ["a"], "fit"),
        (["-lps", "-C", "a", "-D", "k=1", "b"], None, ["-lps", "b"], ["a"], None),
        (["-Ca", "b", "-C=c", "--config=d", "e"], None, [], ["a", "b", "c", "d", "e"], None),
        (["-D", "k=1", "-C", "a", "fit"], ["fit"], ["fit"], ["a"], "fit"),
    ],
)
def test_take_lists(
    argv: list[str],
    commands: Optional[list[str]],
    left: list[str],
    configs: list[str],
    command: Optional[str],
) -> None:
    lists = take_lists(argv, commands=commands)
    assert lists.argv == left
    assert [c.name for c in lists.configs] == configs
    assert lists.command == command
    assert lists.empty_config is None


def test_take_lists_marks_later_files_and_files_before_the_command() -> None:
    lists = take_lists(["-C", "a", "b", "fit", "--config", "c", "d"], commands=["fit"])
    assert [(c.name, c.flag, c.later, c.before_command) for c in lists.configs] == [
        ("a", "-C", False, True),
        ("b", "-C", True, True),
        ("c", "--config", False, False),
        ("d", "--config", True, False),
    ]
    assert take_lists(["-C", "--x"]).empty_config == ("-C", "--x")
    assert take_lists(["-C", "fit"], commands=["fit"]).empty_config == ("-C", "fit")
    assert take_lists(["--config"]).empty_config == ("--config", None)

"""The command line, end to end: ``hp.launch`` programs and the ``hp`` tool, run as processes.

Every test runs a real interpreter (the quickstart, or a small program written to tmp_path)
and checks what a person would see: stdout, stderr and the exit status.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "hyperparameter" / "examples" / "quickstart.py"
QS = [sys.executable, "-m", "hyperparameter.examples.quickstart"]
HP_TOOL = [sys.executable, "-m", "hyperparameter._cli.tool"]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(COLUMNS="100", PYTHONUNBUFFERED="1")
    return env


def run(argv: list[str], cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd or ROOT, env=_env(), capture_output=True, text=True, timeout=120)


def qs(*args: str, cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    return run([*QS, *args], cwd=cwd)


def program(tmp_path: Path, source: str, name: str = "prog.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based line of ``path`` that contains ``text``."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def table(stdout: str) -> dict[str, dict[str, str]]:
    """An aligned ``-lps`` table as ``{key: {column: cell}}``, checking the alignment."""
    lines = stdout.rstrip("\n").splitlines()
    header, rule, *rows = lines
    assert re.fullmatch(r"-+( +-+)*", rule), rule
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    names = header.split()
    assert [header.index(n) for n in names] == starts, "header not aligned with the rule"
    out = {}
    for row in rows:
        cells = [row[a:b].strip() for a, b in zip(starts, [*starts[1:], None])]
        for start in starts[1:]:
            assert row[start - 2 : start] == "  ", f"column not aligned: {row!r}"
        out[cells[0]] = dict(zip(names, cells))
    return out


# --- the quickstart, exactly as the README shows it -----------------------------------------------


def test_quickstart_runs_with_defaults() -> None:
    done = qs()
    assert (done.returncode, done.stdout, done.stderr) == (0, "Hello, World!\n", "")


def test_quickstart_define_and_option_as_in_the_readme() -> None:
    done = qs("--define", "greet.name=Alice", "--enthusiasm=3")
    assert (done.returncode, done.stdout, done.stderr) == (0, "Hello, Alice!!!\n", "")


def test_quickstart_list_params_is_an_aligned_table_and_does_not_run() -> None:
    done = qs("-lps")
    assert done.returncode == 0, done.stderr
    assert "Hello, World" not in done.stdout
    rows = table(done.stdout)
    assert list(rows) == ["greet.enthusiasm", "greet.greeting", "greet.name", "greet.shout", "greet.style"]
    assert rows["greet.name"] == {
        "key": "greet.name",
        "type": "str",
        "default": "'World'",
        "value": "'World'",
        "source": "default",
    }
    assert rows["greet.enthusiasm"]["type"] == "int"
    assert rows["greet.shout"]["type"] == "bool"
    # greet.style is not a parameter of greet(): it is read inside the code, found statically
    assert rows["greet.style"] == {
        "key": "greet.style",
        "type": "str",
        "default": "'plain'",
        "value": "'plain'",
        "source": "default",
    }


def test_quickstart_list_params_long_form() -> None:
    assert qs("--list-params").stdout == qs("-lps").stdout


def test_quickstart_explain_param() -> None:
    done = qs("-ep", "greet.name")
    assert done.returncode == 0, done.stderr
    assert "Hello, World" not in done.stdout
    lines = done.stdout.splitlines()
    assert lines[0] == "greet.name"
    fields = dict(re.match(r"\s+([\w ]+):\s+(.*)", line).groups() for line in lines[1:] if ":  " in line)
    assert fields["type"] == "str"
    assert fields["default"] == "'World'"
    assert fields["value"] == "'World'"
    assert fields["source"] == "default"
    assert fields["help"] == "who to greet."  # the docstring line
    assert fields["set with"].startswith("--name STR, -D greet.name=VALUE")
    declared = line_of(QUICKSTART, "def greet(")
    assert fields["declared in"] == f"greet(name=...) at hyperparameter/examples/quickstart.py:{declared}"
    assert "greet(), which receives it as its argument name" in done.stdout


def test_explain_lists_every_place_that_reads_the_key() -> None:
    done = qs("--explain-param", "greet.style", "-D", "greet.style=fancy")
    assert done.returncode == 0, done.stderr
    line = line_of(QUICKSTART, "hp.scope.greet.style")
    assert f"hyperparameter/examples/quickstart.py:{line} in greet: " in done.stdout
    assert 'style = hp.scope.greet.style | "plain"' in done.stdout
    assert "value:        'fancy'" in done.stdout
    assert "source:       -D" in done.stdout


def test_explain_reads_in_several_functions(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        def helper():
            return hp.scope.model.depth | 4

        def other():
            with hp.scope() as ps:
                return ps.model.depth | 8

        @hp.param("model")
        def build(depth: int = 2, width: int = 16):
            '''Build.

            Args:
                depth: layers.
            '''
            return depth + helper() + other()

        if __name__ == "__main__":
            print(hp.launch(build))
        """,
    )
    done = run([sys.executable, str(path), "-ep", "model.depth"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "help:         layers." in done.stdout
    assert f"declared in:  build(depth=...) at prog.py:{line_of(path, 'def build(')}" in done.stdout
    assert "build(), which receives it as its argument depth" in done.stdout
    assert f"prog.py:{line_of(path, 'hp.scope.model.depth')} in helper: " in done.stdout
    assert f"prog.py:{line_of(path, 'ps.model.depth')} in other: " in done.stdout
    assert run([sys.executable, str(path)], cwd=tmp_path).stdout == "14\n"  # 2 + 4 + 8


def test_explain_unknown_key_fails_with_a_suggestion() -> None:
    done = qs("-ep", "greet.nmae")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "unknown parameter greet.nmae; did you mean greet.name?" in done.stderr


def test_quickstart_help_reads_well() -> None:
    done = qs("--help")
    assert done.returncode == 0
    out = done.stdout
    usage = out.splitlines()[0]
    assert (
        usage
        == "usage: python -m hyperparameter.examples.quickstart [OPTIONS] [-D KEY=VALUE ...] [--config FILE]"
    )
    assert "\nGreet someone, configurably.\n" in out
    # the parameters come first, each with its docstring line and default
    assert out.index("parameters (keys greet.*") < out.index("setting parameters") < out.index("inspecting")
    assert re.search(r"--name STR +who to greet\. \(default: 'World'\)", out)
    assert re.search(r"--enthusiasm INT +how many exclamation marks to add\. \(default: 1\)", out)
    assert re.search(r"--shout, --no-shout +write the greeting in capitals\. \(default: False\)", out)
    for flag in (
        "-D, --define KEY=VALUE",
        "--config FILE",
        "--strict",
        "--dump-params FILE",
        "-lps, --list-params",
        "-ep, --explain-param KEY",
    ):
        assert flag in out
    examples = out[out.index("examples:") :]
    assert "python -m hyperparameter.examples.quickstart --enthusiasm 3" in examples
    assert "-D greet.enthusiasm=3" in examples
    assert max(len(line) for line in out.splitlines()) <= 100
    assert len(out.splitlines()) < 45  # short enough to read at once


# --- options from signatures and docstrings ---------------------------------------------------------

TRAIN = """
from __future__ import annotations

from typing import Optional

import hyperparameter as hp


@hp.param("train")
def train(data: str, count: int, lr: float = 0.001, use_amp: bool = True, seed: Optional[int] = None,
          tag: str = "run"):
    '''Train a model on DATA.

    Parameters
    ----------
    data : str
        path to the training data.
    count : int
        how many examples to read.
    lr : float
        the learning rate; 100% means 1.0.
    use_amp : bool
        mixed precision.

    Returns
    -------
    str
        a summary.
    '''
    warmup = hp.scope.train.warmup | 10
    text = f"data={data} count={count} lr={lr} amp={use_amp} seed={seed} tag={tag} warmup={warmup}"
    print(text)
    return text


if __name__ == "__main__":
    result = hp.launch(train)
    print("returned:", result)
"""


@pytest.fixture()
def train_py(tmp_path: Path) -> Path:
    return program(tmp_path, TRAIN, "train.py")


def test_required_parameters_are_positionals_and_the_result_is_returned(train_py: Path) -> None:
    done = run([sys.executable, str(train_py), "d.csv", "5"])
    assert done.returncode == 0, done.stderr
    expected = "data=d.csv count=5 lr=0.001 amp=True seed=None tag=run warmup=10"
    assert done.stdout == f"{expected}\nreturned: {expected}\n"


def test_positional_types_come_from_string_annotations(train_py: Path) -> None:
    done = run([sys.executable, str(train_py), "d.csv", "five"])
    assert done.returncode == 2
    assert "argument count: 'five' is not a valid int" in done.stderr
    assert done.stdout == ""


def test_missing_positional_is_a_usage_error(train_py: Path) -> None:
    done = run([sys.executable, str(train_py)])
    assert done.returncode == 2
    assert "the following arguments are required: data, count" in done.stderr


def test_numpy_docstring_becomes_the_help(train_py: Path) -> None:
    done = run([sys.executable, str(train_py), "--help"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0].endswith("[--config FILE] data count")
    assert "Train a model on DATA." in out
    assert re.search(r"\n  data +path to the training data\.\n", out)
    assert re.search(r"\n  count +how many examples to read\.\n", out)
    assert re.search(r"--lr FLOAT +the learning rate; 100% means 1\.0\. \(default: 0\.001\)", out)
    assert re.search(r"--use-amp, --no-use-amp\s+mixed precision\. \(default: True\)", out)
    assert re.search(r"--seed INT +\(default: None\)", out)
    assert "a summary" not in out  # the Returns section is not a parameter


def test_google_docstring_with_types_and_continuation_lines(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("opt")
        def opt(beta: float = 0.9, eps: float = 1e-8):
            '''Optimise.

            Args:
                beta (float): the momentum,
                    a number below one.
                eps (float, optional): a small number.

            Returns:
                nothing.
            '''

        hp.launch(opt)
        """,
    )
    out = run([sys.executable, str(path), "--help"]).stdout
    assert re.search(r"--beta FLOAT +the momentum, a number below one\. \(default: 0\.9\)", out)
    assert re.search(r"--eps FLOAT +a small number\. \(default: 1e-08\)", out)


def test_boolean_flags(train_py: Path) -> None:
    def amp(*args: str) -> str:
        done = run([sys.executable, str(train_py), "d", "1", *args])
        assert done.returncode == 0, done.stderr
        return re.search(r"amp=(\w+)", done.stdout).group(1)

    assert amp() == "True"
    assert amp("--no-use-amp") == "False"
    assert amp("--no-use_amp") == "False"  # the underscore spelling works too
    assert amp("-D", "train.use_amp=off", "--use-amp") == "True"  # the option beats -D
    assert amp("-D", "train.use_amp=no") == "False"  # engine rules: yes/no, on/off, 1/0
    assert qs("--shout").stdout == "HELLO, WORLD!\n"
    assert qs("-D", "greet.shout=yes", "--no-shout").stdout == "Hello, World!\n"


def test_optional_int_accepts_none(train_py: Path) -> None:
    done = run([sys.executable, str(train_py), "d", "1", "-D", "train.seed=3", "--seed", "none"])
    assert "seed=None" in done.stdout
    done = run([sys.executable, str(train_py), "d", "1", "--seed", "7"])
    assert "seed=7" in done.stdout


def test_string_parameters_keep_the_text_as_typed() -> None:
    assert qs("-D", "greet.name=007").stdout == "Hello, 007!\n"
    assert qs("--name", "1e3").stdout == "Hello, 1e3!\n"


# --- -D forms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--define", "greet.name=Ann", "greet.enthusiasm=2"],
        ["-D", "greet.name=Ann", "greet.enthusiasm=2"],
        ["-D", "greet.name=Ann", "-D", "greet.enthusiasm=2"],
        ["-Dgreet.name=Ann", "--define=greet.enthusiasm=2"],
        ["--define=greet.name=Ann", "greet.enthusiasm=2"],
    ],
)
def test_define_forms(args: list[str]) -> None:
    done = qs(*args)
    assert (done.returncode, done.stdout, done.stderr) == (0, "Hello, Ann!!\n", "")


def test_define_stops_at_a_word_that_is_not_key_value(train_py: Path) -> None:
    done = run([sys.executable, str(train_py), "-D", "train.lr=0.5", "train.tag=x", "d.csv", "3"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("data=d.csv count=3 lr=0.5 amp=True seed=None tag=x ")


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ("greet.name", "argument -D/--define: 'greet.name' is not KEY=VALUE"),
        ("greet..name=1", "argument -D/--define: "),
    ],
)
def test_malformed_definitions(definition: str, message: str) -> None:
    done = qs("-D", definition)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""


# --- layers: defaults < --config < -D < options ------------------------------------------------------


def test_each_layer_beats_the_one_before(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text("[greet]\nenthusiasm = 2\n")

    def enthusiasm(*args: str) -> tuple[int, str]:
        listed = table(qs(*args, "-lps", cwd=tmp_path).stdout)["greet.enthusiasm"]
        done = qs(*args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("!") == int(listed["value"])
        return int(listed["value"]), listed["source"]

    assert enthusiasm() == (1, "default")
    assert enthusiasm("--config", "a.toml") == (2, "a.toml:greet.enthusiasm")
    assert enthusiasm("--config", "a.toml", "-D", "greet.enthusiasm=3") == (3, "-D")
    assert enthusiasm("-D", "greet.enthusiasm=3", "--config", "a.toml") == (
        3,
        "-D",
    )  # order of flags is irrelevant
    assert enthusiasm("--enthusiasm", "4", "--config", "a.toml", "-D", "greet.enthusiasm=3") == (4, "option")


def test_all_layers_at_once_with_two_config_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[greet]\nname = "FileA"\nenthusiasm = 2\ngreeting = "Hi"\n')
    (tmp_path / "b.yaml").write_text("greet:\n  name: FileB\n")
    args = ["--config", "a.toml", "--config", "b.yaml", "-D", "greet.enthusiasm=4", "--greeting", "Hey"]
    rows = table(qs(*args, "-lps", cwd=tmp_path).stdout)
    assert {k: (r["value"], r["source"]) for k, r in rows.items()} == {
        "greet.name": ("'FileB'", "b.yaml:greet.name"),  # the later file wins
        "greet.enthusiasm": ("4", "-D"),
        "greet.greeting": ("'Hey'", "option"),
        "greet.shout": ("False", "default"),
        "greet.style": ("'plain'", "default"),
    }
    assert qs(*args, cwd=tmp_path).stdout == "Hey, FileB!!!!\n"


def test_values_set_by_code_show_as_code(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("f")
        def f(x: int = 1, y: int = 2):
            print(x, y)

        with hp.scope(**{"f.x": 5}):
            hp.launch(f)
        """,
    )
    rows = table(run([sys.executable, str(path), "-lps"]).stdout)
    assert (rows["f.x"]["value"], rows["f.x"]["source"]) == ("5", "code")
    assert run([sys.executable, str(path), "--y", "3"]).stdout == "5 3\n"
    assert run([sys.executable, str(path), "-D", "f.x=7"]).stdout == "7 2\n"


# --- bad values fail before the program runs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--enthusiasm", "lots"], "error: argument --enthusiasm: 'lots' is not a valid int"),
        (
            ["-D", "greet.enthusiasm=lots"],
            "error: argument -D/--define: greet.enthusiasm='lots' is not a valid int",
        ),
        (["-D", "greet.shout=maybe"], "error: argument -D/--define: greet.shout='maybe' is not a valid bool"),
        (["--enthusiasm"], "error: argument --enthusiasm: expected one argument"),
    ],
)
def test_bad_values_name_the_option(args: list[str], message: str) -> None:
    done = qs(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.startswith("usage: python -m hyperparameter.examples.quickstart")
    assert done.stdout == ""  # the program did not run


def test_bad_value_for_a_key_the_code_reads(train_py: Path) -> None:
    done = run([sys.executable, str(train_py), "d", "1", "-D", "train.warmup=soon"])
    assert done.returncode == 2
    assert "argument -D/--define: train.warmup='soon' is not a valid int" in done.stderr
    assert done.stdout == ""
    ok = run([sys.executable, str(train_py), "d", "1", "-D", "train.warmup=5"])
    assert "warmup=5" in ok.stdout


def test_bad_value_in_a_config_file(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[greet]\nenthusiasm = "many"\n')
    done = qs("--config", "bad.toml", cwd=tmp_path)
    assert done.returncode == 2
    assert "argument --config: bad.toml:greet.enthusiasm: 'many' is not a valid int" in done.stderr
    assert done.stdout == ""


def test_missing_config_file(tmp_path: Path) -> None:
    done = qs("--config", "nowhere.toml", cwd=tmp_path)
    assert done.returncode == 2
    assert "argument --config: nowhere.toml" in done.stderr


# --- typo safety ------------------------------------------------------------------------------------


def test_unknown_define_is_reported_with_did_you_mean() -> None:
    done = qs("-D", "greet.nmae=Alice")
    assert done.returncode == 0
    assert done.stdout == "Hello, World!\n"
    assert done.stderr == (
        "warning: unknown -D key greet.nmae: no @hp.param declares it and nothing read it; "
        "did you mean greet.name?\n"
    )


def test_a_key_read_during_the_run_is_not_reported() -> None:
    done = qs("-D", "greet.style=fancy")
    assert (done.returncode, done.stdout, done.stderr) == (0, "Hello, World!\n(style: fancy)\n", "")


def test_a_key_read_only_in_a_branch_not_taken(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("job")
        def job(resume: bool = False):
            if resume:
                print("from", hp.scope.job.checkpoint | "last.ckpt")
            print("done")

        hp.launch(job)
        """,
    )
    done = run([sys.executable, str(path), "-D", "job.checkpoint=a.ckpt"], cwd=tmp_path)
    assert done.stdout == "done\n"
    line = line_of(path, "hp.scope.job.checkpoint")
    warning = "warning: -D job.checkpoint: nothing read it during this run"
    assert done.stderr == f"{warning} (the code reads it at prog.py:{line})\n"
    done = run(
        [sys.executable, str(path), "-D", "job.checkpoint=a.ckpt", "--resume", "--strict"], cwd=tmp_path
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "from a.ckpt\ndone\n", "")


def test_strict_fails_before_the_run() -> None:
    done = qs("-D", "greet.nmae=Alice", "--strict")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "error: unknown -D key greet.nmae; did you mean greet.name?" in done.stderr


def test_strict_accepts_keys_the_code_reads() -> None:
    done = qs("--strict", "-D", "greet.style=fancy", "greet.name=Bo")
    assert (done.returncode, done.stdout, done.stderr) == (0, "Hello, Bo!\n(style: fancy)\n", "")


def test_unknown_define_is_flagged_in_the_listing() -> None:
    done = qs("-D", "greet.nmae=Alice", "-lps")
    assert done.returncode == 0
    assert "warning: unknown -D key greet.nmae; did you mean greet.name?" in done.stderr
    assert table(done.stdout)["greet.nmae"]["source"] == "-D (unknown key)"


def test_misspelt_option_suggests_the_right_one() -> None:
    done = qs("--enthusiams", "3")
    assert done.returncode == 2
    assert "unrecognized arguments: --enthusiams 3; did you mean --enthusiasm?" in done.stderr


def test_option_prefixes_are_not_guessed() -> None:
    done = qs("--enth", "3")  # argparse would otherwise take it for --enthusiasm
    assert done.returncode == 2
    assert "unrecognized arguments: --enth 3" in done.stderr


# --- --dump-params and re-running from the dump ---------------------------------------------------------


@pytest.mark.parametrize("suffix", [".toml", ".yaml", ".json"])
def test_dump_then_rerun_gives_identical_output(tmp_path: Path, suffix: str) -> None:
    dump = f"used{suffix}"
    args = ["--name", "Bob", "-D", "greet.enthusiasm=2", "greet.style=fancy", "--shout"]
    first = qs(*args, "--dump-params", dump, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "HELLO, BOB!!\n(style: fancy)\n"
    again = qs("--config", dump, cwd=tmp_path)
    assert (again.returncode, again.stdout, again.stderr) == (0, first.stdout, "")
    rows = table(qs("--config", dump, "-lps", cwd=tmp_path).stdout)
    assert {r["source"] for r in rows.values()} == {f"{dump}:{key}" for key in rows}


def test_dump_holds_what_the_run_read(tmp_path: Path) -> None:
    assert qs("--name", "Bob", "--dump-params", "used.json", cwd=tmp_path).returncode == 0
    dumped = json.loads((tmp_path / "used.json").read_text())
    # every parameter of greet, and greet.style, read in the code with its default
    assert dumped == {
        "greet": {"enthusiasm": 1, "greeting": "Hello", "name": "Bob", "shout": False, "style": "plain"}
    }


def test_dump_of_a_program_with_positionals_and_none(train_py: Path, tmp_path: Path) -> None:
    first = run(
        [sys.executable, str(train_py), "d", "2", "--lr", "0.5", "--dump-params", "used.toml"], cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    text = (tmp_path / "used.toml").read_text()
    assert "# seed = None" in text  # TOML has no null: left to its default, which is None
    again = run([sys.executable, str(train_py), "d", "2", "--config", "used.toml"], cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, first.stdout)


def test_dump_refuses_none_in_toml_when_the_default_is_not_none(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        from typing import Optional
        import hyperparameter as hp

        @hp.param("f")
        def f(limit: Optional[int] = 5):
            print(limit)

        hp.launch(f)
        """,
    )
    done = run([sys.executable, str(path), "--limit", "none", "--dump-params", "used.toml"], cwd=tmp_path)
    assert done.returncode == 2
    assert "f.limit is None, which TOML cannot hold" in done.stderr
    assert "write a .yaml or .json file" in done.stderr
    done = run([sys.executable, str(path), "--limit", "none", "--dump-params", "used.yaml"], cwd=tmp_path)
    assert done.returncode == 0
    assert run([sys.executable, str(path), "--config", "used.yaml"], cwd=tmp_path).stdout == "None\n"


def test_dump_to_an_unknown_format(tmp_path: Path) -> None:
    done = qs("--dump-params", "used.ini", cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown format '.ini' (use .toml, .yaml or .json)" in done.stderr


# --- several functions: subcommands --------------------------------------------------------------------

MULTI = """
import hyperparameter as hp


@hp.param("fit")
def fit(data: str, lr: float = 0.001, epochs: int = 3):
    '''Fit a model.

    Args:
        data: the training data.
        lr: the learning rate.
    '''
    print(f"fit {data} lr={lr} epochs={epochs}")
    return "fitted"


@hp.param("evaluate")
def evaluate(*checkpoints: str, batch_size: int = 8):
    '''Evaluate checkpoints.

    Args:
        checkpoints: checkpoint files.
        batch_size: examples per batch.
    '''
    print(f"evaluate {list(checkpoints)} batch_size={batch_size}")
    return "evaluated"


@hp.param("export")
def export_model(fmt: str = "onnx"):
    '''Export the model.'''
    print(f"export {fmt}")


def not_a_command(x=1):
    pass


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["--only-two"]:
        print("returned:", hp.launch([fit, evaluate], argv=sys.argv[2:]))
    else:
        print("returned:", hp.launch())
"""


@pytest.fixture()
def multi_py(tmp_path: Path) -> Path:
    return program(tmp_path, MULTI, "multi.py")


def test_launch_without_arguments_makes_every_param_function_a_command(multi_py: Path) -> None:
    done = run([sys.executable, str(multi_py), "--help"])
    assert done.returncode == 0
    assert re.search(r"\n +fit +Fit a model\.\n", done.stdout)
    assert re.search(r"\n +evaluate +Evaluate checkpoints\.\n", done.stdout)
    assert re.search(r"\n +export-model +Export the model\.\n", done.stdout)
    assert "not_a_command" not in done.stdout and "not-a-command" not in done.stdout
    done = run([sys.executable, str(multi_py), "fit", "d.csv", "--lr", "0.1"])
    assert (done.returncode, done.stdout) == (0, "fit d.csv lr=0.1 epochs=3\nreturned: fitted\n")
    done = run([sys.executable, str(multi_py), "evaluate", "a", "b", "--batch-size", "2"])
    assert done.stdout == "evaluate ['a', 'b'] batch_size=2\nreturned: evaluated\n"
    for name in ("export-model", "export_model"):
        assert (
            run([sys.executable, str(multi_py), name, "--fmt", "tf"]).stdout == "export tf\nreturned: None\n"
        )


def test_launch_with_an_explicit_list(multi_py: Path) -> None:
    done = run([sys.executable, str(multi_py), "--only-two", "--help"])
    assert "fit" in done.stdout and "evaluate" in done.stdout
    assert "export" not in done.stdout
    done = run([sys.executable, str(multi_py), "--only-two", "export-model"])
    assert done.returncode == 2
    assert "invalid choice: 'export-model'" in done.stderr
    done = run([sys.executable, str(multi_py), "--only-two", "evaluate", "x"])
    assert done.stdout == "evaluate ['x'] batch_size=8\nreturned: evaluated\n"


def test_subcommand_help_and_positionals(multi_py: Path) -> None:
    out = run([sys.executable, str(multi_py), "fit", "--help"]).stdout
    assert out.splitlines()[0] == "usage: multi.py fit [OPTIONS] [-D KEY=VALUE ...] [--config FILE] data"
    assert re.search(r"\n  data +the training data\.\n", out)
    assert re.search(r"--lr FLOAT +the learning rate\. \(default: 0\.001\)", out)


def test_no_command_is_a_usage_error(multi_py: Path) -> None:
    done = run([sys.executable, str(multi_py)])
    assert done.returncode == 2
    assert "error: choose a command: fit, evaluate, export-model" in done.stderr


def test_common_options_before_and_after_the_command_both_apply(multi_py: Path) -> None:
    done = run([sys.executable, str(multi_py), "-D", "fit.epochs=9", "fit", "x", "-D", "fit.lr=0.5"])
    assert done.stdout.startswith("fit x lr=0.5 epochs=9\n")
    done = run([sys.executable, str(multi_py), "-D", "fit.lr=0.5", "fit", "x", "--lr", "0.7"])
    assert done.stdout.startswith("fit x lr=0.7 epochs=3\n")


def test_list_params_of_every_command_or_of_one(multi_py: Path) -> None:
    every = table(run([sys.executable, str(multi_py), "-lps"]).stdout)
    assert sorted(every) == ["evaluate.batch_size", "export.fmt", "fit.epochs", "fit.lr"]
    one = run([sys.executable, str(multi_py), "fit", "-lps", "-D", "fit.lr=0.2"])  # no positional needed
    assert one.returncode == 0, one.stderr
    rows = table(one.stdout)
    assert sorted(rows) == ["fit.epochs", "fit.lr"]
    assert (rows["fit.lr"]["value"], rows["fit.lr"]["source"]) == ("0.2", "-D")


def test_launch_with_no_param_functions_is_an_error(tmp_path: Path) -> None:
    path = program(tmp_path, "import hyperparameter as hp\n\ndef f(x=1):\n    pass\n\nhp.launch()\n")
    done = run([sys.executable, str(path)])
    assert done.returncode == 1
    assert "has no @hp.param functions" in done.stderr


def test_a_parameter_named_like_a_common_option(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("job")
        def job(config: str = "base", strict: bool = False):
            print(config, strict)

        hp.launch(job)
        """,
    )
    assert run([sys.executable, str(path), "--job.config", "x", "--job.strict"]).stdout == "x True\n"
    help_text = run([sys.executable, str(path), "--help"]).stdout
    assert "--job.config STR" in help_text


def test_launch_a_param_class(tmp_path: Path) -> None:
    path = program(
        tmp_path,
        """
        import hyperparameter as hp

        @hp.param("model")
        class Model:
            '''A model.

            Args:
                depth: number of layers.
            '''

            def __init__(self, name: str, depth: int = 2, act: str = "relu"):
                self.desc = f"{name} depth={depth} act={act}"

        print(hp.launch(Model).desc)
        """,
    )
    done = run([sys.executable, str(path), "m", "--depth", "5", "-D", "model.act=gelu"])
    assert (done.returncode, done.stdout) == (0, "m depth=5 act=gelu\n")
    help_text = run([sys.executable, str(path), "-h"]).stdout
    assert re.search(r"--depth INT +number of layers\. \(default: 2\)", help_text)
    explained = run([sys.executable, str(path), "-ep", "model.depth"]).stdout
    assert "help:         number of layers." in explained


# --- the hp tool: static listing, no import of user code --------------------------------------------


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('raise SystemExit("imported!")\n')
    (pkg / "model.py").write_text(
        textwrap.dedent(
            """
            import hyperparameter as hp
            from hyperparameter import auto_param, param_scope

            raise SystemExit("imported!")


            @hp.param("model")
            def build(depth=4, width: int = 64, *, act="relu"):
                return hp.scope.model.dropout | 0.1


            @auto_param
            class Head:
                def __init__(self, classes=10):
                    self.size = param_scope.head.size(32)
            """
        )
    )
    (pkg / "train.py").write_text(
        textwrap.dedent(
            """
            import hyperparameter as hp


            def loop():
                lr = hp.scope["train.lr"] | 0.001
                with hp.scope() as ps:
                    steps = ps.train.steps | 100
                hp.scope.current()
                return hp.scope.model.dropout | 0.2
            """
        )
    )
    (pkg / "broken.py").write_text("def oops(:\n")
    return pkg


EXPECTED = [
    ("Head.classes", "param", "10", "model.py", 15, "Head"),  # bare @auto_param: the class name
    ("head.size", "read", "32", "model.py", 16, "__init__"),
    ("model.act", "param", '"relu"', "model.py", 9, "build"),
    ("model.depth", "param", "4", "model.py", 9, "build"),
    ("model.dropout", "read", "0.1", "model.py", 10, "build"),
    ("model.dropout", "read", "0.2", "train.py", 10, "loop"),
    ("model.width", "param", "64", "model.py", 9, "build"),
    ("train.lr", "read", "0.001", "train.py", 6, "loop"),
    ("train.steps", "read", "100", "train.py", 8, "loop"),
]


def test_hp_list_json_finds_every_declaration_and_read(package: Path) -> None:
    done = run([*HP_TOOL, "list", "pkg", "--format", "json"], cwd=package.parent)
    assert done.returncode == 0
    found = [
        (f["key"], f["kind"], f["default"], Path(f["file"]).name, f["line"], f["where"])
        for f in json.loads(done.stdout)
    ]
    assert found == EXPECTED
    assert "imported!" not in done.stdout + done.stderr  # no user code ran
    assert "broken.py: cannot parse" in done.stderr


def test_hp_list_table(package: Path) -> None:
    done = run([*HP_TOOL, "list", "pkg"], cwd=package.parent)
    assert done.returncode == 0
    rows = done.stdout.splitlines()
    assert rows[0].split() == ["key", "kind", "default", "where", "file:line"]
    assert len(rows) == 2 + len(EXPECTED)
    assert rows[2].split() == ["Head.classes", "param", "10", "Head", "pkg/model.py:15"]
    assert rows[-1].split() == ["train.steps", "read", "100", "loop", "pkg/train.py:8"]
    assert (
        len(
            {row.index("file:line") if i == 0 else row.rindex("pkg/") for i, row in enumerate(rows) if i != 1}
        )
        == 1
    )


def test_hp_list_a_single_file_that_exits_on_import(package: Path) -> None:
    done = run([*HP_TOOL, "list", "pkg/model.py", "--format", "json"], cwd=package.parent)
    assert done.returncode == 0
    assert {f["key"] for f in json.loads(done.stdout)} == {
        "Head.classes",
        "head.size",
        "model.act",
        "model.depth",
        "model.dropout",
        "model.width",
    }


def test_hp_explain(package: Path) -> None:
    done = run([*HP_TOOL, "explain", "pkg", "model.dropout"], cwd=package.parent)
    assert done.returncode == 0
    assert done.stdout == (
        "model.dropout\n"
        "  read in build at pkg/model.py:10 (default 0.1)\n"
        "  read in loop at pkg/train.py:10 (default 0.2)\n"
    )
    done = run([*HP_TOOL, "explain", "pkg", "model.depth", "--format", "json"], cwd=package.parent)
    assert [(f["kind"], f["line"], f["default"]) for f in json.loads(done.stdout)] == [("param", 9, "4")]


def test_hp_explain_unknown_key(package: Path) -> None:
    done = run([*HP_TOOL, "explain", "pkg", "model.dropuot"], cwd=package.parent)
    assert done.returncode == 1
    assert "no parameter model.dropuot in pkg; did you mean model.dropout?" in done.stderr


def test_hp_missing_path(tmp_path: Path) -> None:
    done = run([*HP_TOOL, "list", "nowhere"], cwd=tmp_path)
    assert done.returncode == 2
    assert "nowhere: no such file or folder" in done.stderr


def test_hp_console_script_is_installed(package: Path) -> None:
    script = Path(sys.executable).with_name("hp")
    assert script.exists(), "the hp console script is missing: pip install -e ."
    done = run([str(script), "list", "pkg/train.py"], cwd=package.parent)
    assert done.returncode == 0
    assert "train.lr" in done.stdout


# --- the documentation -------------------------------------------------------------------------------


def test_docs_cli_transcripts_are_up_to_date() -> None:
    done = run([sys.executable, str(ROOT / "docs" / "make_cli_transcripts.py"), "--check"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_docstrings_run() -> None:
    import doctest

    from hyperparameter._cli import command, options, text

    attempted = 0
    for module in (command, options, text):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted >= 10

"""Write the terminal transcripts of docs/cli.md by running the real commands.

    python docs/make_cli_transcripts.py           # rewrite the transcripts in docs/cli.md
    python docs/make_cli_transcripts.py --check   # exit 1 (with a diff) if docs/cli.md is stale

docs/cli.md marks each transcript with ``<!-- transcript: NAME -->`` ... ``<!-- end transcript -->``;
everything outside the markers is prose written by hand and is left alone. Commands run with
this interpreter (``python`` -> ``sys.executable``, ``hp`` -> ``python -m hyperparameter._cli.tool``),
80 columns, from the repository root or from a scratch folder holding the example files.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cli.md"
QS = "python -m hyperparameter.examples.quickstart"

TRAIN_PY = '''\
"""Train and evaluate a model: hp.launch() with two commands."""

import hyperparameter as hp


@hp.param("fit")
def fit(data: str, lr: float = 0.001, epochs: int = 3, amp: bool = True):
    """Fit a model to a data file.

    Args:
        data: a CSV file of training examples.
        lr: the learning rate.
        epochs: passes over the data.
        amp: use mixed precision.
    """
    warmup = hp.scope.fit.warmup | 100
    print(f"fit {data}: lr={lr} epochs={epochs} amp={amp} warmup={warmup}")
    return 0


@hp.param("evaluate")
def evaluate(*checkpoints: str, batch_size: int = 32):
    """Evaluate checkpoints.

    Args:
        checkpoints: the checkpoint files.
        batch_size: examples per batch.
    """
    print(f"evaluate {', '.join(checkpoints) or 'nothing'} with batch_size={batch_size}")


if __name__ == "__main__":
    hp.launch()
'''

RUN_TOML = """\
[greet]
name = "Config"
enthusiasm = 2
greeting = "Hi"
"""

BASE_TOML = """\
[greet]
name = "Base"
enthusiasm = 2
greeting = "Hi"
"""

EXP_YAML = """\
greet:
  name: Experiment
"""

FIT_YAML = """\
fit:
  lr: 0.01
  epochs: 10
"""

LONG_YAML = """\
fit:
  epochs: 20
"""

#: The example files, written into the scratch folder ("work") before anything runs.
FILES = {
    "train.py": TRAIN_PY,
    "run.toml": RUN_TOML,
    "base.toml": BASE_TOML,
    "exp.yaml": EXP_YAML,
    "fit.yaml": FIT_YAML,
    "long.yaml": LONG_YAML,
}

#: Each transcript: a list of (where, command). "root" is the repository, "work" the scratch
#: folder. A ("source", file) entry shows a file (an example above, or one of the repository).
TRANSCRIPTS: dict[str, list[tuple[str, str]]] = {
    "quickstart": [
        ("root", QS),
        ("root", f"{QS} --define greet.name=Alice --enthusiasm=3"),
    ],
    "help": [("root", f"{QS} --help")],
    "list": [
        ("root", f"{QS} -lps"),
        ("root", f"{QS} -D greet.name=Alice --shout -lps"),
    ],
    "explain": [
        ("root", f"{QS} -ep greet.name"),
        ("root", f"{QS} -ep greet.style -D greet.style=fancy"),
    ],
    "layers": [
        ("work", "cat run.toml"),
        ("work", f"{QS} --config run.toml -D greet.enthusiasm=4 --greeting Hey -lps"),
        ("work", f"{QS} --config run.toml -D greet.enthusiasm=4 --greeting Hey"),
    ],
    "config-files": [
        ("work", "cat base.toml"),
        ("work", "cat exp.yaml"),
        ("work", f"{QS} -C base.toml exp.yaml -lps"),
        ("work", f"{QS} -C base.toml exp.yaml --shout"),
        ("work", f"{QS} -C base.toml -C exp.yaml"),
    ],
    "config-commands": [
        ("work", "cat fit.yaml"),
        ("work", "cat long.yaml"),
        ("work", "python train.py -C fit.yaml long.yaml fit data.csv"),
        ("work", "python train.py fit data.csv -C fit.yaml -D fit.warmup=5"),
    ],
    "config-errors": [
        ("work", f"{QS} -C base.toml nowhere.yaml"),
        ("work", f"{QS} -C --shout"),
        ("work", "python train.py fit -C fit.yaml data.csv"),
    ],
    "bad-values": [
        ("root", f"{QS} --enthusiasm lots"),
        ("root", f"{QS} -D greet.shout=maybe"),
    ],
    "typos": [
        ("root", f"{QS} -D greet.nmae=Alice"),
        ("root", f"{QS} -D greet.nmae=Alice --strict"),
        ("root", f"{QS} --enthusiams 3"),
    ],
    "dump": [
        ("work", f"{QS} --name Bob -D greet.style=fancy --dump-params used.toml"),
        ("work", "cat used.toml"),
        ("work", f"{QS} --config used.toml"),
    ],
    "quickstart-py": [("source", "hyperparameter/examples/quickstart.py")],
    "train-py": [("source", "train.py")],
    "commands": [
        ("work", "python train.py --help"),
        ("work", "python train.py fit data.csv --lr 0.01 --no-amp -D fit.warmup=10"),
        ("work", "python train.py evaluate a.ckpt b.ckpt --batch-size 8"),
        ("work", "python train.py -lps"),
        ("work", "python train.py fit --help"),
    ],
    "hp-tool": [
        ("root", "hp list hyperparameter/examples"),
        ("root", "hp explain hyperparameter/examples greet.style"),
        ("root", "hp list hyperparameter/examples/quickstart.py --format json"),
    ],
}

_BLOCK = re.compile(r"(<!-- transcript: ([\w-]+) -->\n)(.*?)(<!-- end transcript -->)", re.S)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(COLUMNS="80", LINES="50", PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
    env.pop("HYPERPARAMETER_BACKEND", None)
    return env


def _argv(command: str) -> list[str]:
    words = shlex.split(command)
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    if words[0] == "hp":
        return [sys.executable, "-m", "hyperparameter._cli.tool", *words[1:]]
    raise ValueError(f"cannot run {command!r}")


def _run(where: str, command: str, work: Path) -> str:
    cwd = ROOT if where == "root" else work
    if command.startswith("cat "):
        output, status = (cwd / command[4:]).read_text(encoding="utf-8"), 0
    else:
        done = subprocess.run(
            _argv(command),
            cwd=cwd,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        output, status = done.stdout, done.returncode
    text = f"$ {command}\n{output}"
    if not text.endswith("\n"):
        text += "\n"
    if status:
        text += f"[exit status {status}]\n"
    return text


def transcript(name: str, work: Path) -> str:
    """The Markdown of one transcript block."""
    steps = TRANSCRIPTS[name]
    if steps[0][0] == "source":
        file = steps[0][1]
        text = FILES[file] if file in FILES else (ROOT / file).read_text(encoding="utf-8")
        return f"```python\n{text}```\n"
    return "```console\n" + "".join(_run(where, command, work) for where, command in steps) + "```\n"


def render(text: str) -> str:
    """``text`` (the page) with every transcript block regenerated."""
    names = [m.group(2) for m in _BLOCK.finditer(text)]
    missing = sorted(set(TRANSCRIPTS) - set(names))
    unknown = sorted(set(names) - set(TRANSCRIPTS))
    if missing or unknown:
        raise SystemExit(f"docs/cli.md: transcripts missing {missing}, unknown {unknown}")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for name, content in FILES.items():
            (work / name).write_text(content, encoding="utf-8")
        return _BLOCK.sub(lambda m: m.group(1) + transcript(m.group(2), work) + m.group(4), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that docs/cli.md is up to date")
    args = parser.parse_args(argv)
    current = DOC.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if fresh != current:
            diff = difflib.unified_diff(
                current.splitlines(True), fresh.splitlines(True), "docs/cli.md", "generated"
            )
            sys.stdout.writelines(diff)
            print("docs/cli.md is stale: run python docs/make_cli_transcripts.py", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        DOC.write_text(fresh, encoding="utf-8")
        print("docs/cli.md: transcripts updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``hp`` tool on folders it cannot fully read: it names each bad file and lists the rest.

A file nested too deeply for the parser, one with a syntax error or undecodable bytes, a FIFO
or a link loop named ``*.py``, a folder link pointing back up: none of them may stop, hang or
crash ``hp list`` / ``hp explain``, and no text taken from a scanned file may reach the
terminal with its control characters. Every command runs as a process with a timeout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable, Optional

import pytest

HP_TOOL = [sys.executable, "-m", "hyperparameter._cli.tool"]

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symbolic links")

ESC = "\x1b"


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def hp(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run([*HP_TOOL, *args], cwd)


def raw_controls(text: str) -> list[str]:
    """The characters of ``text`` that a terminal would act on or hide (line breaks aside)."""
    return [c for c in text if not c.isprintable() and c != "\n"]


def problems(stderr: str) -> dict[str, str]:
    """stderr's ``hp: FILE: reason`` lines as ``{FILE: reason}``, checking there is one per file."""
    lines = stderr.splitlines()
    assert all(line.startswith("hp: ") for line in lines), stderr
    named = dict(line[len("hp: ") :].split(": ", 1) for line in lines)
    assert len(named) == len(lines), f"a file named twice:\n{stderr}"
    return named


GOOD = """\
import hyperparameter as hp


@hp.param("train")
def fit(lr=0.1, epochs=3):
    return hp.scope.train.warmup | 10
"""

#: Each bad file of the folder and the reason ``hp`` gives for passing over it.
BAD = {
    "proj/broken.py": "cannot parse: invalid syntax on line 1",
    "proj/deep.py": "cannot parse: nested too deeply (RecursionError)",
    "proj/minus.py": "cannot parse: too complex or too large (MemoryError)",
    "proj/latin.py": "cannot parse: not valid utf-8: byte 0xe9 on line 2",
    "proj/x.py": "skipped: not a regular file (a FIFO)",
    "proj/loop.py": "cannot read: Too many levels of symbolic links",
}


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """``proj/``: good files and every kind of bad one; returns the folder holding ``proj``."""
    proj = tmp_path / "proj"
    (proj / "sub").mkdir(parents=True)
    (proj / "good.py").write_text(GOOD)
    (proj / "sub" / "more.py").write_text("import hyperparameter as hp\nd = hp.scope.data.path | 'x'\n")
    (proj / "broken.py").write_text("def oops(:\n")
    (proj / "deep.py").write_text("x = " + "+".join(["a"] * 100_000) + "\n")  # the parser recurses
    (proj / "minus.py").write_text("x = " + "-" * 100_000 + "1\n")  # the parser's stack overflows
    (proj / "latin.py").write_bytes(b"import hyperparameter as hp\nx = hp.scope.caf\xe9 | 1\n")
    os.mkfifo(proj / "x.py")
    os.symlink("loop.py", proj / "loop.py")
    os.symlink("..", proj / "sub" / "up")  # a folder loop: proj/sub/up/sub/up/...
    (proj / "evil.py").write_text(
        "import hyperparameter as hp\n"
        f'x = hp.scope["""evil.{ESC}[31mkey\nnext"""] | "{ESC}]0;title\x07"\n'
        f'y = hp.scope["bidi.\u202eevil"] | 1\n'
    )
    (proj / f"name{ESC}[2J\nx.py").write_text("import hyperparameter as hp\nn = hp.scope.named.k | 1\n")
    return tmp_path


# TOOL-01, TOOL-02, TOOL-03, TOOL-04, TOOL-05
def test_hp_list_names_each_bad_file_and_lists_the_rest(folder: Path) -> None:
    done = hp("list", "proj", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert problems(done.stderr) == BAD
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[2:]}
    assert rows["train.lr"] == ["param", "0.1", "fit", "proj/good.py:5"]
    assert rows["train.epochs"] == ["param", "3", "fit", "proj/good.py:5"]
    assert rows["train.warmup"] == ["read", "10", "fit", "proj/good.py:6"]
    assert rows["data.path"] == ["read", "'x'", "<module>", "proj/sub/more.py:2"]
    assert done.stdout.count("good.py") == 3  # the link back up is not followed: listed once


def test_hp_list_json_names_each_bad_file_and_lists_the_rest(folder: Path) -> None:
    done = hp("list", "proj", "--format", "json", cwd=folder)
    assert done.returncode == 0
    assert problems(done.stderr) == BAD
    found = {(f["key"], f["file"], f["line"]) for f in json.loads(done.stdout)}
    assert ("train.lr", "proj/good.py", 5) in found
    assert ("data.path", "proj/sub/more.py", 2) in found


def test_hp_explain_names_each_bad_file_and_explains_the_key(folder: Path) -> None:
    done = hp("explain", "proj", "train.warmup", cwd=folder)
    assert done.returncode == 0
    assert problems(done.stderr) == BAD
    assert done.stdout == "train.warmup\n  read in fit at proj/good.py:6 (default 10)\n"


# TOOL-06
def test_hp_list_escapes_control_characters_from_scanned_files(folder: Path) -> None:
    done = hp("list", "proj", cwd=folder)
    assert raw_controls(done.stdout + done.stderr) == []
    assert 'evil.\\x1b[31mkey\\nnext  read   "\\x1b]0;title\\x07"  <module>  proj/evil.py:2' in done.stdout
    assert "bidi.\\u202eevil" in done.stdout
    assert "proj/name\\x1b[2J\\nx.py:2" in done.stdout
    # every row is one line of the table: keys and defaults keep the columns aligned
    lines = done.stdout.splitlines()
    assert len({line.index("proj/") for line in lines[2:]}) == 1


# TOOL-06
def test_hp_list_json_escapes_control_characters(folder: Path) -> None:
    done = hp("list", "proj", "--format", "json", cwd=folder)
    assert raw_controls(done.stdout + done.stderr) == []
    keys = {f["key"] for f in json.loads(done.stdout)}
    assert f"evil.{ESC}[31mkey\nnext" in keys  # JSON escapes, and decodes back to the real key


# TOOL-06
def test_hp_explain_escapes_control_characters(folder: Path) -> None:
    done = hp("explain", "proj", f"evil.{ESC}[31mkey\nnext", cwd=folder)
    assert done.returncode == 0
    assert raw_controls(done.stdout + done.stderr) == []
    assert done.stdout == (
        'evil.\\x1b[31mkey\\nnext\n  read in <module> at proj/evil.py:2 (default "\\x1b]0;title\\x07")\n'
    )
    missing = hp("explain", "proj", f"evil.{ESC}[31mkey", cwd=folder)
    assert missing.returncode == 1
    assert raw_controls(missing.stderr) == []
    assert "no parameter evil.\\x1b[31mkey in proj; did you mean evil.\\x1b[31mkey\\nnext?" in missing.stderr


def _fifo(proj: Path) -> None:
    os.mkfifo(proj / "x.py")


def _link_loop(proj: Path) -> None:
    os.symlink("x.py", proj / "x.py")


def _folder_link_loop(proj: Path) -> None:
    (proj / "sub").mkdir()
    os.symlink("..", proj / "sub" / "x.py")  # a folder named like a file, leading back up


def _nested(proj: Path) -> None:
    (proj / "x.py").write_text("x = " + "(" * 100 + "+".join(["a"] * 50_000) + ")" * 100 + "\n")


def _null_byte(proj: Path) -> None:
    (proj / "x.py").write_bytes(b"x = 1\x00\n")


# TOOL-01, TOOL-03, TOOL-04, TOOL-05
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_fifo, "skipped: not a regular file (a FIFO)"),
        (_link_loop, "cannot read: Too many levels of symbolic links"),
        (_folder_link_loop, None),
        (_nested, "cannot parse: nested too deeply (RecursionError)"),
        (_null_byte, "cannot parse: source code string cannot contain null bytes"),
    ],
    ids=["fifo", "link-loop", "folder-link-loop", "nested", "null-byte"],
)
def test_one_bad_file_next_to_a_good_one(
    tmp_path: Path, make: Callable[[Path], None], reason: Optional[str]
) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "good.py").write_text(GOOD)
    make(proj)
    for command in (["list", "proj"], ["explain", "proj", "train.lr"]):
        done = hp(*command, cwd=tmp_path)  # a read of the FIFO would block until the timeout
        assert done.returncode == 0
        assert problems(done.stderr) == ({"proj/x.py": reason} if reason else {})
        assert done.stdout.count("proj/good.py:5") == (2 if command[0] == "list" else 1)


# TOOL-04
def test_hp_list_a_fifo_given_by_name_is_skipped_not_read(folder: Path) -> None:
    done = hp("list", "proj/x.py", cwd=folder)
    assert done.returncode == 1  # nothing listed, and a file passed over
    assert done.stderr == "hp: proj/x.py: skipped: not a regular file (a FIFO)\n"
    assert done.stdout == "no parameters found in proj/x.py\n"


# TOOL-01
def test_hp_list_a_folder_of_only_bad_files_fails(tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "broken.py").write_text("def oops(:\n")
    done = hp("list", "bad", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == "hp: bad/broken.py: cannot parse: invalid syntax on line 1\n"
    assert done.stdout == "no parameters found in bad\n"


def test_hp_list_a_folder_named_with_dots(folder: Path) -> None:
    done = hp("list", "..", cwd=folder / "proj" / "sub")
    assert done.returncode == 0
    assert "train.lr" in done.stdout and "../good.py:5" in done.stdout


# TOOL-06
def test_hp_list_escapes_an_undecodable_file_name(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xff.py")  # a byte that is not UTF-8 arrives as a lone surrogate
    try:
        (tmp_path / name).write_text("import hyperparameter as hp\nx = hp.scope.cafe.k | 1\n")
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    done = hp("list", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[2].split() == ["cafe.k", "read", "1", "<module>", "caf\\udcff.py:2"]


# TOOL-03
def test_a_long_expression_the_parser_accepts_is_scanned(tmp_path: Path) -> None:
    chain = " + ".join(["1"] * 700)  # deeper than Python's recursion limit allows a visitor to go
    (tmp_path / "long.py").write_text(f"import hyperparameter as hp\nx = {chain} + (hp.scope.long.k | 5)\n")
    done = hp("list", "long.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[2].split() == ["long.k", "read", "5", "<module>", "long.py:2"]


# TOOL-03
def test_list_params_of_a_program_with_a_long_expression(tmp_path: Path) -> None:
    chain = " + ".join(["1"] * 700)
    program = textwrap.dedent(
        f"""\
        import hyperparameter as hp

        TOTAL = {chain}


        @hp.param("job")
        def job(n=1):
            return hp.scope.job.extra | 2


        hp.launch(job)
        """
    )
    (tmp_path / "prog.py").write_text(program)
    done = run([sys.executable, "prog.py", "-lps"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()[2:]] == ["job.extra", "job.n"]


# TOOL-02
@pytest.mark.parametrize(
    ("data", "default", "line"),
    [
        (b"# coding: latin-1\nimport hyperparameter as hp\nx = hp.scope.k.v | '\xe9'\n", "'\u00e9'", 3),
        (b"\xef\xbb\xbfimport hyperparameter as hp\r\nx = hp.scope.k.v | 'x'\r\n", "'x'", 2),
    ],
    ids=["coding-line", "bom-and-crlf"],
)
def test_hp_list_reads_files_as_python_does(tmp_path: Path, data: bytes, default: str, line: int) -> None:
    (tmp_path / "m.py").write_bytes(data)
    done = hp("list", "m.py", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [found] = json.loads(done.stdout)
    assert (found["key"], found["default"], found["line"]) == ("k.v", default, line)

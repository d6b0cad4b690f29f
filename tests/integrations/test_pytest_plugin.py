"""The pytest plugin: ``hp_scope`` runs a test in a scope of its own and puts the baseline and the
thread's root scope back after it. Each case runs small test files in a pytest of its own
(``pytester``), on both backends: without the fixture they leak into the next test, with it not.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "hyperparameter" / "pytest_plugin.py"
# Loaded by name, whether or not the package's metadata (its entry point) is installed: the entry
# point is blocked so that the module is not registered twice.
LOAD = ("-p", "no:hyperparameter", "-p", "hyperparameter.pytest_plugin", "-p", "no:cacheprovider")

BACKENDS = pytest.mark.parametrize("backend", ["native", "python"])

# Each test leaves something behind: a frozen baseline, values at the thread's root.
LEAKING = """
import threading
import hyperparameter as hp

def test_0_runs_on_the_backend_asked_for():
    assert hp.backend_name() == "{backend}"

def test_1_freezes({fixture}):
    with hp.scope(**{{"leak.frozen": 1}}):
        hp.scope.frozen()

def test_2_writes_at_the_root({fixture}):
    hp.scope.init({{"leak.root": 2}})

def test_3_sees_no_frozen_value({fixture}):
    assert hp.scope.leak.frozen | 0 == 0

def test_4_sees_no_root_value({fixture}):
    assert hp.scope.leak.root | 0 == 0

def test_5_a_new_thread_sees_no_frozen_value({fixture}):
    seen = []
    worker = threading.Thread(target=lambda: seen.append(hp.scope.leak.frozen | 0))
    worker.start()
    worker.join()
    assert seen == [0]
"""


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, backend: str, source: str):
    monkeypatch.setenv("HYPERPARAMETER_BACKEND", backend)
    pytester.makepyfile(test_case=textwrap.dedent(source))
    return pytester.runpytest_subprocess(*LOAD, "-v")


@BACKENDS
def test_without_the_fixture_tests_leak(pytester, monkeypatch, backend):
    result = run(pytester, monkeypatch, backend, LEAKING.format(fixture="", backend=backend))
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*test_3_sees_no_frozen_value FAILED*",
            "*test_4_sees_no_root_value FAILED*",
            "*test_5_a_new_thread_sees_no_frozen_value FAILED*",
        ]
    )


@BACKENDS
def test_with_the_fixture_nothing_leaks(pytester, monkeypatch, backend):
    source = LEAKING.format(fixture="hp_scope", backend=backend) + textwrap.dedent(
        """
        @hp.param("train")
        def train(lr=0.1):
            return lr

        def test_6_writes_go_to_the_tests_scope(hp_scope):
            hp_scope["k.v"] = 1
            hp_scope.k.w = 2
            hp.scope.k.x = 3
            assert (hp_scope.k.v | 0, hp_scope.k.w | 0, hp_scope["k.x"] | 0) == (1, 2, 3)
            assert (hp.scope.k.v | 0, hp.scope["k.w"] | 0) == (1, 2)
            assert hp.scope.current() is hp_scope
            hp_scope["train.lr"] = "0.5"
            assert train() == 0.5

        def test_7_the_values_are_gone(hp_scope):
            assert (hp_scope.k.v | 0, hp.scope.k.w | 0, hp.scope.k.x | 0) == (0, 0, 0)
            assert train() == 0.1

        def test_8_the_root_is_put_back_as_it_was():
            hp.scope.init({"kept.root": 5})

        def test_9_a_frozen_baseline_is_put_back_as_it_was():
            with hp.scope(**{"kept.frozen": 6}):
                hp.scope.frozen()

        def test_10_changes_both_again(hp_scope):
            hp.scope.init({"kept.root": 50, "more.root": 1})
            with hp.scope(**{"kept.frozen": 60}):
                hp.scope.frozen()

        def test_11_sees_them_as_they_were(hp_scope):
            assert (hp.scope.kept.root | 0, hp.scope.more.root | 0, hp.scope.kept.frozen | 0) == (5, 0, 6)
            assert hp_scope.kept.frozen | 0 == 6  # the test's scope sees the baseline

        def test_12_leaves_a_scope_entered(hp_scope):
            hp.scope(**{"forgotten.key": 1}).__enter__()

        def test_13_does_not_see_it(hp_scope):
            assert hp.scope.forgotten.key | 0 == 0
        """
    )
    result = run(pytester, monkeypatch, backend, source)
    result.assert_outcomes(passed=14, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_12_leaves_a_scope_entered ERROR*",
            "*ScopeOrderError: the test left 1 scope(s) entered*forgotten.key*",
        ]
    )


def test_the_entry_point_loads_the_plugin_and_no_turns_it_off(pytester, monkeypatch):
    # The package's metadata as an install writes it, on the path: the entry point of
    # pyproject.toml, not the -p of the other cases.
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    points = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]
    assert points["pytest11"] == {"hyperparameter": "hyperparameter.pytest_plugin"}
    metadata = pytester.mkdir("site") / "hyperparameter_probe-0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: hyperparameter-probe\nVersion: 0\n")
    lines = "".join(f"{name} = {target}\n" for name, target in points["pytest11"].items())
    (metadata / "entry_points.txt").write_text("[pytest11]\n" + lines)
    monkeypatch.setenv("PYTHONPATH", str(metadata.parent))
    pytester.makepyfile(
        test_case="""
        import hyperparameter as hp

        def test_uses_it(hp_scope):
            hp_scope["a.b"] = 1
            assert hp.scope.a.b | 0 == 1
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    off = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:hyperparameter")
    off.assert_outcomes(errors=1)
    off.stdout.fnmatch_lines(["*fixture 'hp_scope' not found*"])


def test_the_plugin_module_imports_no_part_of_the_library_when_loaded():
    tree = ast.parse(PLUGIN.read_text(encoding="utf-8"))
    imported = []
    for node in tree.body:  # what runs when pytest loads the module; TYPE_CHECKING blocks do not
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imported.append("." * node.level + (node.module or ""))
    assert sorted(imported) == ["__future__", "pytest", "typing"]
    fixtures = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.decorator_list]
    assert [f.name for f in fixtures] == ["hp_scope"]
    assert all("autouse" not in ast.dump(d) for f in fixtures for d in f.decorator_list)

"""hp.effective_params: every declared parameter (defaults included) and every key set, as the
functions would receive them now, with where each came from."""

from __future__ import annotations

import gc
import pathlib
import threading
import warnings
from typing import Any, Optional

import pytest
from config_files import write

import hyperparameter as hp
from hyperparameter import _scope


def only(prefix: str, found: dict) -> dict:
    """The entries of ``found`` under ``prefix`` (other tests declare parameters too)."""
    return {key: value for key, value in found.items() if key.startswith(prefix + ".")}


# --- values ------------------------------------------------------------------------------------


def test_declared_parameters_are_listed_with_their_defaults():
    @hp.param("eff_defaults")
    def fit(lr=0.1, steps=100, name="base", flag=False, *, seed=None):
        return lr, steps, name, flag, seed

    assert only("eff_defaults", hp.effective_params()) == {
        "eff_defaults.flag": False,
        "eff_defaults.lr": 0.1,
        "eff_defaults.name": "base",
        "eff_defaults.seed": None,
        "eff_defaults.steps": 100,
    }
    assert set(only("eff_defaults", hp.effective_params(sources=True)).values()) == {
        (False, "default"),
        (0.1, "default"),
        ("base", "default"),
        (None, "default"),
        (100, "default"),
    }


def test_values_are_what_the_function_receives_now():
    @hp.param("eff_recv")
    def fit(lr=0.1, steps=100, fast=False, data: Optional[pathlib.Path] = None, tag="t"):
        return {
            "eff_recv.lr": lr,
            "eff_recv.steps": steps,
            "eff_recv.fast": fast,
            "eff_recv.data": data,
            "eff_recv.tag": tag,
        }

    cases = [
        {},
        {"eff_recv.steps": "64", "eff_recv.fast": "yes", "eff_recv.data": "/srv/data"},
        {"eff_recv.lr": 1, "eff_recv.tag": 5, "eff_recv.data": None},
        {"eff_recv.steps": 7.0, "eff_recv.lr": "1e-3"},
    ]
    for values in cases:
        with hp.scope(**values):
            effective = only("eff_recv", hp.effective_params())
            received = fit()
            assert effective == received, values
            for key in received:  # the same types, not merely equal values
                assert type(effective[key]) is type(received[key]), (key, values)
    with hp.scope(**{"eff_recv.data": "/srv"}):
        assert hp.effective_params()["eff_recv.data"] == pathlib.Path("/srv")


def test_a_value_that_does_not_convert_is_listed_as_set():
    @hp.param("eff_raw")
    def fit(steps=100, when: Optional[pathlib.Path] = None):
        return steps

    with hp.scope(**{"eff_raw.steps": "3.5", "eff_raw.when": ""}):
        assert only("eff_raw", hp.effective_params(sources=True)) == {
            "eff_raw.steps": ("3.5", "code"),
            "eff_raw.when": ("", "code"),
        }
        with pytest.raises(hp.ConversionError, match="eff_raw.steps"):
            fit()


def test_keys_set_in_the_scope_chain_are_listed_as_set_inner_values_winning():
    with hp.scope(**{"eff_set.a": "1", "eff_set.b": [1, 2]}):
        with hp.scope(**{"eff_set.a": "2", "eff_set.c": None}):
            assert only("eff_set", hp.effective_params()) == {
                "eff_set.a": "2",
                "eff_set.b": [1, 2],
                "eff_set.c": None,
            }
        assert only("eff_set", hp.effective_params()) == {"eff_set.a": "1", "eff_set.b": [1, 2]}
    assert only("eff_set", hp.effective_params()) == {}


def test_the_result_is_sorted_by_key():
    with hp.scope(**{"eff_sort.z": 1, "eff_sort.a": 2, "eff_sort.m.x": 3}):
        keys = list(hp.effective_params())
    assert keys == sorted(keys)
    assert [k for k in keys if k.startswith("eff_sort.")] == ["eff_sort.a", "eff_sort.m.x", "eff_sort.z"]


def test_an_empty_scope_sees_neither_outer_scopes_nor_the_baseline(baseline):
    with hp.scope(**{"eff_empty.outer": 1}):
        hp.scope.frozen()
    with hp.scope(**{"eff_empty.outer": 2}), hp.scope.empty(**{"eff_empty.inner": 3}):
        assert only("eff_empty", hp.effective_params()) == {"eff_empty.inner": 3}
    assert only("eff_empty", hp.effective_params(sources=True)) == {"eff_empty.outer": (1, "baseline")}


def test_a_collected_function_leaves_the_listing():
    def declare() -> Any:
        @hp.param("eff_gone")
        def fit(lr=0.1):
            return lr

        return fit

    fit = declare()
    assert only("eff_gone", hp.effective_params()) == {"eff_gone.lr": 0.1}
    del fit
    gc.collect()
    assert only("eff_gone", hp.effective_params()) == {}


def test_another_thread_sees_the_baseline_not_this_threads_scopes(baseline):
    with hp.scope(**{"eff_thread.frozen": 1}):
        hp.scope.frozen()
    seen: list = []
    with hp.scope(**{"eff_thread.mine": 2}):
        worker = threading.Thread(target=lambda: seen.append(hp.effective_params(sources=True)))
        worker.start()
        worker.join()
        assert only("eff_thread", hp.effective_params()) == {"eff_thread.frozen": 1, "eff_thread.mine": 2}
    assert only("eff_thread", seen[0]) == {"eff_thread.frozen": (1, "baseline")}


# --- sources -----------------------------------------------------------------------------------


def test_sources_name_default_code_labels_and_baseline(baseline, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write("run.yaml", "eff_src:\n  lr: 0.01\n  name: from-file\n")

    @hp.param("eff_src")
    def fit(lr=0.1, steps=100, name="base", depth=2, width=8, seed=0):
        return lr

    with hp.scope(**{"eff_src.seed": 7}):
        hp.scope.frozen()
    with hp.scope(hp.config("run.yaml"), "eff_src.depth=4", **{"eff_src.width": 16}) as ps:
        ps.set("eff_src.steps", "20", source="-D")
        ps.extra = 1
        assert only("eff_src", hp.effective_params(sources=True)) == {
            "eff_src.depth": (4, "key=value"),
            "eff_src.lr": (0.01, "run.yaml:eff_src.lr"),
            "eff_src.name": ("from-file", "run.yaml:eff_src.name"),
            "eff_src.seed": (7, "baseline"),
            "eff_src.steps": (20, "-D"),
            "eff_src.width": (16, "code"),
        }
        assert hp.effective_params(sources=True)["extra"] == (1, "code")
        with hp.scope(**{"eff_src.seed": 8}):  # a scope over the baseline: set in code
            assert hp.effective_params(sources=True)["eff_src.seed"] == (8, "code")


def test_the_command_lines_labels(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write("exp.yaml", "eff_cli:\n  lr: 0.5\n")

    @hp.param("eff_cli")
    def run(lr=0.1, steps=10, depth=2):
        return only("eff_cli", hp.effective_params(sources=True))

    assert hp.launch(run, argv=["--config", "exp.yaml", "-D", "eff_cli.steps=30", "--depth", "3"]) == {
        "eff_cli.depth": (3, "option"),
        "eff_cli.lr": (0.5, "exp.yaml:eff_cli.lr"),
        "eff_cli.steps": (30, "-D"),
    }


def test_values_set_at_the_thread_root_are_code():
    hp.scope.init({"eff_root.a": 1})
    try:
        assert hp.effective_params(sources=True)["eff_root.a"] == (1, "code")
    finally:
        hp.scope.current().clear()


# --- nothing is called, nothing is read --------------------------------------------------------


class Suggester:
    """A value a tuner might set: calling it (or taking it as a number) would draw a value."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return 3

    def __index__(self) -> int:
        self.calls += 1
        return 3

    def __float__(self) -> float:
        self.calls += 1
        return 3.0


def test_a_callable_value_is_listed_not_called():
    @hp.param("eff_call")
    def fit(steps=100, lr=0.1, data=pathlib.Path("d"), name="n"):
        return steps

    suggest = Suggester()
    values = {f"eff_call.{name}": suggest for name in ("steps", "lr", "data", "name", "free")}
    with hp.scope(**values):
        found = only("eff_call", hp.effective_params(sources=True))
    assert found == {key: (suggest, "code") for key in values}
    assert all(value is suggest for value, _ in found.values())
    assert suggest.calls == 0


def test_listing_does_not_count_as_reading_a_key():
    with hp.scope(**{"eff_unread.key": 1}):
        assert hp.effective_params()["eff_unread.key"] == 1
    assert "eff_unread.key" not in _scope.referenced_keys


# --- two declarations of one key ---------------------------------------------------------------

def test_two_declarations_with_different_defaults_warn_and_the_last_wins():
    @hp.param("eff_twice")
    def first(lr=0.1, steps=10):
        return lr

    @hp.param("eff_twice")
    def second(lr=0.2, steps=10):
        return lr

    with pytest.warns(UserWarning) as caught:
        found = only("eff_twice", hp.effective_params())
    assert found == {"eff_twice.lr": 0.2, "eff_twice.steps": 10}
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages  # steps: the same default, no warning
    for part in ("'eff_twice.lr'", "0.1", "0.2", "first", "second"):
        assert part in messages[0], (part, messages[0])
    assert first() == 0.1 and second() == 0.2  # each function keeps its own default


def test_a_declaration_that_was_collected_does_not_warn():
    def declare(default: float) -> Any:
        @hp.param("eff_once")
        def fit(lr=default):
            return lr

        return fit

    gone = declare(0.1)
    kept = declare(0.2)
    del gone
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert only("eff_once", hp.effective_params()) == {"eff_once.lr": 0.2}
    assert kept() == 0.2


def test_two_declarations_with_the_same_default_do_not_warn():
    @hp.param("eff_same")
    def first(lr=0.1):
        return lr

    @hp.param("eff_same")
    def second(lr=0.1):
        return lr

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert only("eff_same", hp.effective_params()) == {"eff_same.lr": 0.1}
    assert first() == second() == 0.1


def test_the_docstrings_examples_run():
    import doctest

    from hyperparameter import _effective

    for module in (hp, _effective):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0

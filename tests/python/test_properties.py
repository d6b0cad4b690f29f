"""Property tests: hp.scope against a reference model, native state against the model, and the
pure-Python rules against the engine's rules."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import hyperparameter as hp
from hyperparameter import ConversionError, InvalidKeyError, MissingParameterError, ScopeOrderError
from hyperparameter._backends import pure as pure_rules

NATIVE = hp.backend_name() == "native"
native_only = pytest.mark.skipif(not NATIVE, reason="needs the native engine")

if NATIVE:
    from hyperparameter._backends.native import NativeBackend

    native_get = NativeBackend.native_get
    NATIVE_RULES = NativeBackend()

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,  # no .hypothesis directory in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()
SCALARS = (type(None), bool, int, float, str)


class Obj:
    """An arbitrary Python object as a parameter value."""

    def __repr__(self) -> str:
        return f"Obj#{id(self) % 1000}"


# --- strategies -----------------------------------------------------------------------------

KEY_CHARS = "abcxyzABZ019_-é模"
segments = st.text(alphabet=KEY_CHARS, min_size=1, max_size=4)
keys = st.lists(segments, min_size=1, max_size=3).map(".".join)
number_texts = st.sampled_from(
    ["64", "-3", "3.5", "1e3", "5e-4", " 7 ", "true", "No", "on", "0", "1", "nan", "-inf", ""]
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    number_texts,
    st.lists(st.integers(), max_size=3),
    st.builds(Obj),
)
defaults = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=5),
    st.floats(min_value=-2, max_value=2),
    st.sampled_from(["d", "", "64"]),
    st.just([]),
)

# Names that are methods or properties of hp.scope / scope objects cannot be attribute paths.
RESERVED = {n for n in set(dir(type(hp.scope))) | set(dir(hp.Scope)) if not n.startswith("__")}


def attribute_safe(key: str) -> bool:
    return all(not s.startswith("_") and s not in RESERVED for s in key.split("."))


# --- comparing observations -----------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    if type(a) in SCALARS:
        return a == b
    return a is b


def observe(action) -> tuple:
    """("ok", value) or ("error", type, message)."""
    try:
        return ("ok", action())
    except (ConversionError, MissingParameterError, ScopeOrderError, InvalidKeyError) as exc:
        return ("error", type(exc), str(exc))


def same_observation(got: tuple, want: tuple) -> bool:
    if got[0] != want[0]:
        return False
    if got[0] == "ok":
        return same(got[1], want[1])
    return got[1] is want[1] and (want[2] is None or want[2] == got[2])


# --- the reference model --------------------------------------------------------------------


@dataclass
class Frame:
    own: dict = field(default_factory=dict)
    isolated: bool = False


class Model:
    """A stack of dicts over a baseline dict: the contract of MISSION §2, written plainly."""

    def __init__(self) -> None:
        self.frames = [Frame()]  # frame 0: the test's base scope, a child of the thread root
        self.baseline: dict = {}

    def lookup(self, key: str, index: int = -1) -> Any:
        index %= len(self.frames)
        for frame in reversed(self.frames[: index + 1]):
            if key in frame.own:
                return frame.own[key]
            if frame.isolated:
                return MISSING
        return self.baseline.get(key, MISSING)

    def visible(self, index: int = -1) -> dict:
        index %= len(self.frames)
        chain = []
        for frame in reversed(self.frames[: index + 1]):
            chain.append(frame.own)
            if frame.isolated:
                break
        else:
            chain.append(self.baseline)
        view: dict = {}
        for own in reversed(chain):
            view.update(own)
        return view

    @staticmethod
    def read(key: str, value: Any, default: Any) -> tuple:
        """A read with a default: only a missing key falls back; convert for scalar defaults."""
        if value is MISSING:
            return ("ok", default)
        if value is None or default is None or type(value) is type(default):
            return ("ok", value)
        if type(default) in (bool, int, float, str):
            try:
                return ("ok", pure_rules.convert(key, value, type(default)))
            except ConversionError as exc:
                return ("error", ConversionError, str(exc))
        return ("ok", value)

    @staticmethod
    def required(key: str, value: Any) -> tuple:
        if value is MISSING:
            return ("error", MissingParameterError, None)
        return ("ok", value)


# --- operations -----------------------------------------------------------------------------


def operations(key_pool: list) -> st.SearchStrategy:
    key = st.sampled_from(key_pool)
    via = st.one_of(st.none(), st.integers(min_value=0, max_value=50))
    return st.one_of(
        st.tuples(st.just("enter"), st.dictionaries(key, values, max_size=3), st.booleans()),
        st.tuples(st.just("set_attr"), key, values, via),
        st.tuples(st.just("set_item"), key, values, via),
        st.tuples(st.just("update"), st.dictionaries(key, values, max_size=3), via),
        st.tuples(st.just("read"), key, defaults, st.sampled_from(["pipe", "call", "item"]), via),
        st.tuples(st.just("required"), key, via),
        st.tuples(st.just("exit")),
        st.tuples(st.just("exit_wrong"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("clear"), via),
        st.tuples(st.just("frozen")),
        st.tuples(st.just("thread"), key, defaults),
    )


def accessor(target: Any, key: str, form: str) -> Any:
    if form == "item" or not attribute_safe(key):
        return target[key]
    for segment in key.split("."):
        target = getattr(target, segment)
    return target


def write(target: Any, key: str, value: Any, by_attribute: bool) -> None:
    if not (by_attribute and attribute_safe(key)):
        target[key] = value
        return
    *path, last = key.split(".")
    for segment in path:
        target = getattr(target, segment)
    setattr(target, last, value)


def in_new_thread(func):
    box = {}

    def run():
        box["result"] = func()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return box["result"]


def native_observation() -> Any:
    """What native code on this thread sees for a key: its value or MISSING."""

    def get(key):
        try:
            return native_get(key)
        except KeyError:
            return MISSING

    return get


def check_native(model: Model, key_pool: list, where: str) -> None:
    get = native_observation()
    view = model.visible()
    for key in key_pool:
        want = view.get(key, MISSING)
        got = get(key)
        if want is MISSING:
            assert got is MISSING, f"{where}: native code sees {key}={got!r}, Python sees nothing"
        else:
            assert same(got, want), f"{where}: native code sees {key}={got!r}, expected {want!r}"


def run_sequence(key_pool: list, ops: list, with_native: bool) -> None:
    model = Model()
    base = hp.scope()
    base.__enter__()
    scopes = [base]
    try:
        for step, op in enumerate(ops):
            kind = op[0]
            where = f"step {step} {op!r}"
            target = None
            if kind in ("set_attr", "set_item", "update", "read", "required", "clear"):
                via = op[-1]
                target = hp.scope if via is None else scopes[via % len(scopes)]
                via_index = -1 if via is None else via % len(scopes)

            if kind == "enter":
                _, items, isolated = op
                made = hp.scope.empty(items) if isolated else hp.scope(items)
                made.__enter__()
                scopes.append(made)
                model.frames.append(Frame(dict(items), isolated))
            elif kind in ("set_attr", "set_item"):
                _, key, value, _ = op
                write(target, key, value, by_attribute=kind == "set_attr")
                model.frames[-1].own[key] = value  # always the innermost scope
            elif kind == "update":
                target.update(op[1])
                model.frames[-1].own.update(op[1])
            elif kind == "clear":
                target.clear()
                model.frames[-1].own.clear()
            elif kind == "read":
                _, key, default, form, _ = op
                acc = accessor(target, key, form)
                if form == "call":
                    got = observe(lambda acc=acc, default=default: acc(default))
                else:
                    got = observe(lambda acc=acc, default=default: acc | default)
                want = model.read(key, model.lookup(key, via_index), default)
                assert same_observation(got, want), f"{where}: got {got!r}, want {want!r}"
            elif kind == "required":
                _, key, _ = op
                got = observe(lambda target=target, key=key: accessor(target, key, "attr")())
                want = model.required(key, model.lookup(key, via_index))
                assert same_observation(got, want), f"{where}: got {got!r}, want {want!r}"
                if got[0] == "error":
                    assert key in got[2]
            elif kind == "exit":
                if len(scopes) > 1:
                    scopes.pop().__exit__(None, None, None)
                    model.frames.pop()
            elif kind == "exit_wrong":
                if len(scopes) > 1:
                    victim = scopes[op[1] % (len(scopes) - 1)]
                    with pytest.raises(ScopeOrderError):
                        victim.__exit__(None, None, None)
            elif kind == "frozen":
                hp.scope.frozen()
                model.baseline = model.visible()
            elif kind == "thread":
                _, key, default = op

                def read_in_thread(key=key, default=default):
                    seen = observe(lambda: hp.scope[key] | default)
                    native = native_observation()(key) if with_native else None
                    return seen, native

                got, native = in_new_thread(read_in_thread)
                base_value = model.baseline.get(key, MISSING)
                want = model.read(key, base_value, default)
                assert same_observation(got, want), f"{where} (new thread): {got!r} != {want!r}"
                if with_native:
                    assert (native is MISSING) if base_value is MISSING else same(native, base_value), (
                        f"{where}: native code in a new thread sees {native!r}"
                    )

            # After every step: the whole visible state agrees.
            assert hp.scope.current() is scopes[-1], where
            got_view = hp.scope.to_dict()
            want_view = model.visible()
            assert got_view.keys() == want_view.keys(), f"{where}: {got_view} != {want_view}"
            assert all(same(got_view[k], want_view[k]) for k in want_view), where
            if with_native:
                check_native(model, key_pool, where)
    finally:
        while scopes:
            scopes.pop().__exit__(None, None, None)
        with hp.scope.empty():
            hp.scope.frozen()


@SETTINGS
@given(data=st.data())
def test_scope_matches_the_reference_model(data):
    key_pool = data.draw(st.lists(keys, min_size=1, max_size=6, unique=True), label="keys")
    ops = data.draw(st.lists(operations(key_pool), max_size=30), label="ops")
    run_sequence(key_pool, ops, with_native=False)


@native_only
@SETTINGS
@given(data=st.data())
def test_native_state_matches_the_reference_model(data):
    key_pool = data.draw(st.lists(keys, min_size=1, max_size=6, unique=True), label="keys")
    ops = data.draw(st.lists(operations(key_pool), max_size=30), label="ops")
    run_sequence(key_pool, ops, with_native=True)


def test_model_runner_catches_a_wrong_read():
    """The runner is able to fail: a model that disagrees with hp.scope is reported."""
    with pytest.raises(AssertionError, match="want"):
        original = Model.read
        try:
            Model.read = staticmethod(lambda key, value, default: ("ok", "wrong"))
            run_sequence(["a"], [("enter", {"a": 1}, False), ("read", "a", 0, "pipe", None)], False)
        finally:
            Model.read = staticmethod(original)


# --- (c) the pure-Python rules agree with the engine's -----------------------------------------

texts = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.from_regex(
        r"[ \t]?[+-]?([0-9]{1,20}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?[ \n]?", fullmatch=True
    ),
    st.sampled_from(["inf", "-Infinity", "+nan", "NaN", "nan", "1e400", "-0", "+0.0", "1_000"]),
    st.sampled_from(["true", "TRUE", " yes ", "On", "t", "Y", "false", "No", "OFF", "f", "N"]),
    st.sampled_from(["null", "None", "NONE", "\u00a0 5 \u3000", "\u2028true", "\x1c1", "\x85 2"]),
    st.integers().map(str),
    st.floats().map(repr),
)
rule_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(),
    texts,
)
unicode_letters_rust_accepts = [
    "a\u0345",  # COMBINING GREEK YPOGEGRAMMENI: Other_Alphabetic (Mn)
    "\u05b0x",  # HEBREW POINT SHEVA: Other_Alphabetic (Mn)
    "\u24b6",  # CIRCLED LATIN CAPITAL LETTER A: Other_Alphabetic (So)
    "\U0001e030",  # a letter of Unicode 15, unassigned in Python 3.11's Unicode 14 tables
    "\U00031350",  # CJK Extension H (Unicode 15)
]


def native_outcome(func, *args) -> tuple:
    try:
        return ("ok", func(*args))
    except (InvalidKeyError, ConversionError) as exc:
        return ("error", type(exc), str(exc))


pure_outcome = native_outcome


@native_only
@settings(max_examples=800, deadline=None, database=None)
@given(text=st.one_of(texts, keys, st.lists(texts, max_size=3).map(".".join)))
@example(text="a..b")
@example(text="x" * 1025)
@example(text="模型.学习率")
@example(text="a b")
def test_key_rules_agree(text):
    for probe in [text, *unicode_letters_rust_accepts]:
        problem = pure_rules.validate_key(probe)
        native = native_outcome(NATIVE_RULES.check_key, probe)
        assert (problem is None) == (native[0] == "ok"), (probe, problem, native)
        if problem is not None:
            assert native[1] is InvalidKeyError
            reason = problem if "contains" not in problem else "key contains"
            assert reason in native[2], (probe, problem, native[2])
            pure = pure_outcome(pure_rules.check_key, probe)
            assert pure[1] is InvalidKeyError and reason in pure[2]


@native_only
@settings(max_examples=800, deadline=None, database=None)
@given(text=texts)
@example(text="")
def test_hash_agrees(text):
    assert pure_rules.hash_key(text) == NATIVE_RULES.hash_key(text)


@native_only
@settings(max_examples=800, deadline=None, database=None)
@given(text=texts)
@example(text="1e999")
@example(text="inf")
@example(text=" 64 ")
def test_parse_value_agrees(text):
    pure = pure_outcome(pure_rules.parse_value, text)
    native = native_outcome(NATIVE_RULES.parse_value, text)
    assert pure[0] == native[0], (text, pure, native)
    if pure[0] == "ok":
        assert same(pure[1], native[1]), (text, pure, native)
    else:
        assert pure[1:] == native[1:]


@native_only
@settings(max_examples=1500, deadline=None, database=None)
@given(value=rule_values, wanted=st.sampled_from([bool, int, float, str]))
@example(value=1e16, wanted=str)
@example(value=1e-5, wanted=str)
@example(value=0.0001, wanted=str)
@example(value=-0.0, wanted=bool)
@example(value=2.0**63, wanted=int)
@example(value=-(2.0**63), wanted=int)
@example(value=" 9223372036854775807 ", wanted=int)
@example(value="9223372036854775808", wanted=int)
@example(value="-9223372036854775809", wanted=int)  # rounds to -2^63 as a float: still refused
@example(value="1e3", wanted=int)
@example(value="-nan", wanted=float)
def test_convert_agrees(value, wanted):
    pure = pure_outcome(pure_rules.convert, "k.v", value, wanted)
    native = native_outcome(NATIVE_RULES.convert, "k.v", value, wanted)
    assert pure[0] == native[0], (value, wanted, pure, native)
    if pure[0] == "ok":
        assert same(pure[1], native[1]), (value, wanted, pure, native)
        if type(pure[1]) is float:
            assert math.copysign(1, pure[1]) == math.copysign(1, native[1])
    else:
        assert pure[1:] == native[1:]
        assert "k.v" in pure[2] and wanted.__name__ in pure[2]
